//! `millrace prune --raw-older-than AGE`: retires raw readings older than AGE before the
//! newest one, keeping their rollups, in batches that let ingest go on; one prune at a time.

use super::usage::UsageError;
use crate::store::StoreLocation;
use crate::support::timefmt::iso8601;

/// `millrace prune`, resolved.
pub struct PruneJob {
    /// The store to prune.
    pub db: StoreLocation,
    /// Raw readings this many seconds older than the newest are deleted.
    pub age: i64,
}

/// Prunes and says what it did.
pub async fn prune(job: PruneJob) -> anyhow::Result<()> {
    if !job.db.exists() {
        return Err(UsageError::new(format!(
            "there is no database at {}: nothing to prune; point --db at the store",
            job.db
        ))
        .into());
    }
    let (location, age) = (job.db.clone(), job.age);
    let started = std::time::Instant::now();
    let pruned = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut store = location.open()?;
        Ok(store.prune_raw(age, &mut |deleted| {
            eprintln!("  {deleted} raw readings deleted");
        })?)
    })
    .await??;
    match pruned.raw_from {
        Some(from) => println!(
            "pruned {} raw readings in {:.1} s: raw readings now begin at {}; the rollups keep everything before",
            pruned.deleted,
            started.elapsed().as_secs_f64(),
            iso8601(from)
        ),
        None => println!("nothing to prune: the store holds no readings"),
    }
    Ok(())
}
