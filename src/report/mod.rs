//! The report: per product, the machine parameters that best explain how fast it is made.
//!
//! Production is a cumulative counter and many parameters drift or count up, so correlating
//! levels against the counter only finds that everything grows with time. The report instead
//! relates *how fast* a product was made in each work-order interval to *what the machine
//! was doing* in that interval: a gauge's mean, a counter's rate of increase.

pub mod analysis;
pub mod intervals;
mod render;
pub mod stats;
pub mod summaries;
mod timefmt;

pub use render::write_all;

use crate::store::{Store, StoreError};
use analysis::{ProductFindings, analyse};
use intervals::{ProductIntervals, intervals};
use summaries::{ParameterSummary, Summariser};

/// Everything the report shows.
pub struct Report {
    /// Where the data came from, for the reader.
    pub source: String,
    pub metrics: u64,
    pub work_orders: u64,
    pub products: Vec<ProductIntervals>,
    pub parameters: Vec<ParameterSummary>,
    /// Indexed like `products`.
    pub findings: Vec<ProductFindings>,
}

impl Report {
    /// First and last reading time over both streams.
    pub fn span(&self) -> Option<(i64, i64)> {
        let times = self
            .parameters
            .iter()
            .flat_map(|p| [p.first_time, p.last_time])
            .chain(self.products.iter().flat_map(|p| {
                p.intervals
                    .first()
                    .map(|i| i.start)
                    .into_iter()
                    .chain(p.intervals.last().map(|i| i.end))
            }));
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for t in times {
            lo = lo.min(t);
            hi = hi.max(t);
        }
        (lo <= hi).then_some((lo, hi))
    }
}

/// Builds the report from the store: the work orders once, then the metrics in one pass.
pub fn build(store: &mut dyn Store, source: &str) -> Result<Report, StoreError> {
    let work_orders = store.work_orders()?;
    let products = intervals(&work_orders);
    let mut summariser = Summariser::new(&products);
    let metrics = store.scan_metrics(&mut |m| summariser.push(m.id, m.val, m.time))?;
    let parameters = summariser.finish();
    let findings = analyse(&products, &parameters);
    Ok(Report {
        source: source.to_string(),
        metrics,
        work_orders: work_orders.len() as u64,
        products,
        parameters,
        findings,
    })
}
