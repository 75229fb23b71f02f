//! The physical ceiling for `bench/pipeline.sh`: a bare rusqlite bulk insert of the same rows
//! into the same schema with the same durability (millrace's store opens the file: WAL,
//! synchronous=FULL, same tables and indexes), one prepared statement, one transaction per
//! batch — and nothing else: no HTTP, no queue, no validation, no deduplication.
//!
//!     cargo run --release --example bare_sqlite -- DATA_DIR DB_FILE [BATCH]
//!
//! Prints `RESULT rows=… seconds=… rows_per_s=…` for the insert alone (parsing excluded).

use millrace::record::{Metric, WorkOrder};
use millrace::store::SqliteStore;
use rusqlite::params;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (data, db) = (&args[1], &args[2]);
    let batch: usize = args.get(3).and_then(|b| b.parse().ok()).unwrap_or(5000);
    let metrics: Vec<Metric> =
        serde_json::from_slice(&std::fs::read(format!("{data}/metrics.json")).unwrap()).unwrap();
    let orders: Vec<WorkOrder> =
        serde_json::from_slice(&std::fs::read(format!("{data}/workorder.json")).unwrap()).unwrap();
    let mut store = SqliteStore::open(db.as_ref()).unwrap();
    let conn = store.connection_mut();
    let started = Instant::now();
    for chunk in metrics.chunks(batch) {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO metrics (id, val, time) VALUES (?1, ?2, ?3)")
                .unwrap();
            for m in chunk {
                insert.execute(params![m.id, m.val, m.time]).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    for chunk in orders.chunks(batch) {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO workorder (time, product, production) VALUES (?1, ?2, ?3)",
                )
                .unwrap();
            for w in chunk {
                insert
                    .execute(params![w.time, w.product, w.production])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let rows = metrics.len() + orders.len();
    println!(
        "RESULT rows={rows} seconds={seconds:.3} rows_per_s={:.0}",
        rows as f64 / seconds
    );
}
