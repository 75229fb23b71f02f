//! The report's rank code (`report/order.rs`) and rankings against the standard library's
//! `sort_by(f64::total_cmp)` of the same values.
//!
//! Every test in the report ranks two prewhitened series of up to hundreds of thousands of
//! values, so the order behind the ranks is the report's hottest code. It is a radix sort
//! that also finds the groups of tied values; the baseline only sorts a copy of the values
//! (no positions, no ties found, no ranks written), which is the least a rank needs.
//!
//! - `ranks/{continuous,ties}_{100,1k,100k}`: [`millrace::report::stats::ranks`] (the sort
//!   plus average ranks for ties) against sorting a copy; continuous values (no ties) and
//!   values on 20 levels (long runs of ties);
//! - `spearman/100k`: [`millrace::report::stats::spearman`] of two series (two rankings
//!   and Pearson's r of them) against sorting a copy of each;
//! - `findings/{100,1k}`: [`millrace::report::analysis::sort`], the order findings are
//!   listed in (reliable first, then by strength or evidence), against sorting the same
//!   findings by `p_weighted` alone.
//!
//! `cargo bench --bench hot_paths -- 'ranks|spearman|findings'`

use super::rng;
use criterion::{BatchSize, Criterion, Throughput};
use millrace::report::analysis::sort;
use millrace::report::finding::Finding;
use millrace::report::shape::Summary;
use millrace::report::stats::{ranks, spearman};
use millrace::report::weights::Test;
use rand::Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;

/// Ranks, Spearman's ρ and findings, each beside its sort.
pub fn benches(c: &mut Criterion) {
    for (label, n) in [("100", 100), ("1k", 1_000), ("100k", 100_000)] {
        bench_ranks(c, &format!("ranks/continuous_{label}"), &continuous(4, n));
        bench_ranks(c, &format!("ranks/ties_{label}"), &levels(5, n));
    }
    bench_spearman(c);
    for (label, n) in [("100", 100), ("1k", 1_000)] {
        bench_findings(c, &format!("findings/{label}"), &findings(n));
    }
}

fn bench_ranks(c: &mut Criterion, name: &str, values: &[f64]) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(values.len() as u64));
    group.bench_function("ranks", |b| b.iter(|| ranks(black_box(values))));
    group.bench_function("baseline_sort_by", |b| b.iter(|| sorted(black_box(values))));
    group.finish();
}

fn bench_spearman(c: &mut Criterion) {
    let (x, y) = (continuous(6, 100_000), continuous(7, 100_000));
    let mut group = c.benchmark_group("spearman/100k");
    group.throughput(Throughput::Elements(x.len() as u64));
    group.bench_function("spearman", |b| {
        b.iter(|| spearman(black_box(&x), black_box(&y)))
    });
    group.bench_function("baseline_sort_by", |b| {
        b.iter(|| (sorted(black_box(&x)), sorted(black_box(&y))))
    });
    group.finish();
}

fn bench_findings(c: &mut Criterion, name: &str, findings: &[Finding]) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(findings.len() as u64));
    group.bench_function("analysis_sort", |b| {
        b.iter_batched_ref(|| findings.to_vec(), |f| sort(f), BatchSize::SmallInput)
    });
    group.bench_function("baseline_sort_by", |b| {
        b.iter_batched_ref(
            || findings.to_vec(),
            |f| f.sort_by(|a, b| a.p_weighted.total_cmp(&b.p_weighted)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// A sorted copy: what `ranks` is measured against, as both start from a borrowed series
/// and return a new vector.
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut out = values.to_vec();
    out.sort_by(f64::total_cmp);
    out
}

/// Normal values, as a prewhitened series is: no two equal.
fn continuous(stream: u64, n: usize) -> Vec<f64> {
    rng(stream).sample_iter(StandardNormal).take(n).collect()
}

/// Values on 20 levels, as a setpoint or a coarse gauge gives: long runs of ties.
fn levels(stream: u64, n: usize) -> Vec<f64> {
    let mut rng = rng(stream);
    (0..n)
        .map(|_| f64::from(rng.random_range(0..20)) * 0.5)
        .collect()
}

/// Findings as a report with many parameters has them: a third reliable, some echoes of
/// another parameter, and a fifth of p-values capped at 1 (tied).
fn findings(n: usize) -> Vec<Finding> {
    let mut rng = rng(8);
    (0..n)
        .map(|i| {
            let p: f64 = if rng.random_bool(0.2) {
                1.0
            } else {
                rng.random_range(0.0..1.0)
            };
            let rho = rng.random_range(-1.0..1.0);
            Finding {
                parameter: i as i64,
                summary: "mean",
                lag: 0,
                n: 400,
                n_effective: 300.0,
                pearson: rho,
                spearman: rho,
                test: Test::Rank,
                p_value: p,
                weight: 1.0,
                p_weighted: p,
                size_r: None,
                pearson_p: p,
                q_value: p,
                reliable: rng.random_bool(1.0 / 3.0),
                slope: 1.0,
                slope_ci: [0.5, 1.5],
                redundant_with: rng.random_bool(0.1).then_some(0),
                tests: 4,
                rho_by_lag: vec![Some(rho); 4],
                n_by_lag: vec![Some(400); 4],
                which: Summary::Mean,
                typical_change: f64::NAN,
            }
        })
        .collect()
}
