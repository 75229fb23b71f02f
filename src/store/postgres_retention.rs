//! Retention in the PostgreSQL store (see [`super::retention`]): where raw readings begin,
//! and the prune, one at a time across every process on the database under an advisory lock.

use super::retention::{self, BATCH, Pruned};
use postgres::Client;

/// The session-level advisory lock a prune holds from start to end.
const PRUNE_LOCK: i64 = 7_316_027_004;

/// Prunes raw readings more than `age` seconds older than the newest (see
/// [`super::Store::prune_raw`]); `None` when another process is pruning.
pub fn prune(
    client: &mut Client,
    age: i64,
    progress: &mut dyn FnMut(u64),
) -> Result<Option<Pruned>, postgres::Error> {
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&PRUNE_LOCK])?
        .try_get(0)?;
    if !locked {
        return Ok(None);
    }
    let outcome = prune_locked(client, age, progress);
    // Released whatever happened; a lost connection releases it by itself.
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&PRUNE_LOCK]);
    outcome.map(Some)
}

fn prune_locked(
    client: &mut Client,
    age: i64,
    progress: &mut dyn FnMut(u64),
) -> Result<Pruned, postgres::Error> {
    // Everything stored is folded first: only folded readings are deleted.
    let folded_to = loop {
        let mut tx = client.transaction()?;
        let n = super::postgres_rollup::fold(&mut tx, super::rollup::FOLD_BATCH)?;
        let to: i64 = tx
            .query_one(
                "SELECT coalesce((SELECT value FROM millrace_meta WHERE key = 'rolled_seq'), 0)",
                &[],
            )?
            .try_get(0)?;
        tx.commit()?;
        if n < super::rollup::FOLD_BATCH {
            break to;
        }
    };
    let newest: Option<i64> = client
        .query_one("SELECT MAX(last_time) FROM rollups", &[])?
        .try_get(0)?;
    let Some(newest) = newest else {
        return Ok(Pruned::default());
    };
    let raw_from = {
        let mut tx = client.transaction()?;
        let before = super::postgres_rollup::raw_from(&mut tx)?;
        let raw_from = before
            .unwrap_or(i64::MIN)
            .max(retention::cutoff(newest, age));
        tx.execute(
            "INSERT INTO millrace_meta (key, value) VALUES ('raw_from', $1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&raw_from],
        )?;
        tx.commit()?;
        raw_from
    };
    let ids: Vec<i64> = client
        .query(
            "SELECT DISTINCT id FROM rollups WHERE start < $1",
            &[&raw_from],
        )?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut deleted = 0u64;
    for id in ids {
        loop {
            // Each batch its own transaction, found through the (id, time) index.
            let n = client.execute(
                "DELETE FROM metrics WHERE ctid IN (
                     SELECT ctid FROM metrics WHERE id = $1 AND time < $2 AND seq <= $4
                     LIMIT $3)",
                &[&id, &raw_from, &BATCH, &folded_to],
            )?;
            deleted += n;
            if n > 0 {
                progress(deleted);
                crate::support::fault::point(crate::support::fault::PRUNE_BATCH);
            }
            if n < BATCH as u64 {
                break;
            }
        }
    }
    Ok(Pruned {
        raw_from: Some(raw_from),
        deleted,
    })
}
