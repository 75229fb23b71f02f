//! The typed recording functions every call site uses: each names its metric and labels
//! here, so a metric cannot be spelt two ways. Without an installed recorder (a command
//! that exports nothing) each is a no-op.

use super::names::{
    DEAD_LETTERS, HTTP_REQUESTS, INGEST_LAG_SECONDS, PATH_LABEL, PUBLISH_SECONDS, QUEUE_BACKLOG,
    RECORDS_ACCEPTED, RECORDS_DUPLICATE, RECORDS_STORED, STATUS, STORE_COMMIT_SECONDS, STREAM,
};
use crate::record::StreamKind;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// An HTTP request answered on `path` (a route, already collapsed; see
/// [`super::http::path_label`]) with `status`.
pub fn http_request(path: String, status: u16) {
    ::metrics::counter!(HTTP_REQUESTS, PATH_LABEL => path, STATUS => status.to_string())
        .increment(1);
}

/// `records` of `stream` accepted into the queue.
pub fn records_accepted(stream: StreamKind, records: u64) {
    ::metrics::counter!(RECORDS_ACCEPTED, STREAM => stream.name()).increment(records);
}

/// `records` of `stream` newly written to the store.
pub fn records_stored(stream: StreamKind, records: u64) {
    ::metrics::counter!(RECORDS_STORED, STREAM => stream.name()).increment(records);
}

/// `records` of `stream` the store already held, skipped.
pub fn records_duplicate(stream: StreamKind, records: u64) {
    ::metrics::counter!(RECORDS_DUPLICATE, STREAM => stream.name()).increment(records);
}

/// One message of `stream` set aside as a dead letter.
pub fn dead_letter(stream: StreamKind) {
    ::metrics::counter!(DEAD_LETTERS, STREAM => stream.name()).increment(1);
}

/// `messages` of `stream` wait in the queue.
pub fn queue_backlog(stream: StreamKind, messages: u64) {
    ::metrics::gauge!(QUEUE_BACKLOG, STREAM => stream.name()).set(messages as f64);
}

/// A batch took `took` to be published to the queue.
pub fn publish_time(took: Duration) {
    ::metrics::histogram!(PUBLISH_SECONDS).record(took.as_secs_f64());
}

/// A batch took `took` to be written to the store and committed.
pub fn store_commit_time(took: Duration) {
    ::metrics::histogram!(STORE_COMMIT_SECONDS).record(took.as_secs_f64());
}

/// The newest stored record's `time` (Unix seconds) of each stream, as far as this process
/// knows; `i64::MIN` until it knows one.
static NEWEST: [AtomicI64; 2] = [AtomicI64::new(i64::MIN), AtomicI64::new(i64::MIN)];

fn newest(stream: StreamKind) -> &'static AtomicI64 {
    match stream {
        StreamKind::Metrics => &NEWEST[0],
        StreamKind::Workorder => &NEWEST[1],
    }
}

/// Records of `stream` as new as `time` (Unix seconds) are stored: the ingest lag counts from
/// the newest such time seen, and is updated at once.
pub fn newest_stored(stream: StreamKind, time: i64) {
    newest(stream).fetch_max(time, Ordering::Relaxed);
    ingest_lag(stream);
}

/// Sets the ingest lag gauges of the streams whose newest stored time is known: it grows
/// while nothing newer is stored, so it is refreshed periodically, not only on commit.
pub fn refresh_ingest_lag() {
    for stream in StreamKind::ALL {
        ingest_lag(stream);
    }
}

fn ingest_lag(stream: StreamKind) {
    let newest = newest(stream).load(Ordering::Relaxed);
    if newest == i64::MIN {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    ::metrics::gauge!(INGEST_LAG_SECONDS, STREAM => stream.name()).set((now - newest) as f64);
}
