//! The consumer: takes batches of one stream from the queue, stores them in one transaction,
//! and acknowledges only after the commit.
//!
//! A crash at any point therefore leaves each message either unacknowledged (redelivered,
//! and deduplicated by the store) or committed and acknowledged. A message that can never be
//! stored is set aside as a dead letter with its reason instead of blocking the stream.

pub mod progress;

use crate::codec::decode_queued;
use crate::queue::{Delivery, Queue, QueueConsumer, QueueError};
use crate::record::{Records, StreamKind};
use crate::store::{Incoming, Store, StoreError, StoreLocation, WriteStats};
use crate::support::backoff::Backoff;
use crate::support::chain::Chain;
use crate::support::shutdown::Shutdown;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How a consumer takes work.
#[derive(Clone, Debug)]
pub struct ConsumerConfig {
    /// The most messages stored in one transaction.
    pub max_messages: usize,
    /// Deliveries after which a message that was never acknowledged (it crashed or stalled
    /// its consumer every time) becomes a dead letter.
    pub max_attempts: u32,
    /// A batch at least this large (in message bodies) has the next one taken and decoded
    /// while it is written; see [`consume`].
    pub ahead_after_bytes: usize,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            max_messages: 1024,
            max_attempts: 5,
            ahead_after_bytes: 1 << 20,
        }
    }
}

/// Running totals of one consumer, readable while it works.
#[derive(Debug, Default)]
pub struct ConsumerStats {
    /// Records newly written to the store.
    pub inserted: AtomicU64,
    /// Records the store already held (a resent or redelivered batch), skipped.
    pub duplicates: AtomicU64,
    /// Messages set aside because they could never be stored.
    pub dead_letters: AtomicU64,
    /// Records settled: stored, found already stored, or set aside in a dead letter.
    pub settled: AtomicU64,
    /// Messages fetched and not yet settled.
    pub in_hand: AtomicU64,
    /// Batches taken and decoded while the one before was being written.
    pub taken_ahead: AtomicU64,
    /// Microseconds spent storing and acknowledging batches, from the start of a write to
    /// its acknowledgement: the time the records counted above took, so that a rate can
    /// be given over the time it took rather than over an idle clock.
    pub busy_micros: AtomicU64,
}

/// How long one fetch waits for work before the consumer checks for shutdown again: what a
/// stop waits for an idle consumer. At 250 ms it was a fifth of a 1 M-record `run`'s time
/// (two idle consumers waited it out after the last commit); the embedded queue polls every
/// 50 ms inside a fetch anyway, and RabbitMQ pushes, so shorter costs nothing.
const FETCH_WAIT: Duration = Duration::from_millis(50);
/// A batch taken ahead and held longer than this has its lease renewed before it is written.
/// Leases last 30 s by default (at least 1 s); renewing every batch would cost the embedded
/// queue a durable transaction each.
const RENEW_AFTER: Duration = Duration::from_millis(500);

/// One stream's consumer task, started by [`spawn`], with the counters it keeps.
pub struct Running {
    /// The stream it consumes.
    pub kind: StreamKind,
    /// What it has stored, skipped and set aside so far.
    pub stats: Arc<ConsumerStats>,
    /// The task; it ends after `shutdown` once the work in hand is settled, or early with
    /// the fault no retry can heal.
    pub task: tokio::task::JoinHandle<Result<(), ConsumerError>>,
}

/// Why a consumer stopped before shutdown: a fault that retrying cannot heal (a broken
/// queue, tables that are not millrace's), so it stops and says so instead of looping.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// The queue cannot work again in this process.
    #[error("the {stream} consumer stopped")]
    Queue {
        /// The stream it consumed.
        stream: StreamKind,
        /// What the queue said.
        #[source]
        source: QueueError,
    },
    /// The store cannot take the records.
    #[error("the {stream} consumer stopped")]
    Store {
        /// The stream it consumed.
        stream: StreamKind,
        /// What the store said.
        #[source]
        source: StoreError,
    },
}

/// A store as consumers hold it: possibly shared with the other consumer of this process.
pub type SharedStore = Arc<Mutex<Box<dyn Store + Send>>>;

/// The stores the consumers of one process write through: one shared connection where the
/// store wants one writer per process (SQLite), one each otherwise (PostgreSQL).
pub struct StoreHandles {
    one_writer: bool,
    shared: Option<SharedStore>,
}

impl StoreHandles {
    /// Handles to the store at `location`, none opened yet.
    pub fn new(location: &StoreLocation) -> Self {
        StoreHandles {
            one_writer: location.one_writer_per_process(),
            shared: None,
        }
    }

    /// The next consumer's store: the shared one when there is one, else what `open` opens
    /// (`None` when it gives up, as on shutdown).
    pub async fn next<E, Fut>(
        &mut self,
        open: impl FnOnce() -> Fut,
    ) -> Result<Option<SharedStore>, E>
    where
        Fut: std::future::Future<Output = Result<Option<Box<dyn Store + Send>>, E>>,
    {
        if let Some(store) = &self.shared {
            return Ok(Some(store.clone()));
        }
        let Some(store) = open().await? else {
            return Ok(None);
        };
        let store = Arc::new(Mutex::new(store));
        if self.one_writer {
            self.shared = Some(store.clone());
        }
        Ok(Some(store))
    }
}

/// Starts the consumer of `kind` on `queue`, writing to `store`: the one way `consume` and
/// `run` start consumers.
pub async fn spawn<Q: Queue>(
    queue: &Q,
    kind: StreamKind,
    store: SharedStore,
    shutdown: Shutdown,
) -> Result<Running, QueueError> {
    let stats = Arc::new(ConsumerStats::default());
    let task = tokio::spawn(consume(
        kind,
        queue.consumer(kind).await?,
        store,
        ConsumerConfig::default(),
        stats.clone(),
        shutdown,
    ));
    Ok(Running { kind, stats, task })
}

/// Consumes `stream` until shutdown, then returns after settling the batch in hand; returns
/// early, with the error, on a fault no retry can heal.
pub async fn consume<C: QueueConsumer, S: Store>(
    stream: StreamKind,
    queue: C,
    store: Arc<Mutex<S>>,
    config: ConsumerConfig,
    stats: Arc<ConsumerStats>,
    shutdown: Shutdown,
) -> Result<(), ConsumerError> {
    tracing::info!(%stream, "consumer started");
    let mut worker = Worker {
        stream,
        queue,
        store,
        config,
        stats,
        shutdown,
        backoff: Backoff::default(),
        next: None,
    };
    let outcome = worker.run().await;
    let Worker { store, stats, .. } = worker;
    // Dropped on a blocking thread: a store may close its connection synchronously.
    let _ = tokio::task::spawn_blocking(move || drop(store)).await;
    tracing::info!(
        %stream,
        stored = stats.inserted.load(Ordering::Relaxed),
        duplicates = stats.duplicates.load(Ordering::Relaxed),
        dead_letters = stats.dead_letters.load(Ordering::Relaxed),
        taken_ahead = stats.taken_ahead.load(Ordering::Relaxed),
        "consumer stopped"
    );
    outcome
}

/// One consumer's state while it runs: what [`consume`] works with, step by step.
struct Worker<C, S> {
    stream: StreamKind,
    queue: C,
    store: Arc<Mutex<S>>,
    config: ConsumerConfig,
    stats: Arc<ConsumerStats>,
    shutdown: Shutdown,
    backoff: Backoff,
    /// A batch taken from the queue and decoded while the one before was being written, and
    /// when it was taken.
    next: Option<(Batch, Instant)>,
}

/// What to do after looking for the next batch.
enum Step {
    /// Write this batch.
    Write(Batch),
    /// Nothing yet (or a passing failure, waited out): look again.
    Again,
    /// Shutdown, with nothing in hand.
    Stop,
}

impl<C: QueueConsumer, S: Store> Worker<C, S> {
    /// Takes, writes and acknowledges batches until shutdown or a fault that cannot heal.
    async fn run(&mut self) -> Result<(), ConsumerError> {
        loop {
            let batch = match self.next_batch().await? {
                Step::Write(batch) => batch,
                Step::Again => continue,
                Step::Stop => return Ok(()),
            };
            let span = tracing::info_span!(
                "store",
                stream = %self.stream,
                batch = %batch.first().map_or("", |(d, _)| d.envelope.id.as_str()),
                messages = batch.len(),
            );
            if !self.store_batch(batch).instrument(span).await? {
                return Ok(());
            }
        }
    }

    /// Writes one batch, then acknowledges it; `false` if shutdown came while the store was
    /// failing (nothing acknowledged).
    async fn store_batch(&mut self, batch: Batch) -> Result<bool, ConsumerError> {
        let started = Instant::now();
        let tags: Vec<u64> = batch.iter().map(|(d, _)| d.tag).collect();
        let newest = newest_time(&batch);
        let Some(written) = self.write(batch, &tags).await? else {
            return Ok(false);
        };
        crate::support::fault::point(crate::support::fault::CONSUMER_COMMITTED);
        self.settle(tags, &written).await;
        let busy = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stats.busy_micros.fetch_add(busy, Ordering::Relaxed);
        if let Some(time) = newest {
            crate::metrics::record::newest_stored(self.stream, time);
        }
        Ok(true)
    }

    /// The batch taken ahead, if any; otherwise a fetch from the queue (none once shutdown
    /// has come).
    async fn next_batch(&mut self) -> Result<Step, ConsumerError> {
        let stream = self.stream;
        if let Some((batch, taken)) = self.next.take() {
            // Taken already: written even when shutdown has come (unless the store is failing
            // then), so that nothing in hand waits out a lease. Its lease has run since it was
            // taken, through the write before; renew it when that was long (a slow store),
            // before another consumer is handed it.
            if taken.elapsed() > RENEW_AFTER {
                let tags = batch.iter().map(|(d, _)| d.tag).collect();
                if let Err(e) = self.queue.extend(tags).await {
                    tracing::warn!(%stream, error = %Chain(&e), "cannot extend the lease of messages in hand");
                }
            }
            return Ok(Step::Write(batch));
        }
        if self.shutdown.is_triggered() {
            return Ok(Step::Stop);
        }
        let (queue, config, stats) = (&mut self.queue, &self.config, &self.stats);
        match take(stream, queue, config, stats, FETCH_WAIT).await {
            Ok(batch) => {
                self.backoff.reset();
                Ok(batch.map_or(Step::Again, Step::Write))
            }
            Err(source @ QueueError::Broken { .. }) => Err(ConsumerError::Queue { stream, source }),
            Err(e) => {
                tracing::warn!(%stream, error = %Chain(&e), "cannot fetch from the queue; retrying with backoff");
                self.backoff.wait(&self.shutdown).await;
                Ok(Step::Again)
            }
        }
    }

    /// Writes the batch, taking the next one ahead meanwhile when it pays, and retries while
    /// the store fails; `None` if shutdown came while it was failing.
    async fn write(
        &mut self,
        batch: Batch,
        tags: &[u64],
    ) -> Result<Option<WriteStats>, ConsumerError> {
        let stream = self.stream;
        // The store writes on a blocking thread; meanwhile this task takes and decodes what
        // is already waiting, without waiting for more, so the writer finds its next batch
        // ready. (Decoding was a fifth of the consumer's time, on the writer's critical path.)
        // Only behind a batch of large bodies: bulk data. Many tiny messages (single-record
        // POSTs) are better left to gather into the next fetch — taking them ahead makes more,
        // smaller queue transactions, which then delay the webhook's commits (p99 from 25 ms
        // to 180–300 ms in bench/load.sh).
        let bytes: usize = batch.iter().map(|(d, _)| d.envelope.body.len()).sum();
        let large = bytes >= self.config.ahead_after_bytes;
        let (queue, config, stats, shutdown) =
            (&mut self.queue, &self.config, &self.stats, &self.shutdown);
        let ahead = async {
            if shutdown.is_triggered() || !large {
                return None;
            }
            take(stream, queue, config, stats, Duration::ZERO)
                .await
                .ok()
                .flatten()
        };
        let timed = async {
            let started = Instant::now();
            let (batch, result) = Self::commit(self.store.clone(), batch).await;
            if result.is_ok() {
                crate::metrics::record::store_commit_time(started.elapsed());
            }
            (batch, result)
        };
        let ((batch, first), ahead) = tokio::join!(timed, ahead);
        if ahead.is_some() {
            self.stats.taken_ahead.fetch_add(1, Ordering::Relaxed);
        }
        self.next = ahead.map(|batch| (batch, Instant::now()));
        let failure = match first {
            Ok(written) => return Ok(Some(written)),
            Err(e) => e,
        };
        // The batch taken ahead waits too: keep its lease with the failing one's.
        let held: Vec<u64> = tags
            .iter()
            .copied()
            .chain(
                self.next
                    .iter()
                    .flat_map(|(batch, _)| batch.iter().map(|(d, _)| d.tag)),
            )
            .collect();
        self.retry(batch, failure, &held)
            .await
            .map_err(|source| ConsumerError::Store { stream, source })
    }

    /// Writes again a batch whose first write failed, with backoff while the store fails,
    /// keeping the `held` messages leased meanwhile; `None` if shutdown came first (nothing
    /// is acknowledged, so the queue hands the batch out again), and the error at once when
    /// it is [`StoreError::Broken`], which no retry heals.
    async fn retry(
        &mut self,
        mut batch: Batch,
        failure: StoreError,
        held: &[u64],
    ) -> Result<Option<WriteStats>, StoreError> {
        if let StoreError::Broken { .. } = failure {
            return Err(failure);
        }
        let stream = self.stream;
        tracing::warn!(%stream, error = %Chain(&failure), "cannot store the batch; retrying with backoff");
        let mut backoff = Backoff::default();
        loop {
            // Renewed before each pause: the failed write itself may have taken long.
            if let Err(e) = self.queue.extend(held.to_vec()).await {
                tracing::warn!(%stream, error = %Chain(&e), "cannot extend the lease of messages in hand");
            }
            if self.shutdown.is_triggered() {
                return Ok(None);
            }
            backoff.wait(&self.shutdown).await;
            let (back, result) = Self::commit(self.store.clone(), batch).await;
            batch = back;
            match result {
                Ok(stats) => {
                    tracing::info!(%stream, "store is writable again");
                    return Ok(Some(stats));
                }
                Err(e @ StoreError::Broken { .. }) => return Err(e),
                Err(_) => {}
            }
        }
    }

    /// One store transaction, on a blocking thread; hands the batch back for a retry. The
    /// only place a consumer touches the store, for [`Worker::write`]'s first try and every
    /// retry. It takes the store rather than `self`, so that the next batch can be taken
    /// from the queue while it runs.
    async fn commit(store: Arc<Mutex<S>>, batch: Batch) -> (Batch, Result<WriteStats, StoreError>) {
        let outcome = tokio::task::spawn_blocking(move || {
            let origins: Vec<String> = batch.iter().map(|(d, _)| d.envelope.origin()).collect();
            let incoming: Vec<Incoming<'_>> = batch
                .iter()
                .zip(&origins)
                .map(|((d, records), origin)| Incoming {
                    origin,
                    first_seq: d.envelope.first_seq,
                    records,
                })
                .collect();
            let result = store.lock().expect("store lock").write(&incoming);
            drop(incoming);
            (batch, result)
        })
        .await;
        match outcome {
            Ok(done) => done,
            // The store panicked: a bug, not a store failure; let it surface.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Counts what the store took and acknowledges the messages it came in.
    async fn settle(&mut self, tags: Vec<u64>, written: &WriteStats) {
        let stats = &self.stats;
        let settling = tags.len() as u64;
        stats
            .inserted
            .fetch_add(written.inserted, Ordering::Relaxed);
        stats
            .duplicates
            .fetch_add(written.duplicates, Ordering::Relaxed);
        crate::metrics::record::records_stored(self.stream, written.inserted);
        crate::metrics::record::records_duplicate(self.stream, written.duplicates);
        if let Err(e) = self.queue.ack(tags).await {
            // Stored but not acknowledged: the messages come back and the store skips them.
            let stream = self.stream;
            tracing::warn!(%stream, error = %Chain(&e), "cannot acknowledge stored messages; they will be redelivered and skipped");
        }
        stats
            .settled
            .fetch_add(written.inserted + written.duplicates, Ordering::Relaxed);
        stats.in_hand.fetch_sub(settling, Ordering::Relaxed);
    }
}

/// Decoded messages in hand, ready to be written together.
type Batch = Vec<(Delivery, Records)>;

/// The time of the newest record in `batch`, for the ingest lag.
fn newest_time(batch: &Batch) -> Option<i64> {
    batch
        .iter()
        .filter_map(|(_, records)| match records {
            Records::Metrics(metrics) => metrics.iter().map(|m| m.time).max(),
            Records::Workorder(orders) => orders.iter().map(|o| o.time).max(),
        })
        .max()
}

/// Fetches up to a batch of messages (waiting at most `wait` for the first) and decodes
/// them; `None` when nothing came, or nothing that can be stored.
async fn take<C: QueueConsumer>(
    stream: StreamKind,
    queue: &mut C,
    config: &ConsumerConfig,
    stats: &ConsumerStats,
    wait: Duration,
) -> Result<Option<Batch>, crate::queue::QueueError> {
    let deliveries = queue.fetch(config.max_messages, wait).await?;
    if deliveries.is_empty() {
        return Ok(None);
    }
    stats
        .in_hand
        .fetch_add(deliveries.len() as u64, Ordering::Relaxed);
    let batch = sort_out(stream, queue, deliveries, config, stats).await;
    Ok((!batch.is_empty()).then_some(batch))
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
            Err(Unstorable::TooManyAttempts(delivery.attempts - 1))
        } else {
            check(stream, &delivery)
        };
        match verdict {
            Ok(records) => good.push((delivery, records)),
            Err(unstorable) => {
                let count = delivery.envelope.count;
                let reason = unstorable.to_string();
                tracing::error!(%stream, id = %delivery.envelope.id, %reason, "message set aside as a dead letter");
                match queue.dead_letter(&delivery, reason).await {
                    Ok(()) => {
                        stats.dead_letters.fetch_add(1, Ordering::Relaxed);
                        crate::metrics::record::dead_letter(stream);
                        stats.settled.fetch_add(count, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::warn!(%stream, error = %Chain(&e), "cannot set the message aside; it will come back")
                    }
                }
                // Settled, or out of this consumer's hands until the queue hands it out again.
                stats.in_hand.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
    good
}

fn check(stream: StreamKind, delivery: &Delivery) -> Result<Records, Unstorable> {
    let envelope = &delivery.envelope;
    if envelope.stream != stream {
        return Err(Unstorable::WrongQueue {
            found: envelope.stream,
            queue: stream,
        });
    }
    let records = decode_queued(stream, &envelope.body)
        .map_err(|error| Unstorable::Undecodable { stream, error })?;
    if records.len() as u64 != envelope.count {
        return Err(Unstorable::Miscounted {
            held: records.len(),
            said: envelope.count,
        });
    }
    Ok(records)
}

/// Why a message can never be stored, however often it is tried: it goes to the dead
/// letters with this as its reason, whole, for the operator who looks there.
#[derive(Debug, thiserror::Error)]
enum Unstorable {
    /// It keeps coming back: something about it fails every write.
    #[error("delivered {0} times without being stored")]
    TooManyAttempts(u32),
    /// It belongs to the other stream.
    #[error("a {found} message in the {queue} queue")]
    WrongQueue {
        found: StreamKind,
        queue: StreamKind,
    },
    /// Its body is not a batch of this stream (the reason is kept whole, not as a source:
    /// the dead letter stores one line).
    #[error("the body is not a valid {stream} batch: {error}")]
    Undecodable {
        stream: StreamKind,
        error: crate::codec::DecodeError,
    },
    /// Its body holds another number of records than its header says.
    #[error("the body holds {held} records but the message says {said}")]
    Miscounted { held: usize, said: u64 },
}

#[cfg(test)]
mod tests;
