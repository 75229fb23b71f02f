//! Each parameter summarised over each product's intervals, in one pass over the readings:
//! the mean for gauge-like parameters, the rate of increase for counter-like ones.

use super::intervals::ProductIntervals;

/// How a parameter behaves, detected from its readings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Goes up and down: summarised by its mean over the interval.
    Gauge,
    /// Counts up (monotone non-decreasing but for reading noise): summarised by its rate of
    /// increase over the interval, since its level only says how long the machine ran.
    Counter,
}

impl Kind {
    /// The summary used, as the report names it.
    pub fn summary(self) -> &'static str {
        match self {
            Kind::Gauge => "mean",
            Kind::Counter => "rate",
        }
    }
}

/// A parameter counts up if everything it loses in falling steps is at most this share of
/// what it gains in rising ones. A counter's falls are reading noise, tiny beside its rises;
/// a gauge falls about as much as it rises, even one that drifts.
pub const COUNTER_FALL_SHARE: f64 = 0.1;
/// A counter's resets (falls to half or less) are left out of its falls as long as they are
/// at most this share of its steps.
pub const MAX_RESET_SHARE: f64 = 0.01;

/// One parameter's summaries: per product, one value per interval (`None` where the data
/// cannot say).
#[derive(Clone, Debug)]
pub struct ParameterSummary {
    pub id: i64,
    pub kind: Kind,
    pub readings: u64,
    /// What the parameter lost in falling steps, as a share of what it gained in rising ones.
    pub fall_share: f64,
    pub first_time: i64,
    pub last_time: i64,
    /// Indexed like the products given to [`Summariser::new`], then by interval.
    pub values: Vec<Vec<Option<f64>>>,
}

/// Per product, what is gathered for each interval while the readings stream by.
struct ProductTrack {
    /// Sum and count of readings inside each interval.
    sums: Vec<(f64, u32)>,
    /// The counter interpolated at each interval's start and end.
    at_start: Vec<Option<f64>>,
    at_end: Vec<Option<f64>>,
    /// Index of the first interval not yet ended by the readings.
    next: usize,
    /// How many of the product's boundaries (see [`Summariser`]) were passed.
    passed: usize,
}

/// Builds [`ParameterSummary`]s from readings given in (parameter, time) order, holding only
/// one value per interval and parameter — never the readings themselves.
pub struct Summariser<'a> {
    products: &'a [ProductIntervals],
    /// Readings further apart than this are not interpolated between.
    max_span: Vec<f64>,
    /// Per product, interval boundaries (time, interval, is_start) in time order: the same
    /// for every parameter, so sorted once.
    boundaries: Vec<Vec<(i64, usize, bool)>>,
    current: Option<Current>,
    done: Vec<ParameterSummary>,
}

struct Current {
    id: i64,
    tracks: Vec<ProductTrack>,
    readings: u64,
    steps: u64,
    rises: f64,
    falls: f64,
    /// Falls to half or less of a positive value: a counter being reset, not reading noise.
    resets: u64,
    first: (i64, f64),
    last: (i64, f64),
}

impl<'a> Summariser<'a> {
    pub fn new(products: &'a [ProductIntervals]) -> Self {
        Summariser {
            products,
            max_span: products
                .iter()
                .map(|p| (2.0 * p.typical_seconds).max(1.0))
                .collect(),
            boundaries: products.iter().map(boundaries).collect(),
            current: None,
            done: Vec::new(),
        }
    }

    /// Takes the next reading; readings must come ordered by parameter, then time.
    pub fn push(&mut self, id: i64, val: f64, time: i64) {
        if self.current.as_ref().is_some_and(|c| c.id != id) {
            self.finish_current();
        }
        let products = self.products;
        let current = self.current.get_or_insert_with(|| Current {
            id,
            tracks: products.iter().map(track).collect(),
            readings: 0,
            steps: 0,
            rises: 0.0,
            falls: 0.0,
            resets: 0,
            first: (time, val),
            last: (time, val),
        });
        if current.readings > 0 {
            current.steps += 1;
            let step = val - current.last.1;
            if step >= 0.0 {
                current.rises += step;
            } else if current.last.1 > 0.0 && val <= current.last.1 / 2.0 {
                current.resets += 1;
            } else {
                current.falls -= step;
            }
        }
        let previous = (current.readings > 0).then_some(current.last);
        for (p, track) in current.tracks.iter_mut().enumerate() {
            let intervals = &products[p].intervals;
            while track.next < intervals.len() && intervals[track.next].end <= time {
                track.next += 1;
            }
            if let Some(interval) = intervals.get(track.next)
                && interval.start <= time
            {
                let sum = &mut track.sums[track.next];
                sum.0 += val;
                sum.1 += 1;
            }
            while let Some(&(at, index, is_start)) = self.boundaries[p].get(track.passed) {
                if at > time {
                    break;
                }
                // The boundary lies between the previous reading and this one.
                let value = previous.and_then(|(t0, v0)| {
                    let span = (time - t0) as f64;
                    if span > self.max_span[p] {
                        None
                    } else if span == 0.0 {
                        Some(val)
                    } else {
                        Some(v0 + (val - v0) * (at - t0) as f64 / span)
                    }
                });
                let value = if at == time { Some(val) } else { value };
                if is_start {
                    track.at_start[index] = value;
                } else {
                    track.at_end[index] = value;
                }
                track.passed += 1;
            }
        }
        current.readings += 1;
        current.last = (time, val);
    }

    /// The summaries of the parameters whose readings have all gone by, in parameter order;
    /// each is returned once.
    pub fn take_finished(&mut self) -> Vec<ParameterSummary> {
        std::mem::take(&mut self.done)
    }

    /// Every parameter's summary not taken yet, in parameter order.
    pub fn finish(mut self) -> Vec<ParameterSummary> {
        self.finish_current();
        self.done
    }

    fn finish_current(&mut self) {
        let Some(c) = self.current.take() else { return };
        let fall_share = if c.rises > 0.0 {
            c.falls / c.rises
        } else {
            f64::INFINITY
        };
        // A counter may be reset now and then; a gauge "resets" all the time.
        let rare_resets = c.resets as f64 <= (c.steps as f64 * MAX_RESET_SHARE).max(1.0);
        let kind = if c.steps >= 5 && fall_share <= COUNTER_FALL_SHARE && rare_resets {
            Kind::Counter
        } else {
            Kind::Gauge
        };
        let values = c
            .tracks
            .iter()
            .zip(self.products)
            .map(|(track, product)| match kind {
                Kind::Gauge => track
                    .sums
                    .iter()
                    .map(|&(sum, n)| Some(sum / n as f64).filter(|m| n > 0 && m.is_finite()))
                    .collect(),
                Kind::Counter => product
                    .intervals
                    .iter()
                    .enumerate()
                    .map(|(i, interval)| {
                        let (a, b) = (track.at_start[i]?, track.at_end[i]?);
                        // A counter reset inside the interval says nothing about speed.
                        Some((b - a) / interval.seconds()).filter(|r| b >= a && r.is_finite())
                    })
                    .collect(),
            })
            .collect();
        self.done.push(ParameterSummary {
            id: c.id,
            kind,
            readings: c.readings,
            fall_share,
            first_time: c.first.0,
            last_time: c.last.0,
            values,
        });
    }
}

fn boundaries(product: &ProductIntervals) -> Vec<(i64, usize, bool)> {
    let mut boundaries: Vec<(i64, usize, bool)> = product
        .intervals
        .iter()
        .enumerate()
        .flat_map(|(i, interval)| [(interval.start, i, true), (interval.end, i, false)])
        .collect();
    boundaries.sort_by_key(|b| b.0);
    boundaries
}

fn track(product: &ProductIntervals) -> ProductTrack {
    let n = product.intervals.len();
    ProductTrack {
        sums: vec![(0.0, 0); n],
        at_start: vec![None; n],
        at_end: vec![None; n],
        next: 0,
        passed: 0,
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

    #[test]
    fn gauges_are_averaged_inside_each_interval() {
        let products = [product(&[0, 100, 200])];
        let mut s = Summariser::new(&products);
        for (val, time) in [(1.0, 10), (3.0, 90), (10.0, 150), (7.0, 120), (2.0, 250)] {
            s.push(4, val, time);
        }
        let out = s.finish();
        assert_eq!(out[0].kind, Kind::Gauge);
        assert_eq!(out[0].values[0], vec![Some(2.0), Some(8.5)]);
    }

    #[test]
    fn counters_are_summarised_by_their_rate_across_interval_boundaries() {
        let products = [product(&[0, 100, 200])];
        let mut s = Summariser::new(&products);
        // A counter rising 2 per second until 100, then 5 per second, read off the grid.
        let value = |t: i64| {
            if t <= 100 {
                2.0 * t as f64
            } else {
                200.0 + 5.0 * (t - 100) as f64
            }
        };
        for time in [-30, 40, 70, 130, 160, 230] {
            s.push(8, value(time), time);
        }
        let out = s.finish();
        assert_eq!(out[0].kind, Kind::Counter);
        let rates: Vec<f64> = out[0].values[0].iter().map(|v| v.unwrap()).collect();
        assert!((rates[0] - 2.0).abs() < 0.5, "{rates:?}");
        assert!((rates[1] - 5.0).abs() < 0.5, "{rates:?}");
    }

    #[test]
    fn a_counter_that_is_reset_now_and_then_is_still_a_counter() {
        let products = [product(&[0, 1000, 2000])];
        let mut s = Summariser::new(&products);
        let mut value = 100.0;
        for t in 0..400 {
            value = if t == 200 { 3.0 } else { value + 2.0 };
            s.push(8, value, t * 5);
        }
        assert_eq!(s.finish()[0].kind, Kind::Counter);
    }

    #[test]
    fn parameters_are_kept_apart_and_missing_data_stays_missing() {
        let products = [product(&[0, 100, 200])];
        let mut s = Summariser::new(&products);
        s.push(1, 5.0, 50);
        s.push(2, 6.0, 150);
        let out = s.finish();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].values[0], vec![Some(5.0), None]);
        assert_eq!(out[1].values[0], vec![None, Some(6.0)]);
    }
}
