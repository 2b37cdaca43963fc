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

/// Request parameters that best say what a call was about, in order of preference; the first
/// present is shown in the `events` table.
const KEY_PARAMETERS: &[&str] = &[
    "keyName",
    "instanceId",
    "groupId",
    "groupName",
    "userName",
    "roleName",
    "networkAclId",
    "imageId",
    "snapshotId",
    "volumeId",
    "target",
    "name",
    "trailName",
    "policyArn",
    "accessKeyId",
    "sSHPublicKeyId",
    "instanceProfileName",
    "launchTemplateName",
    "autoScalingGroupName",
    "bucketName",
    "roleArn",
    "roleSessionName",
];

impl Record<'_> {
    /// The one request parameter that best identifies what the call acted on, as `name=value`.
    /// Instance lists (`instancesSet.items[].instanceId`) are joined with commas.
    pub fn key_parameter(&self) -> Option<String> {
        let params: serde_json::Value =
            serde_json::from_str(self.request_parameters?.get()).ok()?;
        let obj = params.as_object()?;
        for key in KEY_PARAMETERS {
            if let Some(v) = obj.get(*key) {
                return Some(format!("{key}={}", value_text(v)));
            }
        }
        if let Some(items) = obj
            .get("instancesSet")
            .and_then(|s| s.get("items"))
            .and_then(|i| i.as_array())
        {
            let ids: Vec<String> = items
                .iter()
                .filter_map(|i| i.get("instanceId").map(value_text))
                .collect();
            if !ids.is_empty() {
                return Some(format!("instanceId={}", ids.join(",")));
            }
        }
        None
    }
}

/// What follows the account in an ARN (`user/alice`, `assumed-role/web/i-0abc`): short enough for
/// a table or a one-line story. Anything that is not an ARN is returned as it is.
pub fn short_principal(arn: &str) -> &str {
    if arn.starts_with("arn:") {
        arn.splitn(6, ':').nth(5).unwrap_or(arn)
    } else {
        arn
    }
}

/// A JSON value as plain text: strings without quotes, everything else as compact JSON.
pub fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value at a dotted path (`userIdentity.arn`, `requestParameters.keyName`) as text. Common
/// fields come from the typed record; any other path is looked up in the raw JSON. Arrays along
/// the path are searched element by element and the found values joined with commas.
pub fn field_text(record: &Record<'_>, raw: &RawValue, path: &str) -> Option<String> {
    let typed = match path {
        "eventName" => Some(record.event_name.as_deref()),
        "eventSource" => Some(record.event_source.as_deref()),
        "awsRegion" => Some(record.aws_region.as_deref()),
        "sourceIPAddress" => Some(record.source_ip_address.as_deref()),
        "userAgent" => Some(record.user_agent.as_deref()),
        "errorCode" => Some(record.error_code.as_deref()),
        "eventType" => Some(record.event_type.as_deref()),
        "recipientAccountId" => Some(record.recipient_account_id.as_deref()),
        "userIdentity.arn" => Some(record.user_identity.as_ref().and_then(|u| u.arn.as_deref())),
        "userIdentity.type" => Some(
            record
                .user_identity
                .as_ref()
                .and_then(|u| u.kind.as_deref()),
        ),
        "userIdentity.accessKeyId" => Some(
            record
                .user_identity
                .as_ref()
                .and_then(|u| u.access_key_id.as_deref()),
        ),
        _ => None,
    };
    if let Some(value) = typed {
        return value.map(str::to_string);
    }
    let value: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
    let mut found = Vec::new();
    collect_path(&value, &path.split('.').collect::<Vec<_>>(), &mut found);
    if found.is_empty() {
        None
    } else {
        Some(found.join(","))
    }
}

fn collect_path(v: &serde_json::Value, path: &[&str], out: &mut Vec<String>) {
    match (v, path.split_first()) {
        (serde_json::Value::Array(items), _) => {
            for item in items {
                collect_path(item, path, out);
            }
        }
        (serde_json::Value::Null, None) => {}
        (_, None) => out.push(value_text(v)),
        (serde_json::Value::Object(map), Some((head, rest))) => {
            if let Some(next) = map.get(*head) {
                collect_path(next, rest, out);
            }
        }
        _ => {}
    }
}

/// The JSON text on one line: white space outside strings removed, everything else byte for byte
/// (key order and number spelling kept, unlike a parse and re-serialise).
pub fn compact_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_strings_and_order() {
        let text = "{ \"b\" : [1, 2],\n  \"a\": \"x y \\\" z\" }";
        assert_eq!(compact_json(text), "{\"b\":[1,2],\"a\":\"x y \\\" z\"}");
        let v: serde_json::Value = serde_json::from_str(&compact_json(text)).unwrap();
        assert_eq!(v, serde_json::from_str::<serde_json::Value>(text).unwrap());
    }

    #[test]
    fn key_parameter_prefers_key_name_and_lists_instances() {
        let r: Record = serde_json::from_str(
            r#"{"requestParameters":{"instanceId":"i-1","keyName":"leaked"}}"#,
        )
        .unwrap();
        assert_eq!(r.key_parameter().as_deref(), Some("keyName=leaked"));
        let r: Record = serde_json::from_str(
            r#"{"requestParameters":{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}}"#,
        )
        .unwrap();
        assert_eq!(r.key_parameter().as_deref(), Some("instanceId=i-1,i-2"));
        let r: Record = serde_json::from_str(r#"{"requestParameters":null}"#).unwrap();
        assert_eq!(r.key_parameter(), None);
    }

    #[test]
    fn field_text_walks_objects_and_arrays() {
        let text = r#"{"eventName":"RunInstances","userIdentity":{"arn":"arn:aws:iam::1:user/a"},
            "requestParameters":{"instancesSet":{"items":[{"keyName":"k1"},{"keyName":"k2"}]}}}"#;
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        let r: Record = serde_json::from_str(text).unwrap();
        assert_eq!(
            field_text(&r, raw, "eventName").as_deref(),
            Some("RunInstances")
        );
        assert_eq!(
            field_text(&r, raw, "userIdentity.arn").as_deref(),
            Some("arn:aws:iam::1:user/a")
        );
        assert_eq!(
            field_text(&r, raw, "requestParameters.instancesSet.items.keyName").as_deref(),
            Some("k1,k2")
        );
        assert_eq!(field_text(&r, raw, "requestParameters.nothing"), None);
        assert_eq!(field_text(&r, raw, "errorCode"), None);
    }

    #[test]
    fn mfa_flag_takes_string_or_bool() {
        let r: Record = serde_json::from_str(
            r#"{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"true"}}}}"#,
        )
        .unwrap();
        let attrs = r
            .user_identity
            .unwrap()
            .session_context
            .unwrap()
            .attributes
            .unwrap();
        assert_eq!(attrs.mfa_authenticated, Some(true));
        let r: Record = serde_json::from_str(
            r#"{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":false}}}}"#,
        )
        .unwrap();
        let attrs = r
            .user_identity
            .unwrap()
            .session_context
            .unwrap()
            .attributes
            .unwrap();
        assert_eq!(attrs.mfa_authenticated, Some(false));
    }
}
