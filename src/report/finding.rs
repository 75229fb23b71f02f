//! A tested (product, parameter) pair and the threshold that makes it reliable, in a file of
//! their own: the analysis builds findings, and the helpers that judge them (echoes, the
//! typical change, the verdict, the formats) read them without importing the analysis.

use super::shape::Summary;
use super::weights::Test;

/// The false discovery rate below which a relationship counts as reliable.
pub const ALPHA: f64 = 0.05;

/// One tested (product, parameter) pair, at its best summary and lag. Spearman's ρ is the
/// primary coefficient: it asks only that output rises (or falls) with the parameter, not
/// that it does so in a straight line, and one odd interval cannot dominate it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    /// The parameter's number, as in the metrics' `id`.
    pub parameter: i64,
    /// The summary the finding rests on, `mean` or `rate`, as the report prints it.
    pub summary: &'static str,
    /// Intervals by which the parameter leads the output.
    pub lag: usize,
    /// Pairs tested (after prewhitening and lagging).
    pub n: usize,
    /// The number of independent pairs `n` is worth (the p-values use it).
    pub n_effective: f64,
    /// Pearson's r on the same pairs: how close to a straight line the relationship is.
    pub pearson: f64,
    /// Spearman's ρ, the primary coefficient: the ranking goes by its size.
    pub spearman: f64,
    /// Which test carried the evidence: `rank` (Spearman's ρ) or `size` (each interval
    /// weighed by how much the parameter moved in it; see [`Test::Size`]).
    pub test: Test,
    /// Two-sided p-value of the test that carried the evidence (of ρ for `rank`).
    pub p_value: f64,
    /// That test's share of the parameter's false-discovery budget (see `weights`).
    pub weight: f64,
    /// The parameter's p-value over all its tests, `min pᵢ / wᵢ` (at most 1): what the
    /// q-value and the ranking of unreliable findings go by.
    pub p_weighted: f64,
    /// Pearson's r of the prewhitened parameter's values with the output's ranks at the
    /// finding's lag: the size-weighted coefficient (shown only at lag 0).
    pub size_r: Option<f64>,
    /// Two-sided p-value of r.
    pub pearson_p: f64,
    /// Benjamini–Hochberg q-value of `p_weighted`, across every (product, parameter) pair
    /// in the report.
    pub q_value: f64,
    /// `q_value` below [`ALPHA`].
    pub reliable: bool,
    /// Output, in units per hour, per one unit of the parameter's summary.
    pub slope: f64,
    /// 95 % interval of `slope` (block bootstrap).
    pub slope_ci: [f64; 2],
    /// The stronger parameter this one only echoes, if any.
    pub redundant_with: Option<i64>,
    /// Tests run for this pair (summaries × lags, and the size test), all counted in
    /// `p_weighted`.
    pub tests: usize,
    /// ρ at each lag `0..=max_lag` for the summary kept (`null` where untestable).
    pub rho_by_lag: Vec<Option<f64>>,
    /// Pairs tested at each lag `0..=max_lag` for the summary kept (`null` where
    /// untestable): at lag 0, every interval where both the summary and the output are
    /// known.
    pub n_by_lag: Vec<Option<usize>>,
    /// The same summary as `summary`, as a value the code can match on.
    #[serde(skip)]
    pub which: Summary,
    /// The typical change of the summary over the product's intervals (see
    /// `report::typical`), worked out once here rather than by every format that states
    /// the effect; NaN when not known. (`top3.json` writes it beside the effect.)
    #[serde(skip)]
    pub typical_change: f64,
}

#[cfg(test)]
impl Finding {
    /// A plausible finding, for the tests of what is built from findings.
    pub fn example() -> Finding {
        Finding {
            parameter: 9,
            summary: "mean",
            lag: 0,
            n: 40,
            n_effective: 31.0,
            pearson: 0.5,
            spearman: 0.5,
            test: Test::Rank,
            p_value: 0.01,
            weight: 0.8,
            p_weighted: 0.0125,
            size_r: Some(0.45),
            pearson_p: 0.01,
            q_value: 0.02,
            reliable: true,
            slope: 1.0,
            slope_ci: [0.5, 1.5],
            redundant_with: None,
            tests: 4,
            rho_by_lag: vec![Some(0.5), None, Some(0.1), Some(0.0)],
            n_by_lag: vec![Some(40), None, Some(38), Some(37)],
            which: Summary::Mean,
            typical_change: f64::NAN,
        }
    }
}

/// A parameter that could not be tested for a product, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NotAssessable {
    /// The parameter's number, as in the metrics' `id`.
    pub parameter: i64,
    /// Why it could not be tested, e.g. too few intervals with readings.
    pub reason: String,
}
