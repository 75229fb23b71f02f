//! `millrace run`: the whole pipeline in one process — webhook, embedded queue, consumers
//! and SQLite — with the streamer sending the data through it over real HTTP, exactly as the
//! separate processes would.

mod follow;
mod held;

pub use follow::{Live, follow};

use crate::consumer::{ConsumerStats, Running};
use crate::queue::Queue;
use crate::record::StreamKind;
use crate::sender::{SenderConfig, send_files};
use crate::store::StoreLocation;
use crate::support::shutdown::{self, Shutdown, Trigger};
use crate::webhook::{AppState, WebhookConfig, serve};
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How long [`Pipeline::drain`] waits before it says what it waits for, and again after.
const TELL_WAIT_AFTER: Duration = Duration::from_secs(5);

/// A running webhook with its consumers, all in this process.
pub struct Pipeline<Q: Queue> {
    /// Where the webhook listens.
    pub addr: SocketAddr,
    queue: Q,
    consumers: Vec<Running>,
    server: JoinHandle<std::io::Result<()>>,
    trigger: Trigger,
}

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

impl<Q: Queue> Pipeline<Q> {
    /// Starts the webhook on `listen` (port 0 picks a free one) and one consumer per stream.
    pub async fn start(
        db: &StoreLocation,
        queue: Q,
        webhook: WebhookConfig,
        listen: &str,
    ) -> anyhow::Result<Pipeline<Q>> {
        let (trigger, stop) = shutdown::channel();
        let mut consumers = Vec::new();
        let mut stores = crate::consumer::StoreHandles::new(db);
        for kind in StreamKind::ALL {
            let opened = stores.next(|| async { db.open_async().await.map(Some) });
            let store = opened.await?.context("the store did not open")?;
            consumers.push(crate::consumer::spawn(&queue, kind, store, stop.clone()).await?);
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let state = AppState {
            queue: queue.clone(),
            config: webhook,
        };
        let server = tokio::spawn(serve(listener, state, stop));
        Ok(Pipeline {
            addr,
            queue,
            consumers,
            server,
            trigger,
        })
    }

    /// Waits until the consumers settled (stored or set aside) at least `sent` records of
    /// each stream and nothing is left in the queue or in their hands, or until `shutdown`.
    ///
    /// Both conditions matter: RabbitMQ does not count messages already handed to a
    /// consumer, and a queue may hold messages from before this run.
    pub async fn drain(
        &self,
        sent: &[(StreamKind, u64)],
        shutdown: &Shutdown,
    ) -> anyhow::Result<()> {
        let mut tell_at = Instant::now() + TELL_WAIT_AFTER;
        loop {
            if Instant::now() >= tell_at {
                self.tell_wait(sent).await?;
                tell_at = Instant::now() + TELL_WAIT_AFTER;
            }
            let mut done = true;
            for Running { kind, stats, task } in &self.consumers {
                // A consumer that stopped early met a fault no retry heals: `stop` says which.
                if task.is_finished() {
                    return Ok(());
                }
                let want = sent.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n);
                // The counters first: asking the queue costs a query, so it is asked only
                // once they say the stream may be done, and polling can be quick.
                done = done
                    && stats.settled.load(Ordering::Relaxed) >= want
                    && stats.in_hand.load(Ordering::Relaxed) == 0
                    && self.queue.pending(*kind).await? == 0;
            }
            if done || shutdown.is_triggered() {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                _ = shutdown.wait() => {}
            }
        }
    }

    /// Says what [`Pipeline::drain`] is waiting for, so that a run is never silent.
    async fn tell_wait(&self, sent: &[(StreamKind, u64)]) -> anyhow::Result<()> {
        let mut left = Vec::new();
        for Running { kind, stats, .. } in &self.consumers {
            let want = sent.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n);
            let settled = stats.settled.load(Ordering::Relaxed);
            let queued = self.queue.pending(*kind).await?;
            left.push(format!(
                "{kind} {settled} of {want} records settled, {queued} messages queued"
            ));
        }
        tracing::info!(
            "waiting for the consumers to store what was sent: {} (Ctrl-C stops; what is queued stays for the next run)",
            left.join("; ")
        );
        Ok(())
    }

    /// Stops the webhook and the consumers after the work in hand.
    pub async fn stop(self) -> anyhow::Result<Vec<(StreamKind, Arc<ConsumerStats>)>> {
        self.trigger.fire();
        self.server.await??;
        let mut out = Vec::new();
        for Running { kind, stats, task } in self.consumers {
            task.await??;
            out.push((kind, stats));
        }
        Ok(out)
    }
}

/// Runs the pipeline over `stream_config.data` into `db` on `queue`, then stops.
pub async fn run<Q: Queue>(
    db: StoreLocation,
    queue: Q,
    webhook: WebhookConfig,
    mut stream_config: SenderConfig,
    shutdown: Shutdown,
) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    held::tell(&db, &stream_config.data, false).await?;
    let pipeline = Pipeline::start(&db, queue, webhook, "127.0.0.1:0").await?;
    stream_config.webhook = format!("http://{}", pipeline.addr);
    let streamed = send_files(stream_config, shutdown.clone()).await;
    let sent_so_far = streamed
        .as_ref()
        .map(|s| s.sent.clone())
        .unwrap_or_default();
    let drained = pipeline.drain(&sent_so_far, &shutdown).await;
    let stored_after = started.elapsed();
    let stopped = pipeline.stop().await?;
    let sent = streamed?;
    drained?;
    let streams = totals(&db, stopped, &sent).await?;
    let interrupted = shutdown
        .is_triggered()
        .then(|| shutdown::received().unwrap_or(shutdown::Signal::Interrupt));
    Ok(RunSummary {
        streams,
        elapsed: started.elapsed(),
        stored_after,
        interrupted,
    })
}

/// Each stream's totals, from what its consumer counted, what the streamer sent and what
/// the store in `db` holds now.
async fn totals(
    db: &StoreLocation,
    stopped: Vec<(StreamKind, Arc<ConsumerStats>)>,
    sent: &crate::sender::SenderSummary,
) -> anyhow::Result<Vec<StreamTotals>> {
    let location = db.clone();
    let stored = tokio::task::spawn_blocking(
        move || -> Result<Vec<(StreamKind, u64)>, crate::store::StoreError> {
            let mut store = location.open()?;
            StreamKind::ALL
                .into_iter()
                .map(|kind| Ok((kind, store.count(kind)?)))
                .collect()
        },
    )
    .await??;
    let of = |list: &[(StreamKind, u64)], kind| {
        list.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n)
    };
    let mut streams = Vec::new();
    for (kind, stats) in stopped {
        let inserted = stats.inserted.load(Ordering::Relaxed);
        let duplicates = stats.duplicates.load(Ordering::Relaxed);
        let settled = stats.settled.load(Ordering::Relaxed);
        streams.push(StreamTotals {
            stream: kind,
            sent: of(&sent.sent, kind),
            inserted,
            duplicates,
            stored: of(&stored, kind),
            dead_letters: stats.dead_letters.load(Ordering::Relaxed),
            dead_records: settled.saturating_sub(inserted + duplicates),
            unsent: of(&sent.unsent, kind),
        });
    }
    Ok(streams)
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
