//! Writing the report: `index.html` (self-contained, with plots), `report.md`, `top3.csv`
//! and `top3.json`, all from the same findings.

mod csv;
mod html;
pub mod json;
mod markdown;
mod method;
mod numbers;
mod plots;

use super::Report;
use std::path::Path;

/// Writes every format into `out`, creating it if needed.
pub fn write_all(report: &Report, out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("top3.json"), json::render(report))?;
    std::fs::write(out.join("top3.csv"), csv::render(report))?;
    std::fs::write(out.join("report.md"), markdown::render(report))?;
    let started = std::time::Instant::now();
    std::fs::write(out.join("index.html"), html::render(report)?)?;
    tracing::debug!(html = ?started.elapsed(), "report written");
    Ok(())
}
