//! `millrace rollup --rebuild`: makes the store's rollups again from its readings, under the
//! store's write lock (consumers wait, then go on), showing progress as it goes.

use super::usage::UsageError;
use crate::store::StoreLocation;

/// `millrace rollup`, resolved.
pub struct RollupJob {
    /// The store whose rollups to rebuild.
    pub db: StoreLocation,
}

/// Rebuilds the rollups and says how many readings they were made from.
pub async fn rebuild(job: RollupJob) -> anyhow::Result<()> {
    if !job.db.exists() {
        return Err(UsageError::new(format!(
            "there is no database at {}: nothing to roll up; point --db at the store to rebuild",
            job.db
        ))
        .into());
    }
    let location = job.db.clone();
    let started = std::time::Instant::now();
    let (folded, status) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut store = location.open()?;
        eprintln!("rebuilding the rollups of {location} (writers wait until it is done)");
        let folded = store.rebuild_rollups(&mut |done| {
            eprintln!("  {done} readings folded");
        })?;
        Ok((folded, store.rollup_status()?))
    })
    .await??;
    let buckets = status.map_or(0, |s| s.buckets);
    println!(
        "rollups rebuilt: {buckets} one-minute buckets from {folded} readings in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
