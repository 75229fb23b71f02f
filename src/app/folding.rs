//! Folding stored readings into the rollups (see `store::rollup`), by the processes that
//! write the store for long: `consume` and `run --follow`, every second on a task of their
//! own. Folding takes its turn at the store's write lock like any write, off the consumers'
//! path. A one-off `run` folds nothing: what needs the rollups (a prune, the report on a
//! pruned store) folds what is pending first.

use crate::store::{Store, StoreError, StoreLocation, rollup};
use crate::support::chain::Chain;
use crate::support::shutdown::Shutdown;
use std::time::Duration;

/// How often a long-running writer folds what was stored since.
const EVERY: Duration = Duration::from_secs(1);

/// Folds every [`EVERY`] until `shutdown`, then once more; a failure is logged and tried
/// again next time (the readings stay stored and unfolded meanwhile).
pub fn spawn(db: StoreLocation, shutdown: Shutdown) {
    tokio::spawn(async move {
        let mut store: Option<Box<dyn Store + Send>> = None;
        loop {
            let stopping = shutdown.is_triggered();
            let (location, held) = (db.clone(), store.take());
            let outcome = tokio::task::spawn_blocking(move || {
                let mut store = match held {
                    Some(store) => store,
                    None => location.open()?,
                };
                let folded = rollup::fold_all(&mut store);
                Ok::<_, StoreError>((store, folded))
            })
            .await;
            match outcome {
                Ok(Ok((kept, Ok(_)))) => store = Some(kept),
                Ok(Ok((kept, Err(e)))) => {
                    tracing::warn!(error = %Chain(&e), "cannot fold readings into the rollups; trying again");
                    store = Some(kept);
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %Chain(&e), "cannot open the store to fold rollups; trying again")
                }
                Err(e) => tracing::warn!(error = %e, "folding rollups stopped"),
            }
            if stopping {
                // Off the runtime: PostgreSQL's client blocks when dropped.
                let _ = tokio::task::spawn_blocking(move || drop(store)).await;
                return;
            }
            tokio::select! {
                () = shutdown.wait() => {}
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    });
}
