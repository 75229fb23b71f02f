//! The report: per product, the machine parameters that best explain how fast it is made.
//!
//! Production is a cumulative counter and many parameters drift or count up, so correlating
//! levels against the counter only finds that everything grows with time. The report instead
//! relates *how fast* a product was made in each work-order interval to *what the machine
//! was doing* in that interval: a gauge's mean, a counter's rate of increase.

pub mod analysis;
mod bootstrap;
pub mod finding;
mod glitches;
pub mod intervals;
mod order;
pub mod prepared;
mod prewhiten;
pub mod quality;
mod redundancy;
pub mod render;
mod rolled;
pub mod series;
pub mod shape;
pub mod sigfig;
pub mod stats;
pub mod summaries;
mod summariser;
pub mod typical;
mod verdict;
pub mod weights;

pub use render::write_all;

use crate::store::{HistoryRow, Store, StoreError};
pub use analysis::Options;
use analysis::{Outcomes, ProductFindings, conclude, test_parameter};
use intervals::{ProductIntervals, intervals};
use prepared::{Prepared, prepare};
use summaries::ParameterSummary;
use summariser::Summariser;

/// Everything the report shows.
#[derive(Clone)]
pub struct Report {
    /// Where the data came from, for the reader.
    pub source: String,
    /// Parameter readings read, glitches included.
    pub metrics: u64,
    /// Work-order records read.
    pub work_orders: u64,
    /// Each product's output per work-order interval, what every finding is tested against.
    pub products: Vec<ProductIntervals>,
    /// Each parameter's summaries per interval, its kind, and the readings set aside as
    /// glitches.
    pub parameters: Vec<ParameterSummary>,
    /// Indexed like `products`.
    pub findings: Vec<ProductFindings>,
    /// The options the report was made with, so the reader knows which lags were tried.
    pub options: Options,
    /// Where raw readings begin on a pruned store: before it, parameters are known by their
    /// per-minute rollups only (see [`rolled`]).
    pub raw_from: Option<i64>,
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

/// Why the report names no product, said plainly in every format; `None` when it names
/// some. An empty report without a reason reads as "nothing drives output".
pub fn nothing_to_report(report: &Report) -> Option<String> {
    if !report.products.is_empty() {
        return None;
    }
    Some(if report.work_orders == 0 && report.metrics == 0 {
        "No products to report: the store holds no records yet. Stream data into it first \
         (`millrace run`, or `millrace stream` with `serve` and `consume`)."
            .to_string()
    } else if report.work_orders == 0 {
        "No products to report: no work orders stored. Output is measured between \
         consecutive work-order records, so stream workorder.json (or the workorder webhook \
         or MQTT topic) too."
            .to_string()
    } else {
        format!(
            "No products to report: the {} work-order records stored bound no interval of \
             output (a product needs two consecutive records in one run).",
            report.work_orders
        )
    })
}

#[cfg(test)]
impl Report {
    /// A report on one product (7, without intervals) with this ranking, its verdict made
    /// from `parameters`: for the tests of the formats.
    pub fn example(ranking: Vec<finding::Finding>, parameters: Vec<ParameterSummary>) -> Report {
        Report {
            source: "test".into(),
            metrics: 0,
            work_orders: 0,
            products: vec![ProductIntervals {
                product: 7,
                ..Default::default()
            }],
            findings: vec![ProductFindings {
                product: 7,
                verdict: verdict::sentence(7, &ranking, &parameters, 0),
                ranking,
                not_assessable: Vec::new(),
                data_quality: quality::DataQuality::default(),
            }],
            parameters,
            options: Options::default(),
            raw_from: None,
        }
    }
}

/// A scan of every metric, ordered by parameter, then time (on a pruned store, each
/// parameter's rolled-up minutes before its readings): the store's, or records in memory;
/// returns how many readings it visited.
type Scan<'a> = dyn FnMut(&mut dyn FnMut(HistoryRow)) -> Result<u64, StoreError> + 'a;

/// What the scan hands the summariser at a time: readings, or a pruned store's minutes.
enum Chunk {
    Readings(Vec<crate::record::Metric>),
    Minutes(Vec<crate::store::Bucket>),
}

/// Gathers scanned rows into [`Chunk`]s of up to [`CHUNK`], keeping their order: one kind
/// is handed over before the other begins. The summariser only stops early by panicking,
/// which `join` reports, so a failed send is left to that.
struct Chunker {
    chunks: std::sync::mpsc::SyncSender<Chunk>,
    readings: Vec<crate::record::Metric>,
    minutes: Vec<crate::store::Bucket>,
}

impl Chunker {
    fn take(&mut self, row: HistoryRow) {
        match row {
            HistoryRow::Reading(m) => {
                if !self.minutes.is_empty() {
                    let _ = self
                        .chunks
                        .send(Chunk::Minutes(std::mem::take(&mut self.minutes)));
                }
                self.readings.push(m);
                if self.readings.len() == CHUNK {
                    let full = std::mem::replace(&mut self.readings, Vec::with_capacity(CHUNK));
                    let _ = self.chunks.send(Chunk::Readings(full));
                }
            }
            HistoryRow::Minute(b) => {
                if !self.readings.is_empty() {
                    let _ = self
                        .chunks
                        .send(Chunk::Readings(std::mem::take(&mut self.readings)));
                }
                self.minutes.push(b);
                if self.minutes.len() == CHUNK {
                    let _ = self
                        .chunks
                        .send(Chunk::Minutes(std::mem::take(&mut self.minutes)));
                }
            }
        }
    }

    /// Hands over what is left; the summariser's input ends when this is dropped.
    fn finish(self) {
        let _ = self.chunks.send(Chunk::Minutes(self.minutes));
        let _ = self.chunks.send(Chunk::Readings(self.readings));
    }
}

/// Readings handed from the store's scan to the summariser at a time.
const CHUNK: usize = 16_384;

/// Threads that test parameters while the scan goes on. The tests cost more than the scan
/// itself; two threads keep both cores busy on a two-core machine.
pub const TESTERS: usize = 2;

/// Reads every metric once, summarises it and tests each parameter: the store decodes rows
/// on this thread while another summarises them, and [`TESTERS`] threads test each
/// parameter as soon as its readings have gone by — so the report over ten million rows
/// takes not much more than the scan alone. Results come back in parameter order, whichever
/// thread finished first.
fn summarise(
    scan: &mut Scan<'_>,
    products: &[ProductIntervals],
    prepared: &[Prepared<'_>],
    options: Options,
) -> Result<(u64, Vec<ParameterSummary>, Vec<Outcomes>), StoreError> {
    let (chunks, received) = std::sync::mpsc::sync_channel::<Chunk>(64);
    let (finished, to_test) = std::sync::mpsc::sync_channel::<(usize, ParameterSummary)>(4);
    let to_test = std::sync::Mutex::new(to_test);
    std::thread::scope(|scope| {
        let testers: Vec<_> = (0..TESTERS)
            .map(|_| {
                let to_test = &to_test;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        // A poisoned lock means another tester panicked: `join` reports it.
                        let next = match to_test.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => break,
                        };
                        let Ok((index, parameter)) = next else { break };
                        let outcome = test_parameter(prepared, &parameter, options);
                        done.push((index, parameter, outcome));
                    }
                    done
                })
            })
            .collect();
        let summariser = scope.spawn(move || {
            let mut summariser = Summariser::new(products);
            let mut index = 0;
            let mut hand_over = |parameters: Vec<ParameterSummary>| {
                for parameter in parameters {
                    // The testers only stop early by panicking, which `join` reports below.
                    let _ = finished.send((index, parameter));
                    index += 1;
                }
            };
            for chunk in received {
                match chunk {
                    Chunk::Readings(readings) => {
                        for m in readings {
                            summariser.push(m.id, m.val, m.time);
                        }
                    }
                    Chunk::Minutes(minutes) => {
                        for b in minutes {
                            summariser.push_minute(b);
                        }
                    }
                }
                hand_over(summariser.take_finished());
            }
            hand_over(summariser.finish());
        });
        let mut chunker = Chunker {
            chunks,
            readings: Vec::with_capacity(CHUNK),
            minutes: Vec::new(),
        };
        let scanned = scan(&mut |row| chunker.take(row));
        chunker.finish();
        summariser.join().expect("the report's summariser panicked");
        let mut results: Vec<(usize, ParameterSummary, Outcomes)> = testers
            .into_iter()
            .flat_map(|t| t.join().expect("a report tester panicked"))
            .collect();
        results.sort_by_key(|r| r.0);
        let (parameters, outcomes) = results.into_iter().map(|(_, p, o)| (p, o)).unzip();
        Ok((scanned?, parameters, outcomes))
    })
}

/// Builds the report from the store: the work orders once, then the metrics in one pass
/// (on a pruned store, parameter by parameter, rolled-up minutes then readings).
pub fn build(store: &mut dyn Store, source: &str, options: Options) -> Result<Report, StoreError> {
    let work_orders = store.work_orders()?;
    let Some(raw_from) = store.raw_from()? else {
        return from_scan(
            &work_orders,
            &mut |visit| store.scan_metrics(&mut |m| visit(HistoryRow::Reading(m))),
            source,
            options,
            None,
        );
    };
    // Readings stored since the last fold, late ones before the cut-off among them, are
    // known to the report only once folded.
    crate::store::rollup::fold_all(store)?;
    let ids = store.parameters()?;
    let mut scan = |visit: &mut dyn FnMut(HistoryRow)| {
        let mut read = 0;
        for &id in &ids {
            read += store.scan_history(id, raw_from, visit)?;
        }
        Ok(read)
    };
    from_scan(&work_orders, &mut scan, source, options, Some(raw_from))
}

/// Builds the report from records in memory; `metrics` must be ordered by parameter, then
/// time, as a store scans them.
pub fn from_records(
    work_orders: &[crate::record::WorkOrder],
    metrics: &[crate::record::Metric],
    source: &str,
    options: Options,
) -> Report {
    let mut scan = |visit: &mut dyn FnMut(HistoryRow)| {
        for m in metrics {
            visit(HistoryRow::Reading(*m));
        }
        Ok(metrics.len() as u64)
    };
    from_scan(work_orders, &mut scan, source, options, None).expect("an in-memory scan cannot fail")
}

fn from_scan(
    work_orders: &[crate::record::WorkOrder],
    scan: &mut Scan<'_>,
    source: &str,
    options: Options,
    raw_from: Option<i64>,
) -> Result<Report, StoreError> {
    let started = std::time::Instant::now();
    let products = intervals(work_orders);
    let read_orders = started.elapsed();
    let prepared = prepare(&products);
    let (metrics, parameters, outcomes) = summarise(scan, &products, &prepared, options)?;
    let scanned = started.elapsed();
    let mut findings = conclude(&prepared, &parameters, outcomes);
    if let Some(raw_from) = raw_from {
        for (f, p) in findings.iter_mut().zip(&products) {
            f.data_quality.rolled_up = Some(quality::RolledUp::of(p, &parameters, raw_from));
        }
    }
    // Where a slow report spends its time, for `MILLRACE_LOG=debug`.
    tracing::debug!(
        work_orders = ?read_orders,
        metrics_scan_and_tests = ?(scanned - read_orders),
        ranking = ?(started.elapsed() - scanned),
        "report built"
    );
    // Readings known only by their rollups count as readings too.
    let metrics = metrics + parameters.iter().map(|p| p.rolled_up).sum::<u64>();
    Ok(Report {
        source: source.to_string(),
        metrics,
        work_orders: work_orders.len() as u64,
        products,
        parameters,
        findings,
        options,
        raw_from,
    })
}
