//! `report.md`: the same findings as the HTML, as Markdown.

use super::super::Report;
use super::super::finding::{ALPHA, Finding};
use super::super::nothing_to_report;
use super::super::sigfig::{interval, signed};
use super::super::summaries::ParameterSummary;
use super::super::typical::{Effect, amount};
use super::method::method;
use super::numbers::{lowest, number, share};
use crate::support::timefmt::utc;
use std::fmt::Write;

/// The whole report as Markdown, for reading as plain text or pasting into a ticket.
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
    if let Some(reason) = nothing_to_report(report) {
        writeln!(md, "**{reason}**\n")?;
    }
    summary(report, md)?;
    for (index, (p, f)) in report.products.iter().zip(&report.findings).enumerate() {
        product(p, f, (&report.parameters, index), md)?;
    }
    parameters(report, md)?;
    writeln!(md, "\n## Method\n")?;
    for item in method(report.options.max_lag, report.raw_from) {
        writeln!(md, "- {item}")?;
    }
    Ok(())
}

/// One line per product: its top three and whether any is reliable, to read at a glance.
fn summary(report: &Report, md: &mut String) -> std::fmt::Result {
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
    Ok(())
}

/// The report's parameters and the product's index among its products: what a finding's
/// typical change is worked out from.
type Context<'a> = (&'a [ParameterSummary], usize);

/// One product's section: verdict, intervals, top three, every test and data quality.
fn product(
    p: &crate::report::intervals::ProductIntervals,
    f: &crate::report::analysis::ProductFindings,
    context: Context<'_>,
    md: &mut String,
) -> std::fmt::Result {
    writeln!(md, "\n## Product {}\n", p.product)?;
    writeln!(md, "**{}**\n", f.verdict)?;
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
        writeln!(md, "The top three distinct drivers, strongest first:\n")?;
    } else {
        writeln!(
            md,
            "**No parameter shows a reliable relationship with this product's output** (no q-value below {ALPHA}). The best three are listed anyway, marked as not reliable.\n"
        )?;
    }
    effects(md, &f.top(), context)?;
    table(md, &f.top(), context)?;
    writeln!(md, "\n### Every parameter tested\n")?;
    table(md, &f.ranking.iter().collect::<Vec<_>>(), context)?;
    data_quality(f, md)
}

/// What in the data was set aside or could not be assessed, so a reader can judge the rest.
fn data_quality(f: &crate::report::analysis::ProductFindings, md: &mut String) -> std::fmt::Result {
    let q = &f.data_quality;
    writeln!(md, "\n### Data quality\n")?;
    writeln!(
        md,
        "- {} counter restart(s), {} gap(s), {} noise step(s), {} record(s) sharing a timestamp",
        q.restarts, q.gaps, q.noise_steps, q.same_time
    )?;
    if let Some(r) = &q.rolled_up {
        writeln!(
            md,
            "- {} interval(s) begin before {}, where raw readings were pruned: they rest on per-minute rollups ({} readings), whose glitches cannot be set aside (see the method)",
            r.intervals, r.raw_from, r.readings
        )?;
    }
    let glitches: Vec<String> = q
        .glitches_by_parameter
        .iter()
        .map(|g| format!("parameter {}: {}", g.parameter, g.glitches))
        .collect();
    writeln!(
        md,
        "- {} glitch reading(s) set aside{}",
        q.glitches,
        if glitches.is_empty() {
            String::new()
        } else {
            format!(" ({})", glitches.join(", "))
        }
    )?;
    for n in &f.not_assessable {
        writeln!(
            md,
            "- parameter {} not assessable: {}",
            n.parameter, n.reason
        )?;
    }
    Ok(())
}

/// How each parameter behaved and was summarised: counter or gauge, and why.
fn parameters(report: &Report, md: &mut String) -> std::fmt::Result {
    writeln!(md, "\n## Parameters seen\n")?;
    writeln!(
        md,
        "| parameter | behaves as | summarised by | readings | glitches | lowest | falls as share of rises | drops (to zero) | wraps |"
    )?;
    writeln!(
        md,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )?;
    for p in &report.parameters {
        let summaries: Vec<&str> = p.kind.summaries().iter().map(|s| s.name()).collect();
        writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} ({}) | {} |",
            p.id,
            p.kind.name(),
            summaries.join(" and "),
            p.readings,
            p.glitches,
            lowest(p.lowest),
            share(p.fall_share),
            p.drops,
            p.resets,
            p.wraps
        )?;
    }
    Ok(())
}

/// One sentence on what data the report rests on: how many readings of how many parameters
/// and products, from where, over which dates. Shared with the HTML.
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

/// The short label for a product in the summary table. Shared with the HTML.
pub fn verdict(reliable: bool) -> &'static str {
    if reliable {
        "reliable relationships found"
    } else {
        "no reliable relationship"
    }
}

/// The top three's effects in words, as the HTML's cards give them: "output +0.412
/// units/hour when its mean is 5 higher".
fn effects(md: &mut String, findings: &[&Finding], context: Context<'_>) -> std::fmt::Result {
    for (i, f) in findings.iter().enumerate() {
        let e = Effect::of(f, context.0, context.1);
        let later = match f.lag {
            0 => String::new(),
            1 => ", 1 interval later".into(),
            k => format!(", {k} intervals later"),
        };
        writeln!(
            md,
            "{}. parameter {} ({}{later}): output **{} units/hour** when its {} is {} higher (95 % CI {}){}",
            i + 1,
            f.parameter,
            f.summary,
            signed(e.effect),
            f.summary,
            amount(f.which, e.change),
            interval(e.interval),
            if f.reliable { "" } else { " — not reliable" },
        )?;
    }
    writeln!(md)
}

/// The columns of both tables, header and rows alike.
const COLUMNS: [&str; 18] = [
    "rank",
    "parameter",
    "summary",
    "lag",
    "n",
    "n effective",
    "Spearman ρ",
    "Pearson r",
    "test",
    "p",
    "weight",
    "p / weight",
    "q",
    "typical change",
    "effect (units/hour)",
    "95 % CI",
    "echoes",
    "reliable",
];

fn table(md: &mut String, findings: &[&Finding], context: Context<'_>) -> std::fmt::Result {
    writeln!(md, "| {} |", COLUMNS.join(" | "))?;
    writeln!(md, "|{}", " --- |".repeat(COLUMNS.len()))?;
    for (i, f) in findings.iter().enumerate() {
        let effect = Effect::of(f, context.0, context.1);
        let cells = [
            (i + 1).to_string(),
            f.parameter.to_string(),
            f.summary.to_string(),
            f.lag.to_string(),
            f.n.to_string(),
            format!("{:.0}", f.n_effective),
            number(f.spearman),
            number(f.pearson),
            f.test.name().to_string(),
            number(f.p_value),
            format!("{:.3}", f.weight),
            number(f.p_weighted),
            number(f.q_value),
            amount(f.which, effect.change),
            signed(effect.effect),
            interval(effect.interval),
            f.redundant_with
                .map(|r| format!("parameter {r}"))
                .unwrap_or_else(|| "—".into()),
            if f.reliable { "yes" } else { "no" }.to_string(),
        ];
        debug_assert_eq!(cells.len(), COLUMNS.len());
        writeln!(md, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::shape::Summary;
    use super::*;

    #[test]
    fn every_row_has_as_many_cells_as_the_header() {
        let f = Finding {
            redundant_with: Some(4),
            ..Finding::example()
        };
        let mut md = String::new();
        table(&mut md, &[&f, &f], (&[], 0)).unwrap();
        let cells: Vec<usize> = md.lines().map(|l| l.matches('|').count()).collect();
        assert_eq!(cells, vec![COLUMNS.len() + 1; 4], "{md}");
    }

    #[test]
    fn effects_are_stated_for_a_typical_change_to_three_figures() {
        let finding = Finding {
            parameter: 3,
            summary: "rate",
            which: Summary::Rate,
            slope: -0.004_123,
            slope_ci: [-0.006, -0.002],
            ..Finding::example()
        };
        // Rates 0 to 20 per hour: quartiles 5 and 15, a typical change of 10/hour.
        let parameter =
            ParameterSummary::example(3, Summary::Rate, (0..=100).map(|i| f64::from(i) * 0.2));
        let md = render(&Report::example(vec![finding], vec![parameter]));
        assert!(
            md.contains(
                "1. parameter 3 (rate): output **-0.0412 units/hour** when its rate is 10/hour \
                 higher (95 % CI -0.0600 to -0.0200)\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("| 10/hour | -0.0412 | -0.0600 to -0.0200 |"),
            "{md}"
        );
        assert!(md.contains("| effect (units/hour) |"));
        assert!(md.contains("When parameter 3's rate is 10/hour higher, product 7 is made about 0.0412 units/hour slower (95 % CI 0.0200 to 0.0600)."));
        assert!(!md.contains("units/h ") && !md.contains("output/h"), "{md}");
    }
}
