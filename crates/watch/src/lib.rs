//! `trailhound watch` without the network: the SQLite checkpoint, the replayed correlation window,
//! the outbox of alerts keyed by finding id, and the sinks (stdout, file, webhook). The CLI brings
//! the inputs (S3, SQS) and the SNS sink through the `aws` crate.
//!
//! The protocol that makes alerts exactly-once by finding id is in `docs/watch.md`.

pub mod engine;
pub mod sink;
pub mod state;

pub use engine::{DeliveryReport, Engine, EngineOptions, Input, PassReport, deliver_pending};
pub use sink::{Alert, Backoff, FileSink, Sink, SinkError, StdoutSink, WebhookSink};
pub use state::{StateDb, Status};
