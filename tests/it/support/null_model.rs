//! Null plant data for the report's calibration: nothing drives output, but output and every
//! parameter wander slowly (autoregressive per interval, coefficients up to 0.95), with or
//! without measurement noise, with gaps and short runs. A calibrated report claims a
//! reliable driver in at most 5 % of such product reports.
//!
//! Shared by `tests/it/report/calibration.rs` (480 datasets, seeded, fast) and
//! `examples/calibration.rs` (as many as asked, for `bench/calibration.sh`).

use millrace::report::analysis::{Options, analyse};
use millrace::report::intervals::{Interval, ProductIntervals};
use millrace::report::shape::Kind;
use millrace::report::summaries::ParameterSummary;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Parameters per dataset.
pub const PARAMETERS: usize = 20;

/// How one dataset is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub intervals: usize,
    /// Measurement noise on each parameter's summary, in units of its own spread.
    pub noise: f64,
    /// Output wanders (AR coefficient drawn in `min_ar.max(0.8)..max_ar`) or is white.
    pub wandering_output: bool,
    /// Parameters' AR coefficients are drawn in `min_ar..max_ar`.
    pub min_ar: f64,
    pub max_ar: f64,
}

/// The shapes the calibration cycles through.
pub fn shapes() -> Vec<Shape> {
    let mut out = Vec::new();
    for intervals in [40, 120, 300] {
        for noise in [0.0, 1.0] {
            for wandering_output in [true, false] {
                out.push(Shape {
                    intervals,
                    noise,
                    wandering_output,
                    min_ar: 0.5,
                    max_ar: 0.95,
                });
            }
        }
    }
    // The hardest case: everything wanders close to a random walk, over long series.
    for intervals in [300, 1000] {
        for noise in [0.0, 1.0] {
            out.push(Shape {
                intervals,
                noise,
                wandering_output: true,
                min_ar: 0.9,
                max_ar: 0.95,
            });
        }
    }
    out
}

fn ar(rng: &mut ChaCha8Rng, phi: f64, n: usize) -> Vec<f64> {
    let mut x: f64 = StandardNormal.sample(rng);
    x /= (1.0 - phi * phi).sqrt().max(1e-3);
    (0..n)
        .map(|_| {
            let e: f64 = StandardNormal.sample(rng);
            x = phi * x + e;
            x
        })
        .collect()
}

/// One null dataset: one product, [`PARAMETERS`] gauges, intervals of about an hour with a
/// gap now and then.
pub fn dataset(seed: u64, shape: Shape) -> (Vec<ProductIntervals>, Vec<ParameterSummary>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = shape.intervals;
    let phi_y: f64 = if shape.wandering_output {
        rng.random_range(shape.min_ar.max(0.8)..shape.max_ar)
    } else {
        0.0
    };
    let sd_y = (1.0 / (1.0 - phi_y * phi_y)).sqrt();
    let output: Vec<f64> = ar(&mut rng, phi_y, n)
        .into_iter()
        .map(|y| {
            let e: f64 = StandardNormal.sample(&mut rng);
            y + shape.noise * sd_y * e
        })
        .collect();
    let mut intervals = Vec::with_capacity(n);
    let mut t = 1_600_000_000i64;
    let mut gaps = 0;
    for &y in &output {
        // A gap about once in 50 intervals.
        if rng.random::<f64>() < 0.02 {
            t += 40_000;
            gaps += 1;
        }
        let length = rng.random_range(3000..4200);
        intervals.push(Interval {
            start: t,
            end: t + length,
            rate: 0.01 + 0.002 * y,
        });
        t += length;
    }
    let product = ProductIntervals {
        product: 0,
        intervals,
        records: n + 1,
        runs: 1,
        gaps,
        typical_seconds: 3600.0,
        ..ProductIntervals::default()
    };
    let parameters = (0..PARAMETERS)
        .map(|id| {
            let phi = rng.random_range(shape.min_ar..shape.max_ar);
            let level = ar(&mut rng, phi, n);
            let sd = (1.0 / (1.0 - phi * phi)).sqrt();
            let values: Vec<Option<f64>> = level
                .iter()
                .map(|v| {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    Some(100.0 + v + shape.noise * sd * e)
                })
                .collect();
            ParameterSummary {
                id: id as i64,
                kind: Kind::Gauge,
                readings: n as u64,
                glitches: 0,
                fall_share: 1.0,
                drops: 0,
                resets: 0,
                wraps: 0,
                lowest: 0.0,
                reading_gap: 600.0,
                first_time: 0,
                last_time: 0,
                rolled_up: 0,
                means: Some(vec![values.into_iter().collect()]),
                rates: None,
            }
        })
        .collect();
    (vec![product], parameters)
}

/// Of `datasets` null datasets from `first_seed` on (cycling through [`shapes`]), how many
/// product reports claim a reliable driver; with the claims per shape.
pub fn claims(
    first_seed: u64,
    datasets: usize,
    options: Options,
) -> (usize, Vec<(Shape, usize, usize)>) {
    let shapes = shapes();
    let mut per_shape: Vec<(Shape, usize, usize)> = shapes.iter().map(|s| (*s, 0, 0)).collect();
    let mut claimed = 0;
    for i in 0..datasets {
        let which = i % shapes.len();
        let (products, parameters) = dataset(first_seed + i as u64, shapes[which]);
        let findings = analyse(&products, &parameters, options);
        let any = findings.iter().filter(|f| f.any_reliable()).count();
        claimed += any;
        per_shape[which].1 += findings.len();
        per_shape[which].2 += any;
    }
    (claimed, per_shape)
}

/// Like [`claims`], but with the method the report used before: Spearman's ρ of the raw
/// summaries against output at lag 0, with an effective n from lag-1 autocorrelations
/// alone. Kept to show that the calibration test tells a bad method from a good one.
pub fn claims_raw_lag1(first_seed: u64, datasets: usize) -> (usize, usize) {
    use millrace::report::stats::{
        bh_q_values, effective_n, lag1_autocorrelation, p_value_effective, ranks, spearman,
    };
    let shapes = shapes();
    let mut claimed = 0;
    for i in 0..datasets {
        let (products, parameters) = dataset(first_seed + i as u64, shapes[i % shapes.len()]);
        let y: Vec<f64> = products[0].intervals.iter().map(|i| i.rate).collect();
        let p: Vec<f64> = parameters
            .iter()
            .map(|parameter| {
                let x: Vec<f64> = parameter.means.as_ref().unwrap()[0]
                    .iter()
                    .map(|v| v.unwrap())
                    .collect();
                let rho = spearman(&x, &y).unwrap_or(0.0);
                let n = effective_n(
                    x.len(),
                    lag1_autocorrelation(&ranks(&x)),
                    lag1_autocorrelation(&ranks(&y)),
                );
                p_value_effective(rho, n).unwrap_or(1.0)
            })
            .collect();
        claimed += usize::from(bh_q_values(&p).iter().any(|q| *q < 0.05));
    }
    (claimed, datasets)
}
