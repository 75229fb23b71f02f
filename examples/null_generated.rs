//! The report's null calibration on the demo generator's data with nothing planted: how many
//! product reports claim a reliable driver, and each claim. Run by `bench/calibration.sh`;
//! `tests/it/report/calibration.rs` runs a seeded few.
//!
//!     cargo run --release --example null_generated -- [DATASETS] [FIRST_SEED] [SCALE]

#[path = "../tests/it/support/generated_null.rs"]
mod generated_null;

fn main() {
    let mut args = std::env::args().skip(1);
    let datasets: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let first: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let scale: f64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2.0);
    let (reports, claimed, lines) = generated_null::claims(first, datasets, scale);
    for line in &lines {
        println!("  {line}");
    }
    println!(
        "generated null data (scale {scale}): {claimed} of {reports} product reports claim a reliable driver ({:.1} %; at most 5 % allowed)",
        100.0 * claimed as f64 / reports.max(1) as f64
    );
}
