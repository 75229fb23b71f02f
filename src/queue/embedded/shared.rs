//! What the queue, its consumers and its writer thread share: the state behind every handle
//! of one open queue, and the publish request the queue hands the writer. Here rather than
//! in any one of them, so none of them imports another that imports it back.

use super::config::EmbeddedQueueConfig;
use crate::queue::{Envelope, QueueError};
use crate::support::sqlite_file::WriteGate;
use rusqlite::Connection;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use tokio::sync::{Notify, mpsc, oneshot};

/// One open queue, behind every clone of its handle and every consumer made from it.
pub(super) struct Shared {
    /// The settings it was opened with.
    pub(super) config: EmbeddedQueueConfig,
    /// Where publishes go to the writer thread.
    pub(super) publisher: mpsc::Sender<Publish>,
    /// Wakes consumers in this process as soon as a batch is committed; consumers in other
    /// processes poll.
    pub(super) published: Notify,
    /// For the occasional count, separate from the hot paths.
    pub(super) reader: Mutex<Connection>,
    /// Messages waiting, as last counted plus those published since (consumers in other
    /// processes take messages unseen, so this errs high and is recounted before it refuses).
    pub(super) backlog: AtomicU64,
    /// When the backlog was last recounted.
    pub(super) counted_at: Mutex<std::time::Instant>,
    /// Turns to write the file, taken by the writer thread and by every consumer's claim and
    /// acknowledgement, so they queue on a mutex rather than on SQLite's sleeping busy
    /// handler.
    pub(super) gate: WriteGate,
}

/// A batch to store, and where to say once it is (or why not).
pub(super) struct Publish {
    /// The batch.
    pub(super) envelope: Envelope,
    /// Answered once the batch's transaction committed or failed.
    pub(super) done: oneshot::Sender<Result<(), QueueError>>,
}
