//! Group commit: one thread writes every publish, taking all that are waiting into one
//! transaction, so durability costs one fsync per group rather than one per request.

use super::schema::now_millis;
use super::shared::{Publish, Shared};
use crate::queue::QueueError;
use rusqlite::{Connection, TransactionBehavior, params};
use std::sync::Weak;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;

/// The most publishes committed in one transaction.
const GROUP_MAX: usize = 1024;

/// Starts the publishing thread on its own connection. It holds the queue only weakly, so
/// it ends once the queue is dropped (its request channel closes with it).
pub(super) fn start(
    conn: Connection,
    requests: mpsc::Receiver<Publish>,
    queue: Weak<Shared>,
) -> Result<(), QueueError> {
    std::thread::Builder::new()
        .name("queue-writer".into())
        .spawn(move || write_loop(conn, requests, queue))
        .map(|_| ())
        .map_err(|e| QueueError::Unavailable(format!("cannot start the queue writer: {e}")))
}

/// The publishing thread: takes every publish waiting, commits them in one transaction, then
/// confirms each. Ends when the queue is dropped.
fn write_loop(mut conn: Connection, mut requests: mpsc::Receiver<Publish>, queue: Weak<Shared>) {
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

/// Inserts a group of publishes in one transaction: all stored, or none.
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
