//! The PostgreSQL baseline for `bench/pipeline.sh`: a bare binary `COPY` of the same rows
//! into the same schema (millrace's store creates it), one transaction per batch — no HTTP,
//! no queue, no validation, no deduplication. The ceiling of PostgreSQL as millrace's store
//! on this machine.
//!
//!     cargo run --release --example bare_postgres -- DATA_DIR POSTGRES_URL [BATCH]
//!
//! Prints `RESULT rows=… seconds=… rows_per_s=…` for the inserts alone (parsing excluded).

use millrace::record::{Metric, WorkOrder};
use millrace::store::PostgresStore;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (data, url) = (&args[1], &args[2]);
    let batch: usize = args.get(3).and_then(|b| b.parse().ok()).unwrap_or(5000);
    let metrics: Vec<Metric> =
        serde_json::from_slice(&std::fs::read(format!("{data}/metrics.json")).unwrap()).unwrap();
    let orders: Vec<WorkOrder> =
        serde_json::from_slice(&std::fs::read(format!("{data}/workorder.json")).unwrap()).unwrap();
    drop(PostgresStore::connect(url).unwrap());
    let mut client = Client::connect(url, NoTls).unwrap();
    let started = Instant::now();
    for chunk in metrics.chunks(batch) {
        let mut tx = client.transaction().unwrap();
        let sink = tx
            .copy_in("COPY metrics (id, val, time) FROM STDIN BINARY")
            .unwrap();
        let mut writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::FLOAT8, Type::INT8]);
        for m in chunk {
            writer
                .write(&[&m.id as &(dyn ToSql + Sync), &m.val, &m.time])
                .unwrap();
        }
        writer.finish().unwrap();
        tx.commit().unwrap();
    }
    for chunk in orders.chunks(batch) {
        let mut tx = client.transaction().unwrap();
        let sink = tx
            .copy_in("COPY workorder (time, product, production) FROM STDIN BINARY")
            .unwrap();
        let mut writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::INT8, Type::FLOAT8]);
        for w in chunk {
            writer
                .write(&[&w.time as &(dyn ToSql + Sync), &w.product, &w.production])
                .unwrap();
        }
        writer.finish().unwrap();
        tx.commit().unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let rows = metrics.len() + orders.len();
    println!(
        "RESULT rows={rows} seconds={seconds:.3} rows_per_s={:.0}",
        rows as f64 / seconds
    );
}
