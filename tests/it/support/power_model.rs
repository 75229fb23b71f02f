//! Power of the report against a plain textbook test, on plants where the plain test is
//! exactly valid (issue 21's protocol): one product, [`PARAMETERS`] gauges, a work order
//! every 5,000 s; three of the gauges are planted drivers, each with the same correlation
//! `r` with the output rate; parameters and output noise are AR(φ) per interval, φ = 0 or
//! 0.6; the gauges are read every 2,500 s (two readings an interval) or every 6,000 s (one
//! interval in six has no reading at all).
//!
//! Everything goes through the real report (`from_records`: intervals from the counter,
//! summaries, kinds, tests). The reference, computed here on the same datasets, is the test
//! an engineer knows: Spearman's ρ per interval between the gauge's mean and the output
//! rate, on the intervals where both are known; its p-value from Student's t with n pairs
//! where φ = 0, and with Bartlett's effective n from the true φ, n·(1 − φ²)/(1 + φ²), where
//! φ = 0.6; Benjamini–Hochberg at q < 0.05 over the 20 gauges.
//!
//! Shared by `tests/it/report/power.rs` (a seeded subset, fast) and `examples/power.rs` (the
//! whole grid, for `bench/power.sh`).

use millrace::record::{Metric, WorkOrder};
use millrace::report::stats::{bh_q_values, p_value_effective, spearman};
use millrace::report::{Options, from_records};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Gauges per dataset; the first [`DRIVERS`] are planted.
pub const PARAMETERS: usize = 20;
/// Planted drivers per dataset: parameters `0..DRIVERS`.
pub const DRIVERS: usize = 3;
/// Seconds between work orders.
pub const ORDER_SECONDS: i64 = 5_000;
const START: i64 = 1_700_000_000;

/// One cell of the grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    /// Work-order intervals.
    pub n: usize,
    /// Correlation of each planted driver with the output rate.
    pub r: f64,
    /// AR coefficient of every parameter and of the output noise, per interval.
    pub phi: f64,
    /// Seconds between a gauge's readings.
    pub reading_seconds: i64,
}

/// The whole grid of the protocol: n ∈ {60, 150, 400}, r ∈ {0.25, 0.35, 0.5},
/// φ ∈ {0, 0.6}, readings every 2,500 s or 6,000 s.
pub fn grid() -> Vec<Cell> {
    let mut cells = Vec::new();
    for n in [60, 150, 400] {
        for r in [0.25, 0.35, 0.5] {
            for phi in [0.0, 0.6] {
                for reading_seconds in [2_500, 6_000] {
                    cells.push(Cell {
                        n,
                        r,
                        phi,
                        reading_seconds,
                    });
                }
            }
        }
    }
    cells
}

/// What one dataset gave: for the report and for the reference, which planted drivers
/// were found and how many other parameters were claimed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Planted drivers the report marks reliable and not as an echo.
    pub detected: usize,
    /// Parameters not planted that the report marks reliable.
    pub false_claims: usize,
    /// Planted drivers the reference finds.
    pub reference_detected: usize,
    /// Parameters not planted that the reference finds.
    pub reference_false_claims: usize,
    /// Intervals where a planted driver's mean and the output are both known (summed over
    /// the drivers)…
    pub known_pairs: usize,
    /// …and the pairs the report tested them on at lag 0 (summed likewise; the report's
    /// best test of a driver may be at another lag, then its lag-0 pairs are not shown
    /// and this counts the known pairs instead, so the share is not flattered).
    pub lag0_pairs: usize,
}

fn ar(rng: &mut ChaCha8Rng, phi: f64, n: usize) -> Vec<f64> {
    // Stationary from the start, unit variance.
    let innovation = (1.0 - phi * phi).sqrt();
    let mut x: f64 = StandardNormal.sample(rng);
    (0..n)
        .map(|_| {
            let now = x;
            let e: f64 = StandardNormal.sample(rng);
            x = phi * x + innovation * e;
            now
        })
        .collect()
}

/// The records of one dataset, and each interval's gauge means as the reference sees them
/// (NaN where an interval has no reading) with the output rate per interval.
pub struct Dataset {
    pub metrics: Vec<Metric>,
    pub work_orders: Vec<WorkOrder>,
    pub means: Vec<Vec<f64>>,
    pub rates: Vec<f64>,
}

/// Draws one dataset of a cell.
pub fn dataset(cell: Cell, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = cell.n;
    let levels: Vec<Vec<f64>> = (0..PARAMETERS).map(|_| ar(&mut rng, cell.phi, n)).collect();
    // rate = base + a·(x₁ + x₂ + x₃) + e with unit-variance x's: corr(xᵢ, rate) = r when
    // var(e) = a²·(1/r² − 3).
    let a = 1.0;
    let noise_sd = a * (1.0 / (cell.r * cell.r) - DRIVERS as f64).sqrt();
    let noise = ar(&mut rng, cell.phi, n);
    let spread = a * (1.0 / (cell.r * cell.r)).sqrt();
    // Far enough above zero that no interval makes negative output.
    let base = 10.0 * spread;
    let per_hour: Vec<f64> = (0..n)
        .map(|t| {
            let planted: f64 = levels[..DRIVERS].iter().map(|x| a * x[t]).sum();
            (base + planted + noise_sd * noise[t]).max(0.01 * base)
        })
        .collect();
    let mut work_orders = Vec::with_capacity(n + 1);
    let mut counter = 0.0;
    work_orders.push(WorkOrder {
        time: START,
        product: 0,
        production: counter,
    });
    for (t, rate) in per_hour.iter().enumerate() {
        counter += rate * ORDER_SECONDS as f64 / 3600.0;
        work_orders.push(WorkOrder {
            time: START + (t as i64 + 1) * ORDER_SECONDS,
            product: 0,
            production: counter,
        });
    }
    let end = START + n as i64 * ORDER_SECONDS;
    let mut metrics = Vec::new();
    let mut means = Vec::with_capacity(PARAMETERS);
    for (id, level) in levels.iter().enumerate() {
        let mut sums = vec![(0.0, 0u32); n];
        // Each gauge on its own clock, not in step with the work orders.
        let mut time = START + rng.random_range(1..cell.reading_seconds);
        while time < end {
            let t = ((time - START) / ORDER_SECONDS) as usize;
            let val = 100.0 + 10.0 * level[t];
            metrics.push(Metric {
                id: id as i64,
                val,
                time,
            });
            sums[t].0 += val;
            sums[t].1 += 1;
            time += cell.reading_seconds;
        }
        means.push(
            sums.iter()
                .map(|&(s, k)| if k > 0 { s / f64::from(k) } else { f64::NAN })
                .collect(),
        );
    }
    Dataset {
        metrics,
        work_orders,
        means,
        rates: per_hour.iter().map(|r| r / 3600.0).collect(),
    }
}

/// The reference test's q-values, one per parameter.
pub fn reference_q(data: &Dataset, phi: f64) -> Vec<f64> {
    let p: Vec<f64> = data
        .means
        .iter()
        .map(|x| {
            let (xs, ys): (Vec<f64>, Vec<f64>) = x
                .iter()
                .zip(&data.rates)
                .filter(|(x, _)| x.is_finite())
                .map(|(x, y)| (*x, *y))
                .unzip();
            let n = xs.len() as f64;
            let n_eff = n * (1.0 - phi * phi) / (1.0 + phi * phi);
            spearman(&xs, &ys)
                .and_then(|rho| p_value_effective(rho, n_eff))
                .unwrap_or(1.0)
        })
        .collect();
    bh_q_values(&p)
}

/// Runs the report and the reference on one dataset.
pub fn outcome(cell: Cell, seed: u64, options: Options) -> Outcome {
    let mut data = dataset(cell, seed);
    let q = reference_q(&data, cell.phi);
    data.metrics.sort_by_key(|m| (m.id, m.time));
    let report = from_records(&data.work_orders, &data.metrics, "power", options);
    let mut out = Outcome::default();
    for (id, q) in q.iter().enumerate() {
        let claimed = *q < 0.05;
        if id < DRIVERS {
            out.reference_detected += usize::from(claimed);
        } else {
            out.reference_false_claims += usize::from(claimed);
        }
    }
    let Some(found) = report.findings.first() else {
        return out;
    };
    for f in &found.ranking {
        let planted = (f.parameter as usize) < DRIVERS;
        if f.reliable && planted && f.redundant_with.is_none() {
            out.detected += 1;
        }
        if f.reliable && !planted {
            out.false_claims += 1;
        }
    }
    for id in 0..DRIVERS {
        let known = data.means[id].iter().filter(|x| x.is_finite()).count();
        out.known_pairs += known;
        let tested = found
            .ranking
            .iter()
            .find(|f| f.parameter == id as i64)
            .and_then(|f| f.n_by_lag.first().copied().flatten());
        out.lag0_pairs += tested.unwrap_or(0);
    }
    out
}

/// Outcomes summed over the datasets of some cells.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub datasets: usize,
    pub planted: usize,
    pub detected: usize,
    pub false_claims: usize,
    pub reference_detected: usize,
    pub reference_false_claims: usize,
    pub known_pairs: usize,
    pub lag0_pairs: usize,
}

impl Tally {
    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: &Tally) {
        self.datasets += other.datasets;
        self.planted += other.planted;
        self.detected += other.detected;
        self.false_claims += other.false_claims;
        self.reference_detected += other.reference_detected;
        self.reference_false_claims += other.reference_false_claims;
        self.known_pairs += other.known_pairs;
        self.lag0_pairs += other.lag0_pairs;
    }

    pub fn add(&mut self, o: &Outcome) {
        self.datasets += 1;
        self.planted += DRIVERS;
        self.detected += o.detected;
        self.false_claims += o.false_claims;
        self.reference_detected += o.reference_detected;
        self.reference_false_claims += o.reference_false_claims;
        self.known_pairs += o.known_pairs;
        self.lag0_pairs += o.lag0_pairs;
    }

    /// The report's detections over the reference's.
    pub fn ratio(&self) -> f64 {
        self.detected as f64 / self.reference_detected.max(1) as f64
    }

    /// Share of the report's reliable claims that are not planted.
    pub fn false_discovery_proportion(&self) -> f64 {
        let claims = self.detected + self.false_claims;
        self.false_claims as f64 / claims.max(1) as f64
    }

    /// Share of the known (driver, interval) pairs the report tested at lag 0.
    pub fn lag0_share(&self) -> f64 {
        self.lag0_pairs as f64 / self.known_pairs.max(1) as f64
    }

    pub fn line(&self, label: &str) -> String {
        format!(
            "{label:<28} {:>4} datasets  report {:>4}/{:<4} ({:.2})  reference {:>4} ({:.2})  ratio {:.2}  false claims {:>3} (FDP {:.3}, reference {})  lag-0 pairs {:.3}",
            self.datasets,
            self.detected,
            self.planted,
            self.detected as f64 / self.planted.max(1) as f64,
            self.reference_detected,
            self.reference_detected as f64 / self.planted.max(1) as f64,
            self.ratio(),
            self.false_claims,
            self.false_discovery_proportion(),
            self.reference_false_claims,
            self.lag0_share(),
        )
    }
}

/// Every cell of `cells` with `seeds` seeds each (seeds from `first_seed`), tallied in all,
/// by φ, by n, and per cell; the report made with `options`.
pub struct Results {
    pub all: Tally,
    pub by_phi: Vec<(f64, Tally)>,
    pub by_n: Vec<(usize, Tally)>,
    pub by_phi_and_n: Vec<((f64, usize), Tally)>,
    pub cells: Vec<(Cell, Tally)>,
}

pub fn run(cells: &[Cell], seeds: u64, first_seed: u64, options: Options) -> Results {
    let mut results = Results {
        all: Tally::default(),
        by_phi: Vec::new(),
        by_n: Vec::new(),
        by_phi_and_n: Vec::new(),
        cells: Vec::new(),
    };
    for (c, cell) in cells.iter().enumerate() {
        let mut tally = Tally::default();
        for s in 0..seeds {
            let seed = first_seed + c as u64 * 1_000 + s;
            tally.add(&outcome(*cell, seed, options));
        }
        results.cells.push((*cell, tally));
    }
    let sum = |keep: &dyn Fn(&Cell) -> bool| {
        let mut t = Tally::default();
        for (cell, tally) in &results.cells {
            if keep(cell) {
                t.merge(tally);
            }
        }
        t
    };
    let all = sum(&|_| true);
    let mut phis: Vec<f64> = cells.iter().map(|c| c.phi).collect();
    phis.dedup();
    phis.sort_by(f64::total_cmp);
    phis.dedup();
    let mut ns: Vec<usize> = cells.iter().map(|c| c.n).collect();
    ns.sort_unstable();
    ns.dedup();
    let by_phi = phis.iter().map(|&p| (p, sum(&|c| c.phi == p))).collect();
    let by_n = ns.iter().map(|&n| (n, sum(&|c| c.n == n))).collect();
    let mut by_phi_and_n = Vec::new();
    for &p in &phis {
        for &n in &ns {
            by_phi_and_n.push(((p, n), sum(&|c| c.phi == p && c.n == n)));
        }
    }
    results.all = all;
    results.by_phi = by_phi;
    results.by_n = by_n;
    results.by_phi_and_n = by_phi_and_n;
    results
}
