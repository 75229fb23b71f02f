//! `millrace generate`: realistic demo data, deterministic per seed, with optional planted
//! relationships between machine parameters and production output, so the pipeline and the
//! report can be exercised and checked without real plant data.

mod json_array;
mod model;

pub use json_array::JsonArray;
pub use model::{Driver, Planted, Schedule};

use crate::record::{Metric, WorkOrder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::PathBuf;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateConfig {
    /// Folder the data files and `planted.json` are written into.
    pub out: PathBuf,
    /// Random seed: the same seed gives the same files, so a demo or test can be repeated.
    pub seed: u64,
    /// 1.0 gives about the sample's size (6,900 metrics, 580 work orders over 16.6 days);
    /// the time span grows with it, the sampling density stays.
    pub scale: f64,
    /// How many products the simulated machine makes.
    pub products: u32,
    /// Whether products run at the same time or take turns.
    pub schedule: Schedule,
    /// Plant parameters that drive output; without, output is independent of every parameter.
    pub plant: bool,
}

/// What was written.
#[derive(Clone, Debug, Serialize)]
pub struct Generated {
    /// Metric records written to `metrics.json`.
    pub metrics: u64,
    /// Work-order records written to `workorder.json`.
    pub workorders: u64,
    /// The planted truth, also written to `planted.json`, to check the report against.
    pub planted: Planted,
}

/// The first simulated second, the sample's own start.
const START: i64 = 1_624_377_478;
/// The simulation's step: latent states change once a minute.
const STEP: i64 = 60;
/// The sample's span in steps (16.6 days).
const SAMPLE_STEPS: f64 = 23_955.0;
/// Readings per parameter per step, as dense as the sample (about 345 per parameter).
const READ_PROBABILITY: f64 = 345.0 / SAMPLE_STEPS;

/// Writes `metrics.json`, `workorder.json` and `planted.json` (the truth the data was made
/// from) into `config.out`.
pub fn generate(config: &GenerateConfig) -> std::io::Result<Generated> {
    std::fs::create_dir_all(&config.out)?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut machine = model::Machine::new(&mut rng, config.products, config.plant, config.schedule);
    let steps = (SAMPLE_STEPS * config.scale.max(0.001)).ceil() as i64;
    let mut metrics = JsonArray::create(config.out.join("metrics.json"), false)?;
    let mut orders: Vec<WorkOrder> = Vec::new();
    let mut readings: Vec<Metric> = Vec::new();
    for step in 0..steps {
        let t0 = START + step * STEP;
        machine.advance(&mut rng, t0, STEP as f64);
        readings.clear();
        for id in 0..model::PARAMETERS {
            if rng.random::<f64>() < READ_PROBABILITY {
                let time = t0 + rng.random_range(0..STEP);
                readings.push(Metric {
                    id: id as i64,
                    val: machine.read(&mut rng, id, time),
                    time,
                });
            }
        }
        readings.sort_by_key(|m| m.time);
        for m in &readings {
            metrics.push(m)?;
        }
        orders.extend(machine.work_orders(&mut rng, t0, STEP));
    }
    // Like the sample, one product's block after the other's: not time-ordered.
    orders.sort_by_key(|w| (w.product, w.time));
    let mut workorder = JsonArray::create(config.out.join("workorder.json"), true)?;
    for w in &orders {
        workorder.push(w)?;
    }
    let written = Generated {
        metrics: metrics.finish()?,
        workorders: workorder.finish()?,
        planted: machine.planted(),
    };
    let truth = serde_json::to_vec_pretty(&written.planted).map_err(std::io::Error::other)?;
    std::fs::write(config.out.join("planted.json"), truth)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path, seed: u64) -> GenerateConfig {
        GenerateConfig {
            out: dir.to_path_buf(),
            seed,
            scale: 0.2,
            products: 2,
            schedule: Schedule::Concurrent,
            plant: true,
        }
    }

    #[test]
    fn is_deterministic_per_seed() {
        let (a, b, c) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        generate(&config(a.path(), 7)).unwrap();
        generate(&config(b.path(), 7)).unwrap();
        generate(&config(c.path(), 8)).unwrap();
        let read = |d: &tempfile::TempDir| std::fs::read(d.path().join("metrics.json")).unwrap();
        assert_eq!(read(&a), read(&b));
        assert_ne!(read(&a), read(&c));
    }

    #[test]
    fn writes_valid_records_of_every_parameter_and_product() {
        let dir = tempfile::tempdir().unwrap();
        let written = generate(&config(dir.path(), 1)).unwrap();
        let metrics: Vec<Metric> =
            serde_json::from_slice(&std::fs::read(dir.path().join("metrics.json")).unwrap())
                .unwrap();
        let orders: Vec<WorkOrder> =
            serde_json::from_slice(&std::fs::read(dir.path().join("workorder.json")).unwrap())
                .unwrap();
        assert_eq!(metrics.len() as u64, written.metrics);
        assert_eq!(orders.len() as u64, written.workorders);
        let ids: std::collections::BTreeSet<_> = metrics.iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), model::PARAMETERS);
        let products: std::collections::BTreeSet<_> = orders.iter().map(|w| w.product).collect();
        assert_eq!(products.len(), 2);
        assert!(
            metrics.windows(2).all(|w| w[0].time <= w[1].time),
            "metrics are time-ordered"
        );
    }

    #[test]
    fn scale_one_is_about_the_sample_size() {
        let dir = tempfile::tempdir().unwrap();
        let written = generate(&GenerateConfig {
            scale: 1.0,
            ..config(dir.path(), 3)
        })
        .unwrap();
        assert!(
            (6_000..8_000).contains(&written.metrics),
            "{}",
            written.metrics
        );
        assert!(
            (500..650).contains(&written.workorders),
            "{}",
            written.workorders
        );
    }

    #[test]
    fn counters_restart_when_products_take_turns() {
        let dir = tempfile::tempdir().unwrap();
        generate(&GenerateConfig {
            schedule: Schedule::Turns,
            scale: 1.0,
            ..config(dir.path(), 5)
        })
        .unwrap();
        let orders: Vec<WorkOrder> =
            serde_json::from_slice(&std::fs::read(dir.path().join("workorder.json")).unwrap())
                .unwrap();
        let p0: Vec<_> = orders.iter().filter(|w| w.product == 0).collect();
        let restarts = p0
            .windows(2)
            .filter(|w| w[1].production < w[0].production - 50.0)
            .count();
        assert!(restarts >= 2, "runs restart the counter: {restarts}");
    }
}
