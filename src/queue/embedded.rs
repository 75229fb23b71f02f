//! The embedded queue: a durable queue in one SQLite file, so the whole pipeline runs on one
//! machine with no broker to install.

use super::{Delivery, Envelope, Queue, QueueConsumer, QueueError};
use crate::record::StreamKind;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, mpsc, oneshot};

/// Settings of the embedded queue.
#[derive(Clone, Debug)]
pub struct EmbeddedQueueConfig {
    /// The queue's SQLite file, shared by every process on the machine that uses the queue.
    pub path: PathBuf,
    /// How long a fetched but unacknowledged message stays invisible before it is handed out
    /// again, as it is when its consumer died.
    pub redeliver_after: Duration,
    /// The most messages waiting for consumers; beyond, publishing is refused (the webhook
    /// answers 503) until they catch up, so a stalled consumer cannot fill the disk.
    pub max_backlog: u64,
}

impl EmbeddedQueueConfig {
    /// Defaults for the queue file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        EmbeddedQueueConfig {
            path: path.into(),
            redeliver_after: Duration::from_secs(30),
            max_backlog: 1_000_000,
        }
    }
}

/// A durable queue in one SQLite file, so one command runs the whole pipeline on a laptop.
///
/// Why SQLite: a committed transaction in WAL mode with `synchronous=FULL` survives kill -9
/// and power loss, several processes can share the file safely, and publishes from many
/// concurrent requests are grouped into one transaction (group commit), so durability costs
/// one fsync per group rather than one per request. Messages are leased to a consumer on
/// fetch, deleted on acknowledgement, and handed out again when a lease runs out.
#[derive(Clone)]
pub struct EmbeddedQueue {
    inner: Arc<Inner>,
}

struct Inner {
    config: EmbeddedQueueConfig,
    publisher: mpsc::Sender<Publish>,
    /// Wakes consumers in this process as soon as a batch is committed; consumers in other
    /// processes poll.
    published: Notify,
    /// For the occasional count, separate from the hot paths.
    reader: Mutex<Connection>,
    /// Messages waiting, as last counted plus those published since (consumers in other
    /// processes take messages unseen, so this errs high and is recounted before it refuses).
    backlog: AtomicU64,
    /// When the backlog was last recounted.
    counted_at: Mutex<std::time::Instant>,
}

struct Publish {
    envelope: Envelope,
    done: oneshot::Sender<Result<(), QueueError>>,
}

/// The most publishes committed in one transaction.
const GROUP_MAX: usize = 1024;
/// Publishes waiting for the writer, at most.
const PUBLISH_QUEUE: usize = 128;
/// A fetch stops adding messages once their bodies reach this size (it always takes one):
/// many small messages make one transaction, a few large ones do not swamp memory. A
/// consumer holds up to two fetches (one being written, the next decoded meanwhile), so
/// `consume all` on a 1 GB input stays under 64 MB.
const FETCH_BYTES: i64 = 4 << 20;
/// How often a full queue is recounted, at most: refusing is cheap, counting is not.
const RECOUNT_EVERY: Duration = Duration::from_millis(500);
/// How often a consumer with nothing to do looks for messages other processes published.
const POLL: Duration = Duration::from_millis(50);

impl EmbeddedQueue {
    /// Opens (creating if needed) the queue file and starts its publishing thread.
    pub fn open(config: EmbeddedQueueConfig) -> Result<Self, QueueError> {
        if let Some(dir) = config.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                QueueError::Unavailable(format!(
                    "cannot create the queue directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let writer = open_connection(&config.path)?;
        let reader = open_connection(&config.path)?;
        // Small on purpose: a publish that times out leaves its batch here until the writer
        // drops it, so this bounds the memory a stalled writer can tie up.
        let (publisher, requests) = mpsc::channel(PUBLISH_QUEUE);
        let waiting = count_waiting(&reader)?;
        let inner = Arc::new(Inner {
            config,
            publisher,
            published: Notify::new(),
            reader: Mutex::new(reader),
            backlog: AtomicU64::new(waiting),
            counted_at: Mutex::new(std::time::Instant::now()),
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("queue-writer".into())
            .spawn(move || write_loop(writer, requests, weak))
            .map_err(|e| QueueError::Unavailable(format!("cannot start the queue writer: {e}")))?;
        Ok(EmbeddedQueue { inner })
    }

    async fn count(&self, queue: String) -> Result<u64, QueueError> {
        let inner = self.inner.clone();
        blocking(move || {
            let conn = locked(&inner.reader)?;
            conn.query_row(
                "SELECT COUNT(*) FROM messages WHERE queue = ?1",
                [queue],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(unavailable)
        })
        .await
    }
}

impl Queue for EmbeddedQueue {
    type Consumer = EmbeddedConsumer;

    async fn publish(&self, envelope: Envelope) -> Result<(), QueueError> {
        let limit = self.inner.config.max_backlog;
        if self.inner.backlog.load(Ordering::Relaxed) >= limit {
            let due = {
                let mut last = locked(&self.inner.counted_at)?;
                let due = last.elapsed() >= RECOUNT_EVERY;
                if due {
                    *last = std::time::Instant::now();
                }
                due
            };
            if !due {
                return Err(QueueError::Full(format!(
                    "at least {limit} messages are waiting for consumers; are the consumers running?"
                )));
            }
            let inner = self.inner.clone();
            let waiting = blocking(move || count_waiting(&*locked(&inner.reader)?)).await?;
            self.inner.backlog.store(waiting, Ordering::Relaxed);
            if waiting >= limit {
                return Err(QueueError::Full(format!(
                    "{waiting} messages are waiting for consumers (the limit is {limit}); are the consumers running?"
                )));
            }
        }
        let (done, confirmed) = oneshot::channel();
        self.inner
            .publisher
            .send(Publish { envelope, done })
            .await
            .map_err(|_| QueueError::Closed)?;
        confirmed.await.map_err(|_| QueueError::Closed)?
    }

    async fn consumer(&self, stream: StreamKind) -> Result<EmbeddedConsumer, QueueError> {
        let path = self.inner.config.path.clone();
        let conn = blocking(move || open_connection(&path)).await?;
        Ok(EmbeddedConsumer {
            queue: self.inner.clone(),
            stream,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn pending(&self, stream: StreamKind) -> Result<u64, QueueError> {
        self.count(stream.name().to_string()).await
    }

    async fn dead_letters(&self, stream: StreamKind) -> Result<u64, QueueError> {
        self.count(dead_queue(stream)).await
    }

    async fn ready(&self) -> Result<(), QueueError> {
        self.count(String::new()).await.map(|_| ())
    }
}

/// A consumer of one stream of the embedded queue, with its own connection.
pub struct EmbeddedConsumer {
    queue: Arc<Inner>,
    stream: StreamKind,
    conn: Arc<Mutex<Connection>>,
}

impl QueueConsumer for EmbeddedConsumer {
    async fn fetch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before looking, so a publish between the look and the wait still
            // wakes this consumer.
            let published = self.queue.published.notified();
            let conn = self.conn.clone();
            let stream = self.stream;
            let lease = self.queue.config.redeliver_after;
            let found = blocking(move || claim(&*locked(&conn)?, stream, max, lease)).await?;
            if !found.is_empty() {
                return Ok(found);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(found);
            }
            let nap = POLL.min(deadline - now);
            let _ = tokio::time::timeout(nap, published).await;
        }
    }

    async fn ack(&mut self, tags: Vec<u64>) -> Result<(), QueueError> {
        let conn = self.conn.clone();
        let deleted = blocking(move || {
            let mut conn = locked(&conn)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(unavailable)?;
            let mut deleted = 0;
            {
                let mut delete = tx
                    .prepare_cached("DELETE FROM messages WHERE tag = ?1")
                    .map_err(unavailable)?;
                for tag in tags {
                    deleted += delete.execute([tag as i64]).map_err(unavailable)? as u64;
                }
            }
            tx.commit().map_err(unavailable)?;
            Ok(deleted)
        })
        .await?;
        let _ = self
            .queue
            .backlog
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_sub(deleted))
            });
        Ok(())
    }

    async fn extend(&mut self, tags: Vec<u64>) -> Result<(), QueueError> {
        let conn = self.conn.clone();
        let until = now_millis().saturating_add(millis(self.queue.config.redeliver_after));
        blocking(move || {
            let conn = locked(&conn)?;
            let mut stmt = conn
                .prepare_cached("UPDATE messages SET lease_until = ?2 WHERE tag = ?1")
                .map_err(unavailable)?;
            for tag in tags {
                stmt.execute(params![tag as i64, until])
                    .map_err(unavailable)?;
            }
            Ok(())
        })
        .await
    }

    async fn dead_letter(&mut self, delivery: &Delivery, reason: String) -> Result<(), QueueError> {
        let tag = delivery.tag;
        let conn = self.conn.clone();
        let dead = dead_queue(self.stream);
        blocking(move || {
            locked(&conn)?
                .execute(
                    "UPDATE messages SET queue = ?2, reason = ?3, lease_until = 0 WHERE tag = ?1",
                    params![tag as i64, dead, reason],
                )
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }
}

/// Messages waiting in the stream queues (ready or in flight; dead letters not counted).
fn count_waiting(conn: &Connection) -> Result<u64, QueueError> {
    conn.query_row(
        "SELECT COUNT(*) FROM messages WHERE queue IN ('metrics', 'workorder')",
        [],
        |row| row.get::<_, i64>(0),
    )
    .map(|n| n as u64)
    .map_err(unavailable)
}

/// The dead-letter queue of a stream, named as RabbitMQ's will be.
fn dead_queue(stream: StreamKind) -> String {
    format!("{}.dead", stream.name())
}

fn open_connection(path: &Path) -> Result<Connection, QueueError> {
    let conn = Connection::open(path).map_err(|e| {
        QueueError::Unavailable(format!(
            "cannot open the queue file {}: {e}",
            path.display()
        ))
    })?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(unavailable)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(unavailable)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(unavailable)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS messages (
            tag INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            id TEXT NOT NULL,
            source TEXT,
            first_seq INTEGER NOT NULL,
            count INTEGER NOT NULL,
            body BLOB NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_until INTEGER NOT NULL DEFAULT 0,
            reason TEXT,
            enqueued_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS messages_by_queue ON messages(queue, tag);",
    )
    .map_err(unavailable)?;
    Ok(conn)
}

/// The publishing thread: takes every publish waiting, commits them in one transaction, then
/// confirms each. Ends when the queue is dropped.
fn write_loop(
    mut conn: Connection,
    mut requests: mpsc::Receiver<Publish>,
    queue: std::sync::Weak<Inner>,
) {
    let mut group = Vec::with_capacity(GROUP_MAX);
    while let Some(first) = requests.blocking_recv() {
        group.push(first);
        while group.len() < GROUP_MAX {
            match requests.try_recv() {
                Ok(more) => group.push(more),
                Err(_) => break,
            }
        }
        // A publish whose caller gave up (timed out) is not written: the caller answered 503,
        // and a producer retry must not find it stored already.
        group.retain(|p| !p.done.is_closed());
        if group.is_empty() {
            continue;
        }
        let result = insert_group(&mut conn, &group);
        if result.is_ok()
            && let Some(queue) = queue.upgrade()
        {
            queue
                .backlog
                .fetch_add(group.len() as u64, Ordering::Relaxed);
            queue.published.notify_waiters();
        }
        for publish in group.drain(..) {
            let _ = publish
                .done
                .send(result.clone().map_err(QueueError::Unavailable));
        }
    }
}

fn insert_group(conn: &mut Connection, group: &[Publish]) -> Result<(), String> {
    let now = now_millis();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO messages (queue, id, source, first_seq, count, body, enqueued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(|e| e.to_string())?;
        for p in group {
            let e = &p.envelope;
            insert
                .execute(params![
                    e.stream.name(),
                    e.id,
                    e.source,
                    e.first_seq as i64,
                    e.count as i64,
                    e.body,
                    now
                ])
                .map_err(|e| e.to_string())?;
        }
    }
    tx.commit().map_err(|e| e.to_string())
}

/// Leases up to `max` ready messages to the caller, oldest first.
fn claim(
    conn: &Connection,
    stream: StreamKind,
    max: usize,
    lease: Duration,
) -> Result<Vec<Delivery>, QueueError> {
    let now = now_millis();
    let until = now.saturating_add(millis(lease));
    let mut stmt = conn
        .prepare_cached(
            "UPDATE messages SET lease_until = ?3, attempts = attempts + 1
             WHERE tag IN (
                 SELECT tag FROM (
                     SELECT tag, length(body) AS size,
                            SUM(length(body)) OVER (ORDER BY tag) AS running
                     FROM messages WHERE queue = ?1 AND lease_until <= ?2
                     ORDER BY tag LIMIT ?4)
                 WHERE running - size < ?5)
             RETURNING tag, id, source, first_seq, count, body, attempts",
        )
        .map_err(unavailable)?;
    let rows = stmt
        .query_map(
            params![stream.name(), now, until, max as i64, FETCH_BYTES],
            |row| {
                Ok(Delivery {
                    tag: row.get::<_, i64>(0)? as u64,
                    envelope: Envelope {
                        id: row.get(1)?,
                        stream,
                        source: row.get(2)?,
                        first_seq: row.get::<_, i64>(3)? as u64,
                        count: row.get::<_, i64>(4)? as u64,
                        body: row.get(5)?,
                    },
                    attempts: row.get::<_, i64>(6)? as u32,
                })
            },
        )
        .map_err(unavailable)?;
    let mut found = rows.collect::<Result<Vec<_>, _>>().map_err(unavailable)?;
    found.sort_by_key(|d| d.tag);
    Ok(found)
}

/// The reason recorded with a dead letter, for operators and tests.
pub fn dead_letter_reason(path: &Path, tag: u64) -> Option<String> {
    let conn = Connection::open(path).ok()?;
    conn.query_row(
        "SELECT reason FROM messages WHERE tag = ?1",
        [tag as i64],
        |row| row.get(0),
    )
    .optional()
    .ok()
    .flatten()
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn unavailable(e: rusqlite::Error) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

/// Runs SQLite work off the async threads. A panic there is a bug that left the queue in an
/// unknown state: [`QueueError::Broken`], not something to retry.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, QueueError> + Send + 'static,
) -> Result<T, QueueError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        if e.is_panic() {
            QueueError::Broken(format!("a queue task panicked: {e}"))
        } else {
            QueueError::Unavailable(format!("queue task failed: {e}"))
        }
    })?
}

/// The lock, or [`QueueError::Broken`] when a thread panicked holding it: what it guards may
/// be half-changed, and every later use would fail the same way, so nobody should retry.
fn locked<T>(mutex: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, QueueError> {
    mutex
        .lock()
        .map_err(|_| QueueError::Broken("a thread panicked while holding one of its locks".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(id: &str, stream: StreamKind) -> Envelope {
        Envelope {
            id: id.into(),
            stream,
            source: Some("file".into()),
            first_seq: 0,
            count: 1,
            body: b"[]".to_vec(),
        }
    }

    fn open(dir: &Path, redeliver_after: Duration) -> EmbeddedQueue {
        EmbeddedQueue::open(EmbeddedQueueConfig {
            redeliver_after,
            ..EmbeddedQueueConfig::new(dir.join("queue.db"))
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_full_queue_refuses_until_consumers_catch_up() {
        let dir = tempfile::tempdir().unwrap();
        let q = EmbeddedQueue::open(EmbeddedQueueConfig {
            max_backlog: 2,
            ..EmbeddedQueueConfig::new(dir.path().join("queue.db"))
        })
        .unwrap();
        q.publish(envelope("a", StreamKind::Metrics)).await.unwrap();
        q.publish(envelope("b", StreamKind::Workorder))
            .await
            .unwrap();
        let refused = q
            .publish(envelope("c", StreamKind::Metrics))
            .await
            .unwrap_err();
        assert!(matches!(refused, QueueError::Full(_)), "{refused}");
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let got = c.fetch(1, Duration::ZERO).await.unwrap();
        c.ack(vec![got[0].tag]).await.unwrap();
        q.publish(envelope("c", StreamKind::Metrics)).await.unwrap();
    }

    #[tokio::test]
    async fn delivers_in_order_and_forgets_acknowledged_messages() {
        let dir = tempfile::tempdir().unwrap();
        let q = open(dir.path(), Duration::from_secs(30));
        for id in ["a", "b"] {
            q.publish(envelope(id, StreamKind::Metrics)).await.unwrap();
        }
        q.publish(envelope("w", StreamKind::Workorder))
            .await
            .unwrap();
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let got = c.fetch(10, Duration::ZERO).await.unwrap();
        let ids: Vec<_> = got.iter().map(|d| d.envelope.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(q.pending(StreamKind::Metrics).await.unwrap(), 2);
        c.ack(got.iter().map(|d| d.tag).collect()).await.unwrap();
        assert_eq!(q.pending(StreamKind::Metrics).await.unwrap(), 0);
        assert_eq!(q.pending(StreamKind::Workorder).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn unacknowledged_messages_come_back_after_the_lease() {
        let dir = tempfile::tempdir().unwrap();
        let q = open(dir.path(), Duration::from_millis(200));
        q.publish(envelope("a", StreamKind::Metrics)).await.unwrap();
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        assert_eq!(c.fetch(10, Duration::ZERO).await.unwrap().len(), 1);
        assert!(
            c.fetch(10, Duration::ZERO).await.unwrap().is_empty(),
            "leased"
        );
        let again = c.fetch(10, Duration::from_secs(2)).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
    }

    #[tokio::test]
    async fn an_extended_lease_is_not_handed_out_again() {
        let dir = tempfile::tempdir().unwrap();
        let q = open(dir.path(), Duration::from_millis(300));
        q.publish(envelope("a", StreamKind::Metrics)).await.unwrap();
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let tag = c.fetch(1, Duration::ZERO).await.unwrap()[0].tag;
        // Twice the lease in all: the time passing is the point, not a wait for anything.
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            c.extend(vec![tag]).await.unwrap();
        }
        assert!(
            c.fetch(1, Duration::ZERO).await.unwrap().is_empty(),
            "still leased"
        );
    }

    #[tokio::test]
    async fn survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let q = open(dir.path(), Duration::from_secs(30));
            q.publish(envelope("a", StreamKind::Metrics)).await.unwrap();
        }
        let q = open(dir.path(), Duration::from_secs(30));
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        assert_eq!(
            c.fetch(10, Duration::ZERO).await.unwrap()[0].envelope.id,
            "a"
        );
    }

    #[tokio::test]
    async fn dead_letters_are_set_aside_with_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let q = open(dir.path(), Duration::from_secs(30));
        q.publish(envelope("a", StreamKind::Metrics)).await.unwrap();
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let delivery = c.fetch(1, Duration::ZERO).await.unwrap().remove(0);
        let tag = delivery.tag;
        c.dead_letter(&delivery, "bad body".into()).await.unwrap();
        assert_eq!(q.pending(StreamKind::Metrics).await.unwrap(), 0);
        assert_eq!(q.dead_letters(StreamKind::Metrics).await.unwrap(), 1);
        assert_eq!(
            dead_letter_reason(&dir.path().join("queue.db"), tag).as_deref(),
            Some("bad body")
        );
    }

    /// In paused time the clock moves only when every task waits on a timer (blocking work
    /// holds it), so the waiting consumer's next look comes exactly POLL after its first: a
    /// message it returns sooner can only have come by the wake-up.
    #[tokio::test(start_paused = true)]
    async fn a_waiting_consumer_wakes_on_publish() {
        let dir = tempfile::tempdir().unwrap();
        let q = open(dir.path(), Duration::from_secs(30));
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let looked = tokio::time::Instant::now();
        let waiter = tokio::spawn(async move { c.fetch(1, Duration::from_secs(10)).await });
        // Not a guess: in paused time this returns only once the consumer, having found
        // nothing, waits on its timer, halfway to its next look.
        tokio::time::sleep(POLL / 2).await;
        assert!(!waiter.is_finished(), "nothing to fetch yet");
        // The publish waits on the queue's own writer thread, which paused time does not see:
        // made from a blocking task, it holds the clock until it is confirmed.
        let rt = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            rt.block_on(q.publish(envelope("a", StreamKind::Metrics)))
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(waiter.await.unwrap().unwrap().len(), 1);
        assert!(
            looked.elapsed() < POLL,
            "woken by the publish, not found by the next look ({:?})",
            looked.elapsed()
        );
    }

    #[tokio::test]
    async fn a_poisoned_lock_is_a_broken_queue_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let q = EmbeddedQueue::open(EmbeddedQueueConfig::new(dir.path().join("q.db"))).unwrap();
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let conn = c.conn.clone();
        let poisoner = std::thread::spawn(move || {
            let _held = conn.lock().unwrap();
            panic!("a bug while holding the consumer's lock (on purpose)");
        });
        assert!(poisoner.join().is_err());
        let err = c.fetch(1, Duration::ZERO).await.unwrap_err();
        assert!(matches!(err, QueueError::Broken(_)), "{err}");
    }
}
