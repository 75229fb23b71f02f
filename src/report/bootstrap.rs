//! A confidence interval for a slope that respects autocorrelation: the block bootstrap.
//! Pairs are resampled in blocks of consecutive intervals, so whatever likeness neighbouring
//! intervals still share is kept inside each resample.
//!
//! The blocks are the non-overlapping ones (Carlstein 1986): a resample of n pairs only
//! needs the sums of n / block blocks, worked out once and small enough to stay in cache,
//! so the report can afford an interval for every parameter over hundreds of thousands of
//! intervals. (Moving blocks, Künsch 1989, read running sums at random across the whole
//! series instead: each read a cache miss on long data, for no better interval.)

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Resamples per interval: with 199, the 2.5 % and 97.5 % points are the 5th and 195th.
pub const RESAMPLES: usize = 199;

/// The least-squares slope of `y` on `x` (pairs in time order), with its 95 % interval.
/// `seed` makes the interval the same on every run of the report.
pub fn slope_interval(x: &[f64], y: &[f64], seed: u64) -> Option<(f64, [f64; 2])> {
    let n = x.len();
    let slope = slope_of(&Sums::of(x, y, 0, n))?;
    let block = ((n as f64).cbrt().ceil() as usize).clamp(1, n);
    // Whole blocks only: the last few pairs that do not fill one are left to the estimate.
    let sums: Vec<Sums> = (0..n / block)
        .map(|b| Sums::of(x, y, b * block, (b + 1) * block))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut slopes: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let mut total = Sums::default();
            for _ in 0..sums.len() {
                total.add(&sums[rng.random_range(0..sums.len())]);
            }
            slope_of(&total)
        })
        .collect();
    if slopes.len() < RESAMPLES / 2 {
        return Some((slope, [f64::NAN, f64::NAN]));
    }
    slopes.sort_by(f64::total_cmp);
    let at = |q: f64| slopes[((slopes.len() + 1) as f64 * q) as usize - 1];
    Some((slope, [at(0.025), at(0.975)]))
}

#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    n: f64,
    x: f64,
    y: f64,
    xx: f64,
    xy: f64,
}

impl Sums {
    fn of(x: &[f64], y: &[f64], from: usize, to: usize) -> Sums {
        let mut s = Sums::default();
        for i in from..to {
            s.add(&Sums {
                n: 1.0,
                x: x[i],
                y: y[i],
                xx: x[i] * x[i],
                xy: x[i] * y[i],
            });
        }
        s
    }

    fn add(&mut self, o: &Sums) {
        self.n += o.n;
        self.x += o.x;
        self.y += o.y;
        self.xx += o.xx;
        self.xy += o.xy;
    }
}

fn slope_of(s: &Sums) -> Option<f64> {
    let sxx = s.xx - s.x * s.x / s.n;
    let sxy = s.xy - s.x * s.y / s.n;
    let slope = sxy / sxx;
    (sxx > 0.0 && slope.is_finite()).then_some(slope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn the_interval_covers_the_true_slope_about_95_times_in_100() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut covered = 0;
        for seed in 0..100 {
            // Autocorrelated x and noise: a naive interval would be too narrow.
            let (mut a, mut e) = (0.0, 0.0);
            let (mut x, mut y) = (Vec::new(), Vec::new());
            for _ in 0..300 {
                let (u, v): (f64, f64) = (
                    StandardNormal.sample(&mut rng),
                    StandardNormal.sample(&mut rng),
                );
                a = 0.6 * a + u;
                e = 0.6 * e + v;
                x.push(a);
                y.push(2.0 * a + 3.0 * e);
            }
            let (slope, [lo, hi]) = slope_interval(&x, &y, seed).unwrap();
            assert!(lo <= slope && slope <= hi);
            covered += usize::from(lo <= 2.0 && 2.0 <= hi);
        }
        assert!((85..=99).contains(&covered), "covered {covered} of 100");
    }

    #[test]
    fn the_same_seed_gives_the_same_interval() {
        let x: Vec<f64> = (0..50).map(|i| ((i * 7) % 11) as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(i, v)| v + ((i * 3) % 5) as f64)
            .collect();
        assert_eq!(slope_interval(&x, &y, 9), slope_interval(&x, &y, 9));
        assert_eq!(
            slope_interval(&[1.0; 5], &[2.0; 5], 9),
            None,
            "no spread in x"
        );
    }
}
