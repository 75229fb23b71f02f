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

use super::stats::autocorrelations;

/// The longest autoregressive filter tried; the order is chosen by Akaike's criterion.
pub const MAX_ORDER: usize = 6;

/// An autoregressive filter `e[t] = v[t] − m − Σ φⱼ·(v[t−j] − m)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// The weights φⱼ of the earlier values. Empty when earlier values do not help predict the
    /// next (or the series is too short to tell): then only the mean `m` is taken off.
    pub coefficients: Vec<f64>,
}

impl Filter {
    /// Fits the filter to a series (NaN where missing, `segment` as in
    /// [`autocorrelations`]) by Yule–Walker, with the order that minimises Akaike's
    /// criterion up to [`MAX_ORDER`] (and a tenth of the values).
    pub fn fit(v: &[f64], segment: &[u32]) -> Filter {
        let n = v.iter().filter(|x| x.is_finite()).count();
        // A filter of order p needs p earlier values in the same stretch: on short runs
        // (a job shop's work orders) a long one would leave nothing to test.
        let kept = usable_by_order(v, segment, MAX_ORDER);
        let mut max_order = MAX_ORDER.min(n / 10);
        while max_order > 0 && 2 * kept[max_order] < n {
            max_order -= 1;
        }
        if max_order == 0 {
            return Filter {
                coefficients: Vec::new(),
            };
        }
        let r = autocorrelations(v, segment, max_order);
        // Levinson–Durbin: the coefficients of every order up to `max_order`.
        let mut phi: Vec<f64> = Vec::new();
        let mut variance = 1.0;
        let mut best = (0.0, Vec::new());
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
            let aic = n as f64 * variance.ln() + 2.0 * order as f64;
            if aic < best.0 {
                best = (aic, phi.clone());
            }
        }
        Filter {
            coefficients: best.1,
        }
    }

    /// The filtered series: NaN where a value, or one of the values the filter reaches back
    /// to, is missing or lies across a gap.
    pub fn apply(&self, v: &[f64], segment: &[u32]) -> Vec<f64> {
        let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        let mean = finite.iter().sum::<f64>() / finite.len().max(1) as f64;
        let p = self.coefficients.len();
        let mut out = vec![f64::NAN; v.len()];
        for t in p..v.len() {
            // A missing value, here or reached back to, is NaN and makes `e` NaN: no branch
            // on it, which would be mispredicted wherever values come and go at random.
            let mut e = v[t] - mean;
            for (j, phi) in self.coefficients.iter().enumerate() {
                e -= phi * (v[t - 1 - j] - mean);
            }
            out[t] = if segment[t - p] == segment[t] {
                e
            } else {
                f64::NAN
            };
        }
        out
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

    #[test]
    fn the_filter_of_a_wandering_series_leaves_noise() {
        let v = ar1(0.95, 2000, 7);
        let segment = vec![0; v.len()];
        let filter = Filter::fit(&v, &segment);
        assert!((filter.coefficients[0] - 0.95).abs() < 0.05, "{filter:?}");
        let white = filter.apply(&v, &segment);
        let acf = autocorrelations(&white, &segment, 5);
        assert!(acf[1..].iter().all(|r| r.abs() < 0.08), "{acf:?}");
    }

    #[test]
    fn white_noise_needs_no_filter_and_gaps_are_not_bridged() {
        let v = ar1(0.0, 2000, 8);
        let segment = vec![0; v.len()];
        let fitted = Filter::fit(&v, &segment);
        assert!(
            fitted.coefficients.iter().all(|c| c.abs() < 0.1),
            "{fitted:?}"
        );
        let filter = Filter {
            coefficients: vec![0.5],
        };
        let segment: Vec<u32> = (0..10).map(|t| u32::from(t >= 5)).collect();
        let out = filter.apply(&[1.0; 10], &segment);
        assert!(out[0].is_nan() && out[5].is_nan());
        assert!(out[1].is_finite() && out[6].is_finite());
    }

    #[test]
    fn short_runs_get_a_short_filter() {
        // Runs of three intervals: an order-2 filter would keep a third of the values.
        let v = ar1(0.8, 3000, 9);
        let segment: Vec<u32> = (0..3000).map(|t| t / 3).collect();
        let filter = Filter::fit(&v, &segment);
        assert!(filter.coefficients.len() <= 1, "{filter:?}");
        assert!(usable_by_order(&v, &segment, 6)[filter.coefficients.len()] * 2 >= 3000);
        assert_eq!(usable_by_order(&v, &segment, 3), vec![3000, 2000, 1000, 0]);
    }
}
