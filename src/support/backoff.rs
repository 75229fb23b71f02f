//! The one pace at which millrace retries anything that failed and may heal: the streamer
//! resending to a webhook that is away, the publisher reconnecting to RabbitMQ, a consumer
//! fetching from a queue or writing to a store that fails, a command waiting for a store
//! another process holds. Each waits a little longer after every failure, up to a ceiling,
//! and starts again from the shortest wait after a success; every wait ends early on
//! shutdown, so Ctrl-C is never stuck behind a retry.

use crate::support::shutdown::Shutdown;
use std::time::Duration;

/// The first wait after a failure: short, as most failures are blips.
pub const FIRST: Duration = Duration::from_millis(100);
/// The longest wait between tries: a healed service is noticed within this.
pub const MAX: Duration = Duration::from_secs(5);

/// Waits that double after each failure, from [`FIRST`] up to [`MAX`].
#[derive(Clone, Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST }
    }
}

impl Backoff {
    /// The wait before the next try; each call doubles the one after, up to [`MAX`].
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(MAX);
        delay
    }

    /// After a success: the next failure waits [`FIRST`] again.
    pub fn reset(&mut self) {
        self.next = FIRST;
    }

    /// Waits the next delay, or until shutdown; `false` when shutdown came first.
    pub async fn wait(&mut self, shutdown: &Shutdown) -> bool {
        let delay = self.next_delay();
        self.wait_for(delay, shutdown).await
    }

    /// Waits `delay` (a server's Retry-After, say) instead of the next delay, or until
    /// shutdown; `false` when shutdown came first.
    pub async fn wait_for(&self, delay: Duration, shutdown: &Shutdown) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(delay) => !shutdown.is_triggered(),
            _ = shutdown.wait() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_ceiling_and_start_over_after_a_success() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..8)
            .map(|_| backoff.next_delay().as_millis() as u64)
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), FIRST);
    }

    #[tokio::test]
    async fn shutdown_ends_a_wait_at_once() {
        let (trigger, shutdown) = crate::support::shutdown::channel();
        let backoff = Backoff::default();
        trigger.fire();
        let started = std::time::Instant::now();
        assert!(!backoff.wait_for(Duration::from_secs(60), &shutdown).await);
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
