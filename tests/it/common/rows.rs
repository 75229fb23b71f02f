//! What the store holds, read straight from its SQLite file, and what it should hold, read
//! from the records sent: both as sorted rows with values as bits, so that a comparison is
//! exact.

use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// A metric as stored: (id, bits of val, time).
pub type MetricRow = (i64, u64, i64);
/// A work order as stored: (time, product, bits of production).
pub type WorkOrderRow = (i64, i64, u64);

/// The row the store should hold for a metric record.
pub fn metric_row(r: &Value) -> MetricRow {
    (
        r["id"].as_i64().unwrap(),
        r["val"].as_f64().unwrap().to_bits(),
        r["time"].as_i64().unwrap(),
    )
}

/// The row the store should hold for a work-order record.
pub fn workorder_row(r: &Value) -> WorkOrderRow {
    (
        r["time"].as_i64().unwrap(),
        r["product"].as_i64().unwrap(),
        r["production"].as_f64().unwrap().to_bits(),
    )
}

/// The rows the store should hold for these metric records, sorted.
pub fn metric_rows<'a>(records: impl IntoIterator<Item = &'a Value>) -> Vec<MetricRow> {
    let mut rows: Vec<MetricRow> = records.into_iter().map(metric_row).collect();
    rows.sort();
    rows
}

/// The rows the store should hold for these work-order records, sorted.
pub fn workorder_rows<'a>(records: impl IntoIterator<Item = &'a Value>) -> Vec<WorkOrderRow> {
    let mut rows: Vec<WorkOrderRow> = records.into_iter().map(workorder_row).collect();
    rows.sort();
    rows
}

/// The metrics of a source file, as the store should hold them, sorted.
pub fn source_metrics(path: &Path) -> Vec<MetricRow> {
    metric_rows(&super::data::records(path))
}

/// The work orders of a source file, as the store should hold them, sorted.
pub fn source_workorders(path: &Path) -> Vec<WorkOrderRow> {
    workorder_rows(&super::data::records(path))
}

/// Every stored metric, sorted.
pub fn stored_metrics(db: &Path) -> Vec<MetricRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT id, val, time FROM metrics").unwrap();
    let mut rows: Vec<MetricRow> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get::<_, f64>(1)?.to_bits(), r.get(2)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// Every stored work order, sorted.
pub fn stored_workorders(db: &Path) -> Vec<WorkOrderRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT time, product, production FROM workorder")
        .unwrap();
    let mut rows: Vec<WorkOrderRow> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, f64>(2)?.to_bits()))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// Row counts, or zero while the tables do not exist yet.
pub fn counts(db: &Path) -> (u64, u64) {
    let Ok(conn) = rusqlite::Connection::open(db) else {
        return (0, 0);
    };
    let count = |table: &str| {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
        .unwrap_or(0)
    };
    (count("metrics"), count("workorder"))
}

/// Asserts the store holds exactly the records of the data folder: nothing lost, nothing
/// doubled, every value bit-identical.
pub fn assert_store_matches(db: &Path, data: &Path) {
    let want_m = source_metrics(&data.join("metrics.json"));
    let want_w = source_workorders(&data.join("workorder.json"));
    let got_m = stored_metrics(db);
    let got_w = stored_workorders(db);
    assert_eq!(got_m.len(), want_m.len(), "metric row count");
    assert_eq!(got_w.len(), want_w.len(), "work order row count");
    assert!(got_m == want_m, "stored metrics differ from the source");
    assert!(got_w == want_w, "stored work orders differ from the source");
}

/// Messages of either stream still in the embedded queue of `dir` (ready or in flight).
pub fn queued(dir: &Path) -> u64 {
    let Ok(conn) = rusqlite::Connection::open(dir.join(".millrace/queue.db")) else {
        return 0;
    };
    conn.query_row(
        "SELECT COUNT(*) FROM messages WHERE queue IN ('metrics', 'workorder')",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
    .unwrap_or(0)
}

/// Waits until the queue in `dir` is empty and the store holds at least `want` rows, then
/// asserts the store matches the data folder exactly. Waiting for the queue, not only for the
/// counts, lets any redelivered duplicates arrive before the check.
pub fn settle_and_check(dir: &Path, data: &Path, want: (u64, u64)) {
    let db = dir.join("millrace.db");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got = counts(&db);
        if queued(dir) == 0 && got.0 >= want.0 && got.1 >= want.1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "store holds {got:?} of {want:?}; {} still queued",
            queued(dir)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_store_matches(&db, data);
}

/// Waits until the store holds `want` rows of each table.
pub fn wait_for_counts(db: &Path, want: (u64, u64), within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let got = counts(db);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "store holds {got:?}, expected {want:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
