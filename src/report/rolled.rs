//! A parameter whose older readings were pruned (`millrace prune`): summarised from its
//! per-minute rollups before the raw cut-off and from its readings after it.
//!
//! Only a pruned store takes this path; on a store that holds every reading the report reads
//! readings alone ([`super::summaries::summarise`]), exactly as before. Before the cut-off
//! the report knows, per minute, how many readings there were, their sum, lowest and
//! highest, and the first and last with their times. What that changes, as the method text
//! says:
//! - **Means.** A minute wholly inside an interval adds its sum and count exactly. A minute an
//!   interval's edge cuts is shared between the two intervals in proportion to how much of
//!   the minute each covers, as if its readings were spread evenly in it: the mean can be off
//!   by at most the share of the interval's readings in its two edge minutes times their
//!   spread (nothing, when work orders fall on whole minutes).
//! - **Rates.** A counter's value at an interval's edge is interpolated between the minutes'
//!   first and last readings, which are real readings; inside a minute the readings between
//!   them are skipped, so a minute whose readings were more than three reading gaps apart on
//!   average is not interpolated across. A drop (a reset) between first and last, or one
//!   hidden inside a minute (its lowest reading below its first and a drop from its highest),
//!   spoils the rate, as a drop between readings does.
//! - **Glitches** inside a rolled-up minute cannot be told from real values: they count as
//!   readings (`rolled_up` says how many readings were judged without that check).
//! - **Kind and reading gap** come from the readings that remain when there are enough (five
//!   steps or more), else from the minutes' first and last readings in time order.

use super::intervals::{GAP_FACTOR, ProductIntervals};
use super::series::Series;
use super::shape::{MIN_STEPS, Steps, Summary, is_drop};
use super::summaries::{
    ParameterSummary, ProductSummaries, Profile, RatePath, drops_before, median_gap,
};
use crate::store::rollup::{Bucket, WIDTH};

/// One parameter from its rolled-up minutes (all before the raw cut-off, in order) and its
/// remaining readings (at or after it, in time order, ties by value).
pub fn summarise(
    id: i64,
    minutes: &[Bucket],
    times: &[i64],
    values: &[f64],
    products: &[ProductIntervals],
) -> ParameterSummary {
    let (mut profile, clean) = Profile::of(id, times, values);
    let points = Points::of(minutes);
    let rolled_up = minutes.iter().map(|m| m.count).sum::<i64>() as u64;
    // Too few readings left to judge the kind by: the minutes' ends, then the readings.
    if clean.values.len() <= MIN_STEPS {
        let mut sequence: Vec<f64> = points.values.clone();
        sequence.extend(&clean.values);
        let steps = Steps::of(&sequence);
        profile.kind = steps.kind();
        profile.fall_share = steps.fall_share();
        profile.drops = steps.drops;
        profile.resets = steps.resets;
        profile.wraps = steps.wraps;
        profile.lowest = steps.lowest;
        profile.reading_gap = minute_gap(minutes).unwrap_or_else(|| median_gap(&points.times));
    }
    profile.readings += rolled_up;
    profile.rolled_up = rolled_up;
    if let (Some(first), Some(last)) = (minutes.first(), minutes.last()) {
        profile.first_time = first.first.0;
        if times.is_empty() {
            profile.last_time = last.last.0;
        }
    }
    let max_span = (GAP_FACTOR * profile.reading_gap).max(1.0);
    let history = History::new(&points, minutes, &clean.times, &clean.values, max_span);
    let wants = |s: Summary| profile.kind.summaries().contains(&s);
    let per_product: Vec<ProductSummaries> = products
        .iter()
        .map(|p| {
            (
                wants(Summary::Mean).then(|| means(minutes, &clean.times, &clean.values, p)),
                wants(Summary::Rate).then(|| history.rates(p)),
            )
        })
        .collect();
    profile.summary(per_product)
}

/// The usual time between readings inside the minutes that hold two or more (median).
fn minute_gap(minutes: &[Bucket]) -> Option<f64> {
    let mut gaps: Vec<f64> = minutes
        .iter()
        .filter(|m| m.count >= 2 && m.last.0 > m.first.0)
        .map(|m| (m.last.0 - m.first.0) as f64 / (m.count - 1) as f64)
        .collect();
    let m = super::glitches::median(&mut gaps);
    m.is_finite().then_some(m)
}

/// The minutes' first and last readings, in time order.
struct Points {
    times: Vec<i64>,
    values: Vec<f64>,
    /// Whether the step from this point to the next is the inside of a minute (its first to
    /// its last reading), whose readings between were skipped; otherwise the two are
    /// consecutive readings.
    inside: Vec<bool>,
    /// Whether a drop may hide between this point and the next (inside its minute).
    hidden_drop: Vec<bool>,
}

impl Points {
    fn of(minutes: &[Bucket]) -> Points {
        let mut p = Points {
            times: Vec::new(),
            values: Vec::new(),
            inside: Vec::new(),
            hidden_drop: Vec::new(),
        };
        for m in minutes {
            p.times.push(m.first.0);
            p.values.push(m.first.1);
            if m.count >= 2 && m.last.0 > m.first.0 {
                p.inside.push(true);
                p.hidden_drop
                    .push(m.min < m.first.1 && is_drop(m.max, m.min));
                p.times.push(m.last.0);
                p.values.push(m.last.1);
            }
            p.inside.push(false);
            p.hidden_drop.push(false);
        }
        p
    }
}

/// The whole history as one sequence of real readings — the minutes' ends, then the clean
/// readings — with, per step, whether it may be interpolated across and whether it holds a
/// drop: what a rate needs.
struct History {
    times: Vec<i64>,
    values: Vec<f64>,
    /// Whether the step from reading `i` to `i + 1` may be interpolated across.
    spans: Vec<bool>,
    /// Drops in the steps before reading `i`.
    drops_before: Vec<u32>,
}

impl History {
    fn new(
        points: &Points,
        minutes: &[Bucket],
        times: &[i64],
        values: &[f64],
        max_span: f64,
    ) -> History {
        let mut t = points.times.clone();
        let mut v = points.values.clone();
        t.extend(times);
        v.extend(values);
        // Per minute with two ends: read often enough on average to interpolate inside it.
        let mut dense = minutes
            .iter()
            .filter(|m| m.count >= 2 && m.last.0 > m.first.0)
            .map(|m| (m.last.0 - m.first.0) as f64 / (m.count - 1) as f64 <= max_span);
        let spans: Vec<bool> = (0..t.len().saturating_sub(1))
            .map(|i| {
                if points.inside.get(i).copied().unwrap_or(false) {
                    dense.next().unwrap_or(false)
                } else {
                    (t[i + 1] - t[i]) as f64 <= max_span
                }
            })
            .collect();
        let drops_before = drops_before(&v, |i| {
            points.hidden_drop.get(i).copied().unwrap_or(false) || is_drop(v[i], v[i + 1])
        });
        History {
            times: t,
            values: v,
            spans,
            drops_before,
        }
    }

    /// The increase per hour over each interval, by the rule rates from readings follow.
    fn rates(&self, product: &ProductIntervals) -> Series {
        RatePath {
            times: &self.times,
            values: &self.values,
            spans: &self.spans,
            drops_before: &self.drops_before,
        }
        .rates(product)
    }
}

/// The mean over each interval `[start, end)`: the minutes it covers (a cut minute shared in
/// proportion to its overlap) and the clean readings inside it.
fn means(minutes: &[Bucket], times: &[i64], values: &[f64], product: &ProductIntervals) -> Series {
    let (mut m_at, mut r_at) = (0, 0);
    product
        .intervals
        .iter()
        .map(|interval| {
            let (mut sum, mut n) = (0.0, 0.0);
            while m_at < minutes.len() && minutes[m_at].start + WIDTH <= interval.start {
                m_at += 1;
            }
            let mut i = m_at;
            while i < minutes.len() && minutes[i].start < interval.end {
                let m = &minutes[i];
                let overlap = (m.start + WIDTH).min(interval.end) - m.start.max(interval.start);
                let share = overlap as f64 / WIDTH as f64;
                sum += share * m.sum;
                n += share * m.count as f64;
                i += 1;
            }
            while r_at < times.len() && times[r_at] < interval.start {
                r_at += 1;
            }
            let mut j = r_at;
            while j < times.len() && times[j] < interval.end {
                sum += values[j];
                n += 1.0;
                j += 1;
            }
            r_at = j;
            Some(sum / n).filter(|m| n > 0.0 && m.is_finite())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Metric;
    use crate::report::intervals::Interval;
    use crate::report::shape::Kind;
    use crate::report::summaries;
    use crate::store::rollup::buckets;

    fn product(bounds: &[i64]) -> ProductIntervals {
        ProductIntervals {
            product: 0,
            intervals: bounds
                .windows(2)
                .map(|w| Interval {
                    start: w[0],
                    end: w[1],
                    rate: 1.0,
                })
                .collect(),
            typical_seconds: 600.0,
            ..ProductIntervals::default()
        }
    }

    /// One reading every `every` seconds from `from` to `to`, valued by `f`.
    fn readings(every: i64, to: i64, f: impl Fn(i64) -> f64) -> Vec<Metric> {
        (0..to / every)
            .map(|i| Metric {
                id: 7,
                val: f(i * every),
                time: i * every,
            })
            .collect()
    }

    /// The same parameter summarised from every reading, and with those before `cut` known
    /// only by their minutes.
    fn both(
        readings: &[Metric],
        cut: i64,
        products: &[ProductIntervals],
    ) -> (ParameterSummary, ParameterSummary) {
        let times: Vec<i64> = readings.iter().map(|m| m.time).collect();
        let values: Vec<f64> = readings.iter().map(|m| m.val).collect();
        let whole = summaries::summarise(7, &times, &values, products);
        let minutes = buckets(readings.iter().filter(|m| m.time < cut));
        let kept = times.partition_point(|&t| t < cut);
        let pruned = summarise(7, &minutes, &times[kept..], &values[kept..], products);
        (whole, pruned)
    }

    fn close(a: &Series, b: &Series, tolerance: f64) -> bool {
        a.len() == b.len()
            && a.iter().zip(b.iter()).all(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => (x - y).abs() <= tolerance * x.abs().max(y.abs()).max(1.0),
                (None, None) => true,
                _ => false,
            })
    }

    #[test]
    fn on_whole_minutes_a_gauges_means_are_the_readings_means() {
        // A wandering gauge read every 7 s; work orders every 10 minutes, on whole minutes.
        let r = readings(7, 36_000, |t| {
            180.0 + ((t * 7919) % 97) as f64 / 10.0 + t as f64 / 3600.0
        });
        let bounds: Vec<i64> = (0..=60).map(|i| i * 600).collect();
        let products = [product(&bounds)];
        let (whole, pruned) = both(&r, 18_000, &products);
        assert_eq!(whole.kind, Kind::Gauge);
        assert_eq!(pruned.kind, Kind::Gauge, "judged by the readings kept");
        assert_eq!(pruned.readings, whole.readings);
        assert_eq!(
            pruned.rolled_up,
            r.iter().filter(|m| m.time < 18_000).count() as u64
        );
        assert!(close(
            whole.values(Summary::Mean, 0),
            pruned.values(Summary::Mean, 0),
            1e-9
        ));
    }

    #[test]
    fn a_cut_minute_is_shared_in_proportion_and_stays_within_its_bound() {
        let r = readings(5, 36_000, |t| 100.0 + (t % 600) as f64 / 60.0);
        // Work orders 25 s past the minute: every edge cuts a minute.
        let bounds: Vec<i64> = (0..=59).map(|i| i * 600 + 25).collect();
        let products = [product(&bounds)];
        let (whole, pruned) = both(&r, 36_000, &products);
        let (w, p) = (
            whole.values(Summary::Mean, 0),
            pruned.values(Summary::Mean, 0),
        );
        assert_eq!(w.len(), p.len());
        for (x, y) in w.iter().zip(p.iter()) {
            let (x, y) = (x.unwrap(), y.unwrap());
            // The edge minutes hold 2 of the interval's ~120 readings' worth; the readings
            // span 10 units: off by at most 2/120 × 10 each.
            assert!((x - y).abs() <= 2.0 * 10.0 / 120.0 * 1.01, "{x} vs {y}");
        }
    }

    #[test]
    fn a_counters_rates_come_from_the_minutes_ends_and_a_hidden_reset_spoils_one() {
        // 3 units a second, read every 2 s; reset to zero at 20,000 (mid-minute).
        let r = readings(2, 36_000, |t| {
            if t < 20_010 {
                500.0 + 3.0 * t as f64
            } else {
                3.0 * (t - 20_010) as f64
            }
        });
        let bounds: Vec<i64> = (0..=59).map(|i| i * 600 + 25).collect();
        let products = [product(&bounds)];
        let (whole, pruned) = both(&r, 30_000, &products);
        assert_eq!(whole.kind, Kind::Counter);
        assert_eq!(pruned.kind, Kind::Counter);
        let (w, p) = (
            whole.values(Summary::Rate, 0),
            pruned.values(Summary::Rate, 0),
        );
        assert!(close(w, p, 1e-9), "{w:?}\n{p:?}");
        assert_eq!(
            p.iter().filter(|r| r.is_none()).count(),
            1,
            "the interval of the reset"
        );
        // All pruned: the kind comes from the minutes' ends.
        let (_, all) = both(&r, 40_000, &products);
        assert_eq!(all.kind, Kind::Counter);
        assert!(close(w, all.values(Summary::Rate, 0), 1e-9));
    }

    #[test]
    fn minutes_read_too_sparsely_are_not_interpolated_across() {
        // Read every 2 s, except one minute read at its first and last second only.
        let mut r = readings(2, 7_200, |t| 3.0 * t as f64);
        r.retain(|m| !(m.time > 3_000 && m.time < 3_058));
        let bounds = [0, 3_030, 7_000];
        let products = [product(&bounds)];
        let (_, pruned) = both(&r, 7_200, &products);
        let rates = pruned.values(Summary::Rate, 0);
        assert_eq!(rates.get(0), None, "3030 lies in the sparse minute");
    }
}
