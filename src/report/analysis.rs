//! Which parameters go with each product's output rate: every (product, parameter, summary,
//! lag) tested on prewhitened series, false discoveries controlled across all of them, the
//! best test kept per parameter, echoes of stronger drivers named, and a ranking per product.

use super::bootstrap::slope_interval;
use super::finding::{ALPHA, Finding, NotAssessable};
use super::intervals::ProductIntervals;
use super::order::{Ascending, ascending_finite};
use super::prepared::{ACF_LAGS, MIN_INTERVALS, Prepared, dense, prepare};
use super::prewhiten::{Filter, Whitened};
use super::quality::DataQuality;
use super::redundancy;
use super::series::Series;
use super::shape::Summary;
use super::stats::{
    autocorrelations_within, bh_q_values, effective_n_multi, p_value_effective, pearson,
};
use super::summaries::ParameterSummary;
use super::verdict;
use super::weights::{Test, tests as tests_run, weight};

/// Lags tried by default, in intervals: output may follow a parameter this much later.
pub const DEFAULT_MAX_LAG: usize = 3;

/// How the analysis runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Lags `0..=max_lag` are tried for every parameter.
    pub max_lag: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_lag: DEFAULT_MAX_LAG,
        }
    }
}

/// Everything found for one product.
#[derive(Clone, Debug)]
pub struct ProductFindings {
    /// The product's number, as in the work orders' `product`.
    pub product: i64,
    /// Reliable distinct drivers first, then reliable echoes, each by |ρ|, strongest first;
    /// then the rest by `p_weighted`, best evidenced first.
    pub ranking: Vec<Finding>,
    /// Parameters that could not be tested for this product, and why.
    pub not_assessable: Vec<NotAssessable>,
    /// One plain sentence an engineer can act on.
    pub verdict: String,
    /// What the data says about how far these findings can be trusted.
    pub data_quality: DataQuality,
}

impl ProductFindings {
    /// The best three distinct drivers (echoes of stronger ones take no place).
    pub fn top(&self) -> Vec<&Finding> {
        self.ranking
            .iter()
            .filter(|f| f.redundant_with.is_none())
            .take(3)
            .collect()
    }

    /// Whether any parameter shows a reliable relationship with this product's output.
    pub fn any_reliable(&self) -> bool {
        self.ranking.first().is_some_and(|f| f.reliable)
    }
}

/// Tests every parameter against every product's output, all at once. (The report
/// itself tests each parameter as its readings go by: see `report::build`.)
pub fn analyse(
    products: &[ProductIntervals],
    parameters: &[ParameterSummary],
    options: Options,
) -> Vec<ProductFindings> {
    let prepared = prepare(products);
    let outcomes = parameters
        .iter()
        .map(|parameter| test_parameter(&prepared, parameter, options))
        .collect();
    conclude(&prepared, parameters, outcomes)
}

/// One parameter tested against one product: the finding at its best-evidenced test,
/// which carries the parameter's weighted p-value.
#[derive(Clone, Debug)]
pub struct Tested {
    /// The parameter's finding against this product.
    pub finding: Finding,
}

/// The tests of one parameter against each product's output, indexed like the products.
pub type Outcomes = Vec<Result<Tested, String>>;

/// Tests one parameter against each product's output at every summary and lag; a product
/// it cannot be tested against gets the reasons why instead.
pub fn test_parameter(
    prepared: &[Prepared<'_>],
    parameter: &ParameterSummary,
    options: Options,
) -> Outcomes {
    prepared
        .iter()
        .enumerate()
        .map(|(p, prepared)| test_product(prepared, p, parameter, options))
        .collect()
}

/// Tests one parameter against the output of one product, the `p`th of the parameter's
/// summaries, at every summary and lag. The live analysis calls it for the products whose
/// intervals changed.
pub fn test_product(
    prepared: &Prepared<'_>,
    p: usize,
    parameter: &ParameterSummary,
    options: Options,
) -> Result<Tested, String> {
    let mut best: Option<(Candidate, Finding)> = None;
    let mut tests = 0;
    let mut reasons = Vec::new();
    for &summary in parameter.kind.summaries() {
        match test_summary(prepared, parameter, summary, p, options) {
            Ok((summary_best, finding, run)) => {
                tests += run;
                if best.as_ref().is_none_or(|(b, _)| summary_best.beats(b)) {
                    best = Some((summary_best, finding));
                }
            }
            Err(reason) => reasons.push(reason),
        }
    }
    match best {
        Some((_, mut finding)) => {
            finding.tests = tests;
            let known: Vec<f64> = parameter
                .values(finding.which, p)
                .iter()
                .flatten()
                .collect();
            finding.typical_change = super::typical::change(&known);
            Ok(Tested { finding })
        }
        None => Err(reasons.join("; ")),
    }
}

/// One test of a summary, with its weight.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    summary: Summary,
    lag: usize,
    test: Test,
    p_value: f64,
    weight: f64,
}

impl Candidate {
    /// The p-value the parameter's combination takes from this test.
    fn weighted(&self) -> f64 {
        (self.p_value / self.weight).min(1.0)
    }

    /// Better evidenced; at equal evidence lag 0, then the mean, then the rank test win.
    fn beats(&self, other: &Candidate) -> bool {
        self.weighted()
            .total_cmp(&other.weighted())
            .then(self.lag.cmp(&other.lag))
            .then(self.summary.cmp(&other.summary))
            .then(self.test.cmp(&other.test))
            .is_lt()
    }
}

/// One lag's test.
#[derive(Clone, Copy, Debug)]
struct LagTest {
    lag: usize,
    n: usize,
    n_effective: f64,
    pearson: f64,
    spearman: f64,
    p_value: f64,
    pearson_p: f64,
    /// The size-weighted coefficient and its p-value, at lag 0.
    size: Option<(f64, f64)>,
}

/// Tests one summary at every lag: its best-evidenced test, the finding built on it (with
/// `p_weighted` over the summary's own tests; the parameter keeps the best summary's), and
/// how many tests were run.
fn test_summary(
    prepared: &Prepared<'_>,
    parameter: &ParameterSummary,
    summary: Summary,
    product_index: usize,
    options: Options,
) -> Result<(Candidate, Finding, usize), String> {
    let len = prepared.product.intervals.len();
    let x = dense(parameter.values(summary, product_index), len);
    if let Some(reason) = untestable(prepared, &x, summary) {
        return Err(reason);
    }
    let filter = Filter::fit(&x, &prepared.segment);
    let x_whitened = filter.whiten(&x, &prepared.steps);
    let y_whitened = filter.whiten(&prepared.rate, &prepared.steps);
    let (xw, yw) = (&x_whitened.values, &y_whitened.values);
    let tests = tests_at_every_lag(prepared, xw, yw, filter.coefficients.len(), options);
    let candidates: Vec<Candidate> = tests
        .iter()
        .flat_map(|t| {
            tests_run(options.max_lag)
                .filter(move |&(lag, _)| lag == t.lag)
                .filter_map(move |(lag, test)| {
                    let p_value = match test {
                        Test::Rank => t.p_value,
                        Test::Size => t.size?.1,
                    };
                    Some(Candidate {
                        summary,
                        lag,
                        test,
                        p_value,
                        weight: weight(parameter.kind, lag, test, options.max_lag),
                    })
                })
        })
        .collect();
    let best = candidates
        .iter()
        .copied()
        .reduce(|a, b| if b.beats(&a) { b } else { a })
        .ok_or_else(|| {
            format!(
                "fewer than {MIN_INTERVALS} intervals pair its {} with output",
                summary.name()
            )
        })?;
    let at = *tests
        .iter()
        .find(|t| t.lag == best.lag)
        .expect("the best candidate is one of the tests");
    let (xs, ys) = slope_pairs(prepared, &x_whitened, &y_whitened, best.lag);
    let seed = (parameter.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (prepared.product.product as u64).rotate_left(17)
        ^ ((best.lag as u64) << 48)
        ^ summary as u64;
    let slope = slope_interval(&xs, &ys, seed).unwrap_or((f64::NAN, [f64::NAN; 2]));
    let finding = finding(parameter.id, &best, &at, &tests, slope, options);
    Ok((best, finding, candidates.len()))
}

/// Why a summary cannot be tested against the product's output, if it cannot: too few
/// intervals, the same value in every one, or an output that never changes.
fn untestable(prepared: &Prepared<'_>, x: &[f64], summary: Summary) -> Option<String> {
    let len = x.len();
    let have = x.iter().filter(|v| v.is_finite()).count();
    let name = summary.name();
    if have < MIN_INTERVALS {
        return Some(format!(
            "its {name} is known for only {have} of {len} intervals (at least {MIN_INTERVALS} needed)"
        ));
    }
    let mut finite = x.iter().filter(|v| v.is_finite());
    let first = finite.next().copied();
    if finite.all(|v| Some(*v) == first) {
        return Some(format!("its {name} is the same in every interval"));
    }
    if prepared.constant_rate {
        return Some("the product's output rate is the same in every interval".into());
    }
    None
}

/// The test at each lag `0..=max_lag` of the prewhitened parameter `xw` against the
/// prewhitened output `yw`, where there are pairs enough; `spent` is the filter's order.
fn tests_at_every_lag(
    prepared: &Prepared<'_>,
    xw: &[f64],
    yw: &[f64],
    spent: usize,
    options: Options,
) -> Vec<LagTest> {
    let len = yw.len();
    let (x_sorted, y_sorted) = (ascending_finite(xw), ascending_finite(yw));
    // Bartlett's variance needs the autocorrelations of the two filtered series, which do
    // not depend on the lag: worked out once, for every lag.
    let lags = ACF_LAGS
        .min(x_sorted.order.len().min(y_sorted.order.len()) / 10)
        .max(1);
    let acf = |v: &[f64]| autocorrelations_within(v, &prepared.stretches, lags);
    let (x_full, y_full) = (Ranked::of(len, &x_sorted), Ranked::of(len, &y_sorted));
    let shared = Autocorrelations {
        // Of the ranks, for ρ; Pearson's r uses the same effective n, which saves computing
        // the values' own autocorrelations: both measure how alike neighbours are.
        x_ranks: acf(&x_full.rank),
        y_ranks: acf(&y_full.rank),
        // The filter's coefficients were estimated from these data: each costs a degree of
        // freedom, as in a regression.
        spent,
    };
    let mut scratch = Vec::new();
    (0..=options.max_lag)
        .filter_map(|lag| {
            let full = (&x_full, &y_full);
            test_lag(prepared, xw, yw, full, lag, &shared, &mut scratch)
        })
        .collect()
}

/// Pearson's r of the parameter's values with the output's normal scores (each rank
/// replaced by the standard normal quantile at `rank / (n + 1)`): the size-weighted test.
/// Under no relationship the prewhitened parameter's values are independent and alike, so
/// this correlation with any fixed scores has the null variance of independent pairs; and
/// the scores are those of a normal sample whatever the output's own tails, so a few large
/// steps in the parameter meeting a few odd intervals of output cannot make the statistic's
/// tails heavier than Student's t allows (a linear rank statistic with van der Waerden's
/// scores; Hájek & Šidák).
fn size_weighted(xs: &[f64], y_ranks: &[f64]) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    let normal = Normal::standard();
    let n = y_ranks.len() as f64;
    let scores: Vec<f64> = y_ranks
        .iter()
        .map(|r| normal.inverse_cdf(r / (n + 1.0)))
        .collect();
    pearson(xs, &scores)
}

/// The finding of a parameter's summary at its best test (`at`, the lag's test), with the
/// slope and its interval (per second, from the bootstrap) turned into units per hour.
fn finding(
    parameter: i64,
    best: &Candidate,
    at: &LagTest,
    tests: &[LagTest],
    (slope, ci): (f64, [f64; 2]),
    options: Options,
) -> Finding {
    // Output rates are per second; the report speaks of units per hour.
    let per_hour = 3600.0;
    let mut rho_by_lag = vec![None; options.max_lag + 1];
    let mut n_by_lag = vec![None; options.max_lag + 1];
    for t in tests {
        rho_by_lag[t.lag] = Some(t.spearman);
        n_by_lag[t.lag] = Some(t.n);
    }
    Finding {
        parameter,
        summary: best.summary.name(),
        lag: at.lag,
        n: at.n,
        n_effective: (at.n_effective * 10.0).round() / 10.0,
        pearson: at.pearson,
        spearman: at.spearman,
        test: best.test,
        p_value: best.p_value,
        weight: best.weight,
        p_weighted: best.weighted(),
        size_r: at.size.map(|s| s.0),
        pearson_p: at.pearson_p,
        q_value: 1.0,
        reliable: false,
        slope: slope * per_hour,
        slope_ci: ci.map(|c| c * per_hour),
        redundant_with: None,
        tests: 0,
        rho_by_lag,
        n_by_lag,
        which: best.summary,
        typical_change: f64::NAN,
    }
}

/// The raw (parameter summary, output rate) pairs behind a finding, for plots: the output
/// interval's midpoint, the parameter's summary `lag` intervals before, and the output rate.
pub fn pairs(product: &ProductIntervals, values: &Series, lag: usize) -> Vec<(f64, f64, f64)> {
    let intervals = &product.intervals;
    (lag..intervals.len())
        .filter(|&t| (t - lag..t).all(|i| intervals[i].end == intervals[i + 1].start))
        .filter_map(|t| {
            let x = values.get(t - lag)?;
            let mid = (intervals[t].start + intervals[t].end) as f64 / 2.0;
            Some((mid, x, intervals[t].rate))
        })
        .collect()
}

/// What every lag's test of one summary shares.
struct Autocorrelations {
    x_ranks: Vec<f64>,
    y_ranks: Vec<f64>,
    spent: usize,
}

/// A series' finite values ranked among themselves, by position in the series.
struct Ranked {
    /// Rank (ties averaged), NaN where the value is missing.
    rank: Vec<f64>,
    /// Where the value's group of ties starts in the sorted order, and where the next group
    /// starts: side by side, as [`Ranked::within`] reads both.
    group: Vec<[u32; 2]>,
    finite: usize,
}

impl Ranked {
    /// Ranks a series of `len` values from its sorted finite values.
    fn of(len: usize, sorted: &Ascending) -> Ranked {
        let mut out = Ranked {
            rank: vec![f64::NAN; len],
            group: vec![[u32::MAX; 2]; len],
            finite: sorted.order.len(),
        };
        for bounds in sorted.groups.windows(2) {
            let (from, to) = (bounds[0], bounds[1]);
            let average = f64::from(from + to + 1) / 2.0;
            for &k in &sorted.order[from as usize..to as usize] {
                out.rank[k as usize] = average;
                out.group[k as usize] = [from, to];
            }
        }
        out
    }

    /// Ranks within a subset of the values, given the subset's positions in the series:
    /// each value's rank is the number of the subset's values below it plus half of those
    /// tied with it (itself included), plus a half. Counted from running totals over the
    /// sorted order, so the cost is linear in the series whatever the subset.
    fn within(&self, kept: &[u32], scratch: &mut Vec<u32>) -> Vec<f64> {
        scratch.clear();
        scratch.resize(self.finite + 1, 0);
        for &s in kept {
            scratch[self.group[s as usize][0] as usize + 1] += 1;
        }
        // A running total in a register: adding each slot to the one before it would make
        // every step wait for the previous store.
        let mut total = 0;
        for slot in scratch.iter_mut() {
            total += *slot;
            *slot = total;
        }
        // scratch[p]: kept values at sorted positions before p.
        kept.iter()
            .map(|&s| {
                let [from, to] = self.group[s as usize];
                let below = scratch[from as usize];
                let tied = scratch[to as usize] - below;
                f64::from(below) + f64::from(tied + 1) / 2.0
            })
            .collect()
    }
}

/// The intervals `t` that pair output at `t` with the parameter at `t − lag`: both known, and
/// no gap between them. In time order.
fn paired_at(prepared: &Prepared<'_>, xw: &[f64], yw: &[f64], lag: usize) -> Vec<u32> {
    let lag32 = lag as u32;
    // Every candidate is written and the end moves on only for a pair: no branch, which
    // would be mispredicted wherever values come and go at random.
    let mut out = vec![0u32; yw.len().saturating_sub(lag)];
    let mut end = 0;
    for t in lag..yw.len() {
        out[end] = t as u32;
        let pair = yw[t].is_finite() & xw[t - lag].is_finite() & (prepared.reach[t] >= lag32);
        end += usize::from(pair);
    }
    out.truncate(end);
    out
}

/// The pairs a slope is read from: those whose prewhitened values are both the plain
/// filter's (see [`Whitened::settled`]), when there are enough of them; all pairs otherwise.
fn slope_pairs(
    prepared: &Prepared<'_>,
    x: &Whitened,
    y: &Whitened,
    lag: usize,
) -> (Vec<f64>, Vec<f64>) {
    let only_settled = |w: &Whitened| -> Vec<f64> {
        w.values
            .iter()
            .zip(&w.settled)
            .map(|(v, s)| if *s { *v } else { f64::NAN })
            .collect()
    };
    let settled = lagged(prepared, &only_settled(x), &only_settled(y), lag);
    if settled.0.len() >= MIN_INTERVALS {
        settled
    } else {
        lagged(prepared, &x.values, &y.values, lag)
    }
}

/// The (parameter, output) pairs at `lag`, in time order.
pub fn lagged(prepared: &Prepared<'_>, xw: &[f64], yw: &[f64], lag: usize) -> (Vec<f64>, Vec<f64>) {
    paired_at(prepared, xw, yw, lag)
        .into_iter()
        .map(|t| (xw[t as usize - lag], yw[t as usize]))
        .unzip()
}

fn test_lag(
    prepared: &Prepared<'_>,
    xw: &[f64],
    yw: &[f64],
    (x_full, y_full): (&Ranked, &Ranked),
    lag: usize,
    shared: &Autocorrelations,
    scratch: &mut Vec<u32>,
) -> Option<LagTest> {
    let outputs = paired_at(prepared, xw, yw, lag);
    let n = outputs.len();
    if n < MIN_INTERVALS {
        return None;
    }
    let inputs: Vec<u32> = outputs.iter().map(|&t| t - lag as u32).collect();
    let xs: Vec<f64> = inputs.iter().map(|&s| xw[s as usize]).collect();
    let ys: Vec<f64> = outputs.iter().map(|&t| yw[t as usize]).collect();
    let rx = x_full.within(&inputs, scratch);
    let ry = y_full.within(&outputs, scratch);
    let r = pearson(&xs, &ys)?;
    let rho = pearson(&rx, &ry)?;
    // The filter's coefficients were estimated from these data: each costs a degree of
    // freedom, as in a regression.
    let n_eff =
        (effective_n_multi(n, &shared.x_ranks, &shared.y_ranks) - shared.spent as f64).max(3.0);
    let size = (lag == 0)
        .then(|| size_weighted(&xs, &ry))
        .flatten()
        .map(|s| (s, p_value_effective(s, n_eff).unwrap_or(1.0)));
    Some(LagTest {
        lag,
        n,
        n_effective: n_eff,
        pearson: r,
        spearman: rho,
        p_value: p_value_effective(rho, n_eff).unwrap_or(1.0),
        pearson_p: p_value_effective(r, n_eff).unwrap_or(1.0),
        size,
    })
}

/// The findings per product from every parameter's [`Outcomes`] (`outcomes[i]` of
/// `parameters[i]`): q-values across all tests, echoes named, each product's ranking and
/// verdict.
pub fn conclude(
    prepared: &[Prepared<'_>],
    parameters: &[ParameterSummary],
    outcomes: Vec<Outcomes>,
) -> Vec<ProductFindings> {
    assert_eq!(
        parameters.len(),
        outcomes.len(),
        "one outcome per parameter"
    );
    let mut by_parameter: Vec<_> = outcomes.into_iter().map(Vec::into_iter).collect();
    let mut tested: Vec<Vec<Tested>> = Vec::new();
    let mut not_assessable: Vec<Vec<NotAssessable>> = Vec::new();
    for _ in prepared {
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        for (parameter, outcomes) in parameters.iter().zip(&mut by_parameter) {
            match outcomes.next().expect("one outcome per product") {
                Ok(t) => found.push(t),
                Err(reason) => missing.push(NotAssessable {
                    parameter: parameter.id,
                    reason,
                }),
            }
        }
        tested.push(found);
        not_assessable.push(missing);
    }
    let p_weighted: Vec<f64> = tested
        .iter()
        .flatten()
        .map(|t| t.finding.p_weighted)
        .collect();
    let q_values = bh_q_values(&p_weighted);
    let mut offset = 0;
    let mut results = Vec::new();
    for (index, (found, missing)) in tested.into_iter().zip(not_assessable).enumerate() {
        let mut ranking: Vec<Finding> = found
            .into_iter()
            .map(|t| {
                let mut f = t.finding;
                f.q_value = q_values[offset];
                f.reliable = f.q_value < ALPHA;
                offset += 1;
                f
            })
            .collect();
        sort(&mut ranking);
        redundancy::mark(&prepared[index], parameters, index, &mut ranking);
        sort(&mut ranking);
        let data_quality = DataQuality::of(prepared[index].product, parameters, &missing);
        let verdict =
            verdict::sentence(prepared[index].product.product, &ranking, parameters, index);
        results.push(ProductFindings {
            product: prepared[index].product.product,
            ranking,
            not_assessable: missing,
            verdict,
            data_quality,
        });
    }
    results
}

/// Reliable distinct drivers, then reliable echoes, each strongest (|ρ|) first; then the
/// rest, best evidenced (`p_weighted`) first, so a test on few pairs never outranks a
/// better-evidenced one merely because its |ρ| is larger.
pub fn sort(ranking: &mut [Finding]) {
    ranking.sort_by(|a, b| {
        let by_evidence = a.p_weighted.total_cmp(&b.p_weighted);
        let by_strength = b.spearman.abs().total_cmp(&a.spearman.abs());
        b.reliable
            .cmp(&a.reliable)
            .then(a.redundant_with.is_some().cmp(&b.redundant_with.is_some()))
            .then(if a.reliable && b.reliable {
                by_strength.then(by_evidence)
            } else {
                by_evidence.then(by_strength)
            })
            .then(a.parameter.cmp(&b.parameter))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::intervals::Interval;
    use crate::report::shape::Kind;

    fn product(rates: &[f64]) -> ProductIntervals {
        ProductIntervals {
            product: 0,
            intervals: rates
                .iter()
                .enumerate()
                .map(|(i, &rate)| Interval {
                    start: i as i64 * 100,
                    end: i as i64 * 100 + 100,
                    rate,
                })
                .collect(),
            typical_seconds: 100.0,
            ..ProductIntervals::default()
        }
    }

    fn parameter(id: i64, values: Vec<Option<f64>>) -> ParameterSummary {
        ParameterSummary {
            id,
            kind: Kind::Gauge,
            readings: values.len() as u64,
            glitches: 0,
            fall_share: 1.0,
            drops: 0,
            resets: 0,
            wraps: 0,
            lowest: 0.0,
            reading_gap: 100.0,
            first_time: 0,
            last_time: 0,
            rolled_up: 0,
            means: Some(vec![values.into_iter().collect()]),
            rates: None,
        }
    }

    #[test]
    fn ranks_the_driver_first_and_explains_what_cannot_be_tested() {
        let rates: Vec<f64> = (0..40).map(|i| ((i * 7) % 11) as f64).collect();
        let driver: Vec<Option<f64>> = rates.iter().map(|r| Some(r * 2.0 + 1.0)).collect();
        let noise: Vec<Option<f64>> = (0..40).map(|i| Some(((i * 13) % 17) as f64)).collect();
        let sparse: Vec<Option<f64>> = (0..40).map(|i| (i < 4).then_some(i as f64)).collect();
        let constant: Vec<Option<f64>> = vec![Some(3.0); 40];
        let found = analyse(
            &[product(&rates)],
            &[
                parameter(1, noise),
                parameter(2, driver),
                parameter(3, sparse),
                parameter(4, constant),
            ],
            Options::default(),
        );
        let f = &found[0];
        assert_eq!(f.top()[0].parameter, 2);
        assert_eq!(f.top()[0].lag, 0);
        assert!((f.top()[0].spearman - 1.0).abs() < 1e-12);
        assert!(f.any_reliable());
        assert_eq!(f.top()[0].tests, 5, "one per lag 0..=3, and the size test");
        assert_eq!(f.not_assessable.len(), 2);
        assert!(
            f.not_assessable[0].reason.contains("only 4 of 40"),
            "{:?}",
            f.not_assessable
        );
        assert!(
            f.not_assessable[1]
                .reason
                .contains("same in every interval")
        );
        assert!(f.verdict.contains("parameter 2"), "{}", f.verdict);
    }

    #[test]
    fn ranks_within_a_subset_match_ranking_the_subset_itself() {
        let all = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, f64::NAN];
        let full = Ranked::of(all.len(), &ascending_finite(&all));
        let keep = [0u32, 1, 2, 4, 6, 8, 9];
        let values: Vec<f64> = keep.iter().map(|&i| all[i as usize]).collect();
        let ranks = full.within(&keep, &mut Vec::new());
        assert_eq!(ranks, crate::report::stats::ranks(&values));
    }

    #[test]
    fn reliable_drivers_lead_by_strength_and_the_rest_follow_by_evidence() {
        let f = |parameter, rho: f64, p_weighted, reliable, echo: Option<i64>| Finding {
            parameter,
            spearman: rho,
            p_weighted,
            reliable,
            redundant_with: echo,
            ..Finding::example()
        };
        let mut ranking = vec![
            // A lag-3 test on few pairs: a large |ρ|, weak evidence.
            f(1, 0.74, 0.35, false, None),
            f(2, -0.32, 0.014, false, None),
            f(3, 0.20, 1e-6, true, None),
            f(4, 0.60, 1e-9, true, Some(5)),
            f(5, 0.55, 1e-8, true, None),
            f(6, 0.10, 0.2, false, None),
        ];
        sort(&mut ranking);
        let order: Vec<i64> = ranking.iter().map(|f| f.parameter).collect();
        assert_eq!(order, [5, 3, 4, 2, 6, 1]);
    }

    #[test]
    fn at_equal_evidence_lag_zero_the_mean_and_the_rank_test_win() {
        let c = |summary, lag, test, p_value| Candidate {
            summary,
            lag,
            test,
            p_value,
            weight: 0.5,
        };
        let plain = c(Summary::Mean, 0, Test::Rank, 0.01);
        assert!(plain.beats(&c(Summary::Mean, 2, Test::Rank, 0.01)));
        assert!(plain.beats(&c(Summary::Rate, 0, Test::Rank, 0.01)));
        assert!(plain.beats(&c(Summary::Mean, 0, Test::Size, 0.01)));
        assert!(
            c(Summary::Rate, 3, Test::Rank, 0.001).beats(&plain),
            "evidence first"
        );
    }

    #[test]
    fn nothing_reliable_is_said_plainly() {
        let rates: Vec<f64> = (0..30).map(|i| ((i * 7) % 11) as f64).collect();
        let noise: Vec<Option<f64>> = (0..30).map(|i| Some(((i * 13) % 17) as f64)).collect();
        let found = analyse(
            &[product(&rates)],
            &[parameter(1, noise)],
            Options::default(),
        );
        assert!(!found[0].any_reliable());
        assert_eq!(found[0].top().len(), 1);
        assert!(
            found[0].verdict.starts_with("No parameter"),
            "{}",
            found[0].verdict
        );
    }
}
