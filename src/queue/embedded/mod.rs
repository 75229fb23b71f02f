//! The embedded queue: a durable queue in one SQLite file, so the whole pipeline runs on one
//! machine with no broker to install.
//!
//! Split by role, as [`super::amqp`] is: [`EmbeddedQueueConfig`] in `config`, the queue
//! itself (publish with backpressure, counts, opening) in `queue`, the leasing consumer in
//! `consumer`, the group-commit writer thread in `writer`, the table and its settings in
//! `schema`. What several of them hold at once (the queue's shared state, the SQLite helpers)
//! lives in `shared` and `blocking`, so no file imports a sibling that imports it back.

mod blocking;
mod config;
mod consumer;
mod dead_letters;
mod queue;
mod schema;
mod shared;
mod writer;

pub use config::EmbeddedQueueConfig;
pub use consumer::EmbeddedConsumer;
pub use queue::{EmbeddedQueue, dead_letter_reason};

/// What the tests of the queue and of its consumer both build on.
#[cfg(test)]
mod testing {
    use super::{EmbeddedQueue, EmbeddedQueueConfig};
    use crate::queue::Envelope;
    use crate::record::StreamKind;
    use std::path::Path;
    use std::time::Duration;

    /// A one-record batch of `stream` called `id`.
    pub(super) fn envelope(id: &str, stream: StreamKind) -> Envelope {
        Envelope {
            id: id.into(),
            stream,
            source: Some("file".into()),
            first_seq: 0,
            count: 1,
            body: b"[]".to_vec(),
        }
    }

    /// The queue in `dir`, with leases of `redeliver_after`.
    pub(super) fn open(dir: &Path, redeliver_after: Duration) -> EmbeddedQueue {
        EmbeddedQueue::open(EmbeddedQueueConfig {
            redeliver_after,
            ..EmbeddedQueueConfig::new(dir.join("queue.db"))
        })
        .unwrap()
    }
}
