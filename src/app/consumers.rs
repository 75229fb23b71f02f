//! Starting consumers: one per stream, each with its handle on the store. `consume` and the
//! in-process pipeline of `run` start them here, the one place that knows how.

use super::pipeline_error::PipelineError;
use crate::consumer::{Running, StoreHandles};
use crate::queue::Queue;
use crate::record::StreamKind;
use crate::store::{Store, StoreError, StoreLocation};
use crate::support::backoff::Backoff;
use crate::support::chain::Chain;
use crate::support::shutdown::Shutdown;

/// How a consumer's store is opened when another process holds its lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Wait, with backoff, until it is free or shutdown (`consume`, a long-running stage).
    Patient,
    /// Fail at once (`run`, which made the store and expects it free).
    Once,
}

/// Starts a consumer of each of `kinds` from `queue` into `db`; `None` if shutdown came while
/// waiting for the store.
pub async fn start<Q: Queue>(
    db: &StoreLocation,
    queue: &Q,
    kinds: &[StreamKind],
    opening: Opening,
    shutdown: &Shutdown,
) -> Result<Option<Vec<Running>>, PipelineError> {
    // Every store is opened before any consumer starts: a consumer already storing while
    // the next store is still opening would leave a process that stores one stream and
    // then exits if the database goes away in between.
    let mut stores = StoreHandles::new(db);
    let mut opened = Vec::new();
    for &kind in kinds {
        let store = match stores
            .next(|| async {
                match opening {
                    Opening::Patient => open_patiently(db, shutdown).await,
                    Opening::Once => db.open_async().await.map(Some),
                }
            })
            .await
        {
            Ok(Some(store)) => store,
            gave_up => {
                // Off the runtime: PostgreSQL's client blocks when dropped.
                let _ = tokio::task::spawn_blocking(move || drop(opened)).await;
                return gave_up.map(|_| None).map_err(PipelineError::from);
            }
        };
        opened.push((kind, store));
    }
    let mut running = Vec::new();
    for (kind, store) in opened {
        running.push(crate::consumer::spawn(queue, kind, store, shutdown.clone()).await?);
    }
    Ok(Some(running))
}

/// Opens the store, waiting (with backoff, until shutdown) while another process holds its
/// lock; `None` if shutdown came first.
async fn open_patiently(
    db: &StoreLocation,
    shutdown: &Shutdown,
) -> Result<Option<Box<dyn Store + Send>>, StoreError> {
    let mut backoff = Backoff::default();
    loop {
        match db.open_async().await {
            Ok(store) => return Ok(Some(store)),
            Err(e @ StoreError::Busy(_)) => {
                tracing::warn!(error = %Chain(&e), "waiting for the store");
                if !backoff.wait(shutdown).await {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e),
        }
    }
}
