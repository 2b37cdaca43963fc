//! S3 event notifications through SQS: receive messages, read which objects they announce, delete
//! them once the objects are processed.
//!
//! Three message shapes announce CloudTrail log files, and all are read:
//! * an S3 event notification (`{"Records":[{"eventSource":"aws:s3","s3":{...}}]}`), sent by the
//!   bucket to the queue directly;
//! * the same wrapped in an SNS envelope (`{"Type":"Notification","Message":"..."}`), when the
//!   bucket notifies a topic the queue subscribes to;
//! * CloudTrail's own SNS notification (`{"s3Bucket":"...","s3ObjectKey":["..."]}`), when the
//!   trail itself is set to notify a topic.

use anyhow::Context;
use serde_json::Value;

use crate::client::{self, Connection};
use crate::runtime::block_on;
use crate::s3::describe;

/// Which queue: `sqs://NAME`, `sqs://https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (any queue
/// URL), or `sqs://arn:aws:sqs:REGION:ACCOUNT:NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueRef {
    Url(String),
    Name {
        name: String,
        account: Option<String>,
        region: Option<String>,
    },
}

impl QueueRef {
    pub fn parse(text: &str) -> anyhow::Result<QueueRef> {
        let rest = text.strip_prefix("sqs://").unwrap_or(text);
        anyhow::ensure!(
            !rest.is_empty(),
            "{text:?} names no queue (write sqs://QUEUE-NAME or sqs://QUEUE-URL)"
        );
        if rest.starts_with("https://") || rest.starts_with("http://") {
            return Ok(QueueRef::Url(rest.to_string()));
        }
        if let Some(arn) = rest.strip_prefix("arn:") {
            let parts: Vec<&str> = arn.split(':').collect();
            anyhow::ensure!(
                parts.len() == 5 && parts[1] == "sqs",
                "{text:?} is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)"
            );
            return Ok(QueueRef::Name {
                name: parts[4].to_string(),
                account: Some(parts[3].to_string()),
                region: Some(parts[2].to_string()),
            });
        }
        Ok(QueueRef::Name {
            name: rest.to_string(),
            account: None,
            region: None,
        })
    }

    /// The region named by the URL host (`sqs.REGION.amazonaws.com`) or the ARN, if any.
    pub fn region(&self) -> Option<String> {
        match self {
            QueueRef::Name { region, .. } => region.clone(),
            QueueRef::Url(url) => {
                let host = url.split("://").nth(1)?.split('/').next()?;
                let mut labels = host.split('.');
                let first = labels.next()?;
                let second = labels.next()?;
                (first == "sqs" && host.ends_with(".amazonaws.com") && second.contains('-'))
                    .then(|| second.to_string())
            }
        }
    }
}

/// An object a message announced.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Announced {
    pub bucket: String,
    pub key: String,
}

/// One message received.
#[derive(Clone, Debug)]
pub struct Message {
    pub id: String,
    /// What deletes it; valid until its visibility timeout runs out.
    pub receipt_handle: String,
    /// The objects it announces; empty for test events and anything else (delete those too).
    pub objects: Vec<Announced>,
    /// Why a message announced nothing although it was not an S3 test event.
    pub unreadable: Option<String>,
}

/// Reads the objects a message body announces. `Ok(empty)` for S3's `s3:TestEvent` and for
/// notifications of events other than object creation.
pub fn announced_objects(body: &str) -> Result<Vec<Announced>, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("message body is not JSON: {e}"))?;
    // SNS envelope: the payload is a JSON string in "Message".
    if value.get("Type").and_then(Value::as_str) == Some("Notification")
        && let Some(inner) = value.get("Message").and_then(Value::as_str)
    {
        return announced_objects(inner);
    }
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    if let Some(bucket) = value.get("s3Bucket").and_then(Value::as_str) {
        let keys = value
            .get("s3ObjectKey")
            .and_then(Value::as_array)
            .ok_or("CloudTrail notification without s3ObjectKey")?;
        return Ok(keys
            .iter()
            .filter_map(Value::as_str)
            .map(|k| Announced {
                bucket: bucket.to_string(),
                key: k.to_string(),
            })
            .collect());
    }
    let records = value.get("Records").and_then(Value::as_array).ok_or(
        "not an S3 event notification (no Records), an SNS envelope or a CloudTrail notification",
    )?;
    let mut out = Vec::new();
    for r in records {
        let created = r
            .get("eventName")
            .and_then(Value::as_str)
            .is_some_and(|n| n.starts_with("ObjectCreated"));
        if !created {
            continue;
        }
        let bucket = r.pointer("/s3/bucket/name").and_then(Value::as_str);
        let key = r.pointer("/s3/object/key").and_then(Value::as_str);
        if let (Some(bucket), Some(key)) = (bucket, key) {
            out.push(Announced {
                bucket: bucket.to_string(),
                key: form_decode(key),
            });
        }
    }
    Ok(out)
}

/// S3 writes keys in notifications URL-encoded, spaces as `+`.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A queue, resolved to its URL.
#[derive(Clone, Debug)]
pub struct Queue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl Queue {
    /// Resolves the queue (GetQueueUrl for a name or ARN).
    pub fn connect(conn: &Connection, queue: &QueueRef) -> anyhow::Result<Queue> {
        block_on(async {
            let conf = client::load(conn, queue.region().as_deref()).await;
            let client = aws_sdk_sqs::Client::new(&conf);
            let url = match queue {
                QueueRef::Url(url) => url.clone(),
                QueueRef::Name { name, account, .. } => client
                    .get_queue_url()
                    .queue_name(name)
                    .set_queue_owner_aws_account_id(account.clone())
                    .send()
                    .await
                    .map_err(|e| describe(&e, &format!("find queue {name}")))?
                    .queue_url()
                    .with_context(|| format!("GetQueueUrl returned no URL for {name}"))?
                    .to_string(),
            };
            Ok(Queue { client, url })
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Up to `max` (1..=10) messages, waiting up to `wait_seconds` (0..=20) for the first;
    /// received messages stay invisible to others for `visibility_seconds`.
    pub fn receive(
        &self,
        max: i32,
        wait_seconds: i32,
        visibility_seconds: i32,
    ) -> anyhow::Result<Vec<Message>> {
        block_on(async {
            let out = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(max.clamp(1, 10))
                .wait_time_seconds(wait_seconds.clamp(0, 20))
                .visibility_timeout(visibility_seconds.max(0))
                .send()
                .await
                .map_err(|e| describe(&e, &format!("receive from {}", self.url)))?;
            Ok(out
                .messages()
                .iter()
                .map(|m| {
                    let (objects, unreadable) = match announced_objects(m.body().unwrap_or("")) {
                        Ok(objects) => (objects, None),
                        Err(why) => (Vec::new(), Some(why)),
                    };
                    Message {
                        id: m.message_id().unwrap_or_default().to_string(),
                        receipt_handle: m.receipt_handle().unwrap_or_default().to_string(),
                        objects,
                        unreadable,
                    }
                })
                .collect())
        })
    }

    /// Deletes a processed message.
    pub fn delete(&self, receipt_handle: &str) -> anyhow::Result<()> {
        block_on(async {
            self.client
                .delete_message()
                .queue_url(&self.url)
                .receipt_handle(receipt_handle)
                .send()
                .await
                .map_err(|e| describe(&e, &format!("delete a message from {}", self.url)))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_refs() {
        assert_eq!(
            QueueRef::parse("sqs://trail-events").unwrap(),
            QueueRef::Name {
                name: "trail-events".into(),
                account: None,
                region: None
            }
        );
        let url =
            QueueRef::parse("sqs://https://sqs.eu-west-1.amazonaws.com/111122223333/q").unwrap();
        assert_eq!(url.region().as_deref(), Some("eu-west-1"));
        let local = QueueRef::parse("sqs://http://127.0.0.1:5000/123456789012/q").unwrap();
        assert_eq!(local.region(), None);
        let arn = QueueRef::parse("sqs://arn:aws:sqs:us-east-2:111122223333:q").unwrap();
        assert_eq!(arn.region().as_deref(), Some("us-east-2"));
        assert!(QueueRef::parse("sqs://").is_err());
        assert!(QueueRef::parse("sqs://arn:aws:sns:us-east-1:1:t").is_err());
    }

    #[test]
    fn s3_notifications_in_all_three_shapes() {
        let direct = r#"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
            "s3":{"bucket":{"name":"b"},"object":{"key":"AWSLogs/1/CloudTrail/us-east-1/2024/01/01/a+b%3Dc.json.gz"}}},
            {"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"gone"}}}]}"#;
        assert_eq!(
            announced_objects(direct).unwrap(),
            [Announced {
                bucket: "b".into(),
                key: "AWSLogs/1/CloudTrail/us-east-1/2024/01/01/a b=c.json.gz".into()
            }]
        );
        let wrapped = serde_json::json!({"Type": "Notification", "Message": direct}).to_string();
        assert_eq!(announced_objects(&wrapped).unwrap().len(), 1);
        let trail = r#"{"s3Bucket":"b","s3ObjectKey":["k1","k2"]}"#;
        assert_eq!(announced_objects(trail).unwrap().len(), 2);
        let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#;
        assert!(announced_objects(test_event).unwrap().is_empty());
        assert!(announced_objects("hello").is_err());
        assert!(announced_objects(r#"{"x":1}"#).is_err());
    }

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a%2Fb+c%"), "a/b c%");
        assert_eq!(form_decode("%zz"), "%zz");
        assert_eq!(form_decode("%e2%82%ac"), "€");
    }
}
