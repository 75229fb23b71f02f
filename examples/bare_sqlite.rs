//! The physical ceiling for `bench/pipeline.sh`: a bare rusqlite bulk insert of the same rows
//! into the same schema with the same durability (millrace's store opens the file: WAL,
//! synchronous=FULL, same tables and indexes), one prepared statement, one transaction per
//! batch — and nothing else: no HTTP, no queue, no validation, no deduplication.
//!
//!     cargo run --release --example bare_sqlite -- DATA_DIR DB_FILE [BATCH[,BATCH…]] [--keep]
//!
//! `--keep` leaves the last size's store at `DB_FILE`, for the benchmarks that read one
//! (`bench/report.sh`, `bench/live.sh`).
//! With several batch sizes (rows per transaction) it inserts everything once per size, each
//! into a fresh file (`DB_FILE.<size>`, deleted after), so the baseline is the best size
//! found rather than one picked in advance. Prints `RESULT batch=… rows=… seconds=…
//! rows_per_s=…` per size for the insert alone (parsing excluded), then `BEST batch=…
//! rows_per_s=…`.

use millrace::record::{Metric, WorkOrder};
use millrace::store::SqliteStore;
use rusqlite::params;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (data, db) = (&args[1], &args[2]);
    let batches: Vec<usize> = args
        .get(3)
        .filter(|b| *b != "--keep")
        .map(|b| {
            b.split(',')
                .map(|n| n.parse().expect("a batch size"))
                .collect()
        })
        .unwrap_or_else(|| vec![5000]);
    let metrics: Vec<Metric> =
        serde_json::from_slice(&std::fs::read(format!("{data}/metrics.json")).unwrap()).unwrap();
    let orders: Vec<WorkOrder> =
        serde_json::from_slice(&std::fs::read(format!("{data}/workorder.json")).unwrap()).unwrap();
    let keep = args.iter().any(|a| a == "--keep");
    let mut best = (0, 0.0);
    let last = batches.len() - 1;
    for (i, batch) in batches.into_iter().enumerate() {
        let file = format!("{db}.{batch}");
        let rate = insert(&metrics, &orders, file.as_ref(), batch);
        for suffix in ["", "-wal", "-shm"] {
            if keep && i == last {
                let _ = std::fs::rename(format!("{file}{suffix}"), format!("{db}{suffix}"));
            } else {
                let _ = std::fs::remove_file(format!("{file}{suffix}"));
            }
        }
        if rate > best.1 {
            best = (batch, rate);
        }
    }
    println!("BEST batch={} rows_per_s={:.0}", best.0, best.1);
}

/// Inserts every row into a fresh store at `db`, `batch` rows per transaction; rows/s.
fn insert(metrics: &[Metric], orders: &[WorkOrder], db: &std::path::Path, batch: usize) -> f64 {
    let mut store = SqliteStore::open(db).unwrap();
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
    let rate = rows as f64 / seconds;
    println!("RESULT batch={batch} rows={rows} seconds={seconds:.3} rows_per_s={rate:.0}");
    rate
}
