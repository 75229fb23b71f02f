//! The subscriber: one task keeps the connection (reconnecting with backoff, subscribing
//! again on every connect) and hands messages on; another publishes them to the queue,
//! several at once, and acknowledges each to the broker only once it is in, in order.
//!
//! Backpressure: while the queue refuses (full, unreachable), the message in hand is retried
//! with [`Backoff`] and nothing more is acknowledged; the broker sends at most its in-flight
//! window of unacknowledged QoS 1 messages (Mosquitto: 20) and keeps the rest, so nothing is
//! dropped and memory stays bounded.

use super::connection;
use super::error::MqttError;
use super::payload::{self, Outcome};
use super::{MqttConfig, Subscription};
use crate::queue::{Queue, QueueError};
use crate::support::backoff::Backoff;
use crate::support::chain::Chain;
use crate::support::shutdown::Shutdown;
use rumqttc::{
    AsyncClient, Event, EventLoop, Packet, Publish, QoS, SubscribeFilter, SubscribeReasonCode,
};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Requests (acknowledgements, subscriptions) waiting for the connection task.
const REQUESTS: usize = 256;
/// Messages put into the queue at once: enough to fill the queue's group commits (and more
/// than Mosquitto's default in-flight window of 20).
const AT_ONCE: usize = 32;

/// A message and the connection it came on: an acknowledgement only counts on that one.
type Received = (u64, Publish);

/// Subscribes to `config`'s topics and feeds `queue` until `shutdown`, or until the queue
/// breaks for good.
pub async fn subscribe<Q: Queue>(
    config: MqttConfig,
    queue: Q,
    shutdown: Shutdown,
) -> Result<(), MqttError> {
    let options = connection::options(&config)?;
    let (client, events) = AsyncClient::new(options, REQUESTS);
    let config = Arc::new(config);
    let connection = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::unbounded_channel();
    let mut worker = tokio::spawn(work(
        config.clone(),
        queue,
        client.clone(),
        rx,
        connection.clone(),
        shutdown.clone(),
    ));
    tracing::info!(broker = %config.shown(), client_id = %config.client_id, "subscribing over MQTT");
    let polling = poll(&config, &client, events, tx, &connection, &shutdown);
    let stopped = tokio::select! {
        done = &mut worker => done,
        () = polling => worker.await,
    };
    match stopped {
        Ok(result) => result,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Keeps the connection: polls the client, numbers each connection, subscribes on every
/// connect and passes messages to the worker. Returns on shutdown or when the worker is gone.
async fn poll(
    config: &MqttConfig,
    client: &AsyncClient,
    mut events: EventLoop,
    tx: mpsc::UnboundedSender<Received>,
    connection: &AtomicU64,
    shutdown: &Shutdown,
) {
    let mut backoff = Backoff::default();
    let mut down = false;
    loop {
        let event = tokio::select! {
            () = shutdown.wait() => return,
            event = events.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                connection.fetch_add(1, Ordering::SeqCst);
                backoff.reset();
                down = false;
                tracing::info!(broker = %config.shown(), session_present = ack.session_present, "connected to the MQTT broker");
                subscribe_all(client, &config.topics);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let on = connection.load(Ordering::SeqCst);
                if tx.send((on, publish)).is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let (granted, refused) = answered(&config.topics, &ack.return_codes);
                if !refused.is_empty() {
                    tracing::error!(broker = %config.shown(), topics = %refused, "the MQTT broker refused a subscription: is the user allowed to read the topics?");
                }
                if !granted.is_empty() {
                    tracing::info!(broker = %config.shown(), topics = %granted, "subscribed");
                }
            }
            Ok(_) => {}
            Err(e) => {
                if !down {
                    tracing::warn!(broker = %config.shown(), error = %Chain(&e), "the MQTT broker is unreachable; reconnecting with backoff");
                    down = true;
                }
                if !backoff.wait(shutdown).await {
                    return;
                }
            }
        }
    }
}

/// Asks for every subscription at once, QoS 1: one SubAck answers them all, so that
/// "subscribed" is logged once, naming the topics.
fn subscribe_all(client: &AsyncClient, topics: &[Subscription]) {
    let filters = topics
        .iter()
        .map(|t| SubscribeFilter::new(t.filter.clone(), QoS::AtLeastOnce));
    if let Err(e) = client.try_subscribe_many(filters) {
        tracing::error!(topics = %named(topics.iter()), error = %e, "cannot ask the MQTT broker for the subscriptions");
    }
}

/// The subscriptions a SubAck granted and those it refused (its codes are in the order of
/// the request's filters), each named as `--topic` gives it.
fn answered(topics: &[Subscription], codes: &[SubscribeReasonCode]) -> (String, String) {
    let refused = |i: usize| codes.get(i) == Some(&SubscribeReasonCode::Failure);
    let (refused, granted): (Vec<_>, Vec<_>) =
        topics.iter().enumerate().partition(|(i, _)| refused(*i));
    (
        named(granted.into_iter().map(|(_, t)| t)),
        named(refused.into_iter().map(|(_, t)| t)),
    )
}

/// Subscriptions as `--topic` gives them: `metrics=plant/+/metrics, workorder=…`.
fn named<'a>(topics: impl Iterator<Item = &'a Subscription>) -> String {
    topics
        .map(|t| format!("{}={}", t.stream, t.filter))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Puts messages into the queue, up to [`AT_ONCE`] at a time so that their commits share the
/// queue's group commit, and acknowledges each once it is in, in the order they came (as
/// MQTT asks) — on the connection it came on only, since after a reconnect the broker
/// numbers messages anew and redelivers those not acknowledged.
async fn work<Q: Queue>(
    config: Arc<MqttConfig>,
    queue: Q,
    client: AsyncClient,
    mut rx: mpsc::UnboundedReceiver<Received>,
    connection: Arc<AtomicU64>,
    shutdown: Shutdown,
) -> Result<(), MqttError> {
    let mut taking: VecDeque<Taking> = VecDeque::new();
    loop {
        while taking.len() < AT_ONCE {
            match rx.try_recv() {
                Ok((on, publish)) => {
                    taking.push_back(start(&config, &queue, on, publish, &shutdown))
                }
                Err(_) => break,
            }
        }
        let Some((on, publish, task)) = taking.pop_front() else {
            let next = tokio::select! {
                () = shutdown.wait() => return Ok(()),
                next = rx.recv() => next,
            };
            match next {
                Some((on, publish)) => {
                    taking.push_back(start(&config, &queue, on, publish, &shutdown));
                    continue;
                }
                None => return Ok(()),
            }
        };
        let taken = match task.await {
            Ok(taken) => taken?,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        if !taken {
            return Ok(());
        }
        crate::support::fault::point(crate::support::fault::MQTT_QUEUED);
        if on == connection.load(Ordering::SeqCst) && client.ack(&publish).await.is_err() {
            return Ok(());
        }
    }
}

/// A message being put into the queue: its connection, itself, and the task doing it.
type Taking = (u64, Publish, JoinHandle<Result<bool, MqttError>>);

/// Starts putting one message into the queue.
fn start<Q: Queue>(
    config: &Arc<MqttConfig>,
    queue: &Q,
    on: u64,
    publish: Publish,
    shutdown: &Shutdown,
) -> Taking {
    let (config, queue, shutdown) = (config.clone(), queue.clone(), shutdown.clone());
    let message = publish.clone();
    let task = tokio::spawn(async move { take(&config, &queue, &message, &shutdown).await });
    (on, publish, task)
}

/// Puts one message into the queue (or its dead letters); `false` if shutdown came first.
/// Its log lines carry a span with the topic, the stream and the batch's queue message id.
#[tracing::instrument(
    name = "mqtt",
    skip_all,
    fields(
        topic = %publish.topic,
        stream = tracing::field::Empty,
        batch = tracing::field::Empty
    )
)]
async fn take<Q: Queue>(
    config: &MqttConfig,
    queue: &Q,
    publish: &Publish,
    shutdown: &Shutdown,
) -> Result<bool, MqttError> {
    let topic = publish.topic.clone();
    let Some(stream) = config.stream_of(&topic) else {
        tracing::warn!(%topic, "a message on a topic no --topic names; acknowledged and ignored");
        return Ok(true);
    };
    tracing::Span::current().record("stream", stream.name());
    let body = publish.payload.clone();
    let limits = payload::Limits {
        records: config.max_batch_records,
        bytes: config.max_payload_bytes,
    };
    let format = config.body_format;
    // Decoding a large payload is CPU work for a blocking thread (`crate::support::offload`).
    let outcome = crate::support::offload::sized(body.len(), move || {
        payload::decode(stream, &topic, &body, limits, format)
    })
    .await;
    match outcome {
        Outcome::Empty => Ok(true),
        Outcome::Batch(envelope) => {
            tracing::Span::current().record("batch", envelope.id.as_str());
            let records = envelope.count;
            let publishing = std::time::Instant::now();
            let taken = patiently(shutdown, || queue.publish(envelope.clone())).await?;
            if taken {
                crate::metrics::record::publish_time(publishing.elapsed());
                crate::metrics::record::records_accepted(stream, records);
            }
            Ok(taken)
        }
        Outcome::Dead { envelope, reason } => {
            tracing::Span::current().record("batch", envelope.id.as_str());
            tracing::warn!(%reason, "refused an MQTT message; set aside as a dead letter");
            let taken = patiently(shutdown, || {
                queue.publish_dead_letter(envelope.clone(), reason.clone())
            })
            .await?;
            if taken {
                crate::metrics::record::dead_letter(stream);
            }
            Ok(taken)
        }
    }
}

/// Retries `attempt` with backoff until the queue takes it; `false` if shutdown came first.
async fn patiently<F, Fut>(shutdown: &Shutdown, mut attempt: F) -> Result<bool, MqttError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), QueueError>>,
{
    let mut backoff = Backoff::default();
    let mut refused = false;
    loop {
        match attempt().await {
            Ok(()) => {
                if refused {
                    tracing::info!("the queue takes MQTT messages again");
                }
                return Ok(true);
            }
            Err(e @ QueueError::Broken { .. }) => return Err(MqttError::Queue(e)),
            Err(e) => {
                if !refused {
                    tracing::warn!(error = %Chain(&e), "the queue cannot take the MQTT message; holding acknowledgements and retrying");
                    refused = true;
                }
                if !backoff.wait(shutdown).await {
                    return Ok(false);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::StreamKind;

    #[test]
    fn one_answer_names_the_topics_granted_and_refused() {
        let topics = [
            Subscription {
                stream: StreamKind::Metrics,
                filter: "p/+/metrics".into(),
            },
            Subscription {
                stream: StreamKind::Workorder,
                filter: "p/+/workorder".into(),
            },
        ];
        let granted = [SubscribeReasonCode::Success(QoS::AtLeastOnce); 2];
        assert_eq!(
            answered(&topics, &granted),
            (
                "metrics=p/+/metrics, workorder=p/+/workorder".to_string(),
                String::new()
            )
        );
        let one_refused = [
            SubscribeReasonCode::Success(QoS::AtLeastOnce),
            SubscribeReasonCode::Failure,
        ];
        assert_eq!(
            answered(&topics, &one_refused),
            (
                "metrics=p/+/metrics".to_string(),
                "workorder=p/+/workorder".to_string()
            )
        );
    }
}
