//! The dead-letter queues on RabbitMQ, read and settled for an operator.
//!
//! RabbitMQ has no way to look at a queue without taking from it, so every dead letter is
//! taken with `basic.get`. One that stays a dead letter (when listing, or not chosen when
//! settling) is published again to the end of its dead-letter queue, confirmed, before it is
//! acknowledged, rather than handed back: RabbitMQ 4.0 to 4.2 count every hand-back as a
//! delivery and drop a quorum queue's message after 20 (the default limit), so listing could
//! otherwise lose dead letters. A chosen one is published, confirmed, to its stream's queue
//! before it is acknowledged. Either way a crash in between leaves a copy, never a loss: a
//! second copy of a dead letter is requeued or dropped with it (they share the id), and the
//! store skips records it holds already.

use super::AmqpConfig;
use super::message::{envelope, properties};
use crate::queue::{DeadLetter, QueueError, Settle, Which};
use crate::record::StreamKind;
use lapin::options::{BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::AMQPValue;
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use std::time::{Duration, UNIX_EPOCH};

fn unavailable(e: lapin::Error) -> QueueError {
    QueueError::unavailable("RabbitMQ", e)
}

/// Every message of `queue`, taken unacknowledged on `channel` (closing the channel gives
/// them back).
async fn take_all(
    channel: &Channel,
    queue: &str,
) -> Result<Vec<lapin::message::Delivery>, QueueError> {
    let mut taken = Vec::new();
    while let Some(got) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: false })
        .await
        .map_err(unavailable)?
    {
        let last = got.message_count == 0;
        taken.push(got.delivery);
        if last {
            break;
        }
    }
    Ok(taken)
}

/// A delivery from a dead-letter queue, as the operator sees it.
fn read(stream: StreamKind, d: &lapin::message::Delivery) -> DeadLetter {
    let (envelope, _) = envelope(stream, &d.properties, &d.data, false);
    DeadLetter {
        envelope,
        reason: header_text(&d.properties, "millrace-reason")
            .or_else(|| header_text(&d.properties, "x-first-death-reason")),
        since: header_millis(&d.properties, "millrace-dead-at")
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms)),
    }
}

fn header(props: &BasicProperties, key: &str) -> Option<AMQPValue> {
    props.headers().as_ref()?.inner().get(key).cloned()
}

fn header_text(props: &BasicProperties, key: &str) -> Option<String> {
    match header(props, key)? {
        AMQPValue::LongString(s) => Some(s.to_string()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}

fn header_millis(props: &BasicProperties, key: &str) -> Option<u64> {
    match header(props, key)? {
        AMQPValue::LongLongInt(n) => u64::try_from(n).ok(),
        AMQPValue::Timestamp(n) => Some(n.saturating_mul(1000)),
        _ => None,
    }
}

/// The stream's dead letters, oldest first, left where they are.
pub(super) async fn list(
    connection: &Connection,
    config: &AmqpConfig,
    stream: StreamKind,
) -> Result<Vec<DeadLetter>, QueueError> {
    let (channel, confirmed) = channels(connection).await?;
    let dead = config.dead_queue(stream);
    let taken = take_all(&channel, &dead).await?;
    for delivery in &taken {
        keep(&confirmed, &dead, delivery).await?;
        ack(&channel, delivery).await?;
    }
    let _ = channel.close(200, "listed".into()).await;
    let _ = confirmed.close(200, "listed".into()).await;
    Ok(taken.iter().map(|d| read(stream, d)).collect())
}

/// Requeues or drops the chosen dead letters of the stream; returns how many.
pub(super) async fn settle(
    connection: &Connection,
    config: &AmqpConfig,
    stream: StreamKind,
    which: &Which,
    settle: Settle,
) -> Result<u64, QueueError> {
    let (channel, confirmed) = channels(connection).await?;
    let dead = config.dead_queue(stream);
    let taken = take_all(&channel, &dead).await?;
    let mut settled = 0;
    for delivery in &taken {
        let letter = read(stream, delivery);
        if !which.picks(&letter.envelope.id) {
            keep(&confirmed, &dead, delivery).await?;
        } else {
            if settle == Settle::Requeue {
                republish(&confirmed, config.queue(stream), &letter).await?;
            }
            settled += 1;
        }
        ack(&channel, delivery).await?;
    }
    let _ = channel.close(200, "settled".into()).await;
    let _ = confirmed.close(200, "settled".into()).await;
    Ok(settled)
}

/// A channel to take with, and a confirm-mode channel to publish on.
async fn channels(connection: &Connection) -> Result<(Channel, Channel), QueueError> {
    let channel = connection.create_channel().await.map_err(unavailable)?;
    let confirmed = connection.create_channel().await.map_err(unavailable)?;
    confirmed
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(unavailable)?;
    Ok((channel, confirmed))
}

async fn ack(channel: &Channel, delivery: &lapin::message::Delivery) -> Result<(), QueueError> {
    channel
        .basic_ack(delivery.delivery_tag, BasicAckOptions::default())
        .await
        .map_err(unavailable)
}

/// Publishes a dead letter again, as it was (reason and time included, the broker's delivery
/// count left out), to the end of its dead-letter queue, and waits for the confirm.
async fn keep(
    channel: &Channel,
    dead: &str,
    delivery: &lapin::message::Delivery,
) -> Result<(), QueueError> {
    let mut props = delivery.properties.clone();
    if let Some(headers) = props.headers().clone() {
        let mut kept = headers.inner().clone();
        kept.remove("x-delivery-count");
        props = props.with_headers(kept.into());
    }
    confirmed_publish(channel, dead, &delivery.data, props).await
}

/// Publishes a dead letter's batch to `queue` with its identity, and waits for the confirm.
async fn republish(channel: &Channel, queue: &str, letter: &DeadLetter) -> Result<(), QueueError> {
    let props = properties(&letter.envelope);
    confirmed_publish(channel, queue, &letter.envelope.body, props).await
}

/// Publishes `body` to `queue`, persistent as `props` say, and waits for the broker's confirm.
async fn confirmed_publish(
    channel: &Channel,
    queue: &str,
    body: &[u8],
    props: BasicProperties,
) -> Result<(), QueueError> {
    let options = BasicPublishOptions {
        mandatory: true,
        ..BasicPublishOptions::default()
    };
    let confirmation = channel
        .basic_publish("".into(), queue.into(), options, body, props)
        .await
        .map_err(unavailable)?
        .await
        .map_err(unavailable)?;
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        _ => Err(QueueError::unavailable_for(format!(
            "RabbitMQ did not confirm a dead letter moved into `{queue}`"
        ))),
    }
}
