//! `/api/report`'s document: `top3.json` as `millrace report` writes it, plus what a live
//! page needs besides — when the analysis was made, how much each stream holds, and each
//! product's recent intervals to draw.

use crate::report::Report;
use crate::report::render::json::{Top3, document};
use serde::Serialize;

/// Intervals per product the timeline carries: the most recent ones. A page draws a few
/// hundred pixels; sending months of intervals on every update would only cost bandwidth.
pub const TIMELINE_INTERVALS: usize = 500;

/// What one stream holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StreamState {
    /// Records stored.
    pub records: u64,
    /// Time of the newest record stored, in Unix seconds (`null` while there is none).
    pub newest_time: Option<i64>,
    /// Records that arrived per second over the last minute (or since the analyst started,
    /// if that is more recent).
    pub per_second: f64,
}

/// Both streams' [`StreamState`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Streams {
    /// The `metrics` stream.
    pub metrics: StreamState,
    /// The `workorder` stream.
    pub workorder: StreamState,
}

#[derive(Serialize)]
struct Live<'a> {
    #[serde(flatten)]
    top3: Top3<'a>,
    /// When this analysis was made, in Unix seconds.
    updated_at: i64,
    streams: Streams,
    timelines: Vec<Timeline>,
}

/// One product's most recent intervals, with its top drivers' summaries over them.
#[derive(Serialize)]
struct Timeline {
    product: i64,
    /// Interval starts and ends, in Unix seconds.
    start: Vec<i64>,
    end: Vec<i64>,
    /// Output per hour in each interval.
    rate_per_hour: Vec<f64>,
    drivers: Vec<Driver>,
}

/// One of the top drivers, summarised per interval (`null` where the data cannot say); the
/// lag is the finding's, so the page can say which way to read it.
#[derive(Serialize)]
struct Driver {
    parameter: i64,
    summary: &'static str,
    lag: usize,
    values: Vec<Option<f64>>,
}

/// The document `/api/report` serves and `/api/events` sends.
pub fn render(report: &Report, streams: Streams, updated_at: i64) -> String {
    let live = Live {
        top3: document(report),
        updated_at,
        streams,
        timelines: timelines(report),
    };
    serde_json::to_string(&live).expect("report serializes")
}

fn timelines(report: &Report) -> Vec<Timeline> {
    report
        .products
        .iter()
        .zip(&report.findings)
        .enumerate()
        .map(|(p, (product, findings))| {
            let from = product.intervals.len().saturating_sub(TIMELINE_INTERVALS);
            let recent = &product.intervals[from..];
            let drivers = findings
                .top()
                .into_iter()
                .filter_map(|f| {
                    let parameter = report.parameters.iter().find(|s| s.id == f.parameter)?;
                    let values = parameter.values(f.which, p);
                    Some(Driver {
                        parameter: f.parameter,
                        summary: f.summary,
                        lag: f.lag,
                        values: (from..product.intervals.len())
                            .map(|i| values.get(i))
                            .collect(),
                    })
                })
                .collect();
            Timeline {
                product: product.product,
                start: recent.iter().map(|i| i.start).collect(),
                end: recent.iter().map(|i| i.end).collect(),
                rate_per_hour: recent.iter().map(|i| i.rate * 3600.0).collect(),
                drivers,
            }
        })
        .collect()
}
