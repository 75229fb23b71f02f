//! The channel the live analysis is published on, and the thread that keeps it current.

use super::json::{self, StreamState, Streams};
use crate::record::StreamKind;
use crate::report::Options;
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError, StoreLocation};
use std::sync::Arc;
use std::time::Duration;
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
pub fn spawn(location: StoreLocation, options: Options, shutdown: Shutdown) -> Feed {
    let (publish, feed) = watch::channel(None);
    std::thread::Builder::new()
        .name("live-analyst".into())
        .spawn(move || analyst(&location, options, &shutdown, &publish))
        .expect("the OS cannot start a thread");
    feed
}

fn analyst(
    location: &StoreLocation,
    options: Options,
    shutdown: &Shutdown,
    publish: &watch::Sender<Option<Arc<Update>>>,
) {
    let mut version = 0;
    let mut seen = None;
    let mut store = None;
    let mut retry = crate::backoff::Backoff::default();
    while !shutdown.is_triggered() {
        match look(location, &mut store, &mut seen, options) {
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
                tracing::warn!(error = %e, "the live analysis cannot read the store; retrying");
                store = None;
                std::thread::sleep(retry.next_delay());
                continue;
            }
        }
        std::thread::sleep(POLL);
    }
}

/// A new analysis when the store holds anything not analysed yet, else `None`.
fn look(
    location: &StoreLocation,
    store: &mut Option<Box<dyn Store + Send>>,
    seen: &mut Option<(u64, u64)>,
    options: Options,
) -> Result<Option<String>, StoreError> {
    let store = match store {
        Some(store) => store,
        None => store.insert(location.open()?),
    };
    let counts = (
        store.count(StreamKind::Metrics)?,
        store.count(StreamKind::Workorder)?,
    );
    if *seen == Some(counts) {
        return Ok(None);
    }
    let report = crate::report::build(store, &location.to_string(), options)?;
    *seen = Some(counts);
    let streams = Streams {
        metrics: StreamState {
            records: report.metrics,
            newest_time: report.parameters.iter().map(|p| p.last_time).max(),
        },
        workorder: StreamState {
            records: report.work_orders,
            newest_time: report
                .products
                .iter()
                .filter_map(|p| p.intervals.last().map(|i| i.end))
                .max(),
        },
    };
    Ok(Some(json::render(&report, streams, now())))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
