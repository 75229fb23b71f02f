//! Progress of a stream run: a bar on a terminal, periodic log lines otherwise.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Progress display shared by the streams of one run (clones share the bars).
#[derive(Clone)]
pub struct Progress {
    bars: Option<MultiProgress>,
}

/// Progress of one file.
pub struct FileProgress {
    bar: Option<ProgressBar>,
    label: String,
    records: u64,
    started: Instant,
    last_log: Instant,
}

const LOG_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// Bars when stderr is a terminal and `enabled`, log lines otherwise (always with JSON
    /// logs, whose every line must parse).
    pub fn new(enabled: bool) -> Self {
        let text_logs =
            crate::support::telemetry::format() == crate::support::telemetry::LogFormat::Text;
        let bars = (enabled && text_logs && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { bars }
    }

    /// Runs `f` (which logs, say) with the bars taken off the terminal, then draws them
    /// again: a line written meanwhile would otherwise be drawn over.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bars {
            Some(bars) => bars.suspend(f),
            None => f(),
        }
    }

    /// Tracks one file of `total` bytes, of which `done` were sent before.
    pub fn file(&self, label: &str, total: u64, done: u64) -> FileProgress {
        let bar = self.bars.as_ref().map(|bars| {
            let bar = bars.add(ProgressBar::new(total));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>10} [{bar:30}] {percent:>3}% {msg} ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar.set_position(done);
            bar
        });
        FileProgress {
            bar,
            label: label.to_string(),
            records: 0,
            started: Instant::now(),
            last_log: Instant::now(),
        }
    }
}

impl FileProgress {
    /// Notes a delivered batch; `position` is the file position reached.
    pub fn advance(&mut self, records: u64, position: u64) {
        self.records += records;
        let rate = self.rate();
        match &self.bar {
            Some(bar) => {
                bar.set_position(position);
                bar.set_message(format!("{} records, {rate:.0}/s", self.records));
            }
            None if self.last_log.elapsed() >= LOG_EVERY => {
                self.last_log = Instant::now();
                tracing::info!(stream = %self.label, records = self.records, rate = format!("{rate:.0}/s"), "streaming");
            }
            None => {}
        }
    }

    /// Leaves the progress bar at its final state, once the file is done.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }

    fn rate(&self) -> f64 {
        self.records as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }
}
