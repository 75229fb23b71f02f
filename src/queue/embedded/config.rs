//! The embedded queue's settings: where its file is, how long a lease lasts, how much may
//! wait. Apart so the command line and the tests can build them without the queue.

use std::path::PathBuf;
use std::time::Duration;

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
