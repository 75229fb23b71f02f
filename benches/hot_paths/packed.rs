//! The packed queue body (message schema 2, `codec/packed.rs`) against a plain copy.
//!
//! Every accepted batch is encoded once by the webhook and decoded once by the consumer.
//! Both are a fixed 24 bytes per record, so the floor is moving those bytes: encoding is
//! compared with copying a packed body of the same size (`<[u8]>::to_vec`), decoding with
//! cloning the same records (`Vec::clone`). What is left over is the per-record work: the
//! byte-order conversions and, on decode, the edge's checks of every value.
//!
//! A batch of 10,000 metrics, the size a file sender posts; throughput is of the packed
//! body's bytes. Decoding goes through [`millrace::codec::decode_queued`], the consumer's
//! entry point, which sees the magic and reads the packed form.
//!
//! `cargo bench --bench hot_paths -- packed`

use super::rng;
use criterion::{Criterion, Throughput};
use millrace::codec::{decode_queued, encode_packed};
use millrace::record::{Metric, Records, StreamKind};
use rand::Rng;
use std::hint::black_box;

/// Records in the batch.
const RECORDS: usize = 10_000;

/// Encode and decode of one batch, each beside its copy.
pub fn benches(c: &mut Criterion) {
    let records = metrics();
    let body = encode_packed(&records);
    assert_eq!(decode_queued(StreamKind::Metrics, &body).unwrap(), records);
    let Records::Metrics(plain) = &records else {
        unreachable!("metrics were made")
    };

    let mut group = c.benchmark_group("packed/encode_10k_metrics");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("encode_packed", |b| {
        b.iter(|| encode_packed(black_box(&records)))
    });
    group.bench_function("baseline_copy_bytes", |b| {
        b.iter(|| black_box(body.as_slice()).to_vec())
    });
    group.finish();

    let mut group = c.benchmark_group("packed/decode_10k_metrics");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("decode_queued", |b| {
        b.iter(|| decode_queued(StreamKind::Metrics, black_box(&body)).unwrap())
    });
    group.bench_function("baseline_clone_records", |b| {
        b.iter(|| black_box(plain).clone())
    });
    group.finish();
}

fn metrics() -> Records {
    let mut rng = rng(3);
    let mut time = 1_624_377_478_i64;
    Records::Metrics(
        (0..RECORDS)
            .map(|_| {
                time += rng.random_range(0..5);
                Metric {
                    id: rng.random_range(0..30),
                    val: rng.random_range(0.0..6_000.0),
                    time,
                }
            })
            .collect(),
    )
}
