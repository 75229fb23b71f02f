//! Writing the report: `index.html` (self-contained, with plots), `report.md`, `top3.csv`
//! and `top3.json`, all from the same findings.

mod csv;
mod html;
pub mod json;
mod markdown;
mod plots;

use super::Report;
use super::bootstrap::RESAMPLES;
use super::finding::ALPHA;
use super::glitches::{LOCAL_FACTOR, RECURRING_SHARE, SPREAD_FACTOR};
use super::intervals::{GAP_FACTOR, RESTART_FACTOR, RESTART_LEVEL};
use super::prepared::{ACF_LAGS, MIN_INTERVALS};
use super::prewhiten::MAX_BRIDGE;
use super::redundancy::ECHO;
use super::shape::{COUNTER_FALL_SHARE, GAUGE_FALL_SHARE, MAX_RESET_SHARE, MIN_STEPS, RESET_TO};
use super::weights::{LAG0_SHARE, SIZE_SHARE};
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
        format!("Counter or gauge: between consecutive readings (glitches left out), a fall from the upper half of a 16- or 32-bit range back into its lower half, by less than half the range, is a counter wrapping round; any other fall to half or less of a positive value is a drop, and a drop to {:.0}% or less of it is a reset. A parameter that ever reads below zero, or whose other falls add up to more than {:.0}% of its rises, or with fewer than {MIN_STEPS} steps, is a gauge: summarised by the mean of its readings inside the interval. One whose other falls add up to at most {:.0}% of its rises, with resets only and at most one per {:.0} steps, is a counter: summarised by its rate of increase per hour over the interval, from its value interpolated at both ends of the interval (never across a drop or a wrap, nor between readings more than {GAP_FACTOR}× its own usual reading gap apart). Any other — falls of {:.0}% to {:.0}% of its rises, or dropping often or not to zero, like a filter's pressure between cleanings — is tested both ways, the two summaries sharing the parameter's budget equally. The table of parameters shows each rule's inputs: the lowest reading, the falls' share, the drops and resets, the wraps.", RESET_TO * 100.0, GAUGE_FALL_SHARE * 100.0, COUNTER_FALL_SHARE * 100.0, 1.0 / MAX_RESET_SHARE, COUNTER_FALL_SHARE * 100.0, GAUGE_FALL_SHARE * 100.0),
        format!("Prewhitening: parameters and output wander slowly, so neighbouring intervals are alike and two unrelated series correlate by chance far more often than independent values would; a shared slow trend (a learning curve, the season) correlates them for good. Before testing, each parameter's series is fitted with an autoregressive model (Yule–Walker, order chosen by Akaike's criterion, from neighbours within a stretch without gaps) and both it and the output are passed through the filter that turns the parameter into noise (Box–Jenkins prewhitening). The filter runs as a Kalman filter of that model, so no interval is lost: each known value is compared with its best prediction from what came before (the mean at the start, a prediction carried across missing intervals and across a gap of up to {MAX_BRIDGE} intervals' time) and divided by that prediction's spread, and the output goes through the very same steps. What remains is how output follows the parameter's changes from interval to interval; a straight-line effect keeps its slope."),
        format!("Tests: for every product, parameter and summary, at each lag 0 to {max_lag} intervals (`--max-lag`; output may follow a parameter some intervals later) with at least {MIN_INTERVALS} pairs, Spearman's ρ between the prewhitened parameter and output; and at lag 0 also the size-weighted test: Pearson's r of the prewhitened parameter's values with the output's normal scores, which weighs each interval by how much the parameter moved in it, so a slow level that changes in a few large steps (a filter changed every few days) is seen in those steps, while a shared slow trend, which has no such steps, is not. Each p-value is two-sided, from Student's t distribution with an effective number of pairs n / (1 + 2 Σₖ (n−k)/n ρₓ(k) ρᵧ(k)) over autocorrelation lags k up to {ACF_LAGS} (and at most n/10), where ρₓ and ρᵧ are the autocorrelations of the ranks of the two filtered series (Bartlett's variance, as in Pyper & Peterman 1998): whatever likeness the filter leaves is paid for. The filter's fitted coefficients are then taken off it, one degree of freedom each, and it is never below 3. Pearson's r of the filtered values is shown beside ρ, with the same effective number."),
        "Primary coefficient: Spearman's ρ. It asks only that output rises or falls with the parameter, not in a straight line, and one odd interval cannot dominate it.".into(),
        format!("Multiple testing: each parameter is one hypothesis per product. Its tests share its false-discovery budget by fixed weights — {:.0}% to lag 0 ({:.0}% of that to the size-weighted test), the rest split evenly among lags 1 to {max_lag}, and an ambiguous parameter's two summaries half each — and its p-value is the weighted Bonferroni combination, the smallest p / weight (valid however the tests depend on each other). Its best test is the one that gives that smallest value; at equal evidence lag 0, then the mean, then ρ. Benjamini–Hochberg q-values run across every product and parameter; a relationship is reliable when q < {ALPHA}. So a plain driver at lag 0 faces nearly the threshold of a lone textbook test, while lags and the second test are still searched.", LAG0_SHARE * 100.0, SIZE_SHARE * 100.0),
        format!("Effect: the slope of output (units per hour) on the parameter's summary (per unit; per unit per hour for a rate), by least squares on the prewhitened pairs at the reported lag, with a 95% interval from a block bootstrap (non-overlapping blocks of ∛n consecutive pairs — a block may span a gap in the data, and the last pairs that do not fill a block are left out of the resamples — {RESAMPLES} resamples, seeded so the report is the same on every run). Every format states it for a typical change of the parameter: the interquartile range of its summaries over the product's intervals, rounded down to 1, 2 or 5 × a power of ten (the range when the quartiles meet; one unit when the values never change)."),
        format!("Echoes: a parameter that moves with a stronger reliable driver (|r| ≥ {ECHO} between their prewhitened series) and whose partial association with output, given the stronger drivers, is nil (p ≥ {ALPHA}) only echoes them — a downstream sensor copying a driver. It is named redundant with the driver and takes no top-three place: the top three are three distinct drivers."),
        "Ranking: reliable distinct drivers first, strongest (|ρ|) first; then reliable echoes, likewise; then the rest by their weighted p-value, best evidenced first, so that a test on few pairs never outranks a better-evidenced one merely because its |ρ| is larger. When no parameter is reliable for a product the report says so and still lists the best three, marked as not reliable.".into(),
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

/// A parameter's lowest reading, as the kind rule reads it: below zero or not ("—" for a
/// parameter with no reading left).
pub fn lowest(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    // Four significant figures, never in exponent form: the sign is what matters.
    let digits = if x == 0.0 {
        0
    } else {
        (3 - x.abs().log10().floor() as i32).clamp(0, 12) as usize
    };
    format!("{x:.digits$}")
}

/// A fall share as a percentage ("—" for a parameter that never rose).
pub fn share(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "—".into()
    }
}
