//! Output per work-order interval: how fast each product was being made between two
//! consecutive readings of its production counter.

use crate::record::WorkOrder;
use std::collections::BTreeMap;

/// An interval longer than this many times the product's usual sampling period is a gap in
/// the data (a stop, an outage), not an interval of production.
pub const GAP_FACTOR: f64 = 3.0;
/// A counter that falls by more than this many times its usual step, and to half or less of
/// where it was, has restarted (a new run)…
pub const RESTART_FACTOR: f64 = 3.0;
/// …and so has one that falls back near the level its run started from, whatever the size
/// of the step: to within this share of what the run had gained. Short work orders restart
/// their counter after one or two readings, with falls no bigger than an ordinary step.
pub const RESTART_LEVEL: f64 = 0.25;

/// One stretch of production of one product, between two counter readings.
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    /// Time of the counter reading that opens the interval, in Unix seconds.
    pub start: i64,
    /// Time of the counter reading that closes it, in Unix seconds.
    pub end: i64,
    /// Units produced per second over the interval.
    pub rate: f64,
}

impl Interval {
    /// How long the interval lasts, in seconds.
    pub fn seconds(&self) -> f64 {
        (self.end - self.start) as f64
    }
}

/// A product's intervals, and what was set aside on the way.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductIntervals {
    /// The product's number, as in the work orders' `product`.
    pub product: i64,
    /// Sorted by start, never overlapping.
    pub intervals: Vec<Interval>,
    /// Work-order records of the product.
    pub records: usize,
    /// Production runs: the counter restarted `runs - 1` times.
    pub runs: usize,
    /// Steps too long to be one interval.
    pub gaps: usize,
    /// Steps where the counter fell slightly: kept, as reading noise.
    pub noise_steps: usize,
    /// Readings sharing a timestamp with the one before (no interval between them).
    pub same_time: usize,
    /// The usual time between readings, in seconds (median).
    pub typical_seconds: f64,
}

/// Splits each product's counter readings into intervals. Products are returned in order.
pub fn intervals(work_orders: &[WorkOrder]) -> Vec<ProductIntervals> {
    let mut by_product: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    for w in work_orders {
        by_product
            .entry(w.product)
            .or_default()
            .push((w.time, w.production));
    }
    by_product
        .into_iter()
        .map(|(product, mut readings)| {
            // A stable sort keeps readings of one second in the order they were stored.
            readings.sort_by_key(|r| r.0);
            split(product, &readings)
        })
        .collect()
}

fn split(product: i64, readings: &[(i64, f64)]) -> ProductIntervals {
    let mut out = ProductIntervals {
        product,
        records: readings.len(),
        runs: usize::from(!readings.is_empty()),
        ..ProductIntervals::default()
    };
    let steps: Vec<(i64, f64)> = readings
        .windows(2)
        .map(|w| (w[1].0 - w[0].0, w[1].1 - w[0].1))
        .collect();
    let typical_seconds = median(steps.iter().filter(|s| s.0 > 0).map(|s| s.0 as f64));
    let typical_step = median(steps.iter().filter(|s| s.0 > 0).map(|s| s.1.abs()));
    out.typical_seconds = typical_seconds;
    let mut run_start = readings.first().map_or(0.0, |r| r.1);
    for (pair, &(dt, dc)) in readings.windows(2).zip(&steps) {
        let (before, after) = (pair[0].1, pair[1].1);
        let big_fall = -dc > RESTART_FACTOR * typical_step && after <= before / 2.0;
        let back_to_start = before > run_start
            && after - run_start <= RESTART_LEVEL * (before - run_start)
            && -dc > RESTART_LEVEL * typical_step;
        if dc < 0.0 && (big_fall || back_to_start) {
            out.runs += 1;
            run_start = after;
        } else if dt == 0 {
            out.same_time += 1;
        } else if dt as f64 > GAP_FACTOR * typical_seconds {
            out.gaps += 1;
        } else if !(dc / dt as f64).is_finite() {
            // Counters near f64's limits overflow their difference; no rate to speak of.
            out.gaps += 1;
        } else {
            if dc < 0.0 {
                out.noise_steps += 1;
            }
            out.intervals.push(Interval {
                start: pair[0].0,
                end: pair[1].0,
                rate: dc / dt as f64,
            });
        }
    }
    out
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wo(time: i64, product: i64, production: f64) -> WorkOrder {
        WorkOrder {
            time,
            product,
            production,
        }
    }

    #[test]
    fn rates_come_from_consecutive_readings() {
        let p = &intervals(&[wo(0, 0, 0.0), wo(100, 0, 50.0), wo(200, 0, 70.0)])[0];
        assert_eq!(p.intervals.len(), 2);
        assert_eq!(p.intervals[0].rate, 0.5);
        assert_eq!(p.intervals[1].rate, 0.2);
    }

    #[test]
    fn a_restarted_counter_starts_a_new_run_not_a_negative_interval() {
        let readings = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 0.0, 10.0, 20.0];
        let w: Vec<_> = readings
            .iter()
            .enumerate()
            .map(|(i, &c)| wo(i as i64 * 100, 0, c))
            .collect();
        let p = &intervals(&w)[0];
        assert_eq!(p.runs, 2);
        assert_eq!(p.intervals.len(), 7);
        assert!(p.intervals.iter().all(|i| i.rate > 0.0));
    }

    #[test]
    fn small_negative_steps_are_kept_as_noise() {
        let readings = [0.0, 10.0, 20.0, 19.5, 30.0, 40.0];
        let w: Vec<_> = readings
            .iter()
            .enumerate()
            .map(|(i, &c)| wo(i as i64 * 100, 0, c))
            .collect();
        let p = &intervals(&w)[0];
        assert_eq!(p.runs, 1);
        assert_eq!(p.noise_steps, 1);
        assert_eq!(p.intervals.len(), 5);
    }

    #[test]
    fn short_work_orders_restart_whatever_the_step_size() {
        // Orders of two to four readings, each counting from zero again.
        let orders: [&[f64]; 5] = [
            &[0.0, 5.0, 11.0],
            &[0.0, 6.0],
            &[0.0, 4.0, 9.0, 15.0],
            &[0.5, 6.0, 12.0],
            &[0.0, 5.0],
        ];
        let w: Vec<_> = orders
            .iter()
            .flat_map(|o| o.iter())
            .enumerate()
            .map(|(i, &c)| wo(i as i64 * 100, 0, c))
            .collect();
        let p = &intervals(&w)[0];
        assert_eq!(p.runs, 5);
        assert_eq!(p.intervals.len(), 14 - 5);
        assert!(p.intervals.iter().all(|i| i.rate > 0.0), "{p:?}");
        assert_eq!(p.noise_steps, 0);
    }

    #[test]
    fn long_silences_are_gaps() {
        let times = [0, 100, 200, 300, 5000, 5100];
        let w: Vec<_> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| wo(t, 0, i as f64))
            .collect();
        let p = &intervals(&w)[0];
        assert_eq!(p.gaps, 1);
        assert_eq!(p.intervals.len(), 4);
    }

    #[test]
    fn products_are_separated_and_unordered_input_is_sorted() {
        let p = intervals(&[
            wo(200, 1, 9.0),
            wo(100, 0, 1.0),
            wo(0, 1, 1.0),
            wo(0, 0, 0.0),
            wo(100, 1, 5.0),
        ]);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[1].intervals[0],
            Interval {
                start: 0,
                end: 100,
                rate: 0.04
            }
        );
    }
}
