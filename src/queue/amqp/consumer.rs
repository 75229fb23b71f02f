//! The consuming side: its own connection, manual acknowledgement, bounded prefetch.

use super::AmqpConfig;
use super::connection::connect;
use super::message::{dead_letter_properties, envelope, properties};
use crate::queue::{Delivery, QueueConsumer, QueueError};
use crate::record::StreamKind;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Confirmation, Connection, Consumer};
use std::time::Duration;
use tokio_stream::StreamExt;

/// Delivery tags are per channel; the high bits of millrace's tag hold the link generation,
/// so a tag from a channel that has since died is recognised and not acknowledged on its
/// successor (the broker redelivers those messages and the store skips them).
const GENERATION_SHIFT: u32 = 48;
const TAG_MASK: u64 = (1 << GENERATION_SHIFT) - 1;

/// A consumer of one stream's RabbitMQ queue; connects on first use and after failures.
pub struct AmqpConsumer {
    config: AmqpConfig,
    stream: StreamKind,
    link: Option<ConsumerLink>,
    generation: u64,
}

struct ConsumerLink {
    connection: Connection,
    channel: Channel,
    /// A confirm-mode channel for dead letters, which must not be lost either.
    dead: Channel,
    deliveries: Consumer,
}

impl ConsumerLink {
    fn healthy(&self) -> bool {
        self.connection.status().connected()
            && self.channel.status().connected()
            && self.dead.status().connected()
    }
}

/// A failed AMQP operation, as the transient [`QueueError::Unavailable`] with the client's
/// error as its source.
fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> QueueError {
    QueueError::unavailable("RabbitMQ", e)
}

/// The broker ended the delivery stream: the channel must be opened again.
fn cancelled() -> QueueError {
    QueueError::unavailable_for("RabbitMQ cancelled the consumer")
}

impl AmqpConsumer {
    /// A consumer that has not connected yet; it connects on its first fetch.
    pub(crate) fn new(config: AmqpConfig, stream: StreamKind) -> Self {
        AmqpConsumer {
            config,
            stream,
            link: None,
            generation: 0,
        }
    }

    /// The live link, opened (again) if needed.
    async fn link(&mut self) -> Result<&mut ConsumerLink, QueueError> {
        if !self.link.as_ref().is_some_and(ConsumerLink::healthy) {
            self.link = None;
            let name = format!("millrace-consumer-{}", self.stream);
            let connection = connect(&self.config, &name).await.map_err(unavailable)?;
            let channel = connection.create_channel().await.map_err(unavailable)?;
            channel
                .basic_qos(self.config.prefetch, BasicQosOptions::default())
                .await
                .map_err(unavailable)?;
            let dead = connection.create_channel().await.map_err(unavailable)?;
            dead.confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(unavailable)?;
            let deliveries = channel
                .basic_consume(
                    self.config.queue(self.stream).into(),
                    "".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(unavailable)?;
            self.generation += 1;
            tracing::info!(stream = %self.stream, queue = self.config.queue(self.stream), "consuming from RabbitMQ");
            self.link = Some(ConsumerLink {
                connection,
                channel,
                dead,
                deliveries,
            });
        }
        Ok(self.link.as_mut().expect("link just opened"))
    }

    fn convert(&self, d: lapin::message::Delivery) -> Delivery {
        let (envelope, attempts) = envelope(self.stream, &d.properties, &d.data, d.redelivered);
        Delivery {
            tag: (self.generation << GENERATION_SHIFT) | (d.delivery_tag & TAG_MASK),
            envelope,
            attempts,
        }
    }

    /// The channel's own tag, if `tag` belongs to the live channel.
    fn current(&self, tag: u64) -> Option<u64> {
        (tag >> GENERATION_SHIFT == self.generation).then_some(tag & TAG_MASK)
    }
}

impl QueueConsumer for AmqpConsumer {
    async fn fetch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        // At most half of what the broker lets this channel hold unacknowledged, so that the
        // consumer can take its next batch while the last one is being written.
        // (A prefetch of 0 means no limit.)
        let max = match self.config.prefetch {
            0 => max,
            prefetch => max.min((usize::from(prefetch) / 2).max(1)),
        };
        let link = self.link().await?;
        let mut raw = Vec::new();
        let mut failure = None;
        match tokio::time::timeout(wait, link.deliveries.next()).await {
            Err(_) => return Ok(Vec::new()),
            Ok(Some(Ok(d))) => raw.push(d),
            Ok(Some(Err(e))) => failure = Some(unavailable(e)),
            Ok(None) => failure = Some(cancelled()),
        }
        while failure.is_none() && raw.len() < max {
            // A zero timeout still polls once: takes what is already prefetched, waits for
            // nothing more.
            match tokio::time::timeout(Duration::ZERO, link.deliveries.next()).await {
                Err(_) => break,
                Ok(Some(Ok(d))) => raw.push(d),
                Ok(Some(Err(e))) => failure = Some(unavailable(e)),
                Ok(None) => failure = Some(cancelled()),
            }
        }
        if let Some(e) = failure {
            // What was taken comes back from the broker once the channel is gone.
            self.link = None;
            return Err(e);
        }
        Ok(raw.into_iter().map(|d| self.convert(d)).collect())
    }

    async fn ack(&mut self, tags: Vec<u64>) -> Result<(), QueueError> {
        let tags: Vec<u64> = tags.into_iter().filter_map(|t| self.current(t)).collect();
        let Some(link) = self.link.as_ref() else {
            return Ok(());
        };
        for tag in tags {
            if let Err(e) = link
                .channel
                .basic_ack(tag, BasicAckOptions::default())
                .await
            {
                self.link = None;
                return Err(unavailable(e));
            }
        }
        Ok(())
    }

    async fn extend(&mut self, _tags: Vec<u64>) -> Result<(), QueueError> {
        // The broker keeps unacknowledged messages with their consumer for as long as its
        // channel lives: there is no lease to extend.
        Ok(())
    }

    async fn dead_letter(&mut self, delivery: &Delivery, reason: String) -> Result<(), QueueError> {
        let Some(tag) = self.current(delivery.tag) else {
            return Ok(());
        };
        let dead_queue = self.config.dead_queue(self.stream);
        // No reconnecting here: on a new channel the tag would name another message.
        let Some(link) = self.link.as_ref().filter(|l| l.healthy()) else {
            return Err(QueueError::unavailable_for(
                "the connection to RabbitMQ was lost; the message will come back",
            ));
        };
        let props = dead_letter_properties(&properties(&delivery.envelope), &reason);
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let confirmed = link
            .dead
            .basic_publish(
                "".into(),
                dead_queue.as_str().into(),
                options,
                &delivery.envelope.body,
                props,
            )
            .await
            .map_err(unavailable)?
            .await
            .map_err(unavailable)?;
        if !matches!(confirmed, Confirmation::Ack(None)) {
            return Err(QueueError::unavailable_for(format!(
                "RabbitMQ did not confirm the dead letter into `{dead_queue}`"
            )));
        }
        link.channel
            .basic_ack(tag, BasicAckOptions::default())
            .await
            .map_err(unavailable)
    }
}
