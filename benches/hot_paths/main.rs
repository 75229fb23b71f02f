//! Criterion micro-benchmarks of millrace's hand-written hot paths, each beside a plain
//! baseline doing the same job (or the least work the job could take) on the same data in
//! the same run, so a figure is read as a ratio rather than as a time that depends on how
//! busy this shared machine is:
//!
//! - `scanner/*`: the webhook body decoder (record scanner plus per-record serde) against
//!   serde_json reading the whole array at once (`scanner.rs`);
//! - `packed/*`: the queue's packed body (schema 2), encode and decode, against a plain copy
//!   of the same bytes or records (`packed.rs`);
//! - `ranks/*`, `spearman/*`, `findings/*`: the report's rank code and ranking against the
//!   standard library's sort of the same values (`ranking.rs`).
//!
//! Every input is generated from a fixed seed, so each run times the same bytes.
//!
//! ```sh
//! cargo bench --bench hot_paths              # everything (about 5 minutes)
//! cargo bench --bench hot_paths -- scanner   # one group, by name filter
//! bench/hot_paths.sh                         # the same, then each median and its ratio
//! ```

mod packed;
mod ranking;
mod scanner;

use criterion::Criterion;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The one seed every input is generated from.
fn rng(stream: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(0x6d69_6c6c ^ stream)
}

// `criterion_main!` would declare an undocumented `pub fn`, which the crate's lints refuse.
fn main() {
    let mut c = Criterion::default().without_plots().configure_from_args();
    scanner::benches(&mut c);
    packed::benches(&mut c);
    ranking::benches(&mut c);
    c.final_summary();
}
