//! `millrace generate`: writes a demo dataset and says what it wrote.

use crate::generate::{GenerateConfig, generate};
use anyhow::Context;

/// Writes the dataset `config` describes.
pub fn generate_data(config: &GenerateConfig) -> anyhow::Result<()> {
    let written =
        generate(config).with_context(|| format!("cannot write to {}", config.out.display()))?;
    println!(
        "wrote {} metrics and {} work orders to {}",
        written.metrics,
        written.workorders,
        config.out.display()
    );
    Ok(())
}
