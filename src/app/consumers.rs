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
    let mut running = Vec::new();
    let mut stores = StoreHandles::new(db);
    for &kind in kinds {
        let opened = stores
            .next(|| async {
                match opening {
                    Opening::Patient => open_patiently(db, shutdown).await,
                    Opening::Once => db.open_async().await.map(Some),
                }
            })
            .await?;
        let Some(store) = opened else {
            return Ok(None);
        };
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
