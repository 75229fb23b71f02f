//! The analysis as the page reads it: the latest one at `/api/report`, and every new one as
//! a Server-Sent Event named `report` on `/api/events`.

use crate::live::{Feed, Update};
use crate::support::shutdown::Shutdown;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// Seconds a client is told to wait while the first analysis is being made.
const NOT_READY_RETRY_SECS: u64 = 2;
/// A comment line this often keeps proxies and browsers from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// How soon a browser reconnects after losing the stream (a restarted server, say).
const RECONNECT: Duration = Duration::from_secs(2);

/// Where the handlers read the analysis, and when event streams must end.
#[derive(Clone)]
pub struct Source {
    /// The live analysis.
    pub feed: Feed,
    /// Ends every event stream, so that the server can drain.
    pub shutdown: Shutdown,
}

/// `GET /api/report`: the latest analysis, or `503` while the first is being made.
pub async fn report(State(source): State<Source>) -> Response {
    let latest = source.feed.borrow().clone();
    match latest {
        Some(update) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            update.json.to_string(),
        )
            .into_response(),
        None => not_ready(),
    }
}

fn not_ready() -> Response {
    let body = serde_json::json!({
        "error": "the first analysis of the store is not ready yet; retry in a few seconds",
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(NOT_READY_RETRY_SECS));
    response
}

/// `GET /api/events`: the current analysis at once (when there is one), then each new one,
/// until the client leaves or the server shuts down.
pub async fn events(
    State(source): State<Source>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(updates(source)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// One `report` event per analysis published; the first poll yields the current one.
fn updates(source: Source) -> impl Stream<Item = Result<Event, Infallible>> {
    let Source { mut feed, shutdown } = source;
    // Marking the current value unseen makes the first `changed` return at once with it.
    feed.mark_changed();
    futures_util::stream::unfold((feed, shutdown), |(mut feed, shutdown)| async move {
        loop {
            tokio::select! {
                changed = feed.changed() => changed.ok()?,
                () = shutdown.wait() => return None,
            }
            let latest = feed.borrow_and_update().clone();
            if let Some(update) = latest {
                return Some((Ok(event(&update)), (feed, shutdown)));
            }
        }
    })
}

fn event(update: &Arc<Update>) -> Event {
    Event::default()
        .event("report")
        .id(update.version.to_string())
        .retry(RECONNECT)
        .data(&*update.json)
}
