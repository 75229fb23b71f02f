//! The webhook body decoder against serde_json on the same 1 MiB bodies.
//!
//! millrace does not hand a whole body to serde: its scanner (`codec/scan.rs`) finds where
//! each record starts and ends, and each record is parsed and checked on its own, so the
//! file reader can stream files of any size and a refusal names the record at fault. This
//! measures what that costs against the obvious alternative, `serde_json::from_slice` of the
//! whole array into a `Vec` of the same structs, checked with the same `check_*` functions,
//! so both end with the same validated records (asserted before timing).
//!
//! - `decode_body`: the webhook's entry point, [`millrace::codec::decode_body`];
//! - `scan_only`: the scanner alone, finding every record's bounds without parsing: the
//!   share of `decode_body` that is millrace's own code;
//! - `baseline_serde_json`: the whole body through serde_json, then the same checks.
//!
//! `cargo bench --bench hot_paths -- scanner`

use super::rng;
use criterion::{Criterion, Throughput};
use millrace::codec::{Layout, Scanner, Step, decode_body};
use millrace::record::{
    Metric, RecordError, Records, StreamKind, WorkOrder, check_metric, check_workorder,
};
use rand::Rng;
use serde::de::DeserializeOwned;
use std::hint::black_box;

/// A webhook body of about this many bytes: a large batch from a file sender.
const BODY_BYTES: usize = 1 << 20;

/// Both streams' bodies, each through the decoder, the scanner alone and the baseline.
pub fn benches(c: &mut Criterion) {
    let metrics = metrics_body();
    let work_orders = work_orders_body();
    bench_stream(c, "scanner/metrics_1MiB", StreamKind::Metrics, &metrics);
    bench_stream(
        c,
        "scanner/workorder_1MiB",
        StreamKind::Workorder,
        &work_orders,
    );
}

fn bench_stream(c: &mut Criterion, name: &str, kind: StreamKind, body: &[u8]) {
    let decoded = decode(kind, body);
    assert_eq!(
        decoded,
        baseline(kind, body),
        "{name}: the two decoders differ"
    );
    assert_eq!(scan(body), decoded.len(), "{name}: the scanner miscounts");
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("decode_body", |b| b.iter(|| decode(kind, black_box(body))));
    group.bench_function("scan_only", |b| b.iter(|| scan(black_box(body))));
    group.bench_function("baseline_serde_json", |b| {
        b.iter(|| baseline(kind, black_box(body)))
    });
    group.finish();
}

fn decode(kind: StreamKind, body: &[u8]) -> Records {
    decode_body(kind, Some("application/json"), body, usize::MAX).expect("a valid body")
}

/// The number of records the scanner finds.
fn scan(body: &[u8]) -> usize {
    let mut scanner = Scanner::new(Layout::Array);
    let (mut pos, mut count) = (0, 0);
    while let Step::Item(range) = scanner.next(body, &mut pos, true).expect("a valid body") {
        black_box(range);
        count += 1;
    }
    count
}

fn baseline(kind: StreamKind, body: &[u8]) -> Records {
    match kind {
        StreamKind::Metrics => Records::Metrics(whole(body, check_metric)),
        StreamKind::Workorder => Records::Workorder(whole(body, check_workorder)),
    }
}

/// The whole array through serde_json, then each record through the edge's checks.
fn whole<T: DeserializeOwned>(body: &[u8], check: fn(&T) -> Result<(), RecordError>) -> Vec<T> {
    let records: Vec<T> = serde_json::from_slice(body).expect("a valid body");
    for r in &records {
        check(r).expect("a valid record");
    }
    records
}

/// Readings as the original Python streamer writes them (`json.dumps`: a space after each
/// separator, floats at full precision): 30 parameters, a reading every few seconds.
fn metrics_body() -> Vec<u8> {
    let mut rng = rng(1);
    let mut time = 1_624_377_478_i64;
    array_of(|| {
        time += rng.random_range(0..5);
        let m = Metric {
            id: rng.random_range(0..30),
            val: rng.random_range(0.0..6_000.0),
            time,
        };
        format!(
            r#"{{"id": {}, "val": {:?}, "time": {}}}"#,
            m.id, m.val, m.time
        )
    })
}

/// Production counters of a few products, each counting up through its run.
fn work_orders_body() -> Vec<u8> {
    let mut rng = rng(2);
    let mut time = 1_624_378_574_i64;
    let mut production = [0.0_f64; 4];
    array_of(|| {
        time += rng.random_range(60..600);
        let product = rng.random_range(0..4);
        production[product] += rng.random_range(0.0..50.0);
        let w = WorkOrder {
            time,
            product: product as i64,
            production: production[product],
        };
        format!(
            r#"{{"time": {}, "product": {}, "production": {:?}}}"#,
            w.time, w.product, w.production
        )
    })
}

/// A JSON array of the records `next` writes, closed once it holds about [`BODY_BYTES`].
fn array_of(mut next: impl FnMut() -> String) -> Vec<u8> {
    let mut body = String::from("[");
    while body.len() < BODY_BYTES {
        if body.len() > 1 {
            body.push_str(", ");
        }
        body.push_str(&next());
    }
    body.push(']');
    body.into_bytes()
}
