//! The webhook: one POST endpoint per stream, in the original pipeline's paths. It validates
//! every record, publishes the batch to the queue and answers 2xx only once the queue has it
//! durably.

mod config;
mod error;
mod halt;
mod handler;
mod refusals;
mod state;

pub use config::WebhookConfig;
pub use error::ApiError;
pub use state::AppState;

use halt::Halt;

use crate::auth::{Credentials, SIGNATURE_HEADER};
use crate::queue::Queue;
use crate::record::StreamKind;
use crate::support::shutdown::Shutdown;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutLayer;

/// Admits a request only if a slot is free, before its body is read.
async fn admit(State(slots): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
    match slots.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            let mut busy = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the webhook is handling as many requests as it may; retry shortly",
            );
            busy.retry_after = Some(1);
            busy.into_response()
        }
    }
}

/// Refuses requests without valid credentials before their bodies are read: a bearer token
/// is checked here; a signature, which covers the body, is checked by the handler.
async fn authenticate(
    State(credentials): State<Credentials>,
    request: Request,
    next: Next,
) -> Response {
    if credentials.is_empty() {
        // Without credentials only this machine should send (see `serve --insecure`); a
        // browser page must not be able to post here on a visitor's behalf.
        if request.headers().contains_key(axum::http::header::ORIGIN) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "requests from web pages are refused while no credentials are configured (set --auth-token)",
            )
            .into_response();
        }
        return next.run(request).await;
    }
    let verdict = if request.headers().contains_key(SIGNATURE_HEADER) {
        credentials.plausible_signature(request.headers())
    } else {
        credentials.check(request.headers(), &[])
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(e) => ApiError::unauthorized(e).into_response(),
    }
}

/// The HTTP routes of the webhook; `halt` stops it on a fault no retry heals.
fn router<Q: Queue>(state: AppState<Q>, halt: Halt) -> Router {
    let limit = state.config.max_body_bytes;
    let slots = Arc::new(Semaphore::new(state.config.max_concurrent.max(1)));
    let timeout = state.config.request_timeout;
    let ingest = Router::new()
        .route(
            StreamKind::Metrics.webhook_path(),
            post(handler::ingest_metrics::<Q>),
        )
        .route(
            StreamKind::Workorder.webhook_path(),
            post(handler::ingest_workorder::<Q>),
        )
        .route_layer(middleware::from_fn_with_state(
            state.config.credentials.clone(),
            authenticate,
        ))
        .route_layer(middleware::from_fn_with_state(slots, admit));
    Router::new()
        .merge(ingest)
        .route("/healthz", get(handler::healthz))
        .route("/readyz", get(handler::readyz::<Q>))
        .route(
            crate::metrics::PATH,
            crate::metrics::route(state.config.credentials.clone()),
        )
        .layer(axum::Extension(halt))
        .fallback(handler::not_found)
        .method_not_allowed_fallback(handler::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(refusals::RefusalLog::default()),
            refusals::log_refused,
        ))
        .layer(middleware::from_fn(crate::metrics::http::count))
        .with_state(state)
}

/// Serves the webhook over TLS on `listener` until shutdown, then lets requests in flight
/// finish (for up to 30 s).
pub async fn serve_tls<Q: Queue>(
    listener: TcpListener,
    state: AppState<Q>,
    tls: &crate::support::tls::TlsFiles,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let config = crate::support::tls::server_config(tls).await?;
    let halt = Halt::default();
    let handle = drain_on(shutdown, halt.clone());
    let header_limit = state.config.max_header_bytes.max(MIN_HEADER_BYTES);
    let mut server = axum_server::from_tcp_rustls(listener.into_std()?, config)?.handle(handle);
    server
        .http_builder()
        .http1()
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(header_limit);
    server
        .serve(
            router(state, halt.clone())
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await?;
    halted(&halt)
}

/// A server handle that starts a graceful shutdown, bounded by [`DRAIN_TIMEOUT`], when
/// `shutdown` fires.
fn drain_on<A>(shutdown: Shutdown, halt: Halt) -> axum_server::Handle<A>
where
    A: axum_server::Address + Send + Sync + 'static,
{
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = shutdown.wait() => {}
            () = halt.wait() => {}
        }
        stopper.graceful_shutdown(Some(DRAIN_TIMEOUT));
    });
    handle
}

/// How long a client may take to send its request headers: slow-header clients (slowloris)
/// cannot hold connections open for nothing.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The HTTP server's read buffer cannot be smaller than this.
const MIN_HEADER_BYTES: usize = 8192;
/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the webhook on `listener` until shutdown, then lets requests in flight finish (for
/// up to 30 s).
pub async fn serve<Q: Queue>(
    listener: TcpListener,
    state: AppState<Q>,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let halt = Halt::default();
    let handle = drain_on(shutdown, halt.clone());
    let header_limit = state.config.max_header_bytes.max(MIN_HEADER_BYTES);
    let mut server = axum_server::from_tcp(listener.into_std()?)?.handle(handle);
    server
        .http_builder()
        .http1()
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(header_limit);
    server
        .serve(
            router(state, halt.clone())
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await?;
    halted(&halt)
}

/// After the server drained: the halt's reason as an error, if it stopped for one.
fn halted(halt: &Halt) -> std::io::Result<()> {
    match halt.reason() {
        Some(reason) => Err(std::io::Error::other(format!(
            "the webhook stopped: {reason}"
        ))),
        None => Ok(()),
    }
}
