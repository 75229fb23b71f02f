//! `report.md`: the same findings as the HTML, as Markdown.

use super::super::Report;
use super::super::analysis::{ALPHA, Finding};
use super::super::timefmt::utc;
use super::{method, number};
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let _ = write_report(report, &mut md);
    md
}

fn write_report(report: &Report, md: &mut String) -> std::fmt::Result {
    writeln!(
        md,
        "# Which machine parameters drive each product's output\n"
    )?;
    writeln!(md, "{}\n", coverage(report))?;
    writeln!(md, "## Summary\n")?;
    writeln!(md, "| product | intervals | 1st | 2nd | 3rd | verdict |")?;
    writeln!(md, "| --- | --- | --- | --- | --- | --- |")?;
    for (p, f) in report.products.iter().zip(&report.findings) {
        let names: Vec<String> = (0..3)
            .map(|i| {
                f.top()
                    .get(i)
                    .map(|t| {
                        format!(
                            "parameter {} ({} ρ {})",
                            t.parameter,
                            t.summary,
                            number(t.spearman)
                        )
                    })
                    .unwrap_or_else(|| "—".into())
            })
            .collect();
        writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            p.product,
            p.intervals.len(),
            names[0],
            names[1],
            names[2],
            verdict(f.any_reliable())
        )?;
    }
    for (p, f) in report.products.iter().zip(&report.findings) {
        writeln!(md, "\n## Product {}\n", p.product)?;
        writeln!(
            md,
            "{} work-order records in {} run(s) give {} intervals (usual length {:.0} s); {} gap(s) left out, {} small negative step(s) kept as noise.\n",
            p.records,
            p.runs,
            p.intervals.len(),
            p.typical_seconds,
            p.gaps,
            p.noise_steps
        )?;
        if f.any_reliable() {
            writeln!(md, "The top three, strongest first:\n")?;
        } else {
            writeln!(
                md,
                "**No parameter shows a reliable relationship with this product's output** (no q-value below {ALPHA}). The best three are listed anyway, marked as not reliable.\n"
            )?;
        }
        table(md, f.top())?;
        writeln!(md, "\n### Every parameter tested\n")?;
        table(md, &f.ranking)?;
        if !f.not_assessable.is_empty() {
            writeln!(md, "\n### Not assessable\n")?;
            for n in &f.not_assessable {
                writeln!(md, "- parameter {}: {}", n.parameter, n.reason)?;
            }
        }
    }
    writeln!(md, "\n## Parameters seen\n")?;
    writeln!(
        md,
        "| parameter | behaves as | summarised by | readings | falls as share of rises |"
    )?;
    writeln!(md, "| --- | --- | --- | --- | --- |")?;
    for p in &report.parameters {
        writeln!(
            md,
            "| {} | {:?} | {} | {} | {} |",
            p.id,
            p.kind,
            p.kind.summary(),
            p.readings,
            super::share(p.fall_share)
        )?;
    }
    writeln!(md, "\n## Method\n")?;
    for item in method() {
        writeln!(md, "- {item}")?;
    }
    Ok(())
}

pub fn coverage(report: &Report) -> String {
    let span = report
        .span()
        .map(|(a, b)| {
            format!(
                "from {} to {} ({:.1} days)",
                utc(a),
                utc(b),
                (b - a) as f64 / 86_400.0
            )
        })
        .unwrap_or_else(|| "no data".into());
    format!(
        "Data: {} metric readings of {} parameters and {} work-order records of {} products in `{}`, {span}.",
        report.metrics,
        report.parameters.len(),
        report.work_orders,
        report.products.len(),
        report.source
    )
}

pub fn verdict(reliable: bool) -> &'static str {
    if reliable {
        "reliable relationships found"
    } else {
        "no reliable relationship"
    }
}

fn table(md: &mut String, findings: &[Finding]) -> std::fmt::Result {
    writeln!(
        md,
        "| rank | parameter | summary | n | Spearman ρ | Pearson r | p (ρ) | q | reliable |"
    )?;
    writeln!(
        md,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )?;
    for (i, f) in findings.iter().enumerate() {
        writeln!(
            md,
            "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            i + 1,
            f.parameter,
            f.summary,
            f.n,
            f.n_effective,
            number(f.spearman),
            number(f.pearson),
            number(f.p_value),
            number(f.q_value),
            if f.reliable { "yes" } else { "no" }
        )?;
    }
    Ok(())
}
