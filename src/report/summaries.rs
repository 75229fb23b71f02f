//! Each parameter summarised over each product's intervals: the mean for a gauge, the rate
//! of increase for a counter, both for a parameter whose shape could be either.
//!
//! The store hands readings over ordered by parameter, then time, and
//! [`super::summariser`] gives them here one parameter at a time (never the whole table),
//! because glitches, the parameter's kind and how far its readings may be interpolated all
//! depend on the whole of its readings.

use super::glitches;
use super::intervals::{GAP_FACTOR, ProductIntervals};
use super::series::{EMPTY, Series};
use super::shape::{Kind, Steps, Summary, is_drop};

/// One parameter's summaries: per summary, per product, one value per interval (`None`
/// where the data cannot say).
#[derive(Clone, Debug)]
pub struct ParameterSummary {
    /// The parameter's number, as in the metrics' `id`.
    pub id: i64,
    /// Gauge, counter or either, told from its readings; it decides which summaries are made.
    pub kind: Kind,
    /// Every reading, glitches included.
    pub readings: u64,
    /// Readings set aside as glitches.
    pub glitches: u64,
    /// Ordinary falls as a share of rises (see [`Steps::fall_share`]).
    pub fall_share: f64,
    /// Drops to half or less, and of those, resets to near zero.
    pub drops: usize,
    /// Drops that landed near zero, as a counter's reset does.
    pub resets: usize,
    /// Falls that were a 16- or 32-bit counter wrapping round.
    pub wraps: usize,
    /// The lowest reading (glitches left out): a counter never goes below zero.
    pub lowest: f64,
    /// The usual time between readings, in seconds (median).
    pub reading_gap: f64,
    /// Time of the first reading, in Unix seconds.
    pub first_time: i64,
    /// Time of the last reading, in Unix seconds.
    pub last_time: i64,
    /// Readings known only by their per-minute rollups, their raw readings pruned (counted in
    /// `readings`; none of them can be told to be a glitch).
    pub rolled_up: u64,
    /// Indexed like the products given to [`Summariser::new`], then by interval. Present
    /// for the summaries of [`Kind::summaries`].
    pub means: Option<Vec<Series>>,
    /// Rates are in the parameter's units per hour.
    pub rates: Option<Vec<Series>>,
}

#[cfg(test)]
impl ParameterSummary {
    /// A parameter with these summaries for one product (the first): a gauge with `means`,
    /// a counter with `rates`, for the tests of what is built from summaries.
    pub fn example(id: i64, summary: Summary, values: impl Iterator<Item = f64>) -> Self {
        let series = Some(vec![values.map(Some).collect()]);
        let (kind, means, rates) = match summary {
            Summary::Mean => (Kind::Gauge, series, None),
            Summary::Rate => (Kind::Counter, None, series),
        };
        ParameterSummary {
            id,
            kind,
            readings: 0,
            glitches: 0,
            fall_share: 0.0,
            drops: 0,
            resets: 0,
            wraps: 0,
            lowest: 0.0,
            reading_gap: 60.0,
            first_time: 0,
            last_time: 0,
            rolled_up: 0,
            means,
            rates,
        }
    }
}

impl ParameterSummary {
    /// The values of one summary for one product (empty when the summary was not made).
    pub fn values(&self, summary: Summary, product: usize) -> &Series {
        let all = match summary {
            Summary::Mean => &self.means,
            Summary::Rate => &self.rates,
        };
        all.as_ref()
            .and_then(|per_product| per_product.get(product))
            .unwrap_or(&EMPTY)
    }
}

/// One parameter, from all its readings in time order.
pub fn summarise(
    id: i64,
    times: &[i64],
    values: &[f64],
    products: &[ProductIntervals],
) -> ParameterSummary {
    let (profile, clean) = Profile::of(id, times, values);
    let readings = clean.readings(&profile);
    let per_product: Vec<_> = products
        .iter()
        .map(|p| readings.summaries(p, profile.kind))
        .collect();
    profile.summary(per_product)
}

/// What a parameter's readings say about it whatever the intervals: which readings are
/// glitches, its kind, how often it is read. The live analysis keeps it while work orders
/// come and go, and summarises only the intervals that changed.
#[derive(Clone, Debug)]
pub struct Profile {
    pub(super) id: i64,
    pub(super) kind: Kind,
    pub(super) readings: u64,
    pub(super) glitch: Vec<bool>,
    pub(super) glitches: u64,
    pub(super) fall_share: f64,
    pub(super) drops: usize,
    pub(super) resets: usize,
    pub(super) wraps: usize,
    pub(super) lowest: f64,
    pub(super) reading_gap: f64,
    pub(super) first_time: i64,
    pub(super) last_time: i64,
    /// Readings known only by their rollups (pruned raw readings), counted in `readings`.
    pub(super) rolled_up: u64,
}

/// One product's summaries of a parameter, present for the summaries its kind makes.
pub type ProductSummaries = (Option<Series>, Option<Series>);

/// A parameter's readings without its glitches, owned.
pub struct Clean {
    pub(super) times: Vec<i64>,
    pub(super) values: Vec<f64>,
}

impl Profile {
    /// Profiles a parameter from all its readings in time order (ties ordered by value);
    /// returns its readings without glitches too.
    pub fn of(id: i64, times: &[i64], values: &[f64]) -> (Profile, Clean) {
        let glitch = glitches::flag(values);
        let (mut t, mut v) = (
            Vec::with_capacity(times.len()),
            Vec::with_capacity(times.len()),
        );
        for ((&time, &value), &glitch) in times.iter().zip(values).zip(&glitch) {
            if !glitch {
                t.push(time);
                v.push(value);
            }
        }
        let steps = Steps::of(&v);
        let profile = Profile {
            id,
            kind: steps.kind(),
            readings: times.len() as u64,
            glitches: glitch.iter().filter(|g| **g).count() as u64,
            glitch,
            fall_share: steps.fall_share(),
            drops: steps.drops,
            resets: steps.resets,
            wraps: steps.wraps,
            lowest: steps.lowest,
            reading_gap: median_gap(&t),
            first_time: times.first().copied().unwrap_or(0),
            last_time: times.last().copied().unwrap_or(0),
            rolled_up: 0,
        };
        (
            profile,
            Clean {
                times: t,
                values: v,
            },
        )
    }

    /// The parameter's number.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The parameter's kind, which decides the summaries made.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The readings this profile was made from, glitches set aside.
    pub fn clean(&self, times: &[i64], values: &[f64]) -> Clean {
        let keep = |i: &usize| !self.glitch[*i];
        Clean {
            times: (0..times.len()).filter(keep).map(|i| times[i]).collect(),
            values: (0..values.len()).filter(keep).map(|i| values[i]).collect(),
        }
    }

    /// The parameter's summary, from each product's summaries in product order.
    pub fn summary(&self, per_product: Vec<ProductSummaries>) -> ParameterSummary {
        let wants = |s: Summary| self.kind.summaries().contains(&s);
        let (means, rates): (Vec<_>, Vec<_>) = per_product.into_iter().unzip();
        ParameterSummary {
            id: self.id,
            kind: self.kind,
            readings: self.readings,
            glitches: self.glitches,
            fall_share: self.fall_share,
            drops: self.drops,
            resets: self.resets,
            wraps: self.wraps,
            lowest: self.lowest,
            reading_gap: self.reading_gap,
            first_time: self.first_time,
            last_time: self.last_time,
            rolled_up: self.rolled_up,
            means: wants(Summary::Mean).then(|| means.into_iter().flatten().collect()),
            rates: wants(Summary::Rate).then(|| rates.into_iter().flatten().collect()),
        }
    }
}

impl Clean {
    /// The readings, ready to summarise over intervals.
    pub fn readings<'r>(&'r self, profile: &Profile) -> Readings<'r> {
        Readings {
            times: &self.times,
            values: &self.values,
            max_span: (GAP_FACTOR * profile.reading_gap).max(1.0),
        }
    }
}

pub(super) fn median_gap(times: &[i64]) -> f64 {
    let mut gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64)
        .filter(|g| *g > 0.0)
        .collect();
    let m = glitches::median(&mut gaps);
    if m.is_finite() { m } else { 0.0 }
}

/// A parameter's readings without its glitches.
pub struct Readings<'r> {
    times: &'r [i64],
    values: &'r [f64],
    /// Readings further apart than this are not interpolated between: a counter may be
    /// read rarely, so this follows its own reading gaps, not the work orders'.
    max_span: f64,
}

impl Readings<'_> {
    /// One product's summaries: those the parameter's kind makes.
    pub fn summaries(&self, product: &ProductIntervals, kind: Kind) -> ProductSummaries {
        let wants = |s: Summary| kind.summaries().contains(&s);
        (
            wants(Summary::Mean).then(|| self.means(product)),
            wants(Summary::Rate).then(|| self.rates(product)),
        )
    }

    /// The mean of the readings inside each interval, `[start, end)`.
    fn means(&self, product: &ProductIntervals) -> Series {
        let mut at = 0;
        product
            .intervals
            .iter()
            .map(|interval| {
                while at < self.times.len() && self.times[at] < interval.start {
                    at += 1;
                }
                let (mut sum, mut n) = (0.0, 0u32);
                let mut i = at;
                while i < self.times.len() && self.times[i] < interval.end {
                    sum += self.values[i];
                    n += 1;
                    i += 1;
                }
                at = i;
                Some(sum / f64::from(n)).filter(|m| n > 0 && m.is_finite())
            })
            .collect()
    }

    /// The increase per hour over each interval, from the value interpolated at both ends;
    /// `None` where the readings around an end are too far apart, or a drop (a reset) lies
    /// between them.
    fn rates(&self, product: &ProductIntervals) -> Series {
        let spans: Vec<bool> = self
            .times
            .windows(2)
            .map(|w| (w[1] - w[0]) as f64 <= self.max_span)
            .collect();
        let drops = drops_before(self.values, |i| is_drop(self.values[i], self.values[i + 1]));
        RatePath {
            times: self.times,
            values: self.values,
            spans: &spans,
            drops_before: &drops,
        }
        .rates(product)
    }
}

/// For each reading, how many of the steps before it hold a drop, by `drop_at(i)` for the
/// step from reading `i` to `i + 1`.
pub(super) fn drops_before(values: &[f64], drop_at: impl Fn(usize) -> bool) -> Vec<u32> {
    let mut out = Vec::with_capacity(values.len());
    let mut drops = 0u32;
    out.push(0);
    for i in 0..values.len().saturating_sub(1) {
        drops += u32::from(drop_at(i));
        out.push(drops);
    }
    out
}

/// Readings in time order with what a rate needs per step: whether it may be interpolated
/// across, and the drops before each reading. The one rule for a rate, whether the readings
/// are all there or a pruned store's minutes stand for some ([`super::rolled`]).
pub(super) struct RatePath<'a> {
    pub(super) times: &'a [i64],
    pub(super) values: &'a [f64],
    /// Whether the step from reading `i` to `i + 1` may be interpolated across.
    pub(super) spans: &'a [bool],
    /// Drops in the steps before reading `i` (see [`drops_before`]).
    pub(super) drops_before: &'a [u32],
}

impl RatePath<'_> {
    /// The increase per hour over each interval: `None` where an end cannot be interpolated,
    /// or a drop lies between the readings around the two ends.
    pub(super) fn rates(&self, product: &ProductIntervals) -> Series {
        let (mut from_start, mut from_end) = (0, 0);
        product
            .intervals
            .iter()
            .map(|interval| {
                // From the reading at or before the start to the one at or after the end:
                // a drop anywhere in there, even just before the start, spoils the rate.
                let (a, first, _) = self.at(interval.start, &mut from_start)?;
                let (b, _, last) = self.at(interval.end, &mut from_end)?;
                if self.drops_before[last] != self.drops_before[first] {
                    return None;
                }
                let rate = (b - a) / interval.seconds() * 3600.0;
                Some(rate).filter(|r| b >= a && r.is_finite())
            })
            .collect()
    }

    /// The value at `time` interpolated from the readings around it, with the indexes of
    /// the readings at or before and at or after it; `from` carries the search on between
    /// calls made in time order.
    fn at(&self, time: i64, from: &mut usize) -> Option<(f64, usize, usize)> {
        let times = self.times;
        while *from + 1 < times.len() && times[*from + 1] <= time {
            *from += 1;
        }
        let before = *from;
        if times.get(before).is_none_or(|&t| t > time) {
            return None;
        }
        if times[before] == time {
            return Some((self.values[before], before, before));
        }
        let after = before + 1;
        let &t1 = times.get(after)?;
        if !self.spans[before] {
            return None;
        }
        let (t0, v0, v1) = (times[before], self.values[before], self.values[after]);
        Some((
            v0 + (v1 - v0) * (time - t0) as f64 / (t1 - t0) as f64,
            before,
            after,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::intervals::Interval;

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
            typical_seconds: 100.0,
            ..ProductIntervals::default()
        }
    }

    /// Each parameter's summary, its readings ordered by time, then value, as the report's
    /// summariser orders them.
    fn run(products: &[ProductIntervals], readings: &[(i64, f64, i64)]) -> Vec<ParameterSummary> {
        let mut by_id: std::collections::BTreeMap<i64, Vec<(i64, f64)>> = Default::default();
        for &(id, val, time) in readings {
            by_id.entry(id).or_default().push((time, val));
        }
        by_id
            .into_iter()
            .map(|(id, mut pairs)| {
                pairs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
                let (times, values): (Vec<i64>, Vec<f64>) = pairs.into_iter().unzip();
                summarise(id, &times, &values, products)
            })
            .collect()
    }

    #[test]
    fn gauges_are_averaged_inside_each_interval() {
        let products = [product(&[0, 100, 200])];
        let out = run(
            &products,
            &[
                (4, 1.0, 10),
                (4, 3.0, 90),
                (4, 7.0, 120),
                (4, 10.0, 150),
                (4, 2.0, 250),
            ],
        );
        assert_eq!(out[0].kind, Kind::Gauge);
        assert_eq!(out[0].values(Summary::Mean, 0), &[Some(2.0), Some(8.5)]);
        assert!(out[0].rates.is_none());
    }

    #[test]
    fn counters_are_summarised_by_their_rate_per_hour_across_interval_boundaries() {
        let products = [product(&[0, 100, 200])];
        // Rising 2 per second until 100, then 5 per second, read off the grid (from 500,
        // as a counter never reads below zero).
        let value = |t: i64| {
            if t <= 100 {
                500.0 + 2.0 * t as f64
            } else {
                700.0 + 5.0 * (t - 100) as f64
            }
        };
        let readings: Vec<_> = [-30, 40, 70, 130, 160, 230]
            .iter()
            .map(|&t| (8, value(t), t))
            .collect();
        let out = run(&products, &readings);
        assert_eq!(out[0].kind, Kind::Counter);
        let rates: Vec<f64> = out[0]
            .values(Summary::Rate, 0)
            .iter()
            .map(|v| v.unwrap() / 3600.0)
            .collect();
        assert!((rates[0] - 2.0).abs() < 0.5, "{rates:?}");
        assert!((rates[1] - 5.0).abs() < 0.5, "{rates:?}");
    }

    #[test]
    fn a_rarely_read_counter_still_has_a_rate_over_short_intervals() {
        // Read hourly; work orders every 20 minutes.
        let bounds: Vec<i64> = (0..=72).map(|i| i * 1200).collect();
        let products = [product(&bounds)];
        let readings: Vec<_> = (0..=24)
            .map(|h| (3, 1000.0 + 50.0 * h as f64, h * 3600))
            .collect();
        let out = run(&products, &readings);
        assert_eq!(out[0].kind, Kind::Counter);
        let rates = out[0].values(Summary::Rate, 0);
        assert!(
            rates.iter().all(|r| (r.unwrap() - 50.0).abs() < 1e-9),
            "{rates:?}"
        );
    }

    #[test]
    fn a_glitch_neither_turns_a_gauge_into_a_counter_nor_moves_its_mean() {
        let bounds: Vec<i64> = (0..=20).map(|i| i * 100).collect();
        let products = [product(&bounds)];
        let mut readings: Vec<_> = (0..200)
            .map(|i| (5, 180.0 + ((i * 37) % 11) as f64 * 0.2, i * 10))
            .collect();
        readings[55].1 = 1e6;
        let out = run(&products, &readings);
        assert_eq!(out[0].kind, Kind::Gauge);
        assert_eq!(out[0].glitches, 1);
        let means = out[0].values(Summary::Mean, 0);
        assert!(
            means.iter().all(|m| (m.unwrap() - 181.0).abs() < 1.5),
            "{means:?}"
        );
    }

    #[test]
    fn a_reset_inside_an_interval_gives_no_rate() {
        let products = [product(&[0, 100, 200, 300])];
        let readings: Vec<_> = (0..=30)
            .map(|i| {
                let t = i * 10;
                (
                    8,
                    if t < 150 {
                        1000.0 + t as f64
                    } else {
                        (t - 150) as f64
                    },
                    t,
                )
            })
            .collect();
        let out = run(&products, &readings);
        let rates = out[0].values(Summary::Rate, 0);
        assert!(
            rates.get(0).is_some() && rates.get(2).is_some(),
            "{rates:?}"
        );
        assert_eq!(rates.get(1), None);
    }

    #[test]
    fn readings_of_the_same_second_give_the_same_summary_in_any_order() {
        let products = [product(&[0, 100, 200])];
        let a = run(
            &products,
            &[(8, 10.0, 0), (8, 30.0, 100), (8, 20.0, 100), (8, 50.0, 200)],
        );
        let b = run(
            &products,
            &[(8, 10.0, 0), (8, 20.0, 100), (8, 30.0, 100), (8, 50.0, 200)],
        );
        assert_eq!(a[0].rates, b[0].rates);
        assert_eq!(a[0].means, b[0].means);
    }

    #[test]
    fn a_reset_just_before_an_interval_starts_gives_no_rate() {
        // Reset between the readings at 0 and 100; the interval starts at 90.
        let products = [product(&[90, 300])];
        let readings: Vec<_> = [
            (-200, 800.0),
            (-100, 900.0),
            (0, 1000.0),
            (100, 10.0),
            (200, 110.0),
            (300, 210.0),
            (400, 310.0),
        ]
        .iter()
        .map(|&(t, v)| (8, v, t))
        .collect();
        let out = run(&products, &readings);
        assert_eq!(out[0].kind, Kind::Counter);
        assert_eq!(out[0].values(Summary::Rate, 0), &[None]);
    }

    #[test]
    fn parameters_are_kept_apart_and_missing_data_stays_missing() {
        let products = [product(&[0, 100, 200])];
        let out = run(&products, &[(1, 5.0, 50), (2, 6.0, 150)]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].values(Summary::Mean, 0), &[Some(5.0), None]);
        assert_eq!(out[1].values(Summary::Mean, 0), &[None, Some(6.0)]);
    }
}
