//! The channel the live analysis is published on, and the thread that keeps it current.

use super::LiveState;
use super::arrivals::Arrivals;
use super::json::{self, StreamState, Streams};
use crate::record::StreamKind;
use crate::report::Options;
use crate::store::{Store, StoreError, StoreLocation};
use crate::support::shutdown::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// One published analysis.
#[derive(Debug)]
pub struct Update {
    /// Counts up by one with each published analysis, from 1.
    pub version: u64,
    /// The analysis as `/api/report` serves it: `top3.json`'s shape plus `updated_at`,
    /// `streams` and each product's `timeline`.
    pub json: Arc<str>,
}

/// The latest analysis (`None` until the first is made), and a wake-up when it changes.
pub type Feed = watch::Receiver<Option<Arc<Update>>>;

/// How often the store is asked whether anything new was stored.
const POLL: Duration = Duration::from_millis(250);

/// Starts the analyst on its own thread: it opens the store, publishes a first analysis and
/// then a new one each time rows are stored, until `shutdown`.
pub fn spawn(location: StoreLocation, options: Options, shutdown: Shutdown) -> (Feed, Analyst) {
    let (publish, feed) = watch::channel(None);
    let thread = std::thread::Builder::new()
        .name("live-analyst".into())
        .spawn(move || analyst(&location, options, &shutdown, &publish))
        .expect("the OS cannot start a thread");
    (feed, Analyst(thread))
}

/// The analyst's thread, to wait for once shutdown fired.
///
/// It holds a connection to the store: a process that exits with it still open (the
/// analyst in the middle of an analysis) leaves SQLite's `-wal` and `-shm` files beside
/// the store, which the last connection to close would have checkpointed and removed.
pub struct Analyst(std::thread::JoinHandle<()>);

impl Analyst {
    /// Waits, off the async threads, until the analyst has stopped and closed the store.
    pub async fn closed(self) {
        let _ = tokio::task::spawn_blocking(move || self.0.join()).await;
    }
}

fn analyst(
    location: &StoreLocation,
    options: Options,
    shutdown: &Shutdown,
    publish: &watch::Sender<Option<Arc<Update>>>,
) {
    let mut state = LiveState::new(location.to_string(), options);
    let mut arrivals = Arrivals::default();
    let mut version = 0;
    let mut store = None;
    let mut retry = crate::support::backoff::Backoff::default();
    while !shutdown.is_triggered() {
        match look(
            location,
            &mut store,
            &mut state,
            &mut arrivals,
            version == 0,
        ) {
            Ok(Some(json)) => {
                version += 1;
                publish.send_replace(Some(Arc::new(Update {
                    version,
                    json: json.into(),
                })));
                retry.reset();
            }
            Ok(None) => retry.reset(),
            Err(e) => {
                tracing::warn!(error = %crate::support::chain::Chain(&e), "the live analysis cannot read the store; retrying");
                store = None;
                std::thread::sleep(retry.next_delay());
                continue;
            }
        }
        std::thread::sleep(POLL);
    }
}

/// A new analysis when the store holds rows not analysed yet (or `first`), else `None`;
/// either way, how many rows the store holds goes into `arrivals`.
fn look(
    location: &StoreLocation,
    store: &mut Option<Box<dyn Store + Send>>,
    state: &mut LiveState,
    arrivals: &mut Arrivals,
    first: bool,
) -> Result<Option<String>, StoreError> {
    let store = match store {
        Some(store) => store,
        None => store.insert(location.open()?),
    };
    if arrivals.is_empty() {
        // What the store held before the analyst first read it is no arrival: counted
        // first, so that the first analysis already has a rate (since this moment).
        let held = [
            store.count(StreamKind::Metrics)?,
            store.count(StreamKind::Workorder)?,
        ];
        arrivals.record(Instant::now(), held);
    }
    let changes = state.update(store)?;
    arrivals.record(Instant::now(), [state.metrics().0, state.work_orders().0]);
    if !changes.any() && !first {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let report = state.report();
    let (records, newest_time) = state.metrics();
    if let Some(time) = newest_time {
        crate::metrics::record::newest_stored(crate::record::StreamKind::Metrics, time);
    }
    let [metrics_per_second, work_orders_per_second] = arrivals.per_second();
    let metrics = StreamState {
        records,
        newest_time,
        per_second: metrics_per_second,
    };
    let (records, newest_time) = state.work_orders();
    if let Some(time) = newest_time {
        crate::metrics::record::newest_stored(crate::record::StreamKind::Workorder, time);
    }
    let workorder = StreamState {
        records,
        newest_time,
        per_second: work_orders_per_second,
    };
    tracing::debug!(?changes, took = ?started.elapsed(), "live analysis updated");
    Ok(Some(json::render(
        &report,
        Streams { metrics, workorder },
        now(),
    )))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Records, WorkOrder};
    use crate::store::{Incoming, SqliteStore};

    fn latest_version(feed: &Feed, above: u64) -> Arc<Update> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(update) = feed.borrow().as_ref().filter(|u| u.version > above) {
                return update.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no update above {above}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn publishes_a_first_analysis_then_one_per_change_and_stops_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let (trigger, shutdown) = crate::support::shutdown::channel();
        let (feed, _analyst) = spawn(StoreLocation::Sqlite(path), Options::default(), shutdown);
        let first = latest_version(&feed, 0);
        let doc: serde_json::Value = serde_json::from_str(&first.json).unwrap();
        assert_eq!(doc["streams"]["workorder"]["records"], 0);
        assert_eq!(
            doc["streams"]["workorder"]["per_second"], 0.0,
            "a rate from the first analysis on"
        );
        let orders = Records::Workorder(
            (0..3)
                .map(|i| WorkOrder {
                    time: 1_600_000_000 + 60 * i,
                    product: 4,
                    production: i as f64,
                })
                .collect(),
        );
        store
            .write(&[Incoming {
                origin: "w",
                first_seq: 0,
                records: &orders,
            }])
            .unwrap();
        let second = latest_version(&feed, first.version);
        let doc: serde_json::Value = serde_json::from_str(&second.json).unwrap();
        assert_eq!(doc["streams"]["workorder"]["records"], 3);
        assert_eq!(doc["streams"]["workorder"]["newest_time"], 1_600_000_120);
        let rate = doc["streams"]["workorder"]["per_second"].as_f64().unwrap();
        assert!(rate > 0.0 && rate <= 3.0, "3 records arrived: {rate}/s");
        assert_eq!(doc["products"][0]["product"], 4);
        assert_eq!(doc["timelines"][0]["start"].as_array().unwrap().len(), 2);
        // Nothing new, nothing published.
        std::thread::sleep(POLL * 3);
        assert_eq!(feed.borrow().as_ref().unwrap().version, second.version);
        trigger.fire();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while feed.has_changed().is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "the analyst did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
