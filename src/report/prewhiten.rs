//! Prewhitening: before a parameter is correlated with output, both series are passed
//! through the autoregressive filter that turns the parameter's own series into noise.
//!
//! Two series that each wander slowly correlate by chance far more often than independent
//! values would, and a shared slow trend (a learning curve, the season) correlates them
//! for good. Once the parameter is white, its correlation with anything independent of it
//! has the variance of independent pairs, whatever the output does; and what survives the
//! filter is how output follows the parameter's changes from interval to interval, which a
//! slow trend does not have. A straight-line effect survives unchanged: if output is
//! `a + b·x` (plus noise), the filtered output is `b·x'` (plus filtered noise), so the slope
//! of the filtered series is still in the parameter's units (Box & Jenkins' prewhitening).
//!
//! Missing values and gaps cost only themselves. A plain filter needs the `p` values before
//! each one, so one interval without a reading would also lose the `p` after it, and every
//! stretch would lose its first `p`. Instead the filter runs as a Kalman filter of the
//! autoregressive model: each known value is compared with its best prediction from
//! whatever came before (the process's mean at the start of a stretch, a prediction carried
//! over the missing steps after a gap), and the difference is divided by that prediction's
//! standard deviation. Under the model these standardised innovations are independent and
//! alike, exactly what the plain filter gives where nothing is missing (which is the fast
//! path below), and the output goes through the very same linear steps.

use super::stats::autocorrelations;

/// The longest autoregressive filter tried; the order is chosen by Akaike's criterion.
pub const MAX_ORDER: usize = 6;

/// The longest run of missing steps a prediction is carried over; after a longer silence
/// the process has forgotten where it was (its coefficients' reach decays geometrically),
/// and the filter starts afresh from the process's mean.
pub const MAX_BRIDGE: u32 = 64;

/// An autoregressive model `v[t] − m = Σ φⱼ·(v[t−j] − m) + e[t]`, fitted to a parameter's
/// series, and the filter that turns the series into its innovations `e`.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// The weights φⱼ of the earlier values. Empty when earlier values do not help predict the
    /// next (or the series is too short to tell): then only the mean `m` is taken off.
    pub coefficients: Vec<f64>,
    /// The autocorrelations at lags `0..=p` the coefficients were solved from: the
    /// stationary covariance a stretch starts from.
    autocorrelations: Vec<f64>,
    /// The innovations' variance as a share of the series' own (1 with no coefficient).
    innovation_variance: f64,
}

impl Filter {
    /// The filter that only takes the mean off.
    pub fn none() -> Filter {
        Filter {
            coefficients: Vec::new(),
            autocorrelations: vec![1.0],
            innovation_variance: 1.0,
        }
    }

    /// Fits the filter to a series (NaN where missing, `segment` as in
    /// [`autocorrelations`]) by Yule–Walker, with the order that minimises Akaike's
    /// criterion up to [`MAX_ORDER`] (and a tenth of the values).
    pub fn fit(v: &[f64], segment: &[u32]) -> Filter {
        let n = v.iter().filter(|x| x.is_finite()).count();
        // Yule–Walker solves for p coefficients from the autocorrelations at lags 1 to p,
        // each estimated from its own pairs of known values. Where most values have p known
        // values right before them, those estimates agree with one another; where missing
        // values scatter the pairs (a parameter read in two intervals of three), they need
        // not, and a long filter fitted to them can swing wildly. So an order p needs half
        // the values to have p known values before them in their stretch, as on short runs
        // (a job shop's work orders) too. Order 1 rests on one autocorrelation, which is
        // always consistent: it needs only pairs enough. (The filter itself loses no value
        // however long it is: see `whiten`.)
        let kept = usable_by_order(v, segment, MAX_ORDER);
        let mut max_order = MAX_ORDER.min(n / 10);
        while max_order > 1 && 2 * kept[max_order] < n {
            max_order -= 1;
        }
        if max_order == 1 && pairs_by_lag(v, segment, 1)[1] < MIN_PAIRS {
            max_order = 0;
        }
        if max_order == 0 {
            return Filter::none();
        }
        let r = autocorrelations(v, segment, max_order);
        // Levinson–Durbin: the coefficients of every order up to `max_order`.
        let mut phi: Vec<f64> = Vec::new();
        let mut variance = 1.0;
        let mut best = Filter::none();
        let mut best_aic = 0.0;
        for order in 1..=max_order {
            let k = (r[order]
                - phi
                    .iter()
                    .enumerate()
                    .map(|(j, p)| p * r[order - 1 - j])
                    .sum::<f64>())
                / variance;
            let k = k.clamp(-0.999, 0.999);
            let previous = phi.clone();
            phi.push(k);
            for j in 0..order - 1 {
                phi[j] = previous[j] - k * previous[order - 2 - j];
            }
            variance *= 1.0 - k * k;
            // Akaike's criterion with the small-sample correction (AICc, Hurvich & Tsai
            // 1989): on a short white series plain AIC fits noise often enough to cost tests
            // a degree of freedom for nothing.
            let (nf, k) = (n as f64, order as f64);
            let aic = nf * variance.ln() + 2.0 * k + 2.0 * k * (k + 1.0) / (nf - k - 1.0).max(1.0);
            if aic < best_aic {
                best_aic = aic;
                best = Filter {
                    coefficients: phi.clone(),
                    autocorrelations: r[..=order].to_vec(),
                    innovation_variance: variance,
                };
            }
        }
        best
    }

    /// The standardised innovations of `v` (NaN where `v` is missing): each known value's
    /// difference from its prediction by this filter from the series' own earlier values,
    /// divided by that prediction's standard deviation. `steps[t]` says how interval `t`
    /// follows the one before: 0 starts afresh, 1 follows it directly, `k` follows it after
    /// `k − 1` missing steps (a gap). The series' own mean is taken off first.
    ///
    /// The parameter and the output each go through the filter with their own history:
    /// the same coefficients, so a straight-line effect keeps its slope, but each series
    /// predicted from its own known values. (Predicting the output only from where the
    /// parameter happens to be known would leave part of the output's slowly wandering
    /// level in every interval after a missing reading, where the parameter's innovation
    /// carries part of its own level too: two slow levels, meeting again and again, make
    /// unrelated series look related.)
    pub fn whiten(&self, v: &[f64], steps: &[u32]) -> Whitened {
        let (sum, n) = v
            .iter()
            .filter(|x| x.is_finite())
            .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
        let mean = sum / n.max(1) as f64;
        let mut out = Whitened {
            values: vec![f64::NAN; v.len()],
            settled: vec![false; v.len()],
        };
        let p = self.coefficients.len();
        let sd = self.innovation_variance.sqrt();
        let mut kalman = Kalman::new(self);
        // Where the `p` values before are known and follow without a gap, the Kalman filter
        // is the plain filter: computed straight from the series (most intervals, so the
        // report's speed rests on this loop), with the Kalman state brought up to date only
        // when the next step needs it.
        let mut plain_since: Option<usize> = None;
        for t in 0..v.len() {
            if steps[t] == 1 && kalman.run >= p && v[t].is_finite() {
                let mut prediction = 0.0;
                for (j, phi) in self.coefficients.iter().enumerate() {
                    prediction += phi * (v[t - 1 - j] - mean);
                }
                out.values[t] = (v[t] - mean - prediction) / sd;
                out.settled[t] = true;
                kalman.run += 1;
                plain_since.get_or_insert(t);
                continue;
            }
            if plain_since.take().is_some() {
                // The state is exact: the last `p` values themselves.
                kalman.load(&v[t - p..t], mean);
            }
            let settled = kalman.advance(steps[t]);
            if v[t].is_finite() {
                let innovation = v[t] - mean - kalman.predicted();
                out.values[t] = innovation / kalman.spread();
                out.settled[t] = settled;
                kalman.learn(innovation);
            } else {
                kalman.miss();
            }
        }
        out
    }
}

/// A series through a [`Filter`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Whitened {
    /// The standardised innovations, NaN where the series is missing.
    pub values: Vec<f64>,
    /// Where the prediction rested on the `p` values right before, all known: the plain
    /// filter's innovation. Elsewhere (after a missing value, at a stretch's start) the
    /// innovation is standardised but reaches further back, so a slope is read only from
    /// settled pairs.
    pub settled: Vec<bool>,
}

/// The Kalman filter of an autoregressive model observed without noise.
struct Kalman<'f> {
    filter: &'f Filter,
    /// The last `p` values (centred), newest first, as estimated.
    state: Vec<f64>,
    /// The state's error covariance, `p × p`, row-major.
    covariance: Vec<f64>,
    /// The gain of the current step.
    gain: Vec<f64>,
    /// Room for the covariance's update, `p × p`.
    scratch: Vec<f64>,
    /// Known values in a row since the last missing one or fresh start: once there are `p`,
    /// the state is known exactly and each step is the plain filter.
    run: usize,
}

impl<'f> Kalman<'f> {
    fn new(filter: &'f Filter) -> Self {
        let p = filter.coefficients.len();
        Kalman {
            filter,
            state: vec![0.0; p],
            covariance: vec![0.0; p * p],
            gain: vec![0.0; p],
            scratch: vec![0.0; p * p],
            run: 0,
        }
    }

    fn order(&self) -> usize {
        self.filter.coefficients.len()
    }

    /// Moves to the next interval: afresh (`0`), or `steps` steps on. Returns whether the
    /// prediction is the plain filter's (the `p` values before all known, no gap).
    fn advance(&mut self, steps: u32) -> bool {
        let p = self.order();
        if steps == 0 || steps > MAX_BRIDGE {
            self.state.iter_mut().for_each(|v| *v = 0.0);
            let r = &self.filter.autocorrelations;
            for i in 0..p {
                for j in 0..p {
                    self.covariance[i * p + j] = r[i.abs_diff(j)];
                }
            }
            // The value itself is not known yet: the prediction is the mean.
            self.prepare_gain();
            self.run = 0;
            // A fresh start predicts the mean with the stationary spread.
            return p == 0;
        }
        let settled = steps == 1 && self.run >= p;
        for step in 0..steps {
            if step > 0 {
                self.run = 0;
            }
            self.predict();
        }
        self.prepare_gain();
        settled
    }

    /// One step of the model: the state shifts, and the newest value is predicted.
    fn predict(&mut self) {
        let p = self.order();
        if p == 0 {
            return;
        }
        let phi = &self.filter.coefficients;
        let next: f64 = phi.iter().zip(&self.state).map(|(f, v)| f * v).sum();
        self.state.rotate_right(1);
        self.state[0] = next;
        if self.run >= p {
            // Known exactly: only the new innovation is uncertain. (The covariance was
            // cleared when the state became exact.)
            self.covariance[0] = self.filter.innovation_variance;
            return;
        }
        // covariance ← T·C·Tᵀ + Q for the companion matrix T, through `scratch` (T·C):
        // no allocation, as this runs after every missing value.
        let c = &self.covariance;
        let tc = &mut self.scratch;
        for k in 0..p {
            tc[k] = (0..p).map(|j| phi[j] * c[j * p + k]).sum();
            for i in 1..p {
                tc[i * p + k] = c[(i - 1) * p + k];
            }
        }
        for i in 0..p {
            self.covariance[i * p] = (0..p).map(|k| tc[i * p + k] * phi[k]).sum();
            for l in 1..p {
                self.covariance[i * p + l] = tc[i * p + l - 1];
            }
        }
        self.covariance[0] += self.filter.innovation_variance;
    }

    fn prepare_gain(&mut self) {
        let p = self.order();
        if p == 0 {
            return;
        }
        let f = self.covariance[0];
        for i in 0..p {
            self.gain[i] = self.covariance[i * p] / f;
        }
    }

    /// The standard deviation of the prediction of the newest value.
    fn spread(&self) -> f64 {
        if self.order() == 0 {
            1.0
        } else {
            self.covariance[0].sqrt()
        }
    }

    /// The prediction of the newest value (centred).
    fn predicted(&self) -> f64 {
        self.state.first().copied().unwrap_or(0.0)
    }

    /// The newest value is known: the state takes the innovation in, and the covariance
    /// shrinks accordingly.
    fn learn(&mut self, innovation: f64) {
        for (v, g) in self.state.iter_mut().zip(&self.gain) {
            *v += g * innovation;
        }
        let p = self.order();
        self.run += 1;
        if p == 0 {
            return;
        }
        if self.run > p {
            // Exact before this step too: only the innovation's variance was set.
            self.covariance[0] = 0.0;
            return;
        }
        if self.run == p {
            self.covariance.iter_mut().for_each(|c| *c = 0.0);
            return;
        }
        self.scratch[..p].copy_from_slice(&self.covariance[..p]);
        for (i, gain) in self.gain.iter().enumerate() {
            for (j, r) in self.scratch[..p].iter().enumerate() {
                self.covariance[i * p + j] -= gain * r;
            }
        }
    }

    /// The state after a run of known values, the last `p` of them oldest first: known
    /// exactly.
    fn load(&mut self, last: &[f64], mean: f64) {
        for (slot, value) in self.state.iter_mut().zip(last.iter().rev()) {
            *slot = value - mean;
        }
        self.covariance.iter_mut().for_each(|c| *c = 0.0);
    }

    /// The newest value was missing: nothing learnt.
    fn miss(&mut self) {
        self.run = 0;
    }
}

/// For each order up to `max_order`, how many values have that many earlier values, all
/// known, in the same stretch — how many a filter of that order keeps. One pass.
fn usable_by_order(v: &[f64], segment: &[u32], max_order: usize) -> Vec<usize> {
    // runs[k]: values with exactly k known predecessors in a row (k capped at max_order + 1).
    let mut runs = vec![0usize; max_order + 2];
    let mut run = 0usize;
    for t in 0..v.len() {
        let continues = t > 0 && segment[t - 1] == segment[t];
        run = if !v[t].is_finite() {
            0
        } else if continues {
            run + 1
        } else {
            1
        };
        if run > 0 {
            runs[(run - 1).min(max_order + 1)] += 1;
        }
    }
    // A filter of order p keeps the values with at least p predecessors.
    let mut kept = vec![0usize; max_order + 1];
    let mut total = 0;
    for p in (0..runs.len()).rev() {
        total += runs[p];
        if p <= max_order {
            kept[p] = total;
        }
    }
    kept
}

/// Fewest pairs of known values `k` apart (within a stretch) for an autocorrelation at lag
/// `k` to be used in fitting a filter: as few as a test may rest on.
pub const MIN_PAIRS: usize = 10;

/// For each lag `0..=max_lag`, how many pairs of known values lie that many intervals apart
/// within a stretch: what each autocorrelation is estimated from.
fn pairs_by_lag(v: &[f64], segment: &[u32], max_lag: usize) -> Vec<usize> {
    (0..=max_lag)
        .map(|k| {
            (k..v.len())
                .filter(|&t| {
                    segment[t - k] == segment[t] && v[t].is_finite() && v[t - k].is_finite()
                })
                .count()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn ar1(phi: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut x = 0.0;
        (0..n)
            .map(|_| {
                let e: f64 = StandardNormal.sample(&mut rng);
                x = phi * x + e;
                x
            })
            .collect()
    }

    /// Steps of a series with no gap: the first starts afresh, every other follows.
    fn unbroken(n: usize) -> Vec<u32> {
        (0..n).map(|t| u32::from(t > 0)).collect()
    }

    fn variance(v: impl Iterator<Item = f64>) -> f64 {
        let v: Vec<f64> = v.collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64
    }

    #[test]
    fn the_filter_of_a_wandering_series_leaves_noise() {
        let v = ar1(0.95, 2000, 7);
        let segment = vec![0; v.len()];
        let filter = Filter::fit(&v, &segment);
        assert!((filter.coefficients[0] - 0.95).abs() < 0.05, "{filter:?}");
        let white = filter.whiten(&v, &unbroken(v.len())).values;
        assert!(white.iter().all(|w| w.is_finite()), "every value is kept");
        let acf = autocorrelations(&white, &segment, 5);
        assert!(acf[1..].iter().all(|r| r.abs() < 0.08), "{acf:?}");
    }

    #[test]
    fn white_noise_needs_no_filter() {
        let v = ar1(0.0, 2000, 8);
        let segment = vec![0; v.len()];
        let fitted = Filter::fit(&v, &segment);
        assert!(
            fitted.coefficients.iter().all(|c| c.abs() < 0.1),
            "{fitted:?}"
        );
    }

    #[test]
    fn missing_values_cost_only_themselves_and_innovations_stay_alike() {
        // A third of the values missing at random, and the series cut into stretches.
        let mut v = ar1(0.8, 6000, 10);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for x in &mut v {
            if rand::Rng::random::<f64>(&mut rng) < 0.33 {
                *x = f64::NAN;
            }
        }
        let segment: Vec<u32> = (0..v.len() as u32).map(|t| t / 50).collect();
        let steps: Vec<u32> = (0..v.len()).map(|t| u32::from(t % 50 != 0)).collect();
        let filter = Filter::fit(&v, &segment);
        let whitened = filter.whiten(&v, &steps);
        let white = &whitened.values;
        for (x, w) in v.iter().zip(white) {
            assert_eq!(x.is_finite(), w.is_finite(), "a value for every known one");
        }
        // Standardised innovations: as spread out right after a missing value or a fresh
        // start as anywhere else, and not alike from one to the next.
        let after_hole = |t: usize| t % 50 == 0 || !v[t - 1].is_finite();
        let known = |t: &usize| v[*t].is_finite();
        let settled = variance(
            (1..v.len())
                .filter(known)
                .filter(|&t| !after_hole(t))
                .map(|t| white[t]),
        );
        let fresh = variance(
            (0..v.len())
                .filter(known)
                .filter(|&t| after_hole(t))
                .map(|t| white[t]),
        );
        assert!(
            (0.8..1.25).contains(&(fresh / settled)),
            "{fresh} vs {settled}"
        );
        let acf = autocorrelations(white, &segment, 3);
        assert!(acf[1..].iter().all(|r| r.abs() < 0.06), "{acf:?}");
    }

    #[test]
    fn the_same_filter_keeps_a_straight_line_and_each_series_its_own_history() {
        let x = ar1(0.7, 300, 12);
        let y: Vec<f64> = x.iter().map(|v| 3.0 + 2.0 * v).collect();
        let mut steps = unbroken(300);
        steps[100] = 4;
        steps[200] = 0;
        let filter = Filter::fit(&x, &vec![0; 300]);
        let (xw, yw) = (filter.whiten(&x, &steps), filter.whiten(&y, &steps));
        for t in 0..300 {
            assert!((yw.values[t] - 2.0 * xw.values[t]).abs() < 1e-9, "at {t}");
        }
        assert!(!xw.settled[0] && !xw.settled[100] && !xw.settled[200]);
        let p = filter.coefficients.len();
        assert!(p >= 1 && xw.settled[p] && xw.settled[100 + p] && !xw.settled[100 + p - 1]);
        // A value missing in the parameter is no reason to predict the output from further
        // back: the output keeps its own plain innovations.
        let mut holed = x.clone();
        for t in (5..300).step_by(7) {
            holed[t] = f64::NAN;
        }
        let holed_w = filter.whiten(&holed, &steps);
        assert!(holed_w.values[5].is_nan() && !holed_w.settled[6]);
        assert!(
            holed_w.values[6].is_finite(),
            "the value after a hole is kept"
        );
        assert!(
            yw.settled[6] || p > 6,
            "the output's own history has no hole"
        );
    }

    #[test]
    fn the_plain_shortcut_gives_the_kalman_filters_own_values() {
        let mut v = ar1(0.9, 2000, 18);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(19);
        for x in &mut v {
            if rand::Rng::random::<f64>(&mut rng) < 0.1 {
                *x = f64::NAN;
            }
        }
        let steps: Vec<u32> = (0..2000)
            .map(|t| [0, 1, 1, 1, 1, 1, 3][t % 700 / 100])
            .collect();
        let filter = Filter::fit(&v, &vec![0; 2000]);
        assert!(!filter.coefficients.is_empty(), "{filter:?}");
        let fast = filter.whiten(&v, &steps);
        // The Kalman filter at every step, no shortcut.
        let mean = v.iter().filter(|x| x.is_finite()).sum::<f64>()
            / v.iter().filter(|x| x.is_finite()).count() as f64;
        let mut kalman = Kalman::new(&filter);
        for t in 0..v.len() {
            let settled = kalman.advance(steps[t]);
            if v[t].is_finite() {
                let innovation = v[t] - mean - kalman.predicted();
                let slow = innovation / kalman.spread();
                assert!(
                    (fast.values[t] - slow).abs() < 1e-9,
                    "at {t}: {} vs {slow}",
                    fast.values[t]
                );
                assert_eq!(fast.settled[t], settled, "at {t}");
                kalman.learn(innovation);
            } else {
                assert!(fast.values[t].is_nan());
                kalman.miss();
            }
        }
    }

    #[test]
    fn a_prediction_is_carried_over_a_gap() {
        let filter = Filter {
            coefficients: vec![0.5],
            autocorrelations: vec![1.0, 0.5],
            innovation_variance: 0.75,
        };
        // 0, then 8 (centred: the mean of 0 and 8 is 4), three steps on: predicted at
        // −4·0.5³ = −0.5 with variance 0.75·(1 + 0.25 + 0.0625).
        let w = filter.whiten(&[0.0, 8.0], &[0, 3]).values;
        assert!((w[0] - -4.0).abs() < 1e-12, "{w:?}");
        let expected = (4.0 + 0.5) / (0.75f64 * 1.3125).sqrt();
        assert!((w[1] - expected).abs() < 1e-9, "{w:?} vs {expected}");
        // Beyond the longest bridge it starts afresh.
        let w = filter.whiten(&[0.0, 8.0], &[0, MAX_BRIDGE + 1]).values;
        assert!((w[1] - 4.0).abs() < 1e-12, "{w:?}");
    }

    #[test]
    fn a_filter_rests_only_on_lags_with_pairs_enough() {
        // Runs of three intervals: no pair four or more apart.
        let v = ar1(0.8, 3000, 9);
        let segment: Vec<u32> = (0..3000).map(|t| t / 3).collect();
        assert_eq!(pairs_by_lag(&v, &segment, 3), vec![3000, 2000, 1000, 0]);
        let filter = Filter::fit(&v, &segment);
        assert!(filter.coefficients.len() <= 2, "{filter:?}");
        assert!((filter.coefficients[0] - 0.8).abs() < 0.1, "{filter:?}");
        assert_eq!(usable_by_order(&v, &segment, 3), vec![3000, 2000, 1000, 0]);
        // Read in two intervals of three at random: a long filter would rest on
        // autocorrelations from different pairs, which need not agree.
        let mut holed = ar1(0.6, 600, 16);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        for x in &mut holed {
            if rand::Rng::random::<f64>(&mut rng) < 0.3 {
                *x = f64::NAN;
            }
        }
        let holed_filter = Filter::fit(&holed, &[0; 600]);
        assert_eq!(holed_filter.coefficients.len(), 1, "{holed_filter:?}");
        assert!(
            (holed_filter.coefficients[0] - 0.6).abs() < 0.15,
            "{holed_filter:?}"
        );
        // Read in fewer than half the intervals, and hardly ever in two in a row: the lag-1
        // pairs are few, but enough to see the series wander.
        let mut v = ar1(0.8, 400, 15);
        for (t, x) in v.iter_mut().enumerate() {
            if t % 9 != 0 && t % 9 != 1 && t % 2 == 0 || t % 9 == 4 || t % 9 == 7 {
                *x = f64::NAN;
            }
        }
        let one = vec![0; 400];
        let pairs = pairs_by_lag(&v, &one, 2);
        assert!(pairs[1] >= MIN_PAIRS && pairs[1] < 100, "{pairs:?}");
        assert!(!Filter::fit(&v, &one).coefficients.is_empty());
    }
}
