//! `index.html`: the report people read — one self-contained file (styles and plots inline,
//! nothing fetched), so it works from a file:// URL or as an e-mail attachment.
//!
//! Each product leads with what an engineer acts on — the verdict sentence and how much
//! output changes for a typical change of each top driver — and keeps the statistician's
//! columns folded away below.

use super::super::Report;
use super::super::analysis::{ProductFindings, pairs};
use super::super::finding::{ALPHA, Finding};
use super::super::intervals::ProductIntervals;
use super::super::quality::DataQuality;
use super::super::sigfig::{interval, signed};
use super::super::summaries::ParameterSummary;
use super::super::typical::{Effect, amount};
use super::markdown::{coverage, verdict};
use super::method::method;
use super::numbers::{lowest, number, share};
use super::plots;
use minijinja::{Environment, context};
use serde::Serialize;

const TEMPLATE: &str = include_str!("index.html.jinja");

/// One finding as the page shows it: the effect in plain numbers, then the statistics.
#[derive(Serialize)]
struct Row {
    rank: usize,
    parameter: i64,
    summary: &'static str,
    lag: usize,
    /// "2 intervals later", empty at lag 0.
    later: String,
    /// Output, in units/hour, for a typical change of the summary: three figures, signed.
    effect: String,
    /// The effect's 95 % interval.
    ci: String,
    /// The typical change: "5", or "5/hour" for a rate.
    change: String,
    /// The 95 % interval reaches zero: the direction itself is in doubt.
    uncertain: bool,
    echoes: Option<i64>,
    /// Weaker parameters that only echo this one.
    echoed_by: Vec<i64>,
    reliable: bool,
    n: usize,
    n_effective: String,
    spearman: String,
    pearson: String,
    /// The test that carried the evidence: `rank` or `size`.
    test: &'static str,
    p_value: String,
    /// That test's share of the parameter's budget.
    weight: String,
    q_value: String,
    tests: usize,
    /// Bar width for |ρ|, in percent.
    strength: f64,
    positive: bool,
}

/// The three plots of one top parameter.
#[derive(Serialize)]
struct Plot {
    parameter: i64,
    summary: &'static str,
    later: String,
    scatter: String,
    series: String,
    lags: String,
}

/// One product's section.
#[derive(Serialize)]
struct Product<'a> {
    product: i64,
    records: usize,
    runs: usize,
    intervals: usize,
    typical_seconds: String,
    reliable: bool,
    verdict: &'static str,
    sentence: &'a str,
    top: Vec<Row>,
    ranking: Vec<Row>,
    plots: Vec<Plot>,
    quality: &'a DataQuality,
}

/// One line of the "Parameters seen" table.
#[derive(Serialize)]
struct Parameter {
    id: i64,
    kind: &'static str,
    summary: String,
    readings: u64,
    glitches: u64,
    falls: String,
    drops: usize,
    resets: usize,
    wraps: usize,
    lowest: String,
}

/// The whole report as one self-contained HTML page, plots included, for reading in a browser.
pub fn render(report: &Report) -> std::io::Result<String> {
    let products: Vec<Product> = report
        .products
        .iter()
        .zip(&report.findings)
        .enumerate()
        .map(|(index, (p, f))| product(report, index, p, f))
        .collect();
    let parameters: Vec<Parameter> = report.parameters.iter().map(parameter).collect();
    let mut env = Environment::new();
    env.add_template("index.html", TEMPLATE)
        .map_err(std::io::Error::other)?;
    env.get_template("index.html")
        .and_then(|t| {
            t.render(context! {
                coverage => coverage(report),
                note => super::super::nothing_to_report(report),
                products => products,
                parameters => parameters,
                method => method(report.options.max_lag, report.raw_from),
                version => env!("CARGO_PKG_VERSION"),
                alpha => ALPHA,
            })
        })
        .map_err(std::io::Error::other)
}

fn product<'a>(
    report: &Report,
    index: usize,
    p: &ProductIntervals,
    f: &'a ProductFindings,
) -> Product<'a> {
    // Ranks are places in the full ranking, so the top three and the table agree.
    let rank_of = |finding: &Finding| {
        f.ranking
            .iter()
            .position(|r| std::ptr::eq(r, finding))
            .map_or(0, |i| i + 1)
    };
    let top = f.top();
    Product {
        product: p.product,
        records: p.records,
        runs: p.runs,
        intervals: p.intervals.len(),
        typical_seconds: format!("{:.0}", p.typical_seconds),
        reliable: f.any_reliable(),
        verdict: verdict(f.any_reliable()),
        sentence: &f.verdict,
        top: top
            .iter()
            .map(|t| row(rank_of(t), t, f, Effect::of(t, &report.parameters, index)))
            .collect(),
        ranking: f
            .ranking
            .iter()
            .enumerate()
            .map(|(i, t)| row(i + 1, t, f, Effect::of(t, &report.parameters, index)))
            .collect(),
        plots: top.iter().map(|t| plot(report, index, p, t)).collect(),
        quality: &f.data_quality,
    }
}

fn row(rank: usize, f: &Finding, all: &ProductFindings, effect: Effect) -> Row {
    Row {
        rank,
        parameter: f.parameter,
        summary: f.summary,
        lag: f.lag,
        later: later(f.lag),
        effect: signed(effect.effect),
        ci: interval(effect.interval),
        change: amount(f.which, effect.change),
        uncertain: !(effect.interval[0] > 0.0 || effect.interval[1] < 0.0),
        echoes: f.redundant_with,
        echoed_by: all
            .ranking
            .iter()
            .filter(|e| e.redundant_with == Some(f.parameter))
            .map(|e| e.parameter)
            .collect(),
        reliable: f.reliable,
        n: f.n,
        n_effective: format!("{:.0}", f.n_effective),
        spearman: number(f.spearman),
        pearson: number(f.pearson),
        test: f.test.name(),
        p_value: number(f.p_value),
        weight: format!("{:.3}", f.weight),
        q_value: number(f.q_value),
        tests: f.tests,
        strength: (f.spearman.abs() * 100.0).min(100.0),
        positive: f.spearman >= 0.0,
    }
}

/// When output follows the parameter, in words; nothing for the same interval.
fn later(lag: usize) -> String {
    match lag {
        0 => String::new(),
        1 => "1 interval later".into(),
        k => format!("{k} intervals later"),
    }
}

fn plot(report: &Report, index: usize, p: &ProductIntervals, finding: &Finding) -> Plot {
    let values = report
        .parameters
        .iter()
        .find(|s| s.id == finding.parameter)
        .map(|s| s.values(finding.which, index))
        .unwrap_or(&crate::report::series::EMPTY);
    let pairs = pairs(p, values, finding.lag);
    Plot {
        parameter: finding.parameter,
        summary: finding.summary,
        later: later(finding.lag),
        scatter: plots::scatter(&pairs, finding),
        series: plots::series(&pairs, &plots::gaps(p), finding),
        lags: plots::lags(finding),
    }
}

fn parameter(p: &ParameterSummary) -> Parameter {
    let summaries: Vec<&str> = p.kind.summaries().iter().map(|s| s.name()).collect();
    Parameter {
        id: p.id,
        kind: p.kind.name(),
        summary: summaries.join(" and "),
        readings: p.readings,
        glitches: p.glitches,
        falls: share(p.fall_share),
        drops: p.drops,
        resets: p.resets,
        wraps: p.wraps,
        lowest: lowest(p.lowest),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::analysis::Options;
    use super::super::super::shape::Summary;
    use super::*;

    fn finding(parameter: i64, reliable: bool, redundant_with: Option<i64>) -> Finding {
        Finding {
            parameter,
            lag: 2,
            q_value: if reliable { 1e-4 } else { 0.3 },
            reliable,
            redundant_with,
            ..Finding::example()
        }
    }

    #[test]
    fn echoes_are_named_and_unreliable_bars_are_grey() {
        let report = Report {
            source: "test".into(),
            metrics: 0,
            work_orders: 0,
            products: vec![ProductIntervals {
                product: 7,
                ..Default::default()
            }],
            parameters: Vec::new(),
            findings: vec![ProductFindings {
                product: 7,
                ranking: vec![
                    finding(9, true, None),
                    finding(4, true, Some(9)),
                    finding(5, false, None),
                ],
                not_assessable: Vec::new(),
                verdict: "The verdict sentence.".into(),
                data_quality: DataQuality::default(),
            }],
            options: Options::default(),
            raw_from: None,
        };
        let html = render(&report).unwrap();
        assert!(html.contains("echoes parameter 9"), "in the full ranking");
        assert!(html.contains("echoed by parameter 4"), "under its driver");
        assert!(html.contains("The verdict sentence."));
        assert!(html.contains("2 intervals later"));
        assert_eq!(
            html.matches("class=\"off\"").count(),
            3,
            "parameter 5's bar is grey in the card, its effect and the ranking"
        );
    }

    #[test]
    fn effects_are_stated_for_a_typical_change_to_three_figures() {
        let finding = Finding {
            parameter: 3,
            slope: 0.004_123,
            slope_ci: [0.002, 0.006],
            ..Finding::example()
        };
        // Means 0 to 20: quartiles 5 and 15, a typical change of 10.
        let parameter =
            ParameterSummary::example(3, Summary::Mean, (0..=100).map(|i| f64::from(i) * 0.2));
        let html = render(&Report::example(vec![finding], vec![parameter])).unwrap();
        assert!(
            html.contains(
                "output <strong>+0.0412</strong> units/hour when its mean is 10 higher\n        \
                 <span class=\"muted\">(95 % CI 0.0200 to 0.0600)"
            ),
            "{html}"
        );
        assert!(html.contains("<td class=\"num\" data-label=\"per\">10</td>"));
        // The verdict is text put into the page, so its quote and slash come escaped.
        assert!(html.contains(
            "When parameter 3&#x27;s mean is 10 higher, product 7 is made about 0.0412 \
             units&#x2f;hour faster (95 % CI 0.0200 to 0.0600)."
        ));
        for other in ["output/h", "units/h ", "units/h)", "per unit of"] {
            assert!(!html.contains(other), "{other}");
        }
    }
}
