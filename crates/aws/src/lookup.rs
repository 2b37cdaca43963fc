//! CloudTrail LookupEvents, for accounts without a trail bucket: the last 90 days of management
//! events of one region, as CloudTrail records (each event's `CloudTrailEvent` is the record text).

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::DateTime;

use crate::client::{self, Connection};
use crate::runtime::block_on;
use crate::s3::describe;

/// What to look up.
#[derive(Clone, Debug, Default)]
pub struct LookupQuery {
    /// Region to ask; the configured one when `None`.
    pub region: Option<String>,
    /// Milliseconds since the Unix epoch; LookupEvents' own defaults (90 days back, now) otherwise.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// One exact event name to ask the API for (it takes a single lookup attribute); narrows the
    /// pages fetched, the caller still filters.
    pub event_name: Option<String>,
}

/// What came back: the records as JSON lines, and how many events had no record text.
#[derive(Debug, Default)]
pub struct LookupResult {
    pub region: String,
    pub jsonl: Vec<u8>,
    pub events: u64,
    pub without_record: u64,
}

/// Pages through LookupEvents (50 events a page; CloudTrail allows 2 calls a second per
/// region, and the SDK backs off when throttled).
pub fn lookup_events(conn: &Connection, query: &LookupQuery) -> anyhow::Result<LookupResult> {
    block_on(async {
        let conf = client::load(conn, query.region.as_deref()).await;
        let region = conf
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "(default region)".into());
        let client = aws_sdk_cloudtrail::Client::new(&conf);
        let mut call = client
            .lookup_events()
            .max_results(50)
            .set_start_time(query.start_ms.map(DateTime::from_millis))
            .set_end_time(query.end_ms.map(DateTime::from_millis));
        if let Some(name) = &query.event_name {
            call = call.lookup_attributes(
                LookupAttribute::builder()
                    .attribute_key(LookupAttributeKey::EventName)
                    .attribute_value(name)
                    .build()?,
            );
        }
        let mut pages = call.into_paginator().send();
        let mut out = LookupResult {
            region: region.clone(),
            ..LookupResult::default()
        };
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| describe(&e, &format!("LookupEvents in {region}")))?;
            for event in page.events() {
                out.events += 1;
                match event.cloud_trail_event() {
                    Some(text) => {
                        // The record text is one JSON object; keep it on one line.
                        out.jsonl.extend(text.replace(['\n', '\r'], " ").as_bytes());
                        out.jsonl.push(b'\n');
                    }
                    None => out.without_record += 1,
                }
            }
        }
        Ok(out)
    })
}
