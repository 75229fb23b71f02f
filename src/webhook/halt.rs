//! The webhook's stop for a fault no retry can heal (a [`QueueError::Broken`] queue): the
//! request that meets it fires the halt, the server drains and `serve` returns the reason,
//! so the process exits with it instead of answering 503 for ever.
//!
//! [`QueueError::Broken`]: crate::queue::QueueError::Broken

use std::sync::{Arc, OnceLock};
use tokio::sync::Notify;

/// Shared by the server and its handlers; the first reason fired is the one kept.
#[derive(Clone, Default)]
pub struct Halt {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    reason: OnceLock<String>,
    fired: Notify,
}

impl Halt {
    /// Stops the webhook for `reason`; later calls change nothing.
    pub fn fire(&self, reason: String) {
        if self.inner.reason.set(reason).is_ok() {
            self.inner.fired.notify_waiters();
        }
    }

    /// The reason, once fired.
    pub fn reason(&self) -> Option<&str> {
        self.inner.reason.get().map(String::as_str)
    }

    /// Waits until fired.
    pub async fn wait(&self) {
        loop {
            // Created before the check, so a fire between the check and the wait is seen.
            let fired = self.inner.fired.notified();
            if self.reason().is_some() {
                return;
            }
            fired.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_is_kept_and_waiters_wake() {
        let halt = Halt::default();
        let waiter = tokio::spawn({
            let halt = halt.clone();
            async move { halt.wait().await }
        });
        halt.fire("first".into());
        halt.fire("second".into());
        tokio::time::timeout(std::time::Duration::from_secs(10), waiter)
            .await
            .expect("the waiter woke")
            .unwrap();
        assert_eq!(halt.reason(), Some("first"));
        // Waiting after the fire returns at once.
        halt.wait().await;
    }
}
