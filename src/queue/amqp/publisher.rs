//! The publishing side: one long-lived connection and confirm-mode channel, kept alive by a
//! background task that reconnects with backoff and declares the queues again.

use super::connection::{LinkError, connect};
use super::consumer::AmqpConsumer;
use super::dead_letters;
use super::message::{dead_letter_properties, properties};
use super::{AmqpConfig, TopologyError};
use crate::queue::{DeadLetter, Envelope, Queue, QueueError, Settle, Which};
use crate::record::StreamKind;
use crate::support::backoff::Backoff;
use crate::support::chain::Chain;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Confirmation, Connection};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;
use tokio::sync::Notify;

/// RabbitMQ as millrace's queue.
#[derive(Clone)]
pub struct AmqpQueue {
    inner: Arc<Inner>,
}

struct Inner {
    config: AmqpConfig,
    /// The live link, or `None` while the broker is unreachable (publishes fail at once).
    link: RwLock<Option<Link>>,
    /// Tells the keeper the link failed, so it reconnects without waiting for its next look.
    broken: Notify,
}

#[derive(Clone)]
struct Link {
    connection: Arc<Connection>,
    channel: Channel,
}

impl Link {
    fn healthy(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }
}

/// How often the keeper looks at a link that reported no failure.
const LOOK_EVERY: Duration = Duration::from_millis(500);

async fn open(config: &AmqpConfig) -> Result<Link, LinkError> {
    let connection = connect(config, "millrace-publisher").await?;
    let channel = connection
        .create_channel()
        .await
        .map_err(LinkError::Connect)?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(LinkError::Connect)?;
    Ok(Link {
        connection: Arc::new(connection),
        channel,
    })
}

impl AmqpQueue {
    /// Connects and declares the queues. A broker that is down is not an error — publishes
    /// answer "unavailable" until it is back — but queues that clash with existing ones are,
    /// since no retry can fix them.
    pub async fn connect(config: AmqpConfig) -> Result<Self, TopologyError> {
        let link = match open(&config).await {
            Ok(link) => Some(link),
            Err(LinkError::Topology(e @ TopologyError::Mismatch { .. })) => return Err(e),
            Err(e) => {
                tracing::warn!(broker = %config.redacted_uri(), error = %Chain(&e), "RabbitMQ is unreachable; retrying in the background");
                None
            }
        };
        let inner = Arc::new(Inner {
            config,
            link: RwLock::new(link),
            broken: Notify::new(),
        });
        tokio::spawn(keep(Arc::downgrade(&inner)));
        Ok(AmqpQueue { inner })
    }

    /// The settings this queue was made with.
    pub fn config(&self) -> &AmqpConfig {
        &self.inner.config
    }

    fn link(&self) -> Result<Link, QueueError> {
        self.inner
            .link
            .read()
            .expect("link lock")
            .clone()
            .filter(Link::healthy)
            .ok_or_else(|| QueueError::unavailable_for("the RabbitMQ broker is unreachable"))
    }

    /// Reports a failed link to the keeper and turns the error into a queue error.
    fn broken(&self, e: lapin::Error) -> QueueError {
        self.inner.broken.notify_one();
        QueueError::unavailable("RabbitMQ", e)
    }

    /// Publishes `body` to `queue`, persistent and mandatory, and returns once the broker
    /// confirmed it.
    async fn confirmed(
        &self,
        queue: String,
        body: &[u8],
        props: lapin::BasicProperties,
    ) -> Result<(), QueueError> {
        let link = self.link()?;
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let confirm = link
            .channel
            .basic_publish("".into(), queue.as_str().into(), options, body, props)
            .await
            .map_err(|e| self.broken(e))?;
        let timeout = self.inner.config.confirm_timeout;
        let confirmation = tokio::time::timeout(timeout, confirm)
            .await
            .map_err(|_| QueueError::Timeout(timeout))?
            .map_err(|e| self.broken(e))?;
        match confirmation {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(returned)) => {
                // The queue vanished: have the keeper declare it again.
                self.inner.broken.notify_one();
                Err(QueueError::unavailable_for(format!(
                    "RabbitMQ could not route the batch to queue `{queue}` ({} {})",
                    returned.reply_code, returned.reply_text
                )))
            }
            Confirmation::Nack(_) => Err(QueueError::unavailable_for(format!(
                "RabbitMQ refused the batch for queue `{queue}` (nack)"
            ))),
            Confirmation::NotRequested => {
                self.inner.broken.notify_one();
                Err(QueueError::unavailable_for(
                    "the RabbitMQ channel is not in confirm mode",
                ))
            }
        }
    }

    /// Messages in a queue, ready for a consumer (RabbitMQ does not count those in flight).
    async fn count(&self, queue: String) -> Result<u64, QueueError> {
        let link = self.link()?;
        let channel = link
            .connection
            .create_channel()
            .await
            .map_err(|e| self.broken(e))?;
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declared = channel
            .queue_declare(queue.as_str().into(), options, FieldTable::default())
            .await
            .map_err(|e| QueueError::unavailable(format!("RabbitMQ queue `{queue}`"), e))?;
        let _ = channel.close(200, "counted".into()).await;
        Ok(declared.message_count() as u64)
    }
}

/// Keeps the link alive: looks at it periodically or when told it broke, and reconnects with
/// exponential backoff. Ends when the queue is dropped.
async fn keep(inner: Weak<Inner>) {
    let mut backoff = Backoff::default();
    let mut reported = false;
    loop {
        let Some(queue) = inner.upgrade() else { return };
        let healthy = queue
            .link
            .read()
            .expect("link lock")
            .as_ref()
            .is_some_and(Link::healthy);
        if healthy {
            backoff.reset();
            tokio::select! {
                _ = queue.broken.notified() => {}
                _ = tokio::time::sleep(LOOK_EVERY) => {}
            }
            continue;
        }
        *queue.link.write().expect("link lock") = None;
        match open(&queue.config).await {
            Ok(link) => {
                tracing::info!(broker = %queue.config.redacted_uri(), "connected to RabbitMQ");
                *queue.link.write().expect("link lock") = Some(link);
                reported = false;
            }
            Err(e) => {
                if !reported {
                    tracing::warn!(broker = %queue.config.redacted_uri(), error = %Chain(&e), "RabbitMQ is unreachable; reconnecting with backoff");
                    reported = true;
                }
                drop(queue);
                // No shutdown to heed: this task ends when the queue is dropped.
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}

impl Queue for AmqpQueue {
    type Consumer = AmqpConsumer;

    /// Publishes persistent and mandatory, and returns once the broker confirmed: an
    /// unroutable message, a nack, a timeout or a lost connection is an error, never an Ok.
    async fn publish(&self, envelope: Envelope) -> Result<(), QueueError> {
        let queue = self.inner.config.queue(envelope.stream).to_string();
        self.confirmed(queue, &envelope.body, properties(&envelope))
            .await
    }

    /// Into `<queue>.dead`, confirmed like any publish, with the reason in a header.
    async fn publish_dead_letter(
        &self,
        envelope: Envelope,
        reason: String,
    ) -> Result<(), QueueError> {
        let queue = self.inner.config.dead_queue(envelope.stream);
        let props = dead_letter_properties(&properties(&envelope), &reason);
        self.confirmed(queue, &envelope.body, props).await
    }

    async fn consumer(&self, stream: StreamKind) -> Result<AmqpConsumer, QueueError> {
        Ok(AmqpConsumer::new(self.inner.config.clone(), stream))
    }

    async fn pending(&self, stream: StreamKind) -> Result<u64, QueueError> {
        self.count(self.inner.config.queue(stream).to_string())
            .await
    }

    async fn dead_letters(&self, stream: StreamKind) -> Result<u64, QueueError> {
        self.count(self.inner.config.dead_queue(stream)).await
    }

    async fn ready(&self) -> Result<(), QueueError> {
        self.link().map(|_| ())
    }

    async fn list_dead_letters(&self, stream: StreamKind) -> Result<Vec<DeadLetter>, QueueError> {
        let link = self.link()?;
        dead_letters::list(&link.connection, &self.inner.config, stream).await
    }

    async fn settle_dead_letters(
        &self,
        stream: StreamKind,
        which: Which,
        settle: Settle,
    ) -> Result<u64, QueueError> {
        let link = self.link()?;
        dead_letters::settle(&link.connection, &self.inner.config, stream, &which, settle).await
    }
}
