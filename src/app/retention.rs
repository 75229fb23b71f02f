//! Pruning on a schedule (`--prune-raw-older-than` on `consume` and `run --follow`): the
//! long-running writers of a store retire its old raw readings themselves, as `millrace
//! prune` does, at start and then every period.

use crate::store::{StoreError, StoreLocation};
use crate::support::chain::Chain;
use crate::support::shutdown::Shutdown;
use std::time::Duration;

/// How much raw history to keep, and how often to prune.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pruning {
    /// Raw readings this many seconds older than the newest are deleted.
    pub age: i64,
    /// Seconds between prunes.
    pub every: i64,
}

/// Prunes `db` now and then every `pruning.every` until `shutdown`, on a task of its own.
/// A prune that fails is logged and tried again next time; one that finds another process
/// pruning leaves it to that one.
pub fn spawn(db: StoreLocation, pruning: Pruning, shutdown: Shutdown) {
    tokio::spawn(async move {
        loop {
            let location = db.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                let mut store = location.open()?;
                store.prune_raw(pruning.age, &mut |_| {})
            })
            .await;
            match outcome {
                Ok(Ok(pruned)) => tracing::info!(
                    deleted = pruned.deleted,
                    raw_from = ?pruned.raw_from.map(crate::support::timefmt::iso8601),
                    "pruned raw readings (their rollups kept)"
                ),
                Ok(Err(StoreError::Pruning)) => {
                    tracing::info!("another process is pruning the store; leaving it to that one")
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %Chain(&e), "cannot prune the store; trying again at the next period")
                }
                Err(e) => tracing::warn!(error = %e, "the prune stopped"),
            }
            tokio::select! {
                () = shutdown.wait() => return,
                () = tokio::time::sleep(Duration::from_secs(pruning.every as u64)) => {}
            }
        }
    });
}
