//! RabbitMQ behind the queue seam: the broker deployments use.
//!
//! Quorum queues (durable, replicated on a cluster, with a broker-side delivery limit), one
//! long-lived publishing connection with publisher confirms, consumers on their own
//! connections with manual acknowledgement and bounded prefetch. Every link reconnects by
//! itself with backoff and declares its topology again.

mod connection;
mod consumer;
mod dead_letters;
mod message;
mod publisher;
mod topology;

pub use connection::{ProbeError, probe};
pub use consumer::AmqpConsumer;
pub use message::SCHEMA_VERSION;
pub use publisher::AmqpQueue;
pub use topology::{TopologyError, declare};

use crate::record::StreamKind;
use std::time::Duration;

/// How to reach RabbitMQ and what to call the queues. `Debug` shows the URI redacted.
#[derive(Clone)]
pub struct AmqpConfig {
    /// `amqp://user:password@host:port/vhost`.
    pub uri: String,
    /// The queue metrics batches go to; its dead letters go to `<name>.dead`.
    pub metrics_queue: String,
    /// The queue work-order batches go to; its dead letters go to `<name>.dead`.
    pub workorder_queue: String,
    /// Unacknowledged messages a consumer may hold at once.
    pub prefetch: u16,
    /// How long a publish waits for the broker's confirm.
    pub confirm_timeout: Duration,
}

impl std::fmt::Debug for AmqpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpConfig")
            .field("uri", &self.redacted_uri())
            .field("metrics_queue", &self.metrics_queue)
            .field("workorder_queue", &self.workorder_queue)
            .finish_non_exhaustive()
    }
}

impl AmqpConfig {
    /// A configuration with the default queue names.
    pub fn new(uri: impl Into<String>) -> Self {
        AmqpConfig {
            uri: uri.into(),
            metrics_queue: "metrics".into(),
            workorder_queue: "workorder".into(),
            prefetch: 256,
            confirm_timeout: Duration::from_secs(5),
        }
    }

    /// The queue a stream's batches go to.
    pub fn queue(&self, stream: StreamKind) -> &str {
        match stream {
            StreamKind::Metrics => &self.metrics_queue,
            StreamKind::Workorder => &self.workorder_queue,
        }
    }

    /// Where a stream's dead letters go.
    pub fn dead_queue(&self, stream: StreamKind) -> String {
        format!("{}.dead", self.queue(stream))
    }

    /// The URI without its password, for messages and logs.
    pub fn redacted_uri(&self) -> String {
        crate::support::redact::redact(&self.uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_in_the_config() {
        let config = AmqpConfig::new("amqp://guest:s3cret@localhost/");
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(!config.redacted_uri().contains("s3cret"));
    }
}
