//! The statistics of the report: Pearson and Spearman correlation, their two-sided p-values
//! from Student's t distribution, and Benjamini–Hochberg q-values.
//!
//! Checked against scipy in `tests/it/report/scipy.rs`.

use super::order::ascending_finite;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::ops::Range;

/// Pearson's r of paired samples; `None` when fewer than 3 pairs or either side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 3 || n != y.len() {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let r = sxy / (sxx.sqrt() * syy.sqrt());
    // A NaN sum makes `r` NaN, so it counts as no variation too.
    if sxx <= 0.0 || syy <= 0.0 || !r.is_finite() {
        return None;
    }
    Some(r.clamp(-1.0, 1.0))
}

/// Ranks starting at 1, ties sharing the average of the ranks they span; NaN for a value
/// that is not finite.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let sorted = ascending_finite(values);
    let mut out = vec![f64::NAN; values.len()];
    for group in sorted.groups.windows(2) {
        let average = f64::from(group[0] + group[1] + 1) / 2.0;
        for &k in &sorted.order[group[0] as usize..group[1] as usize] {
            out[k as usize] = average;
        }
    }
    out
}

/// Spearman's ρ: Pearson's r of the average ranks (exact with ties, like scipy).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    pearson(&ranks(x), &ranks(y))
}

/// Two-sided p-value of a correlation coefficient `r` from `n` pairs, by the t statistic
/// t = r·√((n−2)/(1−r²)) with n−2 degrees of freedom (scipy's method for both Pearson and
/// Spearman).
pub fn p_value(r: f64, n: usize) -> Option<f64> {
    if n < 3 {
        return None;
    }
    p_value_effective(r, n as f64)
}

/// Like [`p_value`], for an effective sample size that need not be whole.
pub fn p_value_effective(r: f64, n: f64) -> Option<f64> {
    if n < 3.0 {
        return None;
    }
    let df = n - 2.0;
    if r.abs() >= 1.0 {
        return Some(0.0);
    }
    let t = r * (df / (1.0 - r * r)).sqrt();
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((2.0 * dist.sf(t.abs())).min(1.0))
}

/// Lag-1 autocorrelation of a series: how much each value resembles the one before.
pub fn lag1_autocorrelation(v: &[f64]) -> f64 {
    lag1_autocorrelation_where(v, &vec![true; v.len().saturating_sub(1)])
}

/// Lag-1 autocorrelation counting only the neighbours marked in `adjacent` (`adjacent[i]`:
/// values `i` and `i + 1` are next to each other in time), so values that a gap separates
/// are not taken for neighbours.
pub fn lag1_autocorrelation_where(v: &[f64], adjacent: &[bool]) -> f64 {
    let n = v.len();
    let neighbours = adjacent.iter().filter(|a| **a).count();
    if n < 3 || neighbours == 0 {
        return 0.0;
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let variance = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    if variance.is_nan() || variance <= 0.0 {
        return 0.0;
    }
    let covariance = v
        .windows(2)
        .zip(adjacent)
        .filter(|(_, a)| **a)
        .map(|(w, _)| (w[0] - mean) * (w[1] - mean))
        .sum::<f64>()
        / neighbours as f64;
    (covariance / variance).clamp(-1.0, 1.0)
}

/// The effective number of independent pairs behind a correlation of two autocorrelated
/// series (Bartlett's approximation, as used by Pyper & Peterman 1998):
/// n·(1 − a·b)/(1 + a·b) for lag-1 autocorrelations a and b, within [3, n].
///
/// Machine parameters and output rates wander slowly, so neighbouring intervals are alike;
/// treating them as independent would make chance correlations look significant.
pub fn effective_n(n: usize, a: f64, b: f64) -> f64 {
    let ab = (a * b).clamp(-0.99, 0.99);
    (n as f64 * (1.0 - ab) / (1.0 + ab)).clamp(3.0_f64.min(n as f64), n as f64)
}

/// Autocorrelations of a series at lags `0..=max_lag` (`[0]` is 1), where `v[t]` is NaN when
/// missing and only values of the same `segment` (a stretch of intervals that follow each
/// other without a gap) count as `k` apart. A lag with no such pair gives 0.
pub fn autocorrelations(v: &[f64], segment: &[u32], max_lag: usize) -> Vec<f64> {
    autocorrelations_within(v, &stretches(segment), max_lag)
}

/// For each value, how many values before it lie in its segment.
pub fn reach_back(segment: &[u32]) -> Vec<u32> {
    let mut behind = vec![0u32; segment.len()];
    for t in 1..segment.len() {
        if segment[t] == segment[t - 1] {
            behind[t] = behind[t - 1] + 1;
        }
    }
    behind
}

/// The positions of each segment, in order: what [`autocorrelations_within`] walks, worked
/// out once per series layout.
pub fn stretches(segment: &[u32]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for run in segment.chunk_by(|a, b| a == b) {
        out.push(start..start + run.len());
        start += run.len();
    }
    out
}

/// [`autocorrelations`], given the [`stretches`] of the segments.
pub fn autocorrelations_within(v: &[f64], stretches: &[Range<usize>], max_lag: usize) -> Vec<f64> {
    let (mut sum, mut count) = (0.0, 0usize);
    for x in v.iter().filter(|x| x.is_finite()) {
        sum += x;
        count += 1;
    }
    let mut out = vec![0.0; max_lag + 1];
    out[0] = 1.0;
    if count < 3 {
        return out;
    }
    let mean = sum / count as f64;
    // Missing values become 0 once centred, and 0 in `known`: every product below can then
    // run without a branch, which the report needs over hundreds of thousands of intervals.
    let centred: Vec<f64> = v
        .iter()
        .map(|x| if x.is_finite() { x - mean } else { 0.0 })
        .collect();
    let known: Vec<f64> = v
        .iter()
        .map(|x| f64::from(u8::from(x.is_finite())))
        .collect();
    let variance = centred.iter().map(|x| x * x).sum::<f64>() / count as f64;
    if variance.is_nan() || variance <= 0.0 {
        return out;
    }
    for (lag, slot) in out.iter_mut().enumerate().skip(1) {
        let (covariance, pairs) = lagged_products(&centred, &known, stretches, lag);
        if pairs > 0.0 {
            *slot = (covariance / pairs / variance).clamp(-1.0, 1.0);
        }
    }
    out
}

/// `Σ c[t−lag]·c[t]` and `Σ k[t−lag]·k[t]` over the `t` whose value `lag` before lies in the
/// same stretch: each stretch in one run, in four independent sums so the loop runs at the
/// processor's width.
fn lagged_products(
    centred: &[f64],
    known: &[f64],
    stretches: &[Range<usize>],
    lag: usize,
) -> (f64, f64) {
    let mut cov = [0.0f64; 4];
    let mut pairs = [0.0f64; 4];
    for stretch in stretches.iter().filter(|s| s.len() > lag) {
        let (from, to) = (stretch.start, stretch.end);
        let (a, b) = (&centred[from..to - lag], &centred[from + lag..to]);
        let (ka, kb) = (&known[from..to - lag], &known[from + lag..to]);
        let quads = a
            .chunks_exact(4)
            .zip(b.chunks_exact(4))
            .zip(ka.chunks_exact(4).zip(kb.chunks_exact(4)));
        for ((a, b), (ka, kb)) in quads {
            for j in 0..4 {
                cov[j] += a[j] * b[j];
                pairs[j] += ka[j] * kb[j];
            }
        }
        let whole = a.len() / 4 * 4;
        for t in whole..a.len() {
            cov[0] += a[t] * b[t];
            pairs[0] += ka[t] * kb[t];
        }
    }
    (cov.iter().sum(), pairs.iter().sum())
}

/// The effective number of independent pairs behind a correlation of two autocorrelated
/// series of `n` pairs, from their autocorrelations at every lag given (Bartlett's variance
/// of a cross-correlation, as in Pyper & Peterman 1998):
/// n / (1 + 2·Σₖ (n−k)/n · ρₓ(k)·ρᵧ(k)), within [3, n].
///
/// Lag 1 alone is too optimistic for series that wander slowly: their likeness reaches
/// over many intervals, and every lag of it counts.
pub fn effective_n_multi(n: usize, x: &[f64], y: &[f64]) -> f64 {
    let nf = n as f64;
    let inflation: f64 = x
        .iter()
        .zip(y)
        .enumerate()
        .skip(1)
        .map(|(k, (a, b))| (nf - k as f64).max(0.0) / nf * a * b)
        .sum();
    let factor = (1.0 + 2.0 * inflation).max(1e-9);
    (nf / factor).clamp(3.0_f64.min(nf), nf)
}

/// Benjamini–Hochberg q-values (adjusted p-values), in the order of `p`.
pub fn bh_q_values(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let mut q = vec![0.0; m];
    let mut running = 1.0f64;
    for (position, &i) in order.iter().enumerate() {
        let rank = m - position;
        running = running.min(p[i] * m as f64 / rank as f64);
        q[i] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(ranks(&[10.0, 20.0, 10.0, 30.0]), vec![1.5, 3.0, 1.5, 4.0]);
        assert_eq!(
            ranks(&[-1.0, 0.0, -0.0, -2.5, 1e300, -1e300]),
            vec![3.0, 4.5, 4.5, 2.0, 6.0, 1.0],
            "negatives below zero, −0.0 tied with 0.0"
        );
    }

    #[test]
    fn perfect_and_absent_relationships() {
        let x: Vec<f64> = (0..20).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v + 1.0).collect();
        assert!((pearson(&x, &y).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(p_value(1.0, 20), Some(0.0));
        assert_eq!(pearson(&x, &[5.0; 20]), None, "constant side");
    }

    #[test]
    fn autocorrelated_series_count_for_fewer_pairs() {
        let smooth: Vec<f64> = (0..100).map(|i| (i as f64 / 10.0).sin()).collect();
        let alternating: Vec<f64> = (0..100)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let a = lag1_autocorrelation(&smooth);
        assert!(a > 0.9, "{a}");
        assert!(lag1_autocorrelation(&alternating) < -0.9);
        assert!(effective_n(100, a, a) < 10.0);
        assert_eq!(effective_n(100, 0.0, 0.9), 100.0);
        assert_eq!(
            effective_n(100, -0.5, 0.5),
            100.0,
            "never more pairs than there are"
        );
        let apart = vec![false; 99];
        assert_eq!(lag1_autocorrelation_where(&smooth, &apart), 0.0);
    }

    #[test]
    fn autocorrelations_reach_over_many_lags_and_stop_at_gaps() {
        // A slow wave under reading noise: only moderately alike from one value to the
        // next, but alike over many.
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut state = 0.0;
        let smooth: Vec<f64> = (0..400)
            .map(|_| {
                let (a, b): (f64, f64) = (
                    StandardNormal.sample(&mut rng),
                    StandardNormal.sample(&mut rng),
                );
                state = 0.95 * state + a;
                state + 2.0 * b
            })
            .collect();
        let one = vec![0u32; 400];
        let acf = autocorrelations(&smooth, &one, 10);
        assert_eq!(acf[0], 1.0);
        assert!(acf[1] < 0.8 && acf[10] > 0.4, "{acf:?}");
        let single = effective_n(400, acf[1], acf[1]);
        let multi = effective_n_multi(400, &acf, &acf);
        assert!(multi < single / 2.0, "multi-lag {multi} vs lag-1 {single}");
        // Every value its own segment: nothing is a neighbour.
        let apart: Vec<u32> = (0..400).collect();
        assert!(
            autocorrelations(&smooth, &apart, 3)[1..]
                .iter()
                .all(|r| *r == 0.0)
        );
        let mut holes = smooth.clone();
        holes[7] = f64::NAN;
        assert!((autocorrelations(&holes, &one, 2)[1] - acf[1]).abs() < 0.02);
    }

    #[test]
    fn q_values_are_monotone_in_p_and_never_below_p() {
        let p = [0.01, 0.04, 0.03, 0.20, 0.001];
        let q = bh_q_values(&p);
        for (pi, qi) in p.iter().zip(&q) {
            assert!(qi >= pi);
        }
        assert!((q[4] - 0.005).abs() < 1e-12);
    }
}
