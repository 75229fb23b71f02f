//! Running SQLite work from async code: off the runtime's threads, under locks that a panic
//! may have poisoned, with SQLite's errors turned into queue errors. Every part of the queue
//! that touches the file goes through these, so each decision is made once here.

use crate::queue::QueueError;
use std::sync::Mutex;

/// An SQLite failure, as the transient [`QueueError::Unavailable`] with SQLite's error as
/// its source.
pub(super) fn unavailable(e: rusqlite::Error) -> QueueError {
    QueueError::unavailable("cannot use the queue file", e)
}

/// Runs SQLite work off the async threads. A panic there is a bug that left the queue in an
/// unknown state: [`QueueError::Broken`], not something to retry.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, QueueError> + Send + 'static,
) -> Result<T, QueueError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        if e.is_panic() {
            QueueError::Broken {
                what: "a queue task panicked",
                source: Some(e.into()),
            }
        } else {
            QueueError::unavailable("a queue task failed", e)
        }
    })?
}

/// The lock, or [`QueueError::Broken`] when a thread panicked holding it: what it guards may
/// be half-changed, and every later use would fail the same way, so nobody should retry.
pub(super) fn locked<T>(mutex: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, QueueError> {
    mutex.lock().map_err(|_| QueueError::Broken {
        what: "a thread panicked while holding one of its locks",
        source: None,
    })
}
