//! What every test against one product's output shares, worked out once per product, and
//! the rules every test follows (how few pairs are too few, how far autocorrelation is
//! counted): the analysis and the echo check both test against it.

use super::intervals::ProductIntervals;
use super::series::Series;
use super::stats::{reach_back, stretches};

/// Fewest intervals with a summary for a pair to be tested at all.
pub const MIN_INTERVALS: usize = 10;
/// Autocorrelation lags counted in the effective number of pairs.
pub const ACF_LAGS: usize = 10;

/// What every test against one product's output shares, worked out once.
pub struct Prepared<'a> {
    /// The product's intervals the tests run against.
    pub product: &'a ProductIntervals,
    /// Per interval, the stretch of gap-free intervals it belongs to.
    pub segment: Vec<u32>,
    /// Output rate per interval, in units per second.
    pub rate: Vec<f64>,
    /// Per interval, how many intervals before it lie in its stretch.
    pub reach: Vec<u32>,
    /// Where each stretch starts and ends.
    pub stretches: Vec<std::ops::Range<usize>>,
    /// Per interval, how it follows the one before, as the prewhitening filter steps
    /// through time (see `Filter::whiten`): 0 for the first, 1 right after the one before,
    /// and across a gap one more than the intervals' worth of time missing.
    pub steps: Vec<u32>,
    /// Whether output is the same in every interval (nothing can be tested).
    pub constant_rate: bool,
}

/// Works out once per product what every parameter's tests need, so the parameters can be
/// tested one by one as their readings are summarised.
pub fn prepare(products: &[ProductIntervals]) -> Vec<Prepared<'_>> {
    products
        .iter()
        .map(|product| {
            let mut segment = Vec::with_capacity(product.intervals.len());
            let mut id = 0u32;
            for (i, interval) in product.intervals.iter().enumerate() {
                if i > 0 && product.intervals[i - 1].end != interval.start {
                    id += 1;
                }
                segment.push(id);
            }
            let rate: Vec<f64> = product.intervals.iter().map(|i| i.rate).collect();
            Prepared {
                steps: steps(product),
                product,
                reach: reach_back(&segment),
                stretches: stretches(&segment),
                segment,
                constant_rate: rate.iter().all(|v| *v == rate[0]),
                rate,
            }
        })
        .collect()
}

/// How each interval follows the one before, in steps of the product's usual interval.
fn steps(product: &ProductIntervals) -> Vec<u32> {
    let typical = product.typical_seconds;
    product
        .intervals
        .iter()
        .enumerate()
        .map(|(i, interval)| {
            let Some(before) = i.checked_sub(1).map(|b| &product.intervals[b]) else {
                return 0;
            };
            if before.end == interval.start {
                return 1;
            }
            let missing = (interval.start - before.end) as f64 / typical;
            if missing.is_finite() && missing >= 0.0 {
                // Beyond `MAX_BRIDGE` the filter starts afresh: saturating is enough.
                (missing.round() as u32).saturating_add(1)
            } else {
                0
            }
        })
        .collect()
}

/// The parameter's series for one product: NaN where there is no summary.
pub fn dense(values: &Series, len: usize) -> Vec<f64> {
    let mut out = values.as_nan_padded().to_vec();
    out.resize(len, f64::NAN);
    out
}
