//! Writing the report: `index.html` (self-contained, with plots), `report.md`, `top3.csv`
//! and `top3.json`, all from the same findings.

mod csv;
mod html;
mod json;
mod markdown;
mod plots;

use super::Report;
use super::analysis::{ALPHA, MIN_INTERVALS};
use super::intervals::{GAP_FACTOR, RESTART_FACTOR};
use super::summaries::COUNTER_FALL_SHARE;
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

/// How the report reaches its findings, as shown in both the HTML and the Markdown.
pub fn method() -> Vec<String> {
    vec![
        "Why not correlate levels: production is a cumulative counter and several parameters drift or count up over time, so correlating their levels with it only shows that both grow with time. Instead the report relates how fast each product was made to what the machine was doing at that time.".into(),
        "Output per interval: consecutive work-order records of a product bound an interval; its output rate is the counter's increase divided by the interval's length.".into(),
        format!("Runs: when the counter falls by more than {RESTART_FACTOR}× its usual step and to half or less of where it was, a new run has started (products taking turns restart their counters); no interval spans the restart."),
        "Noise: smaller falls are reading noise of the counter. Those intervals are kept with their slightly negative rate rather than clipped at zero, because clipping would bias output upward; the noise averages out.".into(),
        format!("Gaps: an interval longer than {GAP_FACTOR}× the product's usual time between records is a gap in the data, not an interval, and is left out."),
        format!("Parameters: a parameter whose falls between consecutive readings add up to at most {:.0}% of its rises is counter-like (it counts up; its small falls are reading noise) and is summarised by its rate of increase over the interval, from its value interpolated at both ends of the interval from the readings around them. Any other parameter is gauge-like and is summarised by the mean of its readings inside the interval. The table of parameters shows which is which.", COUNTER_FALL_SHARE * 100.0),
        format!("Tests: for every product and parameter with at least {MIN_INTERVALS} intervals that have a summary, Pearson's r and Spearman's ρ (ties get average ranks) between the parameter's summary and the output rate, each with a two-sided p-value from Student's t distribution (t = r·√(df/(1−r²)), df = effective n − 2)."),
        "Neighbouring intervals are alike: parameters and output wander slowly, so consecutive intervals are not independent observations, and a plain t-test would make chance correlations look significant. Each p-value therefore uses an effective number of pairs, n·(1 − a·b)/(1 + a·b), where a and b are the lag-1 autocorrelations of the two series in time order (of their ranks for ρ) — Bartlett's correction as used by Pyper & Peterman (1998). The tables show n and this effective n.".into(),
        "Primary coefficient: Spearman's ρ. It asks only that output rises or falls with the parameter, not in a straight line, and one odd interval cannot dominate it. Pearson's r is shown beside it.".into(),
        format!("Multiple testing: Benjamini–Hochberg q-values across every pair tested in the report. A relationship is reliable when q < {ALPHA}."),
        "Ranking: reliable relationships first, each group by |ρ|, strongest first; the top three per product are the report's answer. When no parameter is reliable for a product the report says so and still lists the best three, marked as not reliable.".into(),
        "Correlation is not causation: a parameter that moves with output may be a consequence of it, or share a cause with it. Treat the top three as where to look first.".into(),
    ]
}

/// A coefficient or p-value as the report prints it.
pub fn number(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else {
        format!("{x:.3}")
    }
}

/// A fall share as a percentage ("—" for a parameter that never rose).
pub fn share(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "—".into()
    }
}
