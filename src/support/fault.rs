//! Crash points, so tests can kill a stage at the exact moments where a crash is most
//! dangerous — between two durable steps — instead of hoping a random SIGKILL lands there.
//!
//! Set `MILLRACE_CRASH_AT=<point>` (or `<point>:<n>` for the n-th time the point is reached)
//! and the process aborts there, as abruptly as `kill -9`. Unset, a point costs one relaxed
//! atomic load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The store committed a batch; the queue has not been acknowledged yet.
pub const CONSUMER_COMMITTED: &str = "consume.committed";
/// The queue holds a batch durably; the webhook has not answered yet.
pub const WEBHOOK_QUEUED: &str = "serve.queued";
/// The queue holds an MQTT message durably; the broker has not been acknowledged yet.
pub const MQTT_QUEUED: &str = "mqtt.queued";
/// The webhook acknowledged a batch; the streamer has not saved its offset yet.
pub const STREAM_DELIVERED: &str = "stream.delivered";
/// After a prune committed a batch of deletions, before the next.
pub const PRUNE_BATCH: &str = "prune.batch";

static SPEC: OnceLock<Option<(String, u64)>> = OnceLock::new();
static REACHED: AtomicU64 = AtomicU64::new(0);

fn spec() -> &'static Option<(String, u64)> {
    SPEC.get_or_init(|| {
        let value = std::env::var("MILLRACE_CRASH_AT").ok()?;
        let (name, nth) = match value.split_once(':') {
            Some((name, n)) => (name.to_string(), n.parse().unwrap_or(1)),
            None => (value, 1),
        };
        Some((name, nth.max(1)))
    })
}

/// Aborts the process if `MILLRACE_CRASH_AT` names this point and its count is reached.
pub fn point(name: &str) {
    let Some((wanted, nth)) = spec() else { return };
    if wanted == name && REACHED.fetch_add(1, Ordering::Relaxed) + 1 == *nth {
        eprintln!("millrace: crash point {name} reached, aborting (MILLRACE_CRASH_AT)");
        std::process::abort();
    }
}
