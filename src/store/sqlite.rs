//! The SQLite store, the default: one file (`millrace.db` unless told otherwise) with the
//! original pipeline's tables, and nothing to install.

use super::rollup::{Bucket, HistoryRow, RollupStatus};
use super::sqlite_schema as schema;
use super::{Cause, Incoming, Seq, Store, StoreError, StreamStatus, WriteStats, cover};
use super::{Pruned, sqlite_retention, sqlite_rollup};
use crate::record::{Metric, Records, StreamKind, WorkOrder};
use crate::support::sqlite_file::{self, OpenError};
use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use std::path::Path;

/// The embedded store: one SQLite file with the original pipeline's tables.
///
/// `metrics(id, val, time)` and `workorder(time, product, production)` keep the original
/// column names, so existing SQL keeps working; `ingested` holds the stored position ranges
/// per origin. WAL mode lets the report read while consumers write; `synchronous=FULL`
/// makes a commit durable before the consumer acknowledges the queue.
pub struct SqliteStore {
    conn: Connection,
    /// The file, for the prune's lock beside it.
    path: std::path::PathBuf,
    /// Turns to write, shared with the other connections of this process to the same file
    /// (`consume all` writes both streams through two of them).
    gate: sqlite_file::WriteGate,
}

impl SqliteStore {
    /// Opens the store file, creating or upgrading its schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |source: Cause| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        // Patient of other processes opening the same file at the same moment, and plain
        // about a path the file system refuses (see `crate::support::sqlite_file`).
        let mut conn = sqlite_file::open(path).map_err(|e| match e {
            OpenError::Sqlite(e) => busy_or(e, open_error),
            OpenError::Path(problem) => open_error(problem.into()),
            OpenError::Folder(e) => open_error(e.into()),
        })?;
        let version = sqlite_file::patiently("reading the store's schema version", || {
            conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        })
        .map_err(|e| busy_or(e, open_error))?;
        if version > schema::VERSION {
            return Err(StoreError::Newer {
                path: path.display().to_string(),
                found: version,
                known: schema::VERSION,
            });
        }
        if version < schema::VERSION {
            sqlite_file::patiently("creating the store's tables", || {
                schema::ensure(&mut conn, version)
            })
            .map_err(|e| busy_or(e, open_error))?;
        }
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            gate: sqlite_file::WriteGate::of(path),
        })
    }

    /// The open connection, for readers such as the report.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The open connection, for tools that write around millrace (the benchmark ceiling).
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl Store for SqliteStore {
    fn write(&mut self, batches: &[Incoming<'_>]) -> Result<WriteStats, StoreError> {
        let _turn = self.gate.turn();
        // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
        // cannot wait for another writer and fails with "database is locked" instead.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let mut stats = WriteStats::default();
        for batch in batches {
            stats += write_one(&tx, batch).map_err(failed)?;
        }
        tx.commit().map_err(failed)?;
        Ok(stats)
    }

    fn work_orders(&mut self) -> Result<Vec<WorkOrder>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT time, product, production FROM workorder ORDER BY seq")
            .map_err(failed)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(WorkOrder {
                    time: r.get(0)?,
                    product: r.get(1)?,
                    production: r.get(2)?,
                })
            })
            .map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }

    fn scan_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<u64, StoreError> {
        scan(&self.conn, visit)
    }

    fn snapshot_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<Seq, StoreError> {
        // In WAL mode a read transaction sees one snapshot from its first read to its end.
        let tx = self.conn.transaction().map_err(failed)?;
        let newest = tx
            .query_row("SELECT coalesce(max(seq), 0) FROM metrics", [], |r| {
                r.get(0)
            })
            .map_err(failed)?;
        scan(&tx, visit)?;
        tx.commit().map_err(failed)?;
        Ok(newest)
    }

    fn metrics_after(
        &mut self,
        after: Seq,
        visit: &mut dyn FnMut(Metric),
    ) -> Result<Seq, StoreError> {
        // One statement, so one snapshot: every row up to the highest seq read is in it.
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, id, val, time FROM metrics WHERE seq > ?1")
            .map_err(failed)?;
        let mut rows = stmt.query([after]).map_err(failed)?;
        let mut newest = after;
        while let Some(row) = rows.next().map_err(failed)? {
            visit(Metric {
                id: row.get(1).map_err(failed)?,
                val: row.get(2).map_err(failed)?,
                time: row.get(3).map_err(failed)?,
            });
            newest = newest.max(row.get(0).map_err(failed)?);
        }
        Ok(newest)
    }

    fn work_orders_after(&mut self, after: Seq) -> Result<Vec<(Seq, WorkOrder)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, time, product, production FROM workorder WHERE seq > ?1 ORDER BY seq",
            )
            .map_err(failed)?;
        let rows = stmt
            .query_map([after], |r| {
                Ok((
                    r.get(0)?,
                    WorkOrder {
                        time: r.get(1)?,
                        product: r.get(2)?,
                        production: r.get(3)?,
                    },
                ))
            })
            .map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }

    fn count(&mut self, stream: StreamKind) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {}", stream.name());
        self.conn
            .query_row(&sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(failed)
    }

    fn stream_status(&mut self, stream: StreamKind) -> Result<StreamStatus, StoreError> {
        stream_status(&self.conn, stream)
    }

    fn rollup_status(&mut self) -> Result<Option<RollupStatus>, StoreError> {
        sqlite_rollup::status(&self.conn).map_err(|e| busy_or(e, StoreError::Failed))
    }

    fn scan_rollups(
        &mut self,
        before: i64,
        visit: &mut dyn FnMut(Bucket),
    ) -> Result<u64, StoreError> {
        sqlite_rollup::scan(&self.conn, before, visit).map_err(failed)
    }

    fn raw_from(&mut self) -> Result<Option<i64>, StoreError> {
        sqlite_rollup::raw_from(&self.conn).map_err(|e| busy_or(e, StoreError::Failed))
    }

    fn parameters(&mut self) -> Result<Vec<i64>, StoreError> {
        sqlite_rollup::parameters(&self.conn).map_err(failed)
    }

    fn scan_history(
        &mut self,
        id: i64,
        raw_from: i64,
        visit: &mut dyn FnMut(HistoryRow),
    ) -> Result<u64, StoreError> {
        sqlite_rollup::history(&self.conn, id, raw_from, visit).map_err(failed)
    }

    fn prune_raw(&mut self, age: i64, progress: &mut dyn FnMut(u64)) -> Result<Pruned, StoreError> {
        sqlite_retention::prune(&mut self.conn, &self.path, &self.gate, age, progress).map_err(
            |e| match e {
                sqlite_retention::PruneError::Running => StoreError::Pruning,
                sqlite_retention::PruneError::Lock(e) => StoreError::Failed(e.into()),
                sqlite_retention::PruneError::Sqlite(e) => busy_or(e, StoreError::Failed),
            },
        )
    }

    fn fold_rollups(&mut self, limit: u64) -> Result<u64, StoreError> {
        let _turn = self.gate.turn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| busy_or(e, StoreError::Failed))?;
        let folded = sqlite_rollup::fold(&tx, limit).map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(folded)
    }

    fn unfolded(&mut self) -> Result<u64, StoreError> {
        sqlite_rollup::unfolded(&self.conn).map_err(|e| busy_or(e, StoreError::Failed))
    }

    fn rebuild_rollups(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, StoreError> {
        let _turn = self.gate.turn();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| busy_or(e, StoreError::Failed))?;
        let folded = sqlite_rollup::rebuild(&tx, progress).map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(folded)
    }

    fn held(&mut self, stream: StreamKind, origin: &str) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT COALESCE(SUM(end - start), 0) FROM ingested WHERE stream = ?1 AND origin = ?2",
                params![stream.name(), origin],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(failed)
    }
}

impl SqliteStore {
    /// Opens an existing store file for reading only, changing nothing in it (no schema
    /// set-up, no WAL switch): for `millrace status`, which must not create a store where
    /// there is none or upgrade one another millrace is using. Fails if the file is missing.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let open_error = |source: Cause| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(e.into()))?;
        conn.busy_timeout(sqlite_file::busy_timeout())
            .map_err(|e| open_error(e.into()))?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            gate: sqlite_file::WriteGate::of(path),
        })
    }
}

/// Rows of the stream and the oldest and newest time among them.
fn stream_status(conn: &Connection, stream: StreamKind) -> Result<StreamStatus, StoreError> {
    let sql = format!(
        "SELECT COUNT(*), MIN(time), MAX(time) FROM {}",
        stream.name()
    );
    conn.query_row(&sql, [], |r| {
        Ok(StreamStatus {
            rows: r.get::<_, i64>(0)? as u64,
            oldest: r.get(1)?,
            newest: r.get(2)?,
        })
    })
    .map_err(|e| busy_or(e, StoreError::Failed))
}

/// Every metric from where raw readings begin, ordered by parameter and then time; returns
/// how many there were.
fn scan(conn: &Connection, visit: &mut dyn FnMut(Metric)) -> Result<u64, StoreError> {
    let from = sqlite_rollup::raw_from(conn)
        .map_err(failed)?
        .unwrap_or(i64::MIN);
    // The covering index (id, time, val) serves this order without sorting or touching
    // the table.
    let mut stmt = conn
        .prepare_cached("SELECT id, val, time FROM metrics WHERE time >= ?1 ORDER BY id, time")
        .map_err(failed)?;
    let mut rows = stmt.query([from]).map_err(failed)?;
    let mut n = 0;
    while let Some(row) = rows.next().map_err(failed)? {
        visit(Metric {
            id: row.get(0).map_err(failed)?,
            val: row.get(1).map_err(failed)?,
            time: row.get(2).map_err(failed)?,
        });
        n += 1;
    }
    Ok(n)
}

fn write_one(tx: &Transaction<'_>, batch: &Incoming<'_>) -> rusqlite::Result<WriteStats> {
    let stream = batch.records.kind().name();
    let count = batch.records.len() as u64;
    if count == 0 {
        return Ok(WriteStats::default());
    }
    let new = (batch.first_seq, batch.first_seq + count);
    let stored: Vec<(u64, u64)> = {
        let mut touching = tx.prepare_cached(
            "SELECT start, end FROM ingested
             WHERE stream = ?1 AND origin = ?2 AND start <= ?4 AND end >= ?3
             ORDER BY start",
        )?;
        touching
            .query_map(
                params![stream, batch.origin, new.0 as i64, new.1 as i64],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )?
            .collect::<Result<_, _>>()?
    };
    let coverage = cover(&stored, new);
    let mut inserted = 0;
    for &(s, e) in &coverage.missing {
        let range = (s - batch.first_seq) as usize..(e - batch.first_seq) as usize;
        inserted += insert_records(tx, batch.records, range)?;
    }
    if !stored.is_empty() {
        let mut forget = tx.prepare_cached(
            "DELETE FROM ingested WHERE stream = ?1 AND origin = ?2 AND start = ?3",
        )?;
        for (start, _) in &stored {
            forget.execute(params![stream, batch.origin, *start as i64])?;
        }
    }
    tx.prepare_cached("INSERT INTO ingested (stream, origin, start, end) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            stream,
            batch.origin,
            coverage.merged.0 as i64,
            coverage.merged.1 as i64
        ])?;
    Ok(WriteStats {
        inserted,
        duplicates: count - inserted,
    })
}

fn insert_records(
    tx: &Transaction<'_>,
    records: &Records,
    range: std::ops::Range<usize>,
) -> rusqlite::Result<u64> {
    let n = range.len() as u64;
    match records {
        Records::Metrics(v) => {
            let mut insert =
                tx.prepare_cached("INSERT INTO metrics (id, val, time) VALUES (?1, ?2, ?3)")?;
            for m in &v[range] {
                insert.execute(params![m.id, m.val, m.time])?;
            }
        }
        Records::Workorder(v) => {
            let mut insert = tx.prepare_cached(
                "INSERT INTO workorder (time, product, production) VALUES (?1, ?2, ?3)",
            )?;
            for w in &v[range] {
                insert.execute(params![w.time, w.product, w.production])?;
            }
        }
    }
    Ok(n)
}

/// A lock held by another process is `Busy` (worth waiting for); anything else is `other`.
fn busy_or(e: rusqlite::Error, other: impl Fn(Cause) -> StoreError) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Busy(e.into())
        }
        _ => other(e.into()),
    }
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Failed(e.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Metric;

    fn metrics(n: usize) -> Records {
        Records::Metrics(
            (0..n)
                .map(|i| Metric {
                    id: i as i64 % 3,
                    val: i as f64 / 7.0,
                    time: 1_600_000_000 + i as i64,
                })
                .collect(),
        )
    }

    #[test]
    fn stores_each_record_once_however_often_it_comes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let records = metrics(10);
        let all = Incoming {
            origin: "f",
            first_seq: 0,
            records: &records,
        };
        assert_eq!(
            store.write(&[all]).unwrap(),
            WriteStats {
                inserted: 10,
                duplicates: 0
            }
        );
        assert_eq!(
            store.write(&[all]).unwrap(),
            WriteStats {
                inserted: 0,
                duplicates: 10
            }
        );
        let tail = records.slice(5..10);
        let overlap = Incoming {
            origin: "f",
            first_seq: 5,
            records: &tail,
        };
        let elsewhere = Incoming {
            origin: "g",
            first_seq: 5,
            records: &tail,
        };
        let stats = store.write(&[overlap, elsewhere]).unwrap();
        assert_eq!(
            stats,
            WriteStats {
                inserted: 5,
                duplicates: 5
            }
        );
        assert_eq!(store.count(StreamKind::Metrics).unwrap(), 15);
    }

    #[test]
    fn tells_how_much_of_an_origin_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let records = metrics(10);
        for first_seq in [0, 20] {
            let batch = Incoming {
                origin: "f",
                first_seq,
                records: &records,
            };
            store.write(&[batch]).unwrap();
        }
        assert_eq!(store.held(StreamKind::Metrics, "f").unwrap(), 20);
        assert_eq!(store.held(StreamKind::Metrics, "g").unwrap(), 0);
        assert_eq!(store.held(StreamKind::Workorder, "f").unwrap(), 0);
    }

    #[test]
    fn values_come_back_bit_identical() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let vals = [
            797.3838872696809,
            0.1 + 0.2,
            1e-310,
            -2207.0440717800257,
            5.0,
            -0.0,
            f64::MAX,
        ];
        let records = Records::Metrics(
            vals.iter()
                .map(|&val| Metric {
                    id: 1,
                    val,
                    time: 1,
                })
                .collect(),
        );
        store
            .write(&[Incoming {
                origin: "f",
                first_seq: 0,
                records: &records,
            }])
            .unwrap();
        let mut stmt = store
            .conn
            .prepare("SELECT val FROM metrics ORDER BY rowid")
            .unwrap();
        let got: Vec<f64> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|v| v.unwrap())
            .collect();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&vals));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        let err = SqliteStore::open(&path).err().expect("refused");
        assert!(err.to_string().contains("newer millrace"), "{err}");
    }
}
