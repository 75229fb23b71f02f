//! `index.html`: the report people read — one self-contained file (styles and plots inline,
//! nothing fetched), so it works from a file:// URL or as an e-mail attachment.

use super::super::Report;
use super::markdown::{coverage, verdict};
use super::{method, number, plots};
use minijinja::{Environment, context};
use serde::Serialize;

const TEMPLATE: &str = include_str!("index.html.jinja");

#[derive(Serialize)]
struct Row {
    rank: usize,
    parameter: i64,
    summary: &'static str,
    n: usize,
    n_effective: String,
    spearman: String,
    pearson: String,
    p_value: String,
    q_value: String,
    reliable: bool,
    /// Bar width for |ρ|, in percent.
    strength: f64,
    positive: bool,
}

#[derive(Serialize)]
struct Plot {
    parameter: i64,
    summary: &'static str,
    scatter: String,
    series: String,
}

pub fn render(report: &Report) -> std::io::Result<String> {
    let products: Vec<_> = report
        .products
        .iter()
        .zip(&report.findings)
        .enumerate()
        .map(|(index, (p, f))| {
            let rows = |findings: &[&super::super::analysis::Finding]| -> Vec<Row> {
                findings
                    .iter()
                    .enumerate()
                    .map(|(i, f)| Row {
                        rank: i + 1,
                        parameter: f.parameter,
                        summary: f.summary,
                        n: f.n,
                        n_effective: format!("{:.0}", f.n_effective),
                        spearman: number(f.spearman),
                        pearson: number(f.pearson),
                        p_value: number(f.p_value),
                        q_value: number(f.q_value),
                        reliable: f.reliable,
                        strength: (f.spearman.abs() * 100.0).min(100.0),
                        positive: f.spearman >= 0.0,
                    })
                    .collect()
            };
            let plots: Vec<Plot> = f
                .top()
                .iter()
                .map(|finding| {
                    let values = report
                        .parameters
                        .iter()
                        .find(|s| s.id == finding.parameter)
                        .map(|s| s.values(finding.which, index))
                        .unwrap_or(&[]);
                    let pairs = super::super::analysis::pairs(p, values, finding.lag);
                    Plot {
                        parameter: finding.parameter,
                        summary: finding.summary,
                        scatter: plots::scatter(&pairs, finding),
                        series: plots::series(&pairs, finding),
                    }
                })
                .collect();
            context! {
                product => p.product,
                records => p.records,
                runs => p.runs,
                intervals => p.intervals.len(),
                gaps => p.gaps,
                noise_steps => p.noise_steps,
                typical_seconds => format!("{:.0}", p.typical_seconds),
                reliable => f.any_reliable(),
                verdict => verdict(f.any_reliable()),
                sentence => &f.verdict,
                top => rows(&f.top()),
                ranking => rows(&f.ranking.iter().collect::<Vec<_>>()),
                not_assessable => &f.not_assessable,
                plots => plots,
            }
        })
        .collect();
    let parameters: Vec<_> = report
        .parameters
        .iter()
        .map(|p| {
            context! {
                id => p.id,
                kind => p.kind.name(),
                summary => p.kind.summaries().iter().map(|s| s.name()).collect::<Vec<_>>().join(" and "),
                readings => p.readings,
                falls => super::share(p.fall_share),
            }
        })
        .collect();
    let mut env = Environment::new();
    env.add_template("index.html", TEMPLATE)
        .map_err(std::io::Error::other)?;
    env.get_template("index.html")
        .and_then(|t| {
            t.render(context! {
                coverage => coverage(report),
                products => products,
                parameters => parameters,
                method => method(report.options.max_lag),
                version => env!("CARGO_PKG_VERSION"),
                alpha => super::super::analysis::ALPHA,
            })
        })
        .map_err(std::io::Error::other)
}
