//! The dead-letter queues on RabbitMQ, read and settled for an operator.
//!
//! RabbitMQ has no way to look at a queue without taking from it, so reading takes every
//! dead letter with `basic.get` unacknowledged and then closes the channel, which hands them
//! all back. Settling takes them the same way: a chosen one is re-published to its stream's
//! queue (confirmed) before it is acknowledged, so a crash in between leaves it in both places
//! — and the store skips records it holds already — never in neither.

use super::AmqpConfig;
use super::message::{envelope, properties};
use crate::queue::{DeadLetter, QueueError, Settle, Which};
use crate::record::StreamKind;
use lapin::options::{BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::AMQPValue;
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// Now, as the `millrace-dead-at` header holds it: milliseconds since the Unix epoch.
pub(super) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The stream's dead letters, oldest first, left where they are.
pub(super) async fn list(
    connection: &Connection,
    config: &AmqpConfig,
    stream: StreamKind,
) -> Result<Vec<DeadLetter>, QueueError> {
    let channel = connection.create_channel().await.map_err(unavailable)?;
    let taken = take_all(&channel, &config.dead_queue(stream)).await?;
    let letters = taken.iter().map(|d| read(stream, d)).collect();
    // Closing the channel hands back everything it took.
    let _ = channel.close(200, "listed".into()).await;
    Ok(letters)
}

/// Requeues or drops the chosen dead letters of the stream; returns how many.
pub(super) async fn settle(
    connection: &Connection,
    config: &AmqpConfig,
    stream: StreamKind,
    which: &Which,
    settle: Settle,
) -> Result<u64, QueueError> {
    let channel = connection.create_channel().await.map_err(unavailable)?;
    let confirmed = connection.create_channel().await.map_err(unavailable)?;
    confirmed
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(unavailable)?;
    let taken = take_all(&channel, &config.dead_queue(stream)).await?;
    let mut settled = 0;
    for delivery in &taken {
        let letter = read(stream, delivery);
        if !which.picks(&letter.envelope.id) {
            continue;
        }
        if settle == Settle::Requeue {
            republish(&confirmed, config.queue(stream), &letter).await?;
        }
        channel
            .basic_ack(delivery.delivery_tag, BasicAckOptions::default())
            .await
            .map_err(unavailable)?;
        settled += 1;
    }
    // Hands back the dead letters not chosen.
    let _ = channel.close(200, "settled".into()).await;
    let _ = confirmed.close(200, "settled".into()).await;
    Ok(settled)
}

/// Publishes a dead letter's batch to `queue` with its identity, and waits for the confirm.
async fn republish(channel: &Channel, queue: &str, letter: &DeadLetter) -> Result<(), QueueError> {
    let options = BasicPublishOptions {
        mandatory: true,
        ..BasicPublishOptions::default()
    };
    let confirmation = channel
        .basic_publish(
            "".into(),
            queue.into(),
            options,
            &letter.envelope.body,
            properties(&letter.envelope),
        )
        .await
        .map_err(unavailable)?
        .await
        .map_err(unavailable)?;
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        _ => Err(QueueError::unavailable_for(format!(
            "RabbitMQ did not confirm the requeued batch {} into `{queue}`",
            letter.envelope.id
        ))),
    }
}
