//! Group commit: one thread writes every publish, taking all that are waiting into one
//! transaction, so durability costs one fsync per group rather than one per request.

use super::schema::{UNLEASED, now_millis};
use super::shared::{Publish, Shared};
use crate::queue::QueueError;
use crate::support::sqlite_file::WriteGate;
use rusqlite::{Connection, TransactionBehavior, params};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use tokio::sync::mpsc;

/// The most publishes committed in one transaction.
const GROUP_MAX: usize = 1024;

/// Starts the publishing thread on its own connection. It holds the queue only weakly, so
/// it ends once the queue is dropped (its request channel closes with it).
pub(super) fn start(
    conn: Connection,
    requests: mpsc::Receiver<Publish>,
    queue: Weak<Shared>,
    gate: WriteGate,
) -> Result<(), QueueError> {
    std::thread::Builder::new()
        .name("queue-writer".into())
        .spawn(move || write_loop(conn, requests, queue, gate))
        .map(|_| ())
        .map_err(|e| QueueError::unavailable("cannot start the queue writer", e))
}

/// The publishing thread: takes every publish waiting, commits them in one transaction, then
/// confirms each. Ends when the queue is dropped.
fn write_loop(
    mut conn: Connection,
    mut requests: mpsc::Receiver<Publish>,
    queue: Weak<Shared>,
    gate: WriteGate,
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
        // Every publisher of the group gets the one failure, shared, as its error's source.
        let result = {
            let _turn = gate.turn();
            insert_group(&mut conn, &group).map_err(Arc::new)
        };
        if result.is_ok()
            && let Some(queue) = queue.upgrade()
        {
            queue
                .backlog
                .fetch_add(group.len() as u64, Ordering::Relaxed);
            queue.published.notify_waiters();
        }
        for publish in group.drain(..) {
            let _ = publish.done.send(result.clone().map_err(|e| {
                QueueError::unavailable("cannot write the batch to the queue file", e)
            }));
        }
    }
}

/// Inserts a group of publishes in one transaction: all stored, or none.
fn insert_group(conn: &mut Connection, group: &[Publish]) -> rusqlite::Result<()> {
    let now = now_millis();
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO messages
                 (queue, id, source, first_seq, count, body, enqueued_at, lease_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for p in group {
            let e = &p.envelope;
            insert.execute(params![
                e.stream.name(),
                e.id,
                e.source,
                e.first_seq as i64,
                e.count as i64,
                e.body,
                now,
                UNLEASED
            ])?;
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{envelope, open};
    use crate::queue::Queue;
    use crate::record::StreamKind;
    use crate::support::chain::Chain;
    use std::time::Duration;

    /// A failed group commit is one SQLite error shared by every publisher of the group:
    /// each gets it whole, as its error's source.
    #[tokio::test]
    async fn every_publisher_of_a_failed_group_gets_sqlites_reason() {
        let dir = tempfile::tempdir().unwrap();
        let q = open(dir.path(), Duration::from_secs(30));
        rusqlite::Connection::open(dir.path().join("queue.db"))
            .unwrap()
            .execute_batch("DROP TABLE messages")
            .unwrap();
        let (a, b) = tokio::join!(
            q.publish(envelope("a", StreamKind::Metrics)),
            q.publish(envelope("b", StreamKind::Workorder))
        );
        for err in [a.unwrap_err(), b.unwrap_err()] {
            assert!(std::error::Error::source(&err).is_some(), "{err}");
            let told = Chain(&err).to_string();
            assert!(
                told.contains("cannot write the batch to the queue file: no such table: messages"),
                "{told}"
            );
        }
    }
}
