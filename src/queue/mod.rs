//! The queue between the webhook and the consumers: a trait with the embedded SQLite-backed
//! queue as the default implementation (RabbitMQ joins it behind the same seam).
//!
//! Delivery is at-least-once: a message stays in the queue until a consumer acknowledges it
//! after its store committed, so a crash anywhere redelivers rather than loses. Duplicates that
//! redelivery creates are removed by the store (see [`crate::store`]).

pub mod amqp;
mod chosen;
mod dead_letter;
mod embedded;
mod envelope;

pub use amqp::{AmqpConfig, AmqpQueue};
pub use chosen::{ChosenConsumer, ChosenQueue, OpenError};
pub use dead_letter::{DeadLetter, Settle, Which, counted_dead_letters};
pub use embedded::{EmbeddedConsumer, EmbeddedQueue, EmbeddedQueueConfig, dead_letter_reason};
pub use envelope::{BodyFormat, Delivery, Envelope};

use crate::record::StreamKind;
use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

/// A queue failure. Every variant but [`QueueError::Broken`] is transient from the caller's
/// point of view: the webhook answers 503 and the producer retries; consumers back off and
/// try again.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The queue's file or broker cannot be reached or used right now.
    #[error("the queue is unavailable: {what}")]
    Unavailable {
        /// What failed: "cannot open the queue file …", "RabbitMQ", or the whole reason
        /// when no other error gives one (a nack, a broker out of reach).
        what: Cow<'static, str>,
        /// Why, when another error says so: SQLite's, the AMQP client's, the system's.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The queue did not confirm in time that the batch is safely stored, so it may not be.
    #[error("the queue did not confirm the batch within {0:?}")]
    Timeout(Duration),
    /// Consumers are behind: producers should slow down.
    #[error(
        "the queue is full: {waiting} messages are waiting for consumers (the limit is {limit}); are the consumers running?"
    )]
    Full {
        /// Messages waiting in the stream queues, as last counted (errs high between counts).
        waiting: u64,
        /// The most messages the queue lets wait (`--max-queue-backlog`).
        limit: u64,
    },
    /// The process is stopping and the queue no longer takes work.
    #[error("the queue is shutting down")]
    Closed,
    /// The queue cannot work again in this process (a thread panicked holding its lock):
    /// retrying would loop for ever, so whoever meets it stops and says so.
    #[error("the queue cannot go on in this process ({what}); restart millrace")]
    Broken {
        /// What happened: "a queue task panicked", say.
        what: &'static str,
        /// The panic, when there is one to tell (a poisoned lock keeps none).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl QueueError {
    /// [`QueueError::Unavailable`]: `what` failed because of `source`.
    pub fn unavailable(
        what: impl Into<Cow<'static, str>>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        QueueError::Unavailable {
            what: what.into(),
            source: Some(source.into()),
        }
    }

    /// [`QueueError::Unavailable`] for a reason that is no error of another library's (the
    /// broker refused the batch, say): `reason` says it all.
    pub fn unavailable_for(reason: impl Into<Cow<'static, str>>) -> Self {
        QueueError::Unavailable {
            what: reason.into(),
            source: None,
        }
    }
}

/// Where batches are published, durably, and where consumers are made.
pub trait Queue: Clone + Send + Sync + 'static {
    /// What [`Queue::consumer`] hands out: one stream's reader of this kind of queue.
    type Consumer: QueueConsumer;

    /// Stores the batch durably; returns only once it would survive a crash of this process.
    fn publish(&self, envelope: Envelope) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// A consumer of one stream's queue.
    fn consumer(
        &self,
        stream: StreamKind,
    ) -> impl Future<Output = Result<Self::Consumer, QueueError>> + Send;

    /// Messages of the stream not yet acknowledged (ready or in flight), dead letters excluded.
    fn pending(&self, stream: StreamKind) -> impl Future<Output = Result<u64, QueueError>> + Send;

    /// Whether publishing can work now (the broker is reachable), for `/readyz`.
    fn ready(&self) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Sets a batch aside as a dead letter without ever queueing it, with the reason, where
    /// an operator can inspect it: for a producer that cannot answer "rejected" (an MQTT
    /// subscriber) and must still not lose what it was sent. Durable on return, as
    /// [`Queue::publish`] is.
    fn publish_dead_letter(
        &self,
        envelope: Envelope,
        reason: String,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Messages of the stream set aside as dead letters.
    fn dead_letters(
        &self,
        stream: StreamKind,
    ) -> impl Future<Output = Result<u64, QueueError>> + Send;

    /// The stream's dead letters, oldest first, for an operator to read; leaves them where
    /// they are.
    fn list_dead_letters(
        &self,
        stream: StreamKind,
    ) -> impl Future<Output = Result<Vec<DeadLetter>, QueueError>> + Send;

    /// Puts the chosen dead letters of the stream back on its queue, or deletes them for good;
    /// returns how many. A requeued message keeps its identity (id, source, position), so
    /// the store recognises its records should they be stored already: a requeue interrupted
    /// between re-publishing and removing the dead letter, then run again, stores nothing
    /// twice.
    fn settle_dead_letters(
        &self,
        stream: StreamKind,
        which: Which,
        settle: Settle,
    ) -> impl Future<Output = Result<u64, QueueError>> + Send;
}

/// Takes messages of one stream, and settles each: acknowledged or dead-lettered.
pub trait QueueConsumer: Send + 'static {
    /// Up to `max` messages, waiting at most `wait` for the first one; empty when none came.
    fn fetch(
        &mut self,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<Delivery>, QueueError>> + Send;

    /// Removes messages for good: their records are committed to the store.
    fn ack(&mut self, tags: Vec<u64>) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Keeps messages in hand from being handed out again, while their consumer is still
    /// working on them (retrying a failing store, say).
    fn extend(&mut self, tags: Vec<u64>) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Sets a message aside, with the reason, where nobody retries it but an operator can
    /// inspect it.
    fn dead_letter(
        &mut self,
        delivery: &Delivery,
        reason: String,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// Which queue the pipeline runs on.
#[derive(Clone, Debug)]
pub enum Broker {
    /// The embedded SQLite queue: one machine, no server.
    Embedded(EmbeddedQueueConfig),
    /// RabbitMQ.
    Amqp(AmqpConfig),
}
