//! The demo dataset `run` streams when no `--data` is given.

use crate::generate::{GenerateConfig, Schedule, generate};
use anyhow::Context;
use std::path::PathBuf;

/// Where `run` puts its demo dataset.
const DEMO_DIR: &str = ".millrace/demo";

/// The demo dataset, generated on first use; the same seed gives the same files each time.
pub fn demo_data() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(DEMO_DIR);
    if !dir.join("metrics.json").exists() || !dir.join("workorder.json").exists() {
        tracing::info!(dir = %dir.display(), "no --data given: generating a demo dataset");
        generate(&GenerateConfig {
            out: dir.clone(),
            seed: 1,
            // Four times the sample: enough intervals for the report to find every planted
            // driver, still under a second end to end.
            scale: 4.0,
            products: 2,
            schedule: Schedule::Concurrent,
            plant: true,
        })
        .with_context(|| format!("cannot write the demo dataset to {}", dir.display()))?;
    }
    Ok(dir)
}
