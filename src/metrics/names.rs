//! The name, kind and meaning of every metric millrace exports, in one place, and
//! [`describe`], which announces them all at start-up so a scrape before any traffic already
//! lists them (counters of both streams at 0).

use crate::record::StreamKind;

/// HTTP requests answered, by route (`path`) and `status`.
pub const HTTP_REQUESTS: &str = "millrace_http_requests_total";
/// Records accepted into the queue, by `stream` (webhook and MQTT).
pub const RECORDS_ACCEPTED: &str = "millrace_records_accepted_total";
/// Records newly written to the store, by `stream` (consumer).
pub const RECORDS_STORED: &str = "millrace_records_stored_total";
/// Records the store already held and skipped, by `stream` (consumer).
pub const RECORDS_DUPLICATE: &str = "millrace_records_duplicate_total";
/// Messages set aside as dead letters, by `stream` (consumer and MQTT).
pub const DEAD_LETTERS: &str = "millrace_dead_letters_total";
/// Messages waiting in the queue, by `stream`.
pub const QUEUE_BACKLOG: &str = "millrace_queue_backlog";
/// Seconds a batch took to be published to the queue (webhook and MQTT).
pub const PUBLISH_SECONDS: &str = "millrace_publish_seconds";
/// Seconds the consumer's store write and commit took.
pub const STORE_COMMIT_SECONDS: &str = "millrace_store_commit_seconds";
/// Seconds between now and the newest stored record's `time`, by `stream`.
pub const INGEST_LAG_SECONDS: &str = "millrace_ingest_lag_seconds";

/// The label naming a stream.
pub const STREAM: &str = "stream";
/// The label naming an HTTP route.
pub const PATH_LABEL: &str = "path";
/// The label holding an HTTP status code.
pub const STATUS: &str = "status";

/// The histograms, and their buckets in seconds: from a fast local commit (1 ms) to a queue
/// or store that is struggling (10 s and beyond).
pub const HISTOGRAMS: [&str; 2] = [PUBLISH_SECONDS, STORE_COMMIT_SECONDS];
/// Upper bounds of the histogram buckets, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Describes every metric to the installed recorder and registers the per-stream counters
/// at 0, so that they appear before the first record does.
pub fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route and status");
    describe_counter!(
        RECORDS_ACCEPTED,
        Unit::Count,
        "Records accepted into the queue (webhook and MQTT)"
    );
    describe_counter!(
        RECORDS_STORED,
        Unit::Count,
        "Records newly written to the store"
    );
    describe_counter!(
        RECORDS_DUPLICATE,
        Unit::Count,
        "Records the store already held, skipped"
    );
    describe_counter!(
        DEAD_LETTERS,
        Unit::Count,
        "Messages set aside as dead letters"
    );
    describe_gauge!(QUEUE_BACKLOG, Unit::Count, "Messages waiting in the queue");
    describe_histogram!(
        PUBLISH_SECONDS,
        Unit::Seconds,
        "Time to publish a batch to the queue"
    );
    describe_histogram!(
        STORE_COMMIT_SECONDS,
        Unit::Seconds,
        "Time to write and commit a batch to the store"
    );
    describe_gauge!(
        INGEST_LAG_SECONDS,
        Unit::Seconds,
        "Now minus the time of the newest stored record"
    );
    for stream in StreamKind::ALL {
        for counter in [
            RECORDS_ACCEPTED,
            RECORDS_STORED,
            RECORDS_DUPLICATE,
            DEAD_LETTERS,
        ] {
            ::metrics::counter!(counter, STREAM => stream.name()).absolute(0);
        }
    }
}
