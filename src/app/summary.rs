//! What a run did, per stream, in lines whose counts add up.

use crate::record::StreamKind;
use crate::support::shutdown;
use std::time::Duration;

/// Per-stream totals of a run.
#[derive(Clone, Debug)]
pub struct StreamTotals {
    /// The stream these totals are for.
    pub stream: StreamKind,
    /// Records the streamer delivered to the webhook.
    pub sent: u64,
    /// Records newly stored by this run.
    pub inserted: u64,
    /// Records skipped because the store already held them.
    pub duplicates: u64,
    /// Records the store holds in all.
    pub stored: u64,
    /// Messages this run set aside as dead letters.
    pub dead_letters: u64,
    /// Records in those dead letters.
    pub dead_records: u64,
    /// Records the data files still hold that were not sent: none unless interrupted.
    pub unsent: u64,
}

impl StreamTotals {
    /// Records the consumers settled: stored, already held, or set aside.
    fn settled(&self) -> u64 {
        self.inserted + self.duplicates + self.dead_records
    }

    /// Records settled beyond those sent: an earlier run left them in the durable queue,
    /// and this run's consumers stored them too.
    pub fn from_earlier(&self) -> u64 {
        self.settled().saturating_sub(self.sent)
    }

    /// Records sent but not settled when the run stopped: an interrupted run leaves them in
    /// the durable queue, and the next run stores them.
    pub fn still_queued(&self) -> u64 {
        self.sent.saturating_sub(self.settled())
    }
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// Totals per stream.
    pub streams: Vec<StreamTotals>,
    /// How long the run took.
    pub elapsed: Duration,
    /// From the start to the moment every record sent was seen committed (or set aside):
    /// the pipeline's own time, without stopping its stages and counting the store.
    pub stored_after: Duration,
    /// The signal that stopped the run before its end, if one did.
    pub interrupted: Option<shutdown::Signal>,
}

impl RunSummary {
    /// Messages this run set aside as dead letters, over both streams.
    pub fn dead_letters(&self) -> u64 {
        self.streams.iter().map(|s| s.dead_letters).sum()
    }
}

impl std::fmt::Display for RunSummary {
    /// One line per stream whose counts add up: sent, plus what an earlier run had left
    /// queued, is what was stored, already held, set aside, and still queued.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.stored_after.as_secs_f64();
        match self.interrupted {
            Some(signal) => writeln!(
                f,
                "millrace run interrupted by {} after {:.2} s: no report written, as it would cover part of the data",
                signal.name(),
                self.elapsed.as_secs_f64()
            )?,
            None => writeln!(
                f,
                "millrace run finished in {:.2} s (the last record committed at {secs:.2} s)",
                self.elapsed.as_secs_f64()
            )?,
        }
        let mut sent_total = 0;
        for s in &self.streams {
            sent_total += s.sent;
            writeln!(f, "{s}")?;
        }
        if self.interrupted.is_some() {
            let left = |count: fn(&StreamTotals) -> u64| {
                let each: Vec<String> = self
                    .streams
                    .iter()
                    .map(|s| format!("{} {}", count(s), s.stream.name()))
                    .collect();
                each.join(" and ")
            };
            writeln!(
                f,
                "  unsent: {} records; still queued: {}. `millrace run` again sends and stores them, then writes the report",
                left(|s| s.unsent),
                left(StreamTotals::still_queued)
            )?;
        }
        write!(
            f,
            "  rate      {:>10.0} records/s end to end, start to last commit",
            sent_total as f64 / secs.max(1e-9)
        )
    }
}

impl std::fmt::Display for StreamTotals {
    /// The stream's line of a summary.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "  {:<9} {:>10} sent  {:>10} stored  {:>8} already held  {:>10} in store{}",
            self.stream.name(),
            self.sent,
            self.inserted,
            self.duplicates,
            self.stored,
            extras(self)
        )
    }
}

/// The counts of a stream's line that are not always there: dead letters, records from an
/// earlier run, records still queued and records not sent.
fn extras(s: &StreamTotals) -> String {
    let mut out = String::new();
    if s.dead_letters > 0 {
        out += &format!(
            "  {} ({} records)",
            crate::queue::counted_dead_letters(s.dead_letters),
            s.dead_records
        );
    }
    if s.from_earlier() > 0 {
        out += &format!(
            "  ({} of them left queued by an earlier run)",
            s.from_earlier()
        );
    }
    if s.still_queued() > 0 {
        out += &format!("  {} still queued", s.still_queued());
    }
    if s.unsent > 0 {
        out += &format!("  {} unsent", s.unsent);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(sent: u64, inserted: u64, duplicates: u64, dead_records: u64) -> StreamTotals {
        StreamTotals {
            stream: StreamKind::Metrics,
            sent,
            inserted,
            duplicates,
            stored: inserted,
            dead_letters: u64::from(dead_records > 0),
            dead_records,
            unsent: 0,
        }
    }

    #[test]
    fn a_line_adds_up_whatever_the_queue_held() {
        // Two runs on one queue once printed "27709 sent, 27709 stored, 5000 already held".
        let earlier = totals(27_709, 27_709, 5_000, 0);
        assert_eq!(earlier.from_earlier(), 5_000);
        assert!(
            earlier
                .to_string()
                .contains("5000 of them left queued by an earlier run")
        );
        let cut_short = totals(1_000, 600, 0, 100);
        assert_eq!(cut_short.still_queued(), 300);
        let line = cut_short.to_string();
        assert!(
            line.contains("(100 records)") && line.contains("300 still queued"),
            "{line}"
        );
        let whole = totals(10, 4, 6, 0).to_string();
        assert!(!whole.contains("queued"), "{whole}");
    }
}
