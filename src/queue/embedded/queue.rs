//! The queue's handle: opening the file and starting its writer, publishing with
//! backpressure (a full queue refuses rather than fills the disk), counting what waits, and
//! making consumers.

use super::blocking::{blocking, locked, unavailable};
use super::config::EmbeddedQueueConfig;
use super::consumer::EmbeddedConsumer;
use super::dead_letters;
use super::schema::{dead_queue, now_millis, open_connection};
use super::shared::{Publish, Shared};
use super::writer;
use crate::queue::{DeadLetter, Envelope, Queue, QueueError, Settle, Which};
use crate::record::StreamKind;
use crate::support::sqlite_file::WriteGate;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};

/// Publishes waiting for the writer, at most.
const PUBLISH_QUEUE: usize = 128;
/// How often a full queue is recounted, at most: refusing is cheap, counting is not.
const RECOUNT_EVERY: Duration = Duration::from_millis(500);

/// A durable queue in one SQLite file, so one command runs the whole pipeline on a laptop.
///
/// Why SQLite: a committed transaction in WAL mode with `synchronous=FULL` survives kill -9
/// and power loss, several processes can share the file safely, and publishes from many
/// concurrent requests are grouped into one transaction (group commit), so durability costs
/// one fsync per group rather than one per request. Messages are leased to a consumer on
/// fetch, deleted on acknowledgement, and handed out again when a lease runs out.
#[derive(Clone)]
pub struct EmbeddedQueue {
    inner: Arc<Shared>,
}

impl EmbeddedQueue {
    /// Opens (creating if needed, with its folder) the queue file and starts its publishing
    /// thread.
    pub fn open(config: EmbeddedQueueConfig) -> Result<Self, QueueError> {
        let writer = open_connection(&config.path)?;
        let reader = open_connection(&config.path)?;
        // Small on purpose: a publish that times out leaves its batch here until the writer
        // drops it, so this bounds the memory a stalled writer can tie up.
        let (publisher, requests) = mpsc::channel(PUBLISH_QUEUE);
        let waiting = count_waiting(&reader)?;
        let gate = WriteGate::of(&config.path);
        let inner = Arc::new(Shared {
            config,
            publisher,
            published: Notify::new(),
            reader: Mutex::new(reader),
            backlog: AtomicU64::new(waiting),
            counted_at: Mutex::new(std::time::Instant::now()),
            gate: gate.clone(),
        });
        writer::start(writer, requests, Arc::downgrade(&inner), gate)?;
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
        let backlog = self.inner.backlog.load(Ordering::Relaxed);
        if backlog >= limit {
            let due = {
                let mut last = locked(&self.inner.counted_at)?;
                let due = last.elapsed() >= RECOUNT_EVERY;
                if due {
                    *last = std::time::Instant::now();
                }
                due
            };
            if !due {
                return Err(QueueError::Full {
                    waiting: backlog,
                    limit,
                });
            }
            let inner = self.inner.clone();
            let waiting = blocking(move || count_waiting(&*locked(&inner.reader)?)).await?;
            self.inner.backlog.store(waiting, Ordering::Relaxed);
            if waiting >= limit {
                return Err(QueueError::Full { waiting, limit });
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
        Ok(EmbeddedConsumer::new(self.inner.clone(), stream, conn))
    }

    async fn pending(&self, stream: StreamKind) -> Result<u64, QueueError> {
        self.count(stream.name().to_string()).await
    }

    /// Written on the reader's connection, beside the writer's group commits: dead letters
    /// are rare, and SQLite serialises the two writers.
    async fn publish_dead_letter(
        &self,
        envelope: Envelope,
        reason: String,
    ) -> Result<(), QueueError> {
        let inner = self.inner.clone();
        blocking(move || {
            let e = &envelope;
            locked(&inner.reader)?
                .execute(
                    "INSERT INTO messages (queue, id, source, first_seq, count, body, enqueued_at, reason)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        dead_queue(e.stream),
                        e.id,
                        e.source,
                        e.first_seq as i64,
                        e.count as i64,
                        e.body,
                        now_millis(),
                        reason
                    ],
                )
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }

    async fn dead_letters(&self, stream: StreamKind) -> Result<u64, QueueError> {
        self.count(dead_queue(stream)).await
    }

    async fn ready(&self) -> Result<(), QueueError> {
        self.count(String::new()).await.map(|_| ())
    }

    async fn list_dead_letters(&self, stream: StreamKind) -> Result<Vec<DeadLetter>, QueueError> {
        let inner = self.inner.clone();
        blocking(move || dead_letters::list(&*locked(&inner.reader)?, stream)).await
    }

    /// On the reader's connection, as [`Queue::publish_dead_letter`] is; requeued messages
    /// wake this process's consumers and count towards the backlog like any publish.
    async fn settle_dead_letters(
        &self,
        stream: StreamKind,
        which: Which,
        settle: Settle,
    ) -> Result<u64, QueueError> {
        let inner = self.inner.clone();
        let settled = blocking(move || {
            dead_letters::settle(&mut *locked(&inner.reader)?, stream, &which, settle)
        })
        .await?;
        if settle == Settle::Requeue && settled > 0 {
            self.inner.backlog.fetch_add(settled, Ordering::Relaxed);
            self.inner.published.notify_waiters();
        }
        Ok(settled)
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

#[cfg(test)]
mod tests {
    use super::super::testing::{envelope, open};
    use super::*;
    use crate::queue::QueueConsumer;

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
        assert!(
            matches!(
                refused,
                QueueError::Full {
                    waiting: 2,
                    limit: 2
                }
            ),
            "{refused}"
        );
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let got = c.fetch(1, Duration::ZERO).await.unwrap();
        c.ack(vec![got[0].tag]).await.unwrap();
        q.publish(envelope("c", StreamKind::Metrics)).await.unwrap();
    }

    #[test]
    fn a_file_that_is_no_queue_is_refused_with_sqlites_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.db");
        std::fs::write(&path, [b'x'; 4096]).unwrap();
        let Err(err) = EmbeddedQueue::open(EmbeddedQueueConfig::new(path)) else {
            panic!("a file of garbage opened as a queue");
        };
        assert!(
            matches!(
                err,
                QueueError::Unavailable {
                    source: Some(_),
                    ..
                }
            ),
            "{err}"
        );
        let told = crate::support::chain::Chain(&err).to_string();
        assert!(
            told.starts_with("the queue is unavailable: cannot open the queue file ")
                && told.contains("file is not a database"),
            "{told}"
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
}
