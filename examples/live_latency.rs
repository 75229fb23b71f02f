//! `bench/live.sh`'s measurements on one store: the batch report against the live analysis.
//!
//!     cargo run --release --example live_latency -- DB_FILE [TURNS]
//!
//! Times, in this order:
//! - `report`: `report::build` over the whole store (the analysis `millrace report` runs,
//!   without writing its files): the baseline;
//! - `rebuild`: a live state made from nothing (what a restarted dashboard does), up to its
//!   first document;
//! - `work order`, `TURNS` times: one work order stored (closing a new interval of the first
//!   product), then the live update that reads it and the new document — the time from the
//!   commit to the document a dashboard sends.
//!
//! Prints one `RESULT` line per figure.

use millrace::live::LiveState;
use millrace::live::json::{Streams, render};
use millrace::record::{Records, WorkOrder};
use millrace::report::{self, Options};
use millrace::store::{Incoming, SqliteStore, Store};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let db = args.next().expect("usage: live_latency DB_FILE [TURNS]");
    let turns: usize = args
        .next()
        .map_or(3, |t| t.parse().expect("TURNS is a number"));
    let mut store = SqliteStore::open(std::path::Path::new(&db)).unwrap();
    let options = Options::default();

    let started = Instant::now();
    let batch = report::build(&mut store, &db, options).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    println!("RESULT what=report seconds={seconds:.3}");

    let started = Instant::now();
    let mut live = LiveState::new(db.clone(), options);
    live.update(&mut store).unwrap();
    let document = render(&live.report(), Streams::default(), 0);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "RESULT what=rebuild seconds={seconds:.3} bytes={}",
        document.len()
    );

    let product = batch.products.first().expect("a store with work orders");
    let last = *store
        .work_orders()
        .unwrap()
        .iter()
        .filter(|w| w.product == product.product)
        .max_by_key(|w| w.time)
        .unwrap();
    // An origin of its own, so a store this has run on before still takes the new rows.
    let origin = format!("bench-live-{}-{}", std::process::id(), last.time);
    for turn in 0..turns {
        let next = WorkOrder {
            time: last.time + 60 * (turn as i64 + 1),
            product: last.product,
            production: last.production + turn as f64 + 1.0,
        };
        store
            .write(&[Incoming {
                origin: &origin,
                first_seq: turn as u64,
                records: &Records::Workorder(vec![next]),
            }])
            .unwrap();
        let started = Instant::now();
        let changes = live.update(&mut store).unwrap();
        assert_eq!(changes.work_orders, 1);
        let document = render(&live.report(), Streams::default(), 0);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "RESULT what=work_order turn={turn} seconds={seconds:.3} bytes={}",
            document.len()
        );
    }
}
