//! `millrace report` (and the end of `run`): builds the report from the store, writes it,
//! and prints where it is and what it found.

use super::usage::UsageError;
use crate::store::StoreLocation;
use anyhow::Context;
use std::path::PathBuf;

/// A report to write, resolved.
#[derive(Clone, Debug)]
pub struct ReportJob {
    /// The store to read.
    pub db: StoreLocation,
    /// The folder to write into.
    pub out: PathBuf,
    /// How the analysis tests the data.
    pub options: crate::report::Options,
}

/// Builds the report and writes it into `job.out`.
pub async fn write(job: &ReportJob) -> anyhow::Result<()> {
    if !job.db.exists() {
        return Err(UsageError::new(format!(
            "there is no database at {}: run `millrace run` (or stream and consume) first, or point --db at one",
            job.db
        ))
        .into());
    }
    let (location, target, options) = (job.db.clone(), job.out.clone(), job.options);
    // The whole report runs on a blocking thread: it reads the store synchronously.
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<crate::report::Report> {
        let mut store = location.open()?;
        let report = crate::report::build(&mut store, &location.to_string(), options)?;
        crate::report::write_all(&report, &target)
            .with_context(|| format!("cannot write the report to {}", target.display()))?;
        Ok(report)
    })
    .await??;
    for findings in &report.findings {
        let top: Vec<String> = findings
            .top()
            .iter()
            .map(|f| {
                let lag = if f.lag > 0 {
                    format!(", lag {}", f.lag)
                } else {
                    String::new()
                };
                format!("{} ({} ρ={:+.2}{lag})", f.parameter, f.summary, f.spearman)
            })
            .collect();
        let verdict = if findings.any_reliable() {
            ""
        } else {
            "  [none reliable]"
        };
        println!(
            "  product {}: top parameters {}{verdict}",
            findings.product,
            top.join(", ")
        );
    }
    if let Some(reason) = crate::report::nothing_to_report(&report) {
        println!("  {reason}");
    }
    println!("report written to {}", job.out.join("index.html").display());
    Ok(())
}
