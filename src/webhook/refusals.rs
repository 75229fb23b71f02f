//! The log of refused requests: each one the webhook answers with an error is logged with
//! its status, reason, stream and peer, so an operator can see who is being turned away and
//! why — but at most [`BURST`] lines per [`WINDOW`], so a flood cannot fill a disk.

use crate::record::StreamKind;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The reason of an error answer, put beside the response by [`super::ApiError`] so the log
/// can say it without reading the body back.
#[derive(Clone, Debug)]
pub struct Reason(pub String);

/// How many refusals are logged in one window; the rest are counted and reported together.
const BURST: u32 = 20;
/// The window [`BURST`] applies to.
const WINDOW: Duration = Duration::from_secs(10);

/// Counts refusals per window and says which may be logged.
#[derive(Debug)]
pub struct RefusalLog {
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    logged: u32,
    suppressed: u64,
}

/// What to do with one refusal.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Log it; before it, say how many of the last window were left out, if any.
    Log { left_out: u64 },
    /// Count it only.
    Suppress,
}

impl Default for RefusalLog {
    fn default() -> Self {
        RefusalLog {
            window: Mutex::new(Window {
                started: Instant::now(),
                logged: 0,
                suppressed: 0,
            }),
        }
    }
}

impl RefusalLog {
    /// Whether a refusal at `now` may be logged.
    fn admit(&self, now: Instant) -> Verdict {
        let mut window = self
            .window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut left_out = 0;
        if now.duration_since(window.started) >= WINDOW {
            left_out = window.suppressed;
            *window = Window {
                started: now,
                logged: 0,
                suppressed: 0,
            };
        }
        if window.logged < BURST {
            window.logged += 1;
            Verdict::Log { left_out }
        } else {
            window.suppressed += 1;
            Verdict::Suppress
        }
    }
}

/// Middleware: after the answer is made, logs it if it refused the request.
pub async fn log_refused(
    State(log): State<Arc<RefusalLog>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.to_string());
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        if let Verdict::Log { left_out } = log.admit(Instant::now()) {
            if left_out > 0 {
                tracing::warn!(
                    left_out,
                    "{left_out} more refused requests were not logged in the last {} s",
                    WINDOW.as_secs()
                );
            }
            let reason = response.extensions().get::<Reason>().map_or_else(
                || status.canonical_reason().unwrap_or("").to_string(),
                |r| r.0.clone(),
            );
            let stream = StreamKind::ALL
                .iter()
                .find(|k| k.webhook_path() == path)
                .map_or("-", |k| k.name());
            tracing::warn!(
                status = status.as_u16(),
                reason = %reason,
                stream = %stream,
                peer = %peer.as_deref().unwrap_or("-"),
                method = %method,
                path = %shortened(&path),
                "refused a request"
            );
        }
    }
    response
}

/// The longest path logged: a path may be as long as the header limit allows, and a log line
/// need not be.
const MAX_PATH: usize = 200;

/// `path`, cut to [`MAX_PATH`] bytes (a URI path is ASCII, so any cut is a char boundary).
fn shortened(path: &str) -> &str {
    path.get(..MAX_PATH).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_to_a_burst_per_window_and_counted() {
        let log = RefusalLog::default();
        let start = Instant::now();
        for _ in 0..BURST {
            assert_eq!(log.admit(start), Verdict::Log { left_out: 0 });
        }
        for _ in 0..1000 {
            assert_eq!(log.admit(start + Duration::from_secs(1)), Verdict::Suppress);
        }
        // The next window logs again and says how many the last one left out.
        let next = start + WINDOW;
        assert_eq!(log.admit(next), Verdict::Log { left_out: 1000 });
        assert_eq!(log.admit(next), Verdict::Log { left_out: 0 });
    }
}
