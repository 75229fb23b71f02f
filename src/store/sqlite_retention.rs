//! Retention in the SQLite store (see [`super::retention`]): where raw readings begin, and
//! the prune, one at a time per file under an OS lock beside it.

use super::retention::{self, BATCH, Pruned};
use crate::support::sqlite_file::WriteGate;
use fs4::FileExt;
use rusqlite::{Connection, TransactionBehavior, params};
use std::path::{Path, PathBuf};

/// The lock file that lets one prune run at a time: `<store>.prune-lock`.
fn lock_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".prune-lock");
    PathBuf::from(name)
}

/// Why a prune could not start or finish.
pub enum PruneError {
    /// Another process holds the prune lock.
    Running,
    /// The lock file could not be made.
    Lock(std::io::Error),
    /// A statement failed.
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for PruneError {
    fn from(e: rusqlite::Error) -> Self {
        PruneError::Sqlite(e)
    }
}

/// Folds every reading stored so far, each batch its own turn at the write lock; returns the
/// cursor it reached.
fn fold_everything(conn: &mut Connection, gate: &WriteGate) -> rusqlite::Result<i64> {
    loop {
        let _turn = gate.turn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = super::sqlite_rollup::fold(&tx, super::rollup::FOLD_BATCH)?;
        let to: i64 = tx.query_row(
            "SELECT coalesce((SELECT value FROM meta WHERE key = 'rolled_seq'), 0)",
            [],
            |r| r.get(0),
        )?;
        tx.commit()?;
        if n < super::rollup::FOLD_BATCH {
            return Ok(to);
        }
    }
}

/// Prunes raw readings more than `age` seconds older than the newest (see
/// [`super::Store::prune_raw`]); `gate` is the store's write gate, taken per transaction.
pub fn prune(
    conn: &mut Connection,
    store: &Path,
    gate: &WriteGate,
    age: i64,
    progress: &mut dyn FnMut(u64),
) -> Result<Pruned, PruneError> {
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path(store))
        .map_err(PruneError::Lock)?;
    // Called through the trait: std's own `File::try_lock` is newer than the crate's
    // minimum Rust.
    match FileExt::try_lock(&lock) {
        Ok(()) => {}
        Err(fs4::TryLockError::WouldBlock) => return Err(PruneError::Running),
        Err(fs4::TryLockError::Error(e)) => return Err(PruneError::Lock(e)),
    }
    // Everything stored is folded first: only folded readings are deleted.
    let folded_to = fold_everything(conn, gate)?;
    // The rollups hold every reading, and are much smaller to search for the newest.
    let newest: Option<i64> = conn.query_row(
        "SELECT MAX(start + coalesce(last_at, first_at)) FROM rollups",
        [],
        |r| r.get(0),
    )?;
    let Some(newest) = newest else {
        return Ok(Pruned::default());
    };
    let raw_from = {
        let _turn = gate.turn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = super::sqlite_rollup::raw_from(&tx)?;
        let raw_from = before
            .unwrap_or(i64::MIN)
            .max(retention::cutoff(newest, age));
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('raw_from', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [raw_from],
        )?;
        tx.commit()?;
        raw_from
    };
    let ids: Vec<i64> = conn
        .prepare("SELECT DISTINCT id FROM rollups WHERE start < ?1")?
        .query_map([raw_from], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut deleted = 0u64;
    for id in ids {
        loop {
            let n = {
                let _turn = gate.turn();
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                // The newest row is never deleted, so that `seq` (the rowid) is never handed
                // out again: the live analysis reads new rows by it.
                let n = tx.execute(
                    "DELETE FROM metrics WHERE seq IN (
                         SELECT seq FROM metrics WHERE id = ?1 AND time < ?2
                             AND seq < (SELECT max(seq) FROM metrics) AND seq <= ?4
                         LIMIT ?3)",
                    params![id, raw_from, BATCH, folded_to],
                )?;
                tx.commit()?;
                n as u64
            };
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
