//! Where records end up: a trait with SQLite as the embedded default (PostgreSQL joins it
//! behind the same seam).
//!
//! Exactly-once storage rests on record identity, not on message identity: every record is
//! known by its origin (a data file, or the one message that carried it) and its position
//! there. The store keeps, per origin, the ranges of positions it already holds, in the same
//! transaction as the rows, so a batch that comes again — redelivered by the queue, resent by
//! the streamer, or overlapping an earlier one — only adds what is new.

mod location;
mod postgres;
mod postgres_retention;
mod postgres_rollup;
mod ranges;
pub mod retention;
pub mod rollup;
mod sqlite;
mod sqlite_retention;
mod sqlite_rollup;
mod sqlite_schema;

pub use location::StoreLocation;
pub use postgres::PostgresStore;
pub use ranges::{Coverage, cover};
pub use retention::Pruned;
pub use rollup::{Bucket, HistoryRow, RollupStatus};
pub use sqlite::SqliteStore;

use crate::record::{Metric, Records, StreamKind, WorkOrder};

/// A batch to store: its records and where they come from.
#[derive(Clone, Copy, Debug)]
pub struct Incoming<'a> {
    /// The origin that gives the records their identity (see [`crate::queue::Envelope::origin`]).
    pub origin: &'a str,
    /// Position of the first record within its origin.
    pub first_seq: u64,
    /// The records themselves, all of one stream.
    pub records: &'a Records,
}

/// What one write did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Records newly stored.
    pub inserted: u64,
    /// Records skipped because the store already held them.
    pub duplicates: u64,
}

impl std::ops::AddAssign for WriteStats {
    fn add_assign(&mut self, other: WriteStats) {
        self.inserted += other.inserted;
        self.duplicates += other.duplicates;
    }
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be opened or its tables set up: a folder that cannot be made, a
    /// database server that cannot be reached.
    #[error("cannot open the store {path}")]
    Open {
        /// The SQLite file or PostgreSQL URL (password hidden) that failed.
        path: String,
        /// What went wrong: the system's, SQLite's or PostgreSQL's error.
        #[source]
        source: Cause,
    },
    /// The store file was written by a newer millrace, whose tables this one could misread.
    #[error(
        "cannot open the store {path}: it was written by a newer millrace (schema {found}, this one knows {known}): upgrade millrace"
    )]
    Newer {
        /// The SQLite file.
        path: String,
        /// The schema version the file holds.
        found: i64,
        /// The newest schema version this build knows.
        known: i64,
    },
    /// Another process holds the store's lock; waiting is the cure.
    #[error("the store is locked by another process")]
    Busy(#[source] Cause),
    /// Another process is pruning the store: one prune at a time.
    #[error(
        "another millrace is pruning this store's raw readings: one prune runs at a time; let it finish"
    )]
    Pruning,
    /// Most likely passing (a lock held by another writer, a full disk being cleaned up):
    /// consumers back off and retry without acknowledging.
    #[error("the store failed")]
    Failed(#[source] Cause),
    /// The store's tables are not as millrace makes them (a column of another type, say):
    /// no retry can fix that, so whoever meets it stops and says so.
    #[error(
        "the store's tables are not as millrace makes them (column {column} of table {table}): point --db at a database that millrace created, or at an empty one"
    )]
    Broken {
        /// The table at fault.
        table: &'static str,
        /// Its column that holds another type than millrace gives it.
        column: String,
        /// The database's account of the mismatch ("cannot convert between the Rust type
        /// `f64` and the Postgres type `text`").
        #[source]
        source: Cause,
    },
}

/// The database's own error under a [`StoreError`], whichever database it is.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Persists batches, exactly once per record, each call in one transaction.
pub trait Store: Send + 'static {
    /// Stores what the store does not hold yet of all `batches`, in one transaction.
    fn write(&mut self, batches: &[Incoming<'_>]) -> Result<WriteStats, StoreError>;

    /// How many records of the stream the store holds.
    fn count(&mut self, stream: StreamKind) -> Result<u64, StoreError>;

    /// Every stored work order, in no particular order.
    fn work_orders(&mut self) -> Result<Vec<WorkOrder>, StoreError>;

    /// Hands every stored metric to `visit`, ordered by parameter and then time, without
    /// holding them all in memory; returns how many there were.
    fn scan_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<u64, StoreError>;

    /// Hands `visit` each metric stored after `after`, in no particular order (so reading
    /// them all, `after = 0`, needs no sort); returns the highest [`Seq`] read, or `after`
    /// when nothing new was stored.
    fn metrics_after(
        &mut self,
        after: Seq,
        visit: &mut dyn FnMut(Metric),
    ) -> Result<Seq, StoreError>;

    /// Each work order stored after `after`, with its [`Seq`], in [`Seq`] order.
    fn work_orders_after(&mut self, after: Seq) -> Result<Vec<(Seq, WorkOrder)>, StoreError>;

    /// [`Store::scan_metrics`] from one snapshot of the store, returning the highest [`Seq`]
    /// in it: whoever reads everything this way can go on with [`Store::metrics_after`].
    fn snapshot_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<Seq, StoreError>;

    /// How many records of the stream the store holds and the newest record's time, for
    /// `millrace status`.
    fn stream_status(&mut self, stream: StreamKind) -> Result<StreamStatus, StoreError>;

    /// How many records of `origin` (a data file's identity) the store holds, from its
    /// stored ranges: what `run` tells at start of each data file, so that a copy of a
    /// folder streamed before is seen to add nothing.
    fn held(&mut self, stream: StreamKind, origin: &str) -> Result<u64, StoreError>;

    /// How many rollup buckets the store holds and the span they cover (`millrace status`);
    /// `None` for a store an older millrace wrote, opened read-only, whose rollups the next
    /// writer builds.
    fn rollup_status(&mut self) -> Result<Option<RollupStatus>, StoreError>;

    /// Hands `visit` every rollup bucket that starts before `before`, ordered by parameter
    /// and start; returns how many.
    fn scan_rollups(
        &mut self,
        before: i64,
        visit: &mut dyn FnMut(Bucket),
    ) -> Result<u64, StoreError>;

    /// Every parameter the store has a reading of, pruned or not (the rollups know them
    /// all), in order.
    fn parameters(&mut self) -> Result<Vec<i64>, StoreError>;

    /// One parameter's history on a pruned store: its rollup minutes that start before
    /// `raw_from`, in order, then its readings from `raw_from` on, ordered by time; returns
    /// how many readings.
    fn scan_history(
        &mut self,
        id: i64,
        raw_from: i64,
        visit: &mut dyn FnMut(HistoryRow),
    ) -> Result<u64, StoreError>;

    /// Where raw readings begin, when older ones were pruned: readings before it are known
    /// only by their rollups, and every scan of readings leaves out any still there.
    fn raw_from(&mut self) -> Result<Option<i64>, StoreError>;

    /// Deletes raw readings more than `age` seconds older than the newest, keeping their
    /// rollups (see [`retention`]); one prune at a time ([`StoreError::Pruning`] otherwise).
    /// Calls `progress` with the rows deleted so far now and then.
    fn prune_raw(&mut self, age: i64, progress: &mut dyn FnMut(u64)) -> Result<Pruned, StoreError>;

    /// Folds up to `limit` readings stored since the last fold into the rollups, in stored
    /// order, in one transaction with the cursor that says how far folding has come (see
    /// [`rollup`]); returns how many it folded (fewer than `limit`: nothing is left).
    fn fold_rollups(&mut self, limit: u64) -> Result<u64, StoreError>;

    /// Readings stored but not yet folded into the rollups.
    fn unfolded(&mut self) -> Result<u64, StoreError>;

    /// Replaces the rollups with those of the stored readings (`millrace rollup --rebuild`),
    /// in one transaction that holds writers off, in bounded memory; calls `progress` with
    /// the readings folded so far now and then. Returns the readings folded.
    fn rebuild_rollups(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, StoreError>;
}

/// What the store holds of one stream, as `millrace status` shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStatus {
    /// Records stored.
    pub rows: u64,
    /// The oldest record's time (Unix seconds), `None` when there is none: for metrics, where
    /// the raw readings begin.
    pub oldest: Option<i64>,
    /// The newest record's time (Unix seconds), `None` when there is none.
    pub newest: Option<i64>,
}

/// A row's place in the order its stream's rows were stored, counting up from 1 in commit
/// order: whoever has read every row up to `n` finds exactly what was stored since in the
/// rows after `n`, late and out-of-order records included. [`Store::work_orders`] returns
/// rows in this order too, so records of the same second keep the order they came in.
pub type Seq = i64;

/// A store chosen at run time (SQLite or PostgreSQL) is a store too.
impl Store for Box<dyn Store + Send> {
    fn write(&mut self, batches: &[Incoming<'_>]) -> Result<WriteStats, StoreError> {
        (**self).write(batches)
    }
    fn count(&mut self, stream: StreamKind) -> Result<u64, StoreError> {
        (**self).count(stream)
    }
    fn work_orders(&mut self) -> Result<Vec<WorkOrder>, StoreError> {
        (**self).work_orders()
    }
    fn scan_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<u64, StoreError> {
        (**self).scan_metrics(visit)
    }
    fn metrics_after(
        &mut self,
        after: Seq,
        visit: &mut dyn FnMut(Metric),
    ) -> Result<Seq, StoreError> {
        (**self).metrics_after(after, visit)
    }
    fn work_orders_after(&mut self, after: Seq) -> Result<Vec<(Seq, WorkOrder)>, StoreError> {
        (**self).work_orders_after(after)
    }
    fn snapshot_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<Seq, StoreError> {
        (**self).snapshot_metrics(visit)
    }
    fn stream_status(&mut self, stream: StreamKind) -> Result<StreamStatus, StoreError> {
        (**self).stream_status(stream)
    }
    fn held(&mut self, stream: StreamKind, origin: &str) -> Result<u64, StoreError> {
        (**self).held(stream, origin)
    }
    fn rollup_status(&mut self) -> Result<Option<RollupStatus>, StoreError> {
        (**self).rollup_status()
    }
    fn scan_rollups(
        &mut self,
        before: i64,
        visit: &mut dyn FnMut(Bucket),
    ) -> Result<u64, StoreError> {
        (**self).scan_rollups(before, visit)
    }
    fn raw_from(&mut self) -> Result<Option<i64>, StoreError> {
        (**self).raw_from()
    }
    fn parameters(&mut self) -> Result<Vec<i64>, StoreError> {
        (**self).parameters()
    }
    fn scan_history(
        &mut self,
        id: i64,
        raw_from: i64,
        visit: &mut dyn FnMut(HistoryRow),
    ) -> Result<u64, StoreError> {
        (**self).scan_history(id, raw_from, visit)
    }
    fn prune_raw(&mut self, age: i64, progress: &mut dyn FnMut(u64)) -> Result<Pruned, StoreError> {
        (**self).prune_raw(age, progress)
    }
    fn rebuild_rollups(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, StoreError> {
        (**self).rebuild_rollups(progress)
    }
    fn fold_rollups(&mut self, limit: u64) -> Result<u64, StoreError> {
        (**self).fold_rollups(limit)
    }
    fn unfolded(&mut self) -> Result<u64, StoreError> {
        (**self).unfolded()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::chain::Chain;

    #[test]
    fn a_file_that_is_no_store_is_refused_with_sqlites_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        std::fs::write(&path, [b'x'; 4096]).unwrap();
        let Err(err) = SqliteStore::open(&path) else {
            panic!("a file of garbage opened as a store");
        };
        assert!(matches!(err, StoreError::Open { .. }), "{err}");
        let told = Chain(&err).to_string();
        assert!(
            told.starts_with("cannot open the store ") && told.contains("file is not a database"),
            "{told}"
        );
    }

    #[test]
    fn a_failed_statement_carries_sqlites_reason() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("store.db")).unwrap();
        store
            .connection()
            .execute_batch("DROP TABLE metrics")
            .unwrap();
        let err = store.count(StreamKind::Metrics).unwrap_err();
        assert!(matches!(err, StoreError::Failed(_)), "{err}");
        let told = Chain(&err).to_string();
        assert!(
            told.contains("the store failed: no such table: metrics"),
            "{told}"
        );
    }
}
