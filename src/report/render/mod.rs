//! Writing the report: `index.html` (self-contained, with plots), `report.md`, `top3.csv`
//! and `top3.json`, all from the same findings.

mod csv;
mod html;
pub mod json;
mod markdown;
mod plots;

use super::Report;
use super::analysis::{ACF_LAGS, ALPHA, MIN_INTERVALS};
use super::bootstrap::RESAMPLES;
use super::glitches::{LOCAL_FACTOR, RECURRING_SHARE, SPREAD_FACTOR};
use super::intervals::{GAP_FACTOR, RESTART_FACTOR, RESTART_LEVEL};
use super::redundancy::ECHO;
use super::shape::{COUNTER_FALL_SHARE, GAUGE_FALL_SHARE, MAX_RESET_SHARE, MIN_STEPS, RESET_TO};
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

/// How the report reaches its findings, as shown in both the HTML and the Markdown. Every
/// threshold is the constant the code uses.
pub fn method(max_lag: usize) -> Vec<String> {
    vec![
        "Why not correlate levels: production is a cumulative counter and several parameters drift or count up over time, so correlating their levels with it only shows that both grow with time. Instead the report relates how fast each product was made to what the machine was doing at that time.".into(),
        "Output per interval: consecutive work-order records of a product bound an interval; its output rate is the counter's increase divided by the interval's length.".into(),
        format!("Runs: the counter has restarted (a new run or work order) when it falls back near the level its run started from — to within {:.0}% of what the run had gained — whatever the size of the step, or when it falls by more than {RESTART_FACTOR}× its usual step to half or less of where it was. No interval spans a restart.", RESTART_LEVEL * 100.0),
        "Noise: smaller falls are reading noise of the counter. Those intervals are kept with their slightly negative rate rather than clipped at zero, because clipping would bias output upward; the noise averages out.".into(),
        format!("Gaps: an interval longer than {GAP_FACTOR}× the product's usual time between records is a gap in the data, not an interval, and is left out."),
        format!("Glitches: a reading further from the median of its six neighbours (three before, three after) than {LOCAL_FACTOR}× their spread (or the parameter's usual reading-to-reading noise, if larger), and further than {SPREAD_FACTOR}× the parameter's interquartile range, and at a value that at most {:.0}% of the parameter's readings (or 3 readings, whichever is more) come as close to (a level it visits often, like idling at every changeover, is no glitch), is a glitch: it is counted in the data-quality notes and used nowhere else. Steps, ramps and restarts move the neighbours' median with them and are never glitches.", RECURRING_SHARE * 100.0),
        format!("Counter or gauge: between consecutive readings (glitches left out), a fall to half or less of a positive value is a drop, and a drop to {:.0}% or less of it is a reset. A parameter whose other falls add up to at most {:.0}% of its rises, with resets only and at most one per {:.0} steps, is a counter: summarised by its rate of increase per hour over the interval, from its value interpolated at both ends of the interval (never across a drop, nor between readings more than {GAP_FACTOR}× its own usual reading gap apart). One whose other falls are at least {:.0}% of its rises, or with fewer than {MIN_STEPS} steps, is a gauge: summarised by the mean of its readings inside the interval. Any other — rising almost only but dropping often, or not to zero, like a filter's pressure between cleanings — is tested both ways; the stronger is kept and both count in the multiple-testing correction. The table of parameters shows which is which.", RESET_TO * 100.0, COUNTER_FALL_SHARE * 100.0, 1.0 / MAX_RESET_SHARE, GAUGE_FALL_SHARE * 100.0),
        "Prewhitening: parameters and output wander slowly, so neighbouring intervals are alike and two unrelated series correlate by chance far more often than independent values would; a shared slow trend (a learning curve, the season) correlates them for good. Before testing, each parameter's series is fitted with an autoregressive model (Yule–Walker, order chosen by Akaike's criterion, never across a gap) and both it and the output are passed through the filter that turns the parameter into noise (Box–Jenkins prewhitening). What remains is how output follows the parameter's changes from interval to interval; a straight-line effect keeps its slope.".into(),
        format!("Lags: output may follow a parameter some intervals later. Each parameter is tested at lags 0 to {max_lag} intervals (`--max-lag`); the lag with the smallest p-value is reported, and every lag tried counts in the multiple-testing correction."),
        format!("Tests: for every product, parameter, summary and lag with at least {MIN_INTERVALS} pairs, Spearman's ρ and Pearson's r between the prewhitened parameter and output, each with a two-sided p-value from Student's t distribution with an effective number of pairs n / (1 + 2 Σₖ (n−k)/n ρₓ(k) ρᵧ(k)) over autocorrelation lags k up to {ACF_LAGS} (and at most n/5), where ρₓ and ρᵧ are the autocorrelations of the ranks of the two filtered series (Bartlett's variance, as in Pyper & Peterman 1998): whatever likeness the filter leaves is paid for. The filter's fitted coefficients are then taken off it, one degree of freedom each, and it is never below 3. Pearson's p uses the same effective number."),
        "Primary coefficient: Spearman's ρ. It asks only that output rises or falls with the parameter, not in a straight line, and one odd interval cannot dominate it. Pearson's r is shown beside it.".into(),
        format!("Multiple testing: Benjamini–Hochberg q-values across every test in the report — every product, parameter, summary and lag. A relationship is reliable when q < {ALPHA}."),
        format!("Effect: the slope of output (units per hour) on the parameter's summary (per unit; per unit per hour for a rate), by least squares on the prewhitened pairs at the reported lag, with a 95% interval from a block bootstrap (non-overlapping blocks of ∛n consecutive pairs — a block may span a gap in the data, and the last pairs that do not fill a block are left out of the resamples — {RESAMPLES} resamples, seeded so the report is the same on every run). The verdict sentence states it for a round change of about one standard deviation of the parameter."),
        format!("Echoes: a parameter that moves with a stronger reliable driver (|r| ≥ {ECHO} between their prewhitened series) and whose partial association with output, given the stronger drivers, is nil (p ≥ {ALPHA}) only echoes them — a downstream sensor copying a driver. It is named redundant with the driver and takes no top-three place: the top three are three distinct drivers."),
        "Ranking: reliable distinct drivers first, then reliable echoes, then the rest, each group by |ρ|, strongest first. When no parameter is reliable for a product the report says so and still lists the best three, marked as not reliable.".into(),
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
