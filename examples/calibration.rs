//! The report's null calibration over many datasets: how often a report of null data that
//! wanders slowly claims a reliable driver, per shape of data and in all. Run by
//! `bench/calibration.sh`; the seeded test in `tests/it/report/calibration.rs` runs 480.
//!
//!     cargo run --release --example calibration -- [DATASETS] [FIRST_SEED]

#[path = "../tests/it/support/null_model.rs"]
mod null_model;

use millrace::report::analysis::Options;

fn main() {
    let mut args = std::env::args().skip(1);
    let datasets: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2400);
    let first: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let (claimed, per_shape) = null_model::claims(first, datasets, Options::default());
    for (shape, reports, claims) in &per_shape {
        println!(
            "intervals {:>4}, AR {:.2}-{:.2}, noise {}, output {:<9}: {claims:>3} of {reports} claim a driver ({:.1} %)",
            shape.intervals,
            shape.min_ar,
            shape.max_ar,
            shape.noise,
            if shape.wandering_output {
                "wandering"
            } else {
                "white"
            },
            100.0 * *claims as f64 / *reports as f64
        );
    }
    let (old, total) = null_model::claims_raw_lag1(first, datasets);
    println!(
        "all shapes: {claimed} of {datasets} product reports claim a reliable driver ({:.2} %; at most 5 % allowed)",
        100.0 * claimed as f64 / datasets as f64
    );
    println!(
        "the previous method (raw levels, lag-1 effective n) on the same data: {old} of {total} ({:.2} %)",
        100.0 * old as f64 / total as f64
    );
}
