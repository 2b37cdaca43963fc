//! What CloudTrail log file integrity validation needs from AWS beyond listing keys ([`crate::s3`]):
//! a digest object with its user metadata (the signature lives in `x-amz-meta-signature`), absence
//! told apart from other failures, and CloudTrail's public keys (`ListPublicKeys`, per region).

use std::collections::BTreeMap;

use anyhow::Context;

use crate::client::{self, Connection};
use crate::runtime::block_on;
use crate::s3::{S3, describe};

/// One object as read, with its user metadata (names without `x-amz-meta-`).
#[derive(Clone, Debug, Default)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub metadata: BTreeMap<String, String>,
}

/// GetObject; `Ok(None)` when the key does not exist (NoSuchKey, 404).
pub fn get_with_metadata(s3: &S3, bucket: &str, key: &str) -> anyhow::Result<Option<Fetched>> {
    block_on(get_with_metadata_async(s3, bucket, key))
}

pub async fn get_with_metadata_async(
    s3: &S3,
    bucket: &str,
    key: &str,
) -> anyhow::Result<Option<Fetched>> {
    let result = s3
        .client()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await;
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            let missing = e.as_service_error().is_some_and(|s| s.is_no_such_key())
                || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
            if missing {
                return Ok(None);
            }
            return Err(describe(&e, &format!("get s3://{bucket}/{key}")));
        }
    };
    let metadata = out
        .metadata()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let body = out
        .body
        .collect()
        .await
        .with_context(|| format!("read s3://{bucket}/{key}"))?;
    Ok(Some(Fetched {
        body: body.into_bytes().to_vec(),
        metadata,
    }))
}

/// A public key as `ListPublicKeys` returns it.
#[derive(Clone, Debug)]
pub struct ListedKey {
    /// DER (PKCS#1 per the API reference).
    pub value: Vec<u8>,
    pub fingerprint: String,
}

/// The keys CloudTrail signed digests with in `region` between `start` and `end` (all pages).
pub fn list_public_keys(
    conn: &Connection,
    region: &str,
    start: jiff::Timestamp,
    end: jiff::Timestamp,
) -> anyhow::Result<Vec<ListedKey>> {
    block_on(async {
        let conf = client::load(conn, Some(region)).await;
        let ct = aws_sdk_cloudtrail::Client::new(&conf);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = ct
                .list_public_keys()
                .start_time(aws_smithy_types::DateTime::from_secs(start.as_second()))
                .end_time(aws_smithy_types::DateTime::from_secs(end.as_second()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    let detail = e
                        .as_service_error()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| e.to_string());
                    anyhow::anyhow!(
                        "cloudtrail ListPublicKeys in {region}: {detail} (needs cloudtrail:ListPublicKeys; or pass --public-key)"
                    )
                })?;
            for key in page.public_key_list() {
                if let (Some(value), Some(fp)) = (key.value(), key.fingerprint()) {
                    out.push(ListedKey {
                        value: value.as_ref().to_vec(),
                        fingerprint: fp.to_string(),
                    });
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    })
}
