//! The webhook: one POST endpoint per stream, in the original pipeline's paths. It validates
//! every record, publishes the batch to the queue and answers 2xx only once the queue has it
//! durably.

mod error;
mod handler;

pub use error::ApiError;
pub use handler::{SEQ_HEADER, SOURCE_HEADER};

use crate::queue::Queue;
use crate::record::StreamKind;
use crate::shutdown::Shutdown;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::time::Duration;
use tokio::net::TcpListener;

/// What the webhook accepts and how long it waits for the queue.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// The largest request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// The most records in one batch (413 beyond).
    pub max_batch_records: usize,
    /// How long a request waits for the queue to confirm before answering 503.
    pub publish_timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            max_body_bytes: 64 * 1024 * 1024,
            max_batch_records: 100_000,
            publish_timeout: Duration::from_secs(10),
        }
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState<Q: Queue> {
    pub queue: Q,
    pub config: WebhookConfig,
}

/// The HTTP routes of the webhook.
pub fn router<Q: Queue>(state: AppState<Q>) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route(
            StreamKind::Metrics.webhook_path(),
            post(handler::ingest_metrics::<Q>),
        )
        .route(
            StreamKind::Workorder.webhook_path(),
            post(handler::ingest_workorder::<Q>),
        )
        .route("/healthz", get(handler::healthz))
        .route("/readyz", get(handler::readyz::<Q>))
        .fallback(handler::not_found)
        .method_not_allowed_fallback(handler::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Serves the webhook on `listener` until shutdown, then lets requests in flight finish.
pub async fn serve<Q: Queue>(
    listener: TcpListener,
    state: AppState<Q>,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}
