//! What the webhook accepts and how long it waits: the settings a command resolves once and
//! hands to [`serve`](super::serve).

use crate::auth::Credentials;
use crate::queue::BodyFormat;
use std::time::Duration;

/// What the webhook accepts and how long it waits for the queue.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// The largest request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// The most records in one batch (413 beyond).
    pub max_batch_records: usize,
    /// How long a request waits for the queue to confirm before answering 503.
    pub publish_timeout: Duration,
    /// Requests handled at once; beyond, 503 with Retry-After at once. Together with the body
    /// limit this bounds the memory requests can take.
    pub max_concurrent: usize,
    /// The longest a request may take, body upload included (408 beyond): slow clients
    /// cannot hold a slot forever.
    pub request_timeout: Duration,
    /// The most bytes of request line and headers (431 beyond).
    pub max_header_bytes: usize,
    /// Who may send; empty lets everyone.
    pub credentials: Credentials,
    /// How accepted batches are written on the queue (`--queue-format`).
    pub body_format: BodyFormat,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            max_body_bytes: 8 * 1024 * 1024,
            max_batch_records: 100_000,
            publish_timeout: Duration::from_secs(10),
            max_concurrent: 128,
            request_timeout: Duration::from_secs(30),
            max_header_bytes: 64 * 1024,
            credentials: Credentials::default(),
            body_format: BodyFormat::default(),
        }
    }
}
