//! `millrace run` without `--follow`: the pipeline in one process, the data files streamed
//! through it once, and then stopped, with what each stream did.

use super::files::Files;
use super::pipeline::Pipeline;
use super::pipeline_error::PipelineError;
use super::summary::{RunSummary, StreamTotals};
use crate::consumer::ConsumerStats;
use crate::queue::Queue;
use crate::record::StreamKind;
use crate::sender::send_files;
use crate::store::StoreLocation;
use crate::support::shutdown::{self, Shutdown};
use crate::webhook::WebhookConfig;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Runs the pipeline over `files.data` into `db` on `queue`, then stops.
pub async fn run_once<Q: Queue>(
    db: StoreLocation,
    queue: Q,
    webhook: WebhookConfig,
    files: &Files,
    shutdown: Shutdown,
) -> Result<RunSummary, PipelineError> {
    let started = Instant::now();
    super::held::tell(&db, &files.data, false).await?;
    let pipeline = Pipeline::start(&db, queue, webhook, "127.0.0.1:0").await?;
    let streamed = send_files(files.to(&pipeline), shutdown.clone()).await;
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
pub(super) async fn totals(
    db: &StoreLocation,
    stopped: Vec<(StreamKind, Arc<ConsumerStats>)>,
    sent: &crate::sender::SenderSummary,
) -> Result<Vec<StreamTotals>, PipelineError> {
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
