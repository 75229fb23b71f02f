//! The report's null calibration on the demo generator's own data with nothing planted
//! (`generate --no-plant`): parameters as the generator makes them (continuous-time states
//! read at random moments, so some intervals have no reading; counters; two parameters that
//! trend; two products at once or taking turns), output independent of every parameter.
//! Unlike `null_model.rs`, whose per-interval AR data the report's filter describes exactly,
//! these data are only roughly autoregressive per interval: the check that a method's
//! shortcuts (predicting across missing readings, say) do not leak slow levels into the
//! tests.
//!
//! Shared by `tests/it/report/calibration.rs` (seeded, small) and `examples/null_generated.rs`
//! (as many as asked).

use millrace::generate::{GenerateConfig, Schedule, generate};
use millrace::record::{Metric, WorkOrder};
use millrace::report::{Options, from_records};

/// Of `datasets` generated null datasets from `first_seed` on (odd seeds concurrent, even
/// seeds taking turns), at `scale`: product reports made, those claiming a reliable driver,
/// and one line per claim.
pub fn claims(first_seed: u64, datasets: u64, scale: f64) -> (usize, usize, Vec<String>) {
    let dir = std::env::temp_dir().join(format!(
        "millrace-generated-null-{}-{first_seed}",
        std::process::id()
    ));
    let (mut reports, mut claimed, mut lines) = (0, 0, Vec::new());
    for seed in first_seed..first_seed + datasets {
        let schedule = if seed % 2 == 0 {
            Schedule::Turns
        } else {
            Schedule::Concurrent
        };
        generate(&GenerateConfig {
            out: dir.clone(),
            seed,
            scale,
            products: 2,
            schedule,
            plant: false,
        })
        .expect("the generator writes into a temporary folder");
        let read = |name: &str| std::fs::read(dir.join(name)).expect("just written");
        let mut metrics: Vec<Metric> = serde_json::from_slice(&read("metrics.json")).unwrap();
        let orders: Vec<WorkOrder> = serde_json::from_slice(&read("workorder.json")).unwrap();
        metrics.sort_by_key(|m| (m.id, m.time));
        let report = from_records(&orders, &metrics, "generated null", Options::default());
        for found in &report.findings {
            reports += 1;
            let reliable: Vec<_> = found.ranking.iter().filter(|f| f.reliable).collect();
            claimed += usize::from(!reliable.is_empty());
            for f in reliable {
                lines.push(format!(
                    "seed {seed} ({schedule:?}) product {}: parameter {} {} lag {} {} test, n {}, ρ {:+.3}, p {:.1e}, q {:.3}",
                    found.product, f.parameter, f.summary, f.lag, f.test.name(), f.n, f.spearman,
                    f.p_value, f.q_value
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    (reports, claimed, lines)
}
