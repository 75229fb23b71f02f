//! The simulated machine behind `millrace generate`: slowly wandering parameters, some
//! gauges, some cumulative counters, two of them trending with time, and products whose
//! output rate depends on a few planted parameters.

use crate::record::WorkOrder;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;
use std::str::FromStr;

/// Parameters on the simulated machine, numbered like the sample's.
pub const PARAMETERS: usize = 20;
/// Parameters that count up (like the sample's 8, 10, 11, …); the rest are gauges.
const COUNTERS: [usize; 9] = [8, 10, 11, 13, 14, 15, 17, 18, 19];
/// Gauges that drift with time but drive nothing: the trap a level-on-level correlation
/// falls into.
const TREND_ONLY: [usize; 2] = [1, 3];
/// How long a parameter's state takes to forget itself, in seconds.
const MEMORY: f64 = 3.0 * 3600.0;

/// Whether products run at the same time or take turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Every product runs all the time, like the sample.
    Concurrent,
    /// One product at a time, for runs of about a day; each run restarts its counter.
    Turns,
}

/// A schedule name that is neither `concurrent` nor `turns`.
#[derive(Debug, thiserror::Error)]
#[error("unknown schedule `{0}`: expected `concurrent` or `turns`")]
pub struct UnknownSchedule(pub String);

impl FromStr for Schedule {
    type Err = UnknownSchedule;
    fn from_str(s: &str) -> Result<Self, UnknownSchedule> {
        match s {
            "concurrent" => Ok(Schedule::Concurrent),
            "turns" => Ok(Schedule::Turns),
            _ => Err(UnknownSchedule(s.to_string())),
        }
    }
}

/// One planted cause of a product's output.
#[derive(Clone, Debug, Serialize)]
pub struct Driver {
    /// The parameter's number, as in the metrics' `id`.
    pub parameter: u32,
    /// `mean` for a gauge whose level drives output, `rate` for a counter whose speed does.
    pub summary: &'static str,
    /// Relative change of output rate per standard deviation of the parameter.
    pub effect: f64,
}

/// The truth a dataset was generated from.
#[derive(Clone, Debug, Serialize)]
pub struct Planted {
    /// Whether the products ran at the same time or took turns.
    pub schedule: Schedule,
    /// Each product's planted drivers.
    pub products: Vec<ProductTruth>,
    /// Parameters that count up rather than read a level, so their rate is what matters.
    pub counters: Vec<u32>,
    /// Parameters that drift with time but drive nothing: a report naming them was fooled
    /// by the trend.
    pub trend_only: Vec<u32>,
}

/// The parameters planted to drive one product's output.
#[derive(Clone, Debug, Serialize)]
pub struct ProductTruth {
    /// The product's number, as in the work orders' `product`.
    pub product: u32,
    /// Strongest first.
    pub drivers: Vec<Driver>,
}

struct Param {
    counter: bool,
    /// Standardised latent state, an AR(1) process.
    state: f64,
    mean: f64,
    sd: f64,
    /// Standard deviations per day.
    drift: f64,
    total: f64,
    base_rate: f64,
}

struct Product {
    drivers: Vec<(usize, f64)>,
    /// Units per second at neutral parameters.
    base_rate: f64,
    /// What the product's output depends on that no parameter shows.
    hidden: f64,
    counter: f64,
    active: bool,
    next_report: i64,
}

/// The simulated machine: its parameters' hidden states and its products' counters, advanced
/// one step at a time by [`generate`](super::generate).
pub struct Machine {
    params: Vec<Param>,
    products: Vec<Product>,
    schedule: Schedule,
    start: Option<i64>,
    run_ends: i64,
    running: usize,
}

fn normal<R: Rng>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

impl Machine {
    /// A machine with random parameter levels and, when `plant` is set, three planted
    /// drivers per product (the truth [`Machine::planted`] reports).
    pub fn new<R: Rng>(rng: &mut R, products: u32, plant: bool, schedule: Schedule) -> Self {
        let params = (0..PARAMETERS)
            .map(|id| {
                let counter = COUNTERS.contains(&id);
                Param {
                    counter,
                    state: normal(rng),
                    mean: rng.random_range(50.0..5000.0),
                    sd: rng.random_range(20.0..2000.0),
                    drift: if TREND_ONLY.contains(&id) { 0.35 } else { 0.0 },
                    total: rng.random_range(50.0..1000.0),
                    base_rate: rng.random_range(0.005..0.05),
                }
            })
            .collect();
        let plants: [[(usize, f64); 3]; 2] = [
            [(9, 0.45), (5, -0.30), (13, 0.20)],
            [(6, 0.45), (12, -0.30), (17, 0.20)],
        ];
        let products = (0..products.max(1) as usize)
            .map(|p| {
                let drivers = if !plant {
                    vec![]
                } else if let Some(set) = plants.get(p) {
                    set.to_vec()
                } else {
                    let mut pool: Vec<usize> = (0..PARAMETERS)
                        .filter(|id| !TREND_ONLY.contains(id))
                        .collect();
                    [0.45, -0.30, 0.20]
                        .into_iter()
                        .map(|effect| (pool.remove(rng.random_range(0..pool.len())), effect))
                        .collect()
                };
                Product {
                    drivers,
                    base_rate: 0.004 * (1.0 + 0.25 * p as f64),
                    hidden: normal(rng),
                    counter: 0.0,
                    active: schedule == Schedule::Concurrent,
                    next_report: 0,
                }
            })
            .collect();
        Machine {
            params,
            products,
            schedule,
            start: None,
            run_ends: 0,
            running: 0,
        }
    }

    /// Moves the machine on by `dt` seconds from `t0`.
    pub fn advance<R: Rng>(&mut self, rng: &mut R, t0: i64, dt: f64) {
        let start = *self.start.get_or_insert(t0);
        let keep = (-dt / MEMORY).exp();
        let fresh = (1.0 - keep * keep).sqrt();
        for p in &mut self.params {
            p.state = keep * p.state + fresh * normal(rng);
            if p.counter {
                p.total += p.base_rate * (0.35 * p.state).exp() * dt;
            }
        }
        if t0 == start {
            for product in self.products.iter_mut().filter(|p| p.active) {
                product.next_report = t0;
            }
        }
        if self.schedule == Schedule::Turns && t0 >= self.run_ends {
            let next = if t0 == start {
                0
            } else {
                (self.running + 1) % self.products.len()
            };
            for (i, product) in self.products.iter_mut().enumerate() {
                product.active = i == next;
            }
            self.running = next;
            let product = &mut self.products[next];
            product.counter = 0.0;
            product.next_report = t0;
            self.run_ends = t0 + rng.random_range(18 * 3600..30 * 3600);
        }
        for product in self.products.iter_mut().filter(|p| p.active) {
            product.hidden = keep * product.hidden + fresh * normal(rng);
            let push: f64 = product
                .drivers
                .iter()
                .map(|&(id, effect)| effect * self.params[id].state)
                .sum::<f64>()
                + 0.25 * product.hidden;
            let rate = product.base_rate * (1.0 + push).max(0.05);
            product.counter += rate * dt;
        }
    }

    /// A reading of parameter `id` at `time`, with measurement noise.
    pub fn read<R: Rng>(&self, rng: &mut R, id: usize, time: i64) -> f64 {
        let p = &self.params[id];
        if p.counter {
            p.total + p.base_rate * 20.0 * normal(rng)
        } else {
            let days = (time - self.start.unwrap_or(time)) as f64 / 86_400.0;
            p.mean + p.sd * (p.state + p.drift * days + 0.1 * normal(rng))
        }
    }

    /// Work-order records due in `[t0, t0 + step)`.
    pub fn work_orders<R: Rng>(&mut self, rng: &mut R, t0: i64, step: i64) -> Vec<WorkOrder> {
        let mut out = Vec::new();
        for (i, product) in self.products.iter_mut().enumerate() {
            if !product.active || product.next_report >= t0 + step {
                continue;
            }
            let production = if product.counter == 0.0 {
                0.0
            } else {
                (product.counter + 0.4 * normal(rng)).max(0.0)
            };
            out.push(WorkOrder {
                time: product.next_report.max(t0),
                product: i as i64,
                production,
            });
            product.next_report = t0 + rng.random_range(4_600..5_400);
        }
        out
    }

    /// The truth behind the data, for `planted.json`.
    pub fn planted(&self) -> Planted {
        Planted {
            schedule: self.schedule,
            products: self
                .products
                .iter()
                .enumerate()
                .map(|(i, p)| ProductTruth {
                    product: i as u32,
                    drivers: p
                        .drivers
                        .iter()
                        .map(|&(id, effect)| Driver {
                            parameter: id as u32,
                            summary: if self.params[id].counter {
                                "rate"
                            } else {
                                "mean"
                            },
                            effect,
                        })
                        .collect(),
                })
                .collect(),
            counters: COUNTERS.iter().map(|&c| c as u32).collect(),
            trend_only: TREND_ONLY.iter().map(|&c| c as u32).collect(),
        }
    }
}
