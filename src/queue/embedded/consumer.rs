//! The consuming side: each consumer has its own connection and leases what it fetches, so a
//! consumer that dies hands its messages back when their leases run out; acknowledged
//! messages are deleted, dead letters moved to their stream's dead-letter queue.

use super::blocking::{blocking, locked, unavailable};
use super::schema::{UNLEASED, dead_queue, millis, now_millis};
use super::shared::Shared;
use crate::queue::{Delivery, Envelope, QueueConsumer, QueueError};
use crate::record::StreamKind;
use rusqlite::{Connection, TransactionBehavior, params};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fetch stops adding messages once their bodies reach this size (it always takes one):
/// many small messages make one transaction, a few large ones do not swamp memory. A
/// consumer holds up to two fetches (one being written, the next decoded meanwhile), so
/// `consume all` on a 1 GB input stays under 64 MB.
const FETCH_BYTES: i64 = 4 << 20;
/// How often a consumer with nothing to do looks for messages other processes published.
const POLL: Duration = Duration::from_millis(50);

/// A consumer of one stream of the embedded queue, with its own connection.
pub struct EmbeddedConsumer {
    queue: Arc<Shared>,
    stream: StreamKind,
    conn: Arc<Mutex<Connection>>,
}

impl EmbeddedConsumer {
    /// A consumer of `stream` of `queue`, on its own connection `conn`.
    pub(super) fn new(queue: Arc<Shared>, stream: StreamKind, conn: Connection) -> Self {
        EmbeddedConsumer {
            queue,
            stream,
            conn: Arc::new(Mutex::new(conn)),
        }
    }
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
            let queue = self.queue.clone();
            let found = blocking(move || {
                let conn = locked(&conn)?;
                let _turn = queue.gate.turn();
                claim(&conn, stream, max, lease)
            })
            .await?;
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
        let queue = self.queue.clone();
        let deleted = blocking(move || {
            let mut conn = locked(&conn)?;
            let _turn = queue.gate.turn();
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
                    "UPDATE messages SET queue = ?2, reason = ?3, lease_until = ?4 WHERE tag = ?1",
                    params![tag as i64, dead, reason, UNLEASED],
                )
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }
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

#[cfg(test)]
mod tests {
    use super::super::testing::{envelope, open};
    use super::super::{EmbeddedQueue, EmbeddedQueueConfig, dead_letter_reason};
    use super::*;
    use crate::queue::Queue;

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
    async fn a_claim_rewrites_the_lease_in_place_and_old_rows_are_claimed_too() {
        let dir = tempfile::tempdir().unwrap();
        let q = open(dir.path(), Duration::from_secs(30));
        let mut big = envelope("new", StreamKind::Metrics);
        big.body = vec![b' '; 200_000];
        q.publish(big).await.unwrap();
        q.publish(envelope("old", StreamKind::Metrics))
            .await
            .unwrap();
        let file = rusqlite::Connection::open(dir.path().join("queue.db")).unwrap();
        // A row as an earlier release wrote it: not leased, as 0.
        file.execute("UPDATE messages SET lease_until = 0 WHERE id = 'old'", [])
            .unwrap();
        let lease_of = |id: &str| -> i64 {
            file.query_row(
                "SELECT lease_until FROM messages WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(lease_of("new"), UNLEASED);
        let pages = |file: &rusqlite::Connection| -> i64 {
            file.query_row("PRAGMA page_count", [], |r| r.get(0))
                .unwrap()
        };
        let before = pages(&file);
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let got = c.fetch(10, Duration::ZERO).await.unwrap();
        let ids: Vec<_> = got.iter().map(|d| d.envelope.id.as_str()).collect();
        assert_eq!(ids, ["new", "old"]);
        assert!(lease_of("new") > now_millis());
        // Same width, so updated in place: the 200 kB body was not written again, which
        // would have taken new overflow pages before the old ones were freed.
        assert_eq!(pages(&file), before);
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
        assert!(matches!(err, QueueError::Broken { .. }), "{err}");
    }
}
