//! The consumer: takes batches of one stream from the queue, stores them in one transaction,
//! and acknowledges only after the commit.
//!
//! A crash at any point therefore leaves each message either unacknowledged (redelivered,
//! and deduplicated by the store) or committed and acknowledged. A message that can never be
//! stored is set aside as a dead letter with its reason instead of blocking the stream.

use crate::codec::decode_queued;
use crate::queue::{Delivery, QueueConsumer};
use crate::record::{Records, StreamKind};
use crate::shutdown::Shutdown;
use crate::store::{Incoming, Store, StoreError, WriteStats};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a consumer takes work.
#[derive(Clone, Debug)]
pub struct ConsumerConfig {
    /// The most messages stored in one transaction.
    pub max_messages: usize,
    /// Deliveries after which a message that was never acknowledged (it crashed or stalled
    /// its consumer every time) becomes a dead letter.
    pub max_attempts: u32,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            max_messages: 64,
            max_attempts: 5,
        }
    }
}

/// Running totals of one consumer, readable while it works.
#[derive(Debug, Default)]
pub struct ConsumerStats {
    pub inserted: AtomicU64,
    pub duplicates: AtomicU64,
    pub dead_letters: AtomicU64,
}

/// How long one fetch waits for work before the consumer checks for shutdown again.
const FETCH_WAIT: Duration = Duration::from_millis(250);
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Consumes `stream` until shutdown, then returns after settling the batch in hand.
pub async fn consume<C: QueueConsumer, S: Store>(
    stream: StreamKind,
    mut queue: C,
    store: Arc<Mutex<S>>,
    config: ConsumerConfig,
    stats: Arc<ConsumerStats>,
    shutdown: Shutdown,
) {
    tracing::info!(%stream, "consumer started");
    let mut backoff = BACKOFF_FIRST;
    while !shutdown.is_triggered() {
        let deliveries = match queue.fetch(config.max_messages, FETCH_WAIT).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(%stream, error = %e, "cannot fetch from the queue; retrying in {backoff:?}");
                pause(&shutdown, &mut backoff).await;
                continue;
            }
        };
        backoff = BACKOFF_FIRST;
        if deliveries.is_empty() {
            continue;
        }
        let batch = sort_out(stream, &mut queue, deliveries, &config, &stats).await;
        if batch.is_empty() {
            continue;
        }
        let Some(written) = store_with_retry(&store, &batch, &shutdown, stream).await else {
            break;
        };
        stats
            .inserted
            .fetch_add(written.inserted, Ordering::Relaxed);
        stats
            .duplicates
            .fetch_add(written.duplicates, Ordering::Relaxed);
        let tags = batch.iter().map(|(d, _)| d.tag).collect();
        if let Err(e) = queue.ack(tags).await {
            // Stored but not acknowledged: the messages come back and the store skips them.
            tracing::warn!(%stream, error = %e, "cannot acknowledge stored messages; they will be redelivered and skipped");
        }
    }
    tracing::info!(%stream, "consumer stopped");
}

/// Decodes each delivery; the ones that cannot ever be stored go to the dead letters.
async fn sort_out<C: QueueConsumer>(
    stream: StreamKind,
    queue: &mut C,
    deliveries: Vec<Delivery>,
    config: &ConsumerConfig,
    stats: &ConsumerStats,
) -> Vec<(Delivery, Records)> {
    let mut good = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        let verdict = if delivery.attempts > config.max_attempts {
            Err(format!(
                "delivered {} times without being stored",
                delivery.attempts - 1
            ))
        } else {
            check(stream, &delivery)
        };
        match verdict {
            Ok(records) => good.push((delivery, records)),
            Err(reason) => {
                tracing::error!(%stream, id = %delivery.envelope.id, %reason, "message set aside as a dead letter");
                match queue.dead_letter(delivery.tag, reason).await {
                    Ok(()) => {
                        stats.dead_letters.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::warn!(%stream, error = %e, "cannot set the message aside; it will come back")
                    }
                }
            }
        }
    }
    good
}

fn check(stream: StreamKind, delivery: &Delivery) -> Result<Records, String> {
    let envelope = &delivery.envelope;
    if envelope.stream != stream {
        return Err(format!(
            "a {} message in the {stream} queue",
            envelope.stream
        ));
    }
    let records = decode_queued(stream, &envelope.body)
        .map_err(|e| format!("the body is not a valid {stream} batch: {e}"))?;
    if records.len() as u64 != envelope.count {
        return Err(format!(
            "the body holds {} records but the message says {}",
            records.len(),
            envelope.count
        ));
    }
    Ok(records)
}

/// Writes the batch, retrying with backoff while the store fails; `None` if shutdown came
/// first (nothing is acknowledged, so the queue hands the batch out again).
async fn store_with_retry<S: Store>(
    store: &Arc<Mutex<S>>,
    batch: &[(Delivery, Records)],
    shutdown: &Shutdown,
    stream: StreamKind,
) -> Option<WriteStats> {
    let mut backoff = BACKOFF_FIRST;
    let mut failing = false;
    loop {
        match write(store, batch).await {
            Ok(stats) => {
                if failing {
                    tracing::info!(%stream, "store is writable again");
                }
                return Some(stats);
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(%stream, error = %e, "cannot store the batch; retrying with backoff");
                }
                failing = true;
            }
        }
        if shutdown.is_triggered() {
            return None;
        }
        pause(shutdown, &mut backoff).await;
    }
}

async fn write<S: Store>(
    store: &Arc<Mutex<S>>,
    batch: &[(Delivery, Records)],
) -> Result<WriteStats, StoreError> {
    let origins: Vec<String> = batch.iter().map(|(d, _)| d.envelope.origin()).collect();
    tokio::task::block_in_place(|| {
        let incoming: Vec<Incoming<'_>> = batch
            .iter()
            .zip(&origins)
            .map(|((d, records), origin)| Incoming {
                origin,
                first_seq: d.envelope.first_seq,
                records,
            })
            .collect();
        store.lock().expect("store lock").write(&incoming)
    })
}

async fn pause(shutdown: &Shutdown, backoff: &mut Duration) {
    tokio::select! {
        _ = tokio::time::sleep(*backoff) => {}
        _ = shutdown.wait() => {}
    }
    *backoff = (*backoff * 2).min(BACKOFF_MAX);
}
