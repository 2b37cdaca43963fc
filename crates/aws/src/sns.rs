//! Publishing findings to an SNS topic.

use aws_sdk_sns::types::MessageAttributeValue;

use crate::client::{self, Connection};
use crate::runtime::block_on;
use crate::s3::describe;

/// A topic to publish to, in the region its ARN names.
#[derive(Clone, Debug)]
pub struct Topic {
    client: aws_sdk_sns::Client,
    arn: String,
}

impl Topic {
    pub fn connect(conn: &Connection, arn: &str) -> anyhow::Result<Topic> {
        let parts: Vec<&str> = arn.split(':').collect();
        anyhow::ensure!(
            parts.len() == 6 && parts[0] == "arn" && parts[2] == "sns",
            "{arn:?} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
        );
        let region = parts[3].to_string();
        let client = block_on(async {
            let conf = client::load(conn, Some(&region)).await;
            aws_sdk_sns::Client::new(&conf)
        });
        Ok(Topic {
            client,
            arn: arn.to_string(),
        })
    }

    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// FIFO topics (`.fifo`) de-duplicate on the message deduplication id for five minutes.
    pub fn is_fifo(&self) -> bool {
        self.arn.ends_with(".fifo")
    }

    /// Publishes `message` with the string attribute `finding_id` (subscribers can de-duplicate and
    /// filter on it). On a FIFO topic the id is also the deduplication id, so SNS itself drops a
    /// repeat within five minutes. Returns SNS's message id.
    pub fn publish(
        &self,
        finding_id: &str,
        subject: &str,
        message: &str,
    ) -> anyhow::Result<String> {
        block_on(async {
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(finding_id)
                .build()?;
            // SNS subjects: printable ASCII, under 100 characters.
            let subject: String = subject
                .chars()
                .map(|c| {
                    if c.is_ascii_graphic() || c == ' ' {
                        c
                    } else {
                        '-'
                    }
                })
                .take(99)
                .collect();
            let mut call = self
                .client
                .publish()
                .topic_arn(&self.arn)
                .subject(subject)
                .message(message)
                .message_attributes("finding_id", attribute);
            if self.is_fifo() {
                call = call
                    .message_group_id("trailhound")
                    .message_deduplication_id(finding_id);
            }
            let out = call
                .send()
                .await
                .map_err(|e| describe(&e, &format!("publish to {}", self.arn)))?;
            Ok(out.message_id().unwrap_or_default().to_string())
        })
    }
}
