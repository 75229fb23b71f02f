//! The SQLite store's tables, and the upgrade of a file an older millrace wrote.
//!
//! Schema 2 gives `metrics` and `workorder` an explicit `seq INTEGER PRIMARY KEY`: the
//! ingest sequence the live analysis reads new rows by. It is SQLite's rowid under a name,
//! so it costs nothing to write, counts up in commit order (SQLite has one writer at a time
//! and millrace never deletes a row), and — unlike a bare rowid — survives `VACUUM`.
//!
//! Schema 3 adds `rollups` (see [`super::rollup`]) and `meta` (the fold cursor, the raw
//! cut-off). An upgraded file's cursor starts at 0, so its readings are folded in bounded
//! batches by the next process that folds, as new ones are.

use rusqlite::Connection;

/// The schema version this build writes; a newer file is refused rather than misread.
pub const VERSION: i64 = 3;
/// The first schema with rollups.
pub const ROLLUPS_SINCE: i64 = 3;

/// The tables and indexes of a current store. `val` and `production` have no declared type
/// on purpose: SQLite stores a whole-number value of a REAL column as an integer and gives
/// back +0.0 for -0.0; an untyped column keeps the 8-byte float exactly, and the CHECK keeps
/// it a float.
const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS metrics (
        seq INTEGER PRIMARY KEY,
        id INTEGER NOT NULL,
        val NOT NULL CHECK (typeof(val) = 'real'),
        time INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS metrics_by_series ON metrics(id, time, val);
    CREATE TABLE IF NOT EXISTS workorder (
        seq INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        product INTEGER NOT NULL,
        production NOT NULL CHECK (typeof(production) = 'real')
    );
    CREATE INDEX IF NOT EXISTS workorder_by_product ON workorder(product, time);
    CREATE TABLE IF NOT EXISTS ingested (
        stream TEXT NOT NULL,
        origin TEXT NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        PRIMARY KEY (stream, origin, start)
    ) WITHOUT ROWID;";

/// The rollups table: one row per parameter and minute. `first_at` and `last_at` are seconds
/// into the minute; a minute of one reading has NULL in every column after `sum_val` but
/// `first_at`. Floats are untyped columns, as in `metrics`, so that `-0.0` comes back as one.
pub const ROLLUPS: &str = "
    CREATE TABLE IF NOT EXISTS rollups (
        id INTEGER NOT NULL,
        start INTEGER NOT NULL,
        readings INTEGER NOT NULL,
        sum_val NOT NULL,
        first_at INTEGER NOT NULL,
        sum_sq,
        min_val,
        max_val,
        first_val,
        last_at INTEGER,
        last_val,
        PRIMARY KEY (id, start)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;";

/// Schema 1 → 2: each data table copied into one with `seq`, which takes the row's rowid,
/// so rows keep the order they were stored in. One transaction: a crash leaves schema 1.
const UPGRADE_1_TO_2: &str = "
    ALTER TABLE metrics RENAME TO metrics_v1;
    ALTER TABLE workorder RENAME TO workorder_v1;
    DROP INDEX IF EXISTS metrics_by_series;
    DROP INDEX IF EXISTS workorder_by_product;";

/// Makes the file's schema current: creates the tables of a new file, upgrades an older
/// one in place. `version` is the file's `user_version` (0 for a new file).
pub fn ensure(conn: &mut Connection, version: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Read again under the write lock: another process may have upgraded it meanwhile.
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap_or(version);
    let upgrade = version == 1 && has_table(&tx, "metrics")?;
    if upgrade {
        tracing::info!("upgrading the store to schema {VERSION} (rows keep their order)");
        tx.execute_batch(UPGRADE_1_TO_2)?;
    }
    tx.execute_batch(TABLES)?;
    tx.execute_batch(ROLLUPS)?;
    if upgrade {
        tx.execute_batch(
            "INSERT INTO metrics (seq, id, val, time)
                 SELECT rowid, id, val, time FROM metrics_v1 ORDER BY rowid;
             INSERT INTO workorder (seq, time, product, production)
                 SELECT rowid, time, product, production FROM workorder_v1 ORDER BY rowid;
             DROP TABLE metrics_v1;
             DROP TABLE workorder_v1;",
        )?;
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()
}

fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Schema 1 as millrace 0.1 wrote it, for the upgrade's tests.
#[cfg(test)]
pub const VERSION_1: &str = "
    CREATE TABLE metrics (
        id INTEGER NOT NULL,
        val NOT NULL CHECK (typeof(val) = 'real'),
        time INTEGER NOT NULL
    );
    CREATE INDEX metrics_by_series ON metrics(id, time, val);
    CREATE TABLE workorder (
        time INTEGER NOT NULL,
        product INTEGER NOT NULL,
        production NOT NULL CHECK (typeof(production) = 'real')
    );
    CREATE INDEX workorder_by_product ON workorder(product, time);
    CREATE TABLE ingested (
        stream TEXT NOT NULL,
        origin TEXT NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        PRIMARY KEY (stream, origin, start)
    ) WITHOUT ROWID;
    PRAGMA user_version = 1;";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Metric, Records, WorkOrder};
    use crate::store::{Incoming, SqliteStore, Store};

    /// A schema-1 file as the previous release left it: rows in an order that is not the
    /// order of their times, a -0.0, and two work orders of the same second.
    fn version_1(path: &std::path::Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(VERSION_1).unwrap();
        conn.execute_batch(
            "INSERT INTO metrics (id, val, time) VALUES (2, 5.5, 20), (1, -0.0, 10), (1, 7.25, 5);
             INSERT INTO workorder (time, product, production) VALUES
                 (30, 0, 2.0), (10, 0, 1.0), (30, 0, 1.5);
             INSERT INTO ingested VALUES ('metrics', 'f', 0, 3);",
        )
        .unwrap();
    }

    #[test]
    fn a_schema_1_store_is_upgraded_in_place_and_keeps_every_row_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        version_1(&path);
        let mut store = SqliteStore::open(&path).unwrap();
        let version: i64 = store
            .connection()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION);
        let mut metrics = Vec::new();
        let newest = store.metrics_after(0, &mut |m| metrics.push(m)).unwrap();
        assert_eq!(newest, 3);
        let bits: Vec<(i64, u64, i64)> = metrics
            .iter()
            .map(|m| (m.id, m.val.to_bits(), m.time))
            .collect();
        assert_eq!(
            bits,
            [
                (2, 5.5f64.to_bits(), 20),
                (1, (-0.0f64).to_bits(), 10),
                (1, 7.25f64.to_bits(), 5)
            ]
        );
        let orders: Vec<(i64, i64, f64)> = store
            .work_orders_after(0)
            .unwrap()
            .into_iter()
            .map(|(seq, w)| (seq, w.time, w.production))
            .collect();
        assert_eq!(orders, [(1, 30, 2.0), (2, 10, 1.0), (3, 30, 1.5)]);
        // Work orders come back in the order they were stored, ties included.
        let productions: Vec<f64> = store
            .work_orders()
            .unwrap()
            .iter()
            .map(|w| w.production)
            .collect();
        assert_eq!(productions, [2.0, 1.0, 1.5]);
        // The stored ranges survive, so a resent batch is still a duplicate.
        let resent = Records::Metrics(vec![Metric {
            id: 9,
            val: 1.0,
            time: 1,
        }]);
        let stats = store
            .write(&[Incoming {
                origin: "f",
                first_seq: 0,
                records: &resent,
            }])
            .unwrap();
        assert_eq!(stats.inserted, 0);
        drop(store);
        // Opening it again changes nothing.
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.work_orders_after(0).unwrap().len(), 3);
    }

    #[test]
    fn rows_stored_after_a_seq_are_exactly_those_written_since() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let write = |store: &mut SqliteStore, first_seq: u64, time: i64| {
            let metrics = Records::Metrics(vec![
                Metric {
                    id: 1,
                    val: 1.0,
                    time
                };
                2
            ]);
            let orders = Records::Workorder(vec![WorkOrder {
                time,
                product: 0,
                production: 1.0,
            }]);
            store
                .write(&[
                    Incoming {
                        origin: "m",
                        first_seq,
                        records: &metrics,
                    },
                    Incoming {
                        origin: "w",
                        first_seq,
                        records: &orders,
                    },
                ])
                .unwrap();
        };
        write(&mut store, 0, 100);
        let mut seen = Vec::new();
        let after = store.metrics_after(0, &mut |m| seen.push(m.time)).unwrap();
        let orders_after = store.work_orders_after(0).unwrap().last().unwrap().0;
        assert_eq!(seen, [100, 100]);
        // A late record (older time) stored later is still found after the cursor.
        write(&mut store, 2, 50);
        seen.clear();
        let newest = store
            .metrics_after(after, &mut |m| seen.push(m.time))
            .unwrap();
        assert_eq!(seen, [50, 50]);
        assert!(newest > after);
        let orders: Vec<i64> = store
            .work_orders_after(orders_after)
            .unwrap()
            .iter()
            .map(|(_, w)| w.time)
            .collect();
        assert_eq!(orders, [50]);
        // Nothing new: the cursor stays.
        assert_eq!(
            store.metrics_after(newest, &mut |_| panic!()).unwrap(),
            newest
        );
    }
}
