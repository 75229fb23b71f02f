//! What a consumer has done lately, logged every few seconds while it works, so that an
//! operator watching `consume` sees it progress (and how fast) without a metrics scraper;
//! silent while there is nothing to do.

use super::ConsumerStats;
use crate::record::StreamKind;
use crate::shutdown::Shutdown;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How often progress is logged.
pub const EVERY: Duration = Duration::from_secs(5);

/// The counters at one moment, to subtract from the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    stored: u64,
    duplicates: u64,
    dead_letters: u64,
}

impl Totals {
    fn of(stats: &ConsumerStats) -> Self {
        Totals {
            stored: stats.inserted.load(Ordering::Relaxed),
            duplicates: stats.duplicates.load(Ordering::Relaxed),
            dead_letters: stats.dead_letters.load(Ordering::Relaxed),
        }
    }

    fn since(self, before: Totals) -> Totals {
        Totals {
            stored: self.stored - before.stored,
            duplicates: self.duplicates - before.duplicates,
            dead_letters: self.dead_letters - before.dead_letters,
        }
    }
}

/// Logs, every [`EVERY`] until `shutdown`, what the consumer of `stream` did in that time,
/// when it did anything. (Its totals are logged when it stops; see [`super::consume`].)
pub fn spawn(stream: StreamKind, stats: Arc<ConsumerStats>, shutdown: Shutdown) {
    tokio::spawn(async move {
        let mut before = Totals::of(&stats);
        let mut since = Instant::now();
        loop {
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                () = shutdown.wait() => return,
            }
            let now = Totals::of(&stats);
            let done = now.since(before);
            if done != Totals::default() {
                let seconds = since.elapsed().as_secs_f64();
                let rate = (done.stored + done.duplicates) as f64 / seconds;
                tracing::info!(
                    %stream,
                    stored = done.stored,
                    duplicates = done.duplicates,
                    dead_letters = done.dead_letters,
                    records_per_second = rate.round(),
                    "consumer progress"
                );
            }
            (before, since) = (now, Instant::now());
        }
    });
}
