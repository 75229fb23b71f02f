//! What a consumer has done lately, logged every few seconds while it works, so that an
//! operator watching `consume` sees it progress (and how fast) without a metrics scraper;
//! silent while there is nothing to do.
//!
//! How fast is measured over the time the work took (`busy_seconds`), not over the period:
//! 6,910 records stored in 0.03 s of a 5 s period are not "1382 records per second". Over
//! less than [`RATE_OVER`] of work a rate is noise, and only the time is given.

use super::ConsumerStats;
use crate::record::StreamKind;
use crate::support::shutdown::Shutdown;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How often progress is logged.
pub const EVERY: Duration = Duration::from_secs(5);

/// The least time spent working over which a rate is given.
pub const RATE_OVER: Duration = Duration::from_secs(1);

/// The counters at one moment, to subtract from the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    stored: u64,
    duplicates: u64,
    dead_letters: u64,
    busy_micros: u64,
}

impl Totals {
    fn of(stats: &ConsumerStats) -> Self {
        Totals {
            stored: stats.inserted.load(Ordering::Relaxed),
            duplicates: stats.duplicates.load(Ordering::Relaxed),
            dead_letters: stats.dead_letters.load(Ordering::Relaxed),
            busy_micros: stats.busy_micros.load(Ordering::Relaxed),
        }
    }

    fn since(self, before: Totals) -> Totals {
        Totals {
            stored: self.stored - before.stored,
            duplicates: self.duplicates - before.duplicates,
            dead_letters: self.dead_letters - before.dead_letters,
            busy_micros: self.busy_micros - before.busy_micros,
        }
    }

    /// Records settled per second of work, when there was enough work to tell.
    fn rate(self) -> Option<u64> {
        let busy = Duration::from_micros(self.busy_micros);
        let records = (self.stored + self.duplicates) as f64;
        (busy >= RATE_OVER).then(|| (records / busy.as_secs_f64()).round() as u64)
    }
}

/// Logs, every [`EVERY`] until `shutdown`, what the consumer of `stream` did in that time,
/// when it did anything. (Its totals are logged when it stops; see [`super::consume`].)
pub fn spawn(stream: StreamKind, stats: Arc<ConsumerStats>, shutdown: Shutdown) {
    tokio::spawn(async move {
        let mut before = Totals::of(&stats);
        loop {
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                () = shutdown.wait() => return,
            }
            let now = Totals::of(&stats);
            let done = now.since(before);
            if done != Totals::default() {
                // In hundredths: more digits would claim a precision the clock does not give.
                let busy = Duration::from_micros(done.busy_micros).as_secs_f64();
                let busy_seconds = (busy * 100.0).round() / 100.0;
                match done.rate() {
                    Some(rate) => tracing::info!(
                        %stream,
                        stored = done.stored,
                        duplicates = done.duplicates,
                        dead_letters = done.dead_letters,
                        busy_seconds,
                        records_per_second = rate,
                        "consumer progress"
                    ),
                    None => tracing::info!(
                        %stream,
                        stored = done.stored,
                        duplicates = done.duplicates,
                        dead_letters = done.dead_letters,
                        busy_seconds,
                        "consumer progress"
                    ),
                }
            }
            before = now;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Log lines written through it are kept, to be read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<String> {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            text.lines().map(str::to_string).collect()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn progress_is_logged_for_each_busy_period_and_nothing_while_idle() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let stats = Arc::new(ConsumerStats::default());
        let (trigger, shutdown) = crate::support::shutdown::channel();
        spawn(StreamKind::Metrics, stats.clone(), shutdown);
        let period = EVERY + Duration::from_millis(1);

        tokio::time::sleep(period).await;
        assert!(captured.lines().is_empty(), "idle: {:?}", captured.lines());

        // 6,910 records in 0.03 s of work: the time, and no rate.
        stats.inserted.fetch_add(6_900, Ordering::Relaxed);
        stats.duplicates.fetch_add(10, Ordering::Relaxed);
        stats.dead_letters.fetch_add(1, Ordering::Relaxed);
        stats.busy_micros.fetch_add(30_000, Ordering::Relaxed);
        tokio::time::sleep(period).await;
        let lines = captured.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].contains("consumer progress")
                && lines[0].contains("stream=metrics")
                && lines[0].contains("stored=6900")
                && lines[0].contains("duplicates=10")
                && lines[0].contains("dead_letters=1")
                && lines[0].ends_with("busy_seconds=0.03"),
            "{lines:?}"
        );

        // 125 records in 2.5 s of work: 50 a second.
        stats.inserted.fetch_add(100, Ordering::Relaxed);
        stats.duplicates.fetch_add(25, Ordering::Relaxed);
        stats.busy_micros.fetch_add(2_500_000, Ordering::Relaxed);
        tokio::time::sleep(period).await;
        let lines = captured.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[1].contains("stored=100")
                && lines[1].contains("busy_seconds=2.5 ")
                && lines[1].ends_with("records_per_second=50"),
            "{lines:?}"
        );

        tokio::time::sleep(period).await;
        assert_eq!(
            captured.lines().len(),
            2,
            "idle again: {:?}",
            captured.lines()
        );
        trigger.fire();
    }
}
