//! The queue file's layout: the `messages` table and its index, the pragmas that make a
//! commit durable, how times and dead-letter queues are written in it. Every connection is
//! opened here, so the queue, its consumers and its writer agree on what the file holds.

use super::blocking::unavailable;
use crate::queue::QueueError;
use crate::record::StreamKind;
use crate::support::sqlite_file::{self, OpenError};
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The queue's table and its index.
const TABLE: &str = "CREATE TABLE IF NOT EXISTS messages (
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
    CREATE INDEX IF NOT EXISTS messages_by_queue ON messages(queue, tag);";

/// `lease_until` of a message no consumer holds: a time long past (in 2004), written as a
/// number of the same width as a real lease's (6 bytes), not as 0.
///
/// A claim sets the lease. When the row keeps its size, SQLite updates it in place and leaves
/// the body's overflow pages as they are; when the lease's width changes, as it did from 0,
/// SQLite writes the whole row again, body included. For a 1 M-record `run` that was 12,000
/// page writes into the queue's WAL (28,000 → 16,000) and 4 % of its time to the last commit
/// (medians 1.25 s → 1.20 s over five alternating runs). Rows written as 0 by an earlier
/// release are claimed all the same, only without the saving.
pub(super) const UNLEASED: i64 = 1 << 40;

/// Opens the queue file, creating the table if it is new. WAL with `synchronous=FULL`, so a
/// committed transaction survives kill -9 and power loss and other processes can share the
/// file; a busy file is waited for rather than failed on.
pub(super) fn open_connection(path: &Path) -> Result<Connection, QueueError> {
    let mut conn = sqlite_file::open(path).map_err(|e| {
        let what = format!("cannot open the queue file {}", path.display());
        match e {
            // Itself, not behind the transparent wrapper, so the chain shows it as the
            // user's mistake.
            OpenError::Path(problem) => QueueError::unavailable(what, problem),
            other => QueueError::unavailable(what, other),
        }
    })?;
    // Another process may be creating the table this very moment: IMMEDIATE takes the write
    // lock first, so the two wait for each other instead of one failing.
    sqlite_file::patiently("creating the queue's table", || {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(TABLE)?;
        tx.commit()
    })
    .map_err(unavailable)?;
    Ok(conn)
}

/// The dead-letter queue of a stream, named as RabbitMQ's will be.
pub(super) fn dead_queue(stream: StreamKind) -> String {
    format!("{}.dead", stream.name())
}

/// Now, as the table stores times (`lease_until`, `enqueued_at`): milliseconds since the
/// Unix epoch.
pub(super) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A duration in the table's unit, milliseconds.
pub(super) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
