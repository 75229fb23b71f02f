//! The plant of `bench/scale.sh` (issue 24): the same 60 days of work at any reading density.
//!
//!     cargo run --release --example scale_plant -- --out DIR --readings N [--seed S]
//!
//! Writes `DIR/metrics.json` and `DIR/workorder.json`:
//! - 50 gauges (ids 1..=50), read in turn at evenly spaced times over 60 days, `N` readings
//!   in all: each a slowly wandering level (an AR(1) state with a 3-hour memory) plus
//!   measurement noise;
//! - two products (0 and 1) made at the same time, each one's production counter read every
//!   10 minutes: 2 × 8,640 = 17,280 work orders, whatever `N` is;
//! - each product's output rate driven by a few gauges ([`DRIVERS`]), so the report has
//!   something to find.
//!
//! Only the density of readings changes with `N`; the work orders (and so the intervals the
//! report tests) stay the same, given the seed. Both files are streamed out, so 20 M readings
//! (about 1 GB) take no more memory than 2 M.

use millrace::generate::JsonArray;
use millrace::record::{Metric, WorkOrder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::path::PathBuf;

/// The first simulated second (the sample's own start).
const START: i64 = 1_624_377_478;
/// The span: 60 days, in seconds.
const SPAN: i64 = 60 * 86_400;
/// The simulation's step: gauge levels and output rates change once a minute.
const STEP: i64 = 60;
/// How often each product's counter is read, in seconds.
const WORK_ORDER_EVERY: i64 = 600;
/// Gauges, numbered 1..=GAUGES.
const GAUGES: usize = 50;
/// How long a gauge's level takes to forget itself, in seconds.
const MEMORY: f64 = 3.0 * 3600.0;
/// Units per second each product makes at neutral gauges.
const BASE_RATE: [f64; 2] = [0.02, 0.015];
/// The planted drivers: per product, (gauge id, relative change of the output rate per
/// standard deviation of the gauge's level).
const DRIVERS: [&[(usize, f64)]; 2] = [
    &[(7, 0.45), (23, -0.30)],
    &[(12, 0.40), (31, -0.30), (44, 0.20)],
];

/// What the command line asks for.
struct Args {
    /// The folder the two files are written into.
    out: PathBuf,
    /// Readings in all, over every gauge.
    readings: u64,
    /// The random seed: the same seed and `readings` give the same files.
    seed: u64,
}

/// Reads `--out DIR --readings N [--seed S]`; exits with the usage on anything else.
fn args() -> Args {
    const USAGE: &str = "usage: scale_plant --out DIR --readings N [--seed S]";
    let (mut out, mut readings, mut seed) = (None, None, 1);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| fail(USAGE));
        let number = || {
            value
                .replace('_', "")
                .parse::<u64>()
                .unwrap_or_else(|_| fail(USAGE))
        };
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(&value)),
            "--readings" => readings = Some(number()),
            "--seed" => seed = number(),
            _ => fail(USAGE),
        }
    }
    match (out, readings) {
        (Some(out), Some(readings)) if readings > 0 => Args {
            out,
            readings,
            seed,
        },
        _ => fail(USAGE),
    }
}

/// Prints `message` and exits with status 2.
fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}

/// A standard normal draw.
fn normal(rng: &mut impl Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// Rounds to hundredths, so the files are no longer than the sample's records.
fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// One gauge: its level and how it reads.
struct Gauge {
    /// Standardised level, an AR(1) process.
    state: f64,
    /// The reading at level 0.
    mean: f64,
    /// The reading's change per unit of level.
    sd: f64,
}

fn main() -> std::io::Result<()> {
    let args = args();
    std::fs::create_dir_all(&args.out)?;
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut gauges: Vec<Gauge> = (0..GAUGES)
        .map(|_| Gauge {
            state: normal(&mut rng),
            mean: rng.random_range(50.0..5000.0),
            sd: rng.random_range(5.0..500.0),
        })
        .collect();
    // What each product's output depends on that no gauge shows, and its counter.
    let mut hidden = [normal(&mut rng), normal(&mut rng)];
    let mut counters = [0.0f64; 2];
    let keep = (-(STEP as f64) / MEMORY).exp();
    let fresh = (1.0 - keep * keep).sqrt();

    let mut metrics = JsonArray::create(args.out.join("metrics.json"), false)?;
    let mut orders = JsonArray::create(args.out.join("workorder.json"), true)?;
    // Reading k is of gauge k % 50 + 1, at START + k × SPAN / N: evenly spread over the span.
    let time_of =
        |k: u64| START + (u128::from(k) * SPAN as u128 / u128::from(args.readings)) as i64;
    let mut next = 0u64;
    for t0 in (START..START + SPAN).step_by(STEP as usize) {
        if (t0 - START) % WORK_ORDER_EVERY == 0 {
            for (product, counter) in counters.iter().enumerate() {
                let production = if *counter == 0.0 {
                    0.0
                } else {
                    (counter + 0.2 * normal(&mut rng)).max(0.0)
                };
                orders.push(&WorkOrder {
                    time: t0,
                    product: product as i64,
                    production: cents(production),
                })?;
            }
        }
        while next < args.readings && time_of(next) < t0 + STEP {
            let gauge = &gauges[(next % GAUGES as u64) as usize];
            let val = gauge.mean + gauge.sd * (gauge.state + 0.1 * normal(&mut rng));
            metrics.push(&Metric {
                id: (next % GAUGES as u64) as i64 + 1,
                val: cents(val),
                time: time_of(next),
            })?;
            next += 1;
        }
        // The minute's output, at the levels the minute was read at; then the levels move on.
        for (product, counter) in counters.iter_mut().enumerate() {
            hidden[product] = keep * hidden[product] + fresh * normal(&mut rng);
            let push: f64 = DRIVERS[product]
                .iter()
                .map(|&(id, effect)| effect * gauges[id - 1].state)
                .sum::<f64>()
                + 0.25 * hidden[product];
            *counter += BASE_RATE[product] * (1.0 + push).max(0.05) * STEP as f64;
        }
        for gauge in &mut gauges {
            gauge.state = keep * gauge.state + fresh * normal(&mut rng);
        }
    }
    let (metrics, orders) = (metrics.finish()?, orders.finish()?);
    let planted: Vec<String> = DRIVERS
        .iter()
        .enumerate()
        .map(|(product, drivers)| {
            let gauges: Vec<String> = drivers
                .iter()
                .map(|(id, effect)| format!("{id} ({effect:+})"))
                .collect();
            format!("product {product} ← gauges {}", gauges.join(", "))
        })
        .collect();
    println!(
        "wrote {metrics} metrics and {orders} work orders into {}; planted: {}",
        args.out.display(),
        planted.join("; ")
    );
    Ok(())
}
