//! How a parameter's share of the false-discovery budget is split among its tests.
//!
//! Every parameter is tested at several lags, and a parameter whose kind is ambiguous by two
//! summaries. Counting each of those tests as one more hypothesis (Benjamini–Hochberg over
//! all of them) makes a plain driver pay for every lag it might have had: with four lags its
//! lag-0 test faces a threshold four times stricter than the textbook test's. Instead each
//! parameter is one hypothesis ("it goes with output"), whose p-value is the weighted
//! Bonferroni combination of its tests, `min pᵢ / wᵢ` with `Σ wᵢ = 1` (valid whatever the
//! tests' dependence; Genovese, Roeder & Wasserman 2006 for weights), and the q-values run
//! over parameters. The weights say where drivers are expected: most on the summary's own
//! interval (lag 0), a little on each later lag, and a little on the size-weighted test that
//! finds slow levels changing in a few large steps.

use super::shape::Kind;

/// The share of a parameter's budget spent at lag 0 when later lags are searched too; the
/// rest is split evenly among lags `1..=max_lag`. Lags cost lag-0 power only through this
/// share: a p-value is compared with `0.85 ×` the threshold a lone test would face.
pub const LAG0_SHARE: f64 = 0.85;
/// Of the lag-0 share, the part given to the size-weighted test (the rest to Spearman's ρ).
pub const SIZE_SHARE: f64 = 0.05;

/// Which statistic a test uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Test {
    /// Spearman's ρ of the prewhitened parameter and output: every interval weighs alike.
    Rank,
    /// Pearson's r of the prewhitened parameter's values with the prewhitened output's ranks:
    /// each interval weighs as much as the parameter moved in it, so a level that changes in
    /// a few large steps (a filter cleaned every few days) is seen in those steps.
    Size,
}

impl Test {
    /// How the report names the test.
    pub fn name(self) -> &'static str {
        match self {
            Test::Rank => "rank",
            Test::Size => "size",
        }
    }
}

/// The weight of one test of a parameter of `kind`; the weights of every test the report
/// runs for a parameter add up to 1.
pub fn weight(kind: Kind, lag: usize, test: Test, max_lag: usize) -> f64 {
    let per_summary = 1.0 / kind.summaries().len() as f64;
    let lag_share = match (lag, max_lag) {
        (0, 0) => 1.0,
        (0, _) => LAG0_SHARE,
        _ => (1.0 - LAG0_SHARE) / max_lag as f64,
    };
    let test_share = match (lag, test) {
        (0, Test::Rank) => 1.0 - SIZE_SHARE,
        (0, Test::Size) => SIZE_SHARE,
        (_, Test::Rank) => 1.0,
        // Only lag 0 has a size test.
        (_, Test::Size) => 0.0,
    };
    per_summary * lag_share * test_share
}

/// The tests run for every summary: `(lag, test)` for lags `0..=max_lag`.
pub fn tests(max_lag: usize) -> impl Iterator<Item = (usize, Test)> {
    [(0, Test::Rank), (0, Test::Size)]
        .into_iter()
        .chain((1..=max_lag).map(|lag| (lag, Test::Rank)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameters_weights_add_up_to_one() {
        for kind in [Kind::Gauge, Kind::Counter, Kind::Either] {
            for max_lag in [0, 1, 3, 6] {
                let per_summary: f64 = tests(max_lag)
                    .map(|(lag, t)| weight(kind, lag, t, max_lag))
                    .sum();
                let total = per_summary * kind.summaries().len() as f64;
                assert!((total - 1.0).abs() < 1e-12, "{kind:?} {max_lag}: {total}");
            }
        }
    }

    #[test]
    fn lag_zero_keeps_most_of_the_budget() {
        let rank0 = weight(Kind::Gauge, 0, Test::Rank, 3);
        assert!((rank0 - 0.85 * 0.95).abs() < 1e-12);
        assert!(weight(Kind::Gauge, 2, Test::Rank, 3) < rank0 / 10.0);
        assert_eq!(weight(Kind::Gauge, 0, Test::Rank, 0), 0.95);
        assert!((weight(Kind::Either, 0, Test::Rank, 3) - rank0 / 2.0).abs() < 1e-12);
    }
}
