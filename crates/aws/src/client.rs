//! SDK configuration: the standard chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, credentials
//! files, instance roles), an HTTPS client on rustls with ring, and retries with backoff.

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig};
use aws_smithy_http_client::tls;

/// How to reach AWS, beyond what the environment already says.
#[derive(Clone, Debug, Default)]
pub struct Connection {
    /// A named profile; otherwise AWS_PROFILE or the default.
    pub profile: Option<String>,
    /// Overrides AWS_ENDPOINT_URL (tests point this at a local moto server).
    pub endpoint_url: Option<String>,
    /// Attempts per call, throttling included (the SDK backs off exponentially with jitter).
    pub max_attempts: Option<u32>,
}

/// Loads the SDK configuration, for `region` or the configured default region.
pub async fn load(conn: &Connection, region: Option<&str>) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::standard().with_max_attempts(conn.max_attempts.unwrap_or(6)));
    if let Some(p) = &conn.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &conn.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    loader.load().await
}
