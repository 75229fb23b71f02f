//! Serving the metrics: `GET /metrics` as a route of the webhook's and the dashboard's own
//! servers ([`route`]), or on a listener of its own for `consume` and `mqtt` ([`serve`]);
//! and the periodic refresh of what is measured by looking rather than by counting
//! ([`watch_backlog`], [`refresh`]).
//!
//! `/metrics` answers without credentials, like `/healthz`, unless bearer tokens are
//! configured: then it wants one of them (`Authorization: Bearer <token>`, which Prometheus
//! sends from its `authorization` setting). It shows counts and timings, never a record, but
//! where tokens guard the data they guard how much of it flows too.

use crate::auth::Credentials;
use crate::queue::Queue;
use crate::record::StreamKind;
use crate::support::shutdown::Shutdown;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use std::time::Duration;
use tokio::net::TcpListener;

/// Where the metrics are served.
pub const PATH: &str = "/metrics";
/// The media type of Prometheus' text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";
/// How often the queue backlog and ingest lag are looked at anew.
const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// `GET /metrics` for a server's router, guarded by `credentials`' tokens when it has any;
/// installs the recorder, so that the server's metrics are recorded from now on.
pub fn route<S: Clone + Send + Sync + 'static>(credentials: Credentials) -> MethodRouter<S> {
    super::install();
    get(scrape)
        .fallback(wrong_method)
        .layer(middleware::from_fn_with_state(credentials, guard))
}

/// The answer to `/metrics` asked with another method than `GET` (or `HEAD`).
async fn wrong_method() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "GET, HEAD")],
        "use GET to read the metrics\n",
    )
        .into_response()
}

/// The metrics, in Prometheus' text format.
async fn scrape() -> Response {
    let text = super::exporter::render().unwrap_or_default();
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        text,
    )
        .into_response()
}

/// Lets a scrape through when no token is configured, or when it brings one.
async fn guard(State(credentials): State<Credentials>, request: Request, next: Next) -> Response {
    if !credentials.has_tokens() {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token.is_some_and(|t| credentials.accepts_token(t.trim())) {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "metrics need `Authorization: Bearer <token>` with one of the configured --auth-token values\n",
    )
        .into_response()
}

/// Serves `GET /metrics` alone on `listener` until `shutdown`: the metrics endpoint of
/// `consume` and `mqtt`, which have no HTTP server of their own.
pub async fn serve(listener: TcpListener, shutdown: Shutdown) -> std::io::Result<()> {
    let app = Router::new().route(PATH, route(Credentials::default()));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}

/// Binds `listen` and serves the metrics there in the background until `shutdown`.
pub async fn spawn(listen: &str, shutdown: Shutdown) -> Result<(), MetricsListenError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| MetricsListenError {
            listen: listen.to_string(),
            source,
        })?;
    if let Ok(address) = listener.local_addr() {
        tracing::info!("metrics on http://{address}{PATH}");
    }
    tokio::spawn(async move {
        if let Err(e) = serve(listener, shutdown).await {
            tracing::warn!(error = %crate::support::chain::Chain(&e), "the metrics listener stopped");
        }
    });
    Ok(())
}

/// With `listen` (`--metrics-listen`), serves the metrics there until `shutdown`, the
/// backlog of `queue` among them; without, does nothing.
pub async fn expose<Q: Queue>(
    listen: Option<String>,
    queue: &Q,
    shutdown: &Shutdown,
) -> Result<(), MetricsListenError> {
    let Some(listen) = listen else {
        return Ok(());
    };
    spawn(&listen, shutdown.clone()).await?;
    watch_backlog(queue.clone(), shutdown.clone());
    Ok(())
}

/// The metrics cannot be served where `--metrics-listen` says.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot listen on {listen} for metrics (is another process using it? choose another address with --metrics-listen)"
)]
pub struct MetricsListenError {
    /// The address asked for.
    pub listen: String,
    /// Why binding failed.
    #[source]
    pub source: std::io::Error,
}

/// Every few seconds until `shutdown`: each stream's queue backlog from `queue`, and what
/// [`refresh`] does.
pub fn watch_backlog<Q: Queue>(queue: Q, shutdown: Shutdown) {
    super::install();
    tokio::spawn(async move {
        loop {
            for stream in StreamKind::ALL {
                match queue.pending(stream).await {
                    Ok(pending) => super::record::queue_backlog(stream, pending),
                    Err(e) => {
                        tracing::debug!(%stream, error = %crate::support::chain::Chain(&e), "cannot read the queue backlog for the metrics");
                    }
                }
            }
            tick();
            if !pause(&shutdown).await {
                return;
            }
        }
    });
}

/// Every few seconds until `shutdown`: the ingest lag, which grows while nothing is stored,
/// and the recorder's upkeep.
pub fn refresh(shutdown: Shutdown) {
    super::install();
    tokio::spawn(async move {
        loop {
            tick();
            if !pause(&shutdown).await {
                return;
            }
        }
    });
}

fn tick() {
    super::record::refresh_ingest_lag();
    super::exporter::upkeep();
}

/// Waits until the next refresh; `false` once shutdown comes.
async fn pause(shutdown: &Shutdown) -> bool {
    tokio::select! {
        () = tokio::time::sleep(REFRESH_EVERY) => true,
        () = shutdown.wait() => false,
    }
}
