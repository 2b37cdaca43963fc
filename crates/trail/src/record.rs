//! The CloudTrail record: common fields typed and borrowed from the input buffer, everything else
//! reachable through the record's raw JSON text (no DOM is built unless a caller asks for one).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// One CloudTrail event record, borrowing from the decoded file buffer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record<'a> {
    #[serde(borrow, default)]
    pub event_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub event_time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub event_source: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub event_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub aws_region: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "sourceIPAddress")]
    pub source_ip_address: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_identity: Option<UserIdentity<'a>>,
    #[serde(borrow, default)]
    pub error_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub error_message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub request_parameters: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub response_elements: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub resources: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "eventID")]
    pub event_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub recipient_account_id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub read_only: Option<bool>,
    #[serde(default)]
    pub management_event: Option<bool>,
    #[serde(borrow, default)]
    pub tls_details: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "vpcEndpointId")]
    pub vpc_endpoint_id: Option<Cow<'a, str>>,
}

/// `userIdentity`: who made the call.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub principal_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub access_key_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub session_context: Option<SessionContext<'a>>,
    #[serde(borrow, default)]
    pub invoked_by: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow, default)]
    pub session_issuer: Option<SessionIssuer<'a>>,
    #[serde(borrow, default)]
    pub attributes: Option<SessionAttributes<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub principal_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_name: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes<'a> {
    /// CloudTrail writes this as the string "true"/"false"; some producers write a boolean.
    #[serde(default, deserialize_with = "bool_or_string")]
    pub mfa_authenticated: Option<bool>,
    #[serde(borrow, default)]
    pub creation_date: Option<Cow<'a, str>>,
}

fn bool_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag<'a> {
        Bool(bool),
        Text(#[serde(borrow)] Cow<'a, str>),
    }
    Ok(match Option::<Flag>::deserialize(d)? {
        Some(Flag::Bool(b)) => Some(b),
        Some(Flag::Text(t)) => Some(t.eq_ignore_ascii_case("true")),
        None => None,
    })
}

impl<'a> Record<'a> {
    /// The account the event belongs to: `recipientAccountId`, else the caller's account.
    pub fn account(&self) -> Option<&str> {
        self.recipient_account_id.as_deref().or_else(|| {
            self.user_identity
                .as_ref()
                .and_then(|u| u.account_id.as_deref())
        })
    }

    /// The caller's ARN, or for an assumed role the session ARN; root and service callers
    /// without an ARN fall back to `invokedBy` or the principal id.
    pub fn principal(&self) -> Option<&str> {
        let u = self.user_identity.as_ref()?;
        u.arn
            .as_deref()
            .or(u.invoked_by.as_deref())
            .or(u.principal_id.as_deref())
    }

    /// Whether the call failed (any errorCode).
    pub fn is_error(&self) -> bool {
        self.error_code.as_deref().is_some_and(|c| !c.is_empty())
    }
}
