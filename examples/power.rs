//! The report's power against the plain textbook test, over issue 21's whole grid: per cell,
//! by φ, by n and in all, with the false discovery proportion among the report's reliable
//! claims. Run by `bench/power.sh`; `tests/it/report/power.rs` runs a seeded subset.
//!
//!     cargo run --release --example power -- [SEEDS] [FIRST_SEED] [MAX_LAG]

#[path = "../tests/it/support/power_model.rs"]
mod power_model;

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let first: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let max_lag: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let options = millrace::report::Options { max_lag };
    println!("lags 0 to {max_lag}");
    let results = power_model::run(&power_model::grid(), seeds, first, options);
    println!("per cell ({seeds} seeds each, 3 planted drivers per dataset):");
    for (cell, tally) in &results.cells {
        let label = format!(
            "n {:>3} r {:.2} phi {:.1} every {:>4} s",
            cell.n, cell.r, cell.phi, cell.reading_seconds
        );
        println!("  {}", tally.line(&label));
    }
    println!("by phi and n:");
    for ((phi, n), tally) in &results.by_phi_and_n {
        println!("  {}", tally.line(&format!("phi {phi:.1} n {n}")));
    }
    println!("by phi:");
    for (phi, tally) in &results.by_phi {
        println!("  {}", tally.line(&format!("phi {phi:.1}")));
    }
    println!("by n:");
    for (n, tally) in &results.by_n {
        println!("  {}", tally.line(&format!("n {n}")));
    }
    println!("{}", results.all.line("all"));
}
