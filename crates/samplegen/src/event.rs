//! Building CloudTrail records in the shapes AWS writes them, from a seeded random source.

use jiff::Timestamp;
use serde_json::{Value, json};

/// splitmix64: small, fast and fully determined by its seed, so generated data is reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    pub fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }

    pub fn alnum(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len).map(|_| *self.pick(CHARS) as char).collect()
    }
}

/// Who makes a call.
#[derive(Clone, Debug)]
pub struct Actor {
    pub identity: Value,
    pub ip: String,
    pub user_agent: String,
}

impl Actor {
    pub fn iam_user(
        account: &str,
        name: &str,
        principal_id: &str,
        key: &str,
        ip: &str,
        agent: &str,
    ) -> Actor {
        Actor {
            identity: json!({
                "type": "IAMUser",
                "principalId": principal_id,
                "arn": format!("arn:aws:iam::{account}:user/{name}"),
                "accountId": account,
                "accessKeyId": key,
                "userName": name,
            }),
            ip: ip.into(),
            user_agent: agent.into(),
        }
    }

    /// A role session; for EC2 instance profiles the session name is the instance id.
    #[allow(clippy::too_many_arguments)]
    pub fn role_session(
        account: &str,
        role: &str,
        role_id: &str,
        session: &str,
        key: &str,
        mfa: bool,
        ip: &str,
        agent: &str,
    ) -> Actor {
        Actor {
            identity: json!({
                "type": "AssumedRole",
                "principalId": format!("{role_id}:{session}"),
                "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
                "accountId": account,
                "accessKeyId": key,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": role_id,
                        "arn": format!("arn:aws:iam::{account}:role/{role}"),
                        "accountId": account,
                        "userName": role,
                    },
                    "attributes": { "creationDate": "2024-05-01T00:00:00Z", "mfaAuthenticated": if mfa { "true" } else { "false" } },
                },
            }),
            ip: ip.into(),
            user_agent: agent.into(),
        }
    }

    pub fn with_mfa_session(mut self, created: &str) -> Actor {
        if let Some(obj) = self.identity.as_object_mut() {
            obj.insert(
                "sessionContext".into(),
                json!({ "attributes": { "creationDate": created, "mfaAuthenticated": "true" } }),
            );
        }
        self
    }
}

/// One API call to record.
pub struct Call<'a> {
    pub actor: &'a Actor,
    pub time: Timestamp,
    pub region: &'a str,
    pub source: &'a str,
    pub name: &'a str,
    pub request: Value,
    pub response: Value,
    pub error: Option<(&'a str, &'a str)>,
    pub read_only: bool,
}

/// The CloudTrail record of a call.
pub fn record(rng: &mut Rng, account: &str, call: Call<'_>) -> Value {
    let request_id = rng.uuid();
    let mut r = json!({
        "eventVersion": "1.09",
        "userIdentity": call.actor.identity,
        "eventTime": call.time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventSource": call.source,
        "eventName": call.name,
        "awsRegion": call.region,
        "sourceIPAddress": call.actor.ip,
        "userAgent": call.actor.user_agent,
        "requestParameters": call.request,
        "responseElements": call.response,
        "requestID": request_id,
        "eventID": rng.uuid(),
        "readOnly": call.read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": format!("{}.{}.amazonaws.com", call.source.trim_end_matches(".amazonaws.com"), call.region),
        },
    });
    if let Some((code, message)) = call.error {
        r["errorCode"] = json!(code);
        r["errorMessage"] = json!(message);
        r["responseElements"] = Value::Null;
    }
    r
}
