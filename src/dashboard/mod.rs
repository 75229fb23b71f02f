//! The live dashboard: one page that shows each product's verdict, top three drivers and
//! recent output as the analysis changes, served over the live analysis's [`Feed`].
//!
//! Read-only by design: every route answers `GET` (and `HEAD`) and nothing else, the page
//! fetches nothing but its own origin (the Content-Security-Policy says so to the browser),
//! and a browser authenticates with HTTP Basic auth against the webhook's tokens.

mod assets;
mod auth;
mod events;

use crate::auth::Credentials;
use crate::live::Feed;
use crate::support::shutdown::Shutdown;
use crate::support::tls::TlsFiles;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Duration;
use tokio::net::TcpListener;

/// What the browser may load: only this origin's script, style and connections; images only
/// from here or inline `data:` (the empty favicon); and the page may not be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// How long a client may take to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in flight; event streams end at once on shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the dashboard on `listener` (over HTTPS with `tls`) until `shutdown`, answering
/// only requests that bring one of `credentials`' tokens when any is configured.
///
/// `run --follow` and `millrace dashboard` both call this with a feed from
/// [`crate::live::spawn`].
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsFiles>,
    credentials: Credentials,
    feed: Feed,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let app = router(credentials, feed, shutdown.clone()).into_make_service();
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.wait().await;
        stopper.graceful_shutdown(Some(DRAIN_TIMEOUT));
    });
    match tls {
        Some(files) => {
            let config = crate::support::tls::server_config(&files).await?;
            let mut server =
                axum_server::from_tcp_rustls(listener.into_std()?, config)?.handle(handle);
            server
                .http_builder()
                .http1()
                .header_read_timeout(HEADER_READ_TIMEOUT);
            server.serve(app).await
        }
        None => {
            let mut server = axum_server::from_tcp(listener.into_std()?)?.handle(handle);
            server
                .http_builder()
                .http1()
                .header_read_timeout(HEADER_READ_TIMEOUT);
            server.serve(app).await
        }
    }
}

/// The routes: the page and its assets, the report, its event stream, a health check and
/// the metrics. Only `/healthz` answers without credentials: it tells nothing about the data
/// (`/metrics` checks tokens itself, as a Prometheus scraper sends them: bearer, not Basic).
fn router(credentials: Credentials, feed: Feed, shutdown: Shutdown) -> Router {
    let metrics = crate::metrics::route(credentials.clone());
    crate::metrics::server::refresh(shutdown.clone());
    let guarded = Router::new()
        .route("/", get(assets::page))
        .route("/assets/{name}", get(assets::asset))
        .route("/api/report", get(events::report))
        .route("/api/events", get(events::events))
        .with_state(events::Source { feed, shutdown })
        .route_layer(middleware::from_fn_with_state(
            credentials,
            auth::authenticate,
        ));
    Router::new()
        .merge(guarded)
        .route("/healthz", get(healthz))
        .route(crate::metrics::PATH, metrics)
        .fallback(not_found)
        .layer(middleware::map_response(secure_headers))
        .layer(middleware::from_fn(crate::metrics::http::count))
}

/// Every answer, errors included, carries the policy and refuses content sniffing.
async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}
