//! The queue chosen at startup, as one value every command uses: [`Broker::open`] is the only
//! place that tells the embedded queue from RabbitMQ. Commands, `run` and the consumers then
//! work on a [`ChosenQueue`] without matching on the backend again.

use super::amqp::{AmqpConsumer, AmqpQueue, TopologyError};
use super::{
    Broker, DeadLetter, Delivery, EmbeddedConsumer, EmbeddedQueue, Envelope, Queue, QueueConsumer,
    QueueError, Settle, Which,
};
use crate::record::StreamKind;
use std::time::Duration;

/// Why the chosen queue could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The embedded queue's file could not be opened or set up.
    #[error(transparent)]
    Embedded(#[from] QueueError),
    /// RabbitMQ could not be reached, or its queues could not be declared.
    #[error(transparent)]
    Amqp(#[from] TopologyError),
}

impl Broker {
    /// Opens the queue this broker names: the embedded queue's file, or a connection to
    /// RabbitMQ with its queues declared.
    pub async fn open(&self) -> Result<ChosenQueue, OpenError> {
        Ok(match self {
            Broker::Embedded(c) => ChosenQueue::Embedded(EmbeddedQueue::open(c.clone())?),
            Broker::Amqp(c) => ChosenQueue::Amqp(AmqpQueue::connect(c.clone()).await?),
        })
    }

    /// Checks, within `within`, that the broker can be used now: RabbitMQ answers and takes
    /// the queues' declaration. The embedded queue always can (its file is opened by
    /// [`Broker::open`], which says what is wrong with it).
    pub async fn check_reachable(&self, within: Duration) -> Result<(), super::amqp::ProbeError> {
        match self {
            Broker::Embedded(_) => Ok(()),
            Broker::Amqp(c) => super::amqp::probe(c, within).await,
        }
    }

    /// Where this broker keeps dead letters, for messages that point an operator at them.
    pub fn dead_letter_place(&self) -> String {
        match self {
            Broker::Embedded(c) => format!(
                "in the queue file {} (queues metrics.dead and workorder.dead)",
                c.path.display()
            ),
            Broker::Amqp(c) => format!(
                "in the RabbitMQ queues {} and {}",
                c.dead_queue(StreamKind::Metrics),
                c.dead_queue(StreamKind::Workorder)
            ),
        }
    }
}

/// An open queue of either kind.
#[derive(Clone)]
pub enum ChosenQueue {
    /// The embedded SQLite queue.
    Embedded(EmbeddedQueue),
    /// RabbitMQ.
    Amqp(AmqpQueue),
}

/// A consumer of a [`ChosenQueue`].
pub enum ChosenConsumer {
    /// Of the embedded queue.
    Embedded(EmbeddedConsumer),
    /// Of RabbitMQ (boxed: it holds a channel and a stream, far larger than the other).
    Amqp(Box<AmqpConsumer>),
}

impl Queue for ChosenQueue {
    type Consumer = ChosenConsumer;

    async fn publish(&self, envelope: Envelope) -> Result<(), QueueError> {
        match self {
            ChosenQueue::Embedded(q) => q.publish(envelope).await,
            ChosenQueue::Amqp(q) => q.publish(envelope).await,
        }
    }

    async fn consumer(&self, stream: StreamKind) -> Result<ChosenConsumer, QueueError> {
        Ok(match self {
            ChosenQueue::Embedded(q) => ChosenConsumer::Embedded(q.consumer(stream).await?),
            ChosenQueue::Amqp(q) => ChosenConsumer::Amqp(Box::new(q.consumer(stream).await?)),
        })
    }

    async fn pending(&self, stream: StreamKind) -> Result<u64, QueueError> {
        match self {
            ChosenQueue::Embedded(q) => q.pending(stream).await,
            ChosenQueue::Amqp(q) => q.pending(stream).await,
        }
    }

    async fn ready(&self) -> Result<(), QueueError> {
        match self {
            ChosenQueue::Embedded(q) => q.ready().await,
            ChosenQueue::Amqp(q) => q.ready().await,
        }
    }

    async fn publish_dead_letter(
        &self,
        envelope: Envelope,
        reason: String,
    ) -> Result<(), QueueError> {
        match self {
            ChosenQueue::Embedded(q) => q.publish_dead_letter(envelope, reason).await,
            ChosenQueue::Amqp(q) => q.publish_dead_letter(envelope, reason).await,
        }
    }

    async fn dead_letters(&self, stream: StreamKind) -> Result<u64, QueueError> {
        match self {
            ChosenQueue::Embedded(q) => q.dead_letters(stream).await,
            ChosenQueue::Amqp(q) => q.dead_letters(stream).await,
        }
    }

    async fn list_dead_letters(&self, stream: StreamKind) -> Result<Vec<DeadLetter>, QueueError> {
        match self {
            ChosenQueue::Embedded(q) => q.list_dead_letters(stream).await,
            ChosenQueue::Amqp(q) => q.list_dead_letters(stream).await,
        }
    }

    async fn settle_dead_letters(
        &self,
        stream: StreamKind,
        which: Which,
        settle: Settle,
    ) -> Result<u64, QueueError> {
        match self {
            ChosenQueue::Embedded(q) => q.settle_dead_letters(stream, which, settle).await,
            ChosenQueue::Amqp(q) => q.settle_dead_letters(stream, which, settle).await,
        }
    }
}

impl QueueConsumer for ChosenConsumer {
    async fn fetch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        match self {
            ChosenConsumer::Embedded(c) => c.fetch(max, wait).await,
            ChosenConsumer::Amqp(c) => c.fetch(max, wait).await,
        }
    }

    async fn ack(&mut self, tags: Vec<u64>) -> Result<(), QueueError> {
        match self {
            ChosenConsumer::Embedded(c) => c.ack(tags).await,
            ChosenConsumer::Amqp(c) => c.ack(tags).await,
        }
    }

    async fn extend(&mut self, tags: Vec<u64>) -> Result<(), QueueError> {
        match self {
            ChosenConsumer::Embedded(c) => c.extend(tags).await,
            ChosenConsumer::Amqp(c) => c.extend(tags).await,
        }
    }

    async fn dead_letter(&mut self, delivery: &Delivery, reason: String) -> Result<(), QueueError> {
        match self {
            ChosenConsumer::Embedded(c) => c.dead_letter(delivery, reason).await,
            ChosenConsumer::Amqp(c) => c.dead_letter(delivery, reason).await,
        }
    }
}
