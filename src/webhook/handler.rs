//! The two ingest endpoints: authenticate, decode the whole batch, publish it durably, and
//! only then answer 2xx, so an acknowledged batch is never lost.

use super::error::ApiError;
use super::halt::Halt;
use super::state::AppState;
use crate::auth::{SEQ_HEADER, SOURCE_HEADER};
use crate::codec::decode_body;
use crate::queue::{Envelope, Queue};
use crate::record::StreamKind;
use crate::support::chain::Chain;
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Serialize;

/// The longest source name accepted: room for any file path.
const MAX_SOURCE_BYTES: usize = 4096;

/// The answer to an accepted batch.
#[derive(Debug, Serialize)]
pub struct Accepted {
    /// Records accepted and queued (0 for an empty batch, which is not queued).
    pub accepted: usize,
    /// The queue message that carries the batch, for tracing it downstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `POST /metrics_webhook`: a batch of machine parameter readings.
pub async fn ingest_metrics<Q: Queue>(
    state: State<AppState<Q>>,
    Extension(halt): Extension<Halt>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Accepted>, ApiError> {
    ingest(state, &halt, StreamKind::Metrics, headers, body).await
}

/// `POST /workorder_webhook`: a batch of production counter readings.
pub async fn ingest_workorder<Q: Queue>(
    state: State<AppState<Q>>,
    Extension(halt): Extension<Halt>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Accepted>, ApiError> {
    ingest(state, &halt, StreamKind::Workorder, headers, body).await
}

/// One batch, from body to queue, in a span naming its stream and, once it has one, its
/// queue message id, so every line logged about it can be traced downstream.
#[tracing::instrument(
    name = "ingest",
    skip_all,
    fields(stream = %stream, batch = tracing::field::Empty)
)]
async fn ingest<Q: Queue>(
    State(state): State<AppState<Q>>,
    halt: &Halt,
    stream: StreamKind,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Accepted>, ApiError> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the body is larger than {} bytes: send smaller batches",
                state.config.max_body_bytes
            )
        } else {
            format!("cannot read the body: {}", rejection.body_text())
        };
        ApiError::new(status, message)
    })?;
    state
        .config
        .credentials
        .check(&headers, &body)
        .map_err(ApiError::unauthorized)?;
    let (source, first_seq) = origin(&headers)?;
    let content_type = match headers.get(header::CONTENT_TYPE) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "the Content-Type header is not readable text",
                    )
                })?
                .to_string(),
        ),
    };
    let max = state.config.max_batch_records;
    // Decoding a multi-megabyte batch is CPU work for a blocking thread; a small one is
    // cheaper here than the hand-off (`crate::support::offload`).
    let records = crate::support::offload::sized(body.len(), move || {
        decode_body(stream, content_type.as_deref(), &body, max)
    })
    .await?;
    if records.is_empty() {
        return Ok(Json(Accepted {
            accepted: 0,
            id: None,
        }));
    }
    let envelope = Envelope::batch(&records, source, first_seq, state.config.body_format);
    let id = envelope.id.clone();
    tracing::Span::current().record("batch", id.as_str());
    let timeout = state.config.publish_timeout;
    let publishing = std::time::Instant::now();
    let published = tokio::time::timeout(timeout, state.queue.publish(envelope)).await;
    crate::metrics::record::publish_time(publishing.elapsed());
    match published {
        Ok(Err(e @ crate::queue::QueueError::Broken { .. })) => {
            // No retry heals it: stop the webhook so the process exits with the reason.
            let reason = Chain(&e).to_string();
            tracing::error!(error = %reason, "the queue cannot go on; stopping the webhook");
            halt.fire(reason);
            return Err(e.into());
        }
        Ok(result) => result?,
        Err(_) => return Err(crate::queue::QueueError::Timeout(timeout).into()),
    }
    crate::support::fault::point(crate::support::fault::WEBHOOK_QUEUED);
    tracing::debug!(records = records.len(), "queued");
    crate::metrics::record::records_accepted(stream, records.len() as u64);
    Ok(Json(Accepted {
        accepted: records.len(),
        id: Some(id),
    }))
}

/// Reads the optional source headers the millrace streamer sends.
fn origin(headers: &HeaderMap) -> Result<(Option<String>, u64), ApiError> {
    let text = |name: &str| -> Result<Option<&str>, ApiError> {
        headers
            .get(name)
            .map(|v| {
                // UTF-8 rather than ASCII only: sources are file paths, which may hold any name.
                std::str::from_utf8(v.as_bytes()).map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        format!("the {name} header is not readable text"),
                    )
                })
            })
            .transpose()
    };
    let source = text(SOURCE_HEADER)?;
    let seq = text(SEQ_HEADER)?;
    match (source, seq) {
        (None, None) => Ok((None, 0)),
        (Some(source), Some(seq)) => {
            if source.is_empty() || source.len() > MAX_SOURCE_BYTES {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the {SOURCE_HEADER} header must hold 1 to {MAX_SOURCE_BYTES} bytes"),
                ));
            }
            let seq = seq.trim().parse::<u64>().map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the {SEQ_HEADER} header must be a whole number >= 0, got `{seq}`"),
                )
            })?;
            if seq > i64::MAX as u64 / 2 {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the {SEQ_HEADER} header is out of range"),
                ));
            }
            Ok((Some(source.to_string()), seq))
        }
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("send both {SOURCE_HEADER} and {SEQ_HEADER} headers, or neither"),
        )),
    }
}

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the queue can take batches now. A load balancer should send traffic elsewhere
/// while this says no.
pub async fn readyz<Q: Queue>(State(state): State<AppState<Q>>) -> Result<&'static str, ApiError> {
    state.queue.ready().await.map_err(ApiError::from)?;
    Ok("ready")
}

/// The answer to a known path asked with the wrong method, saying which to use.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "use POST to send records (GET /healthz checks the server)",
    )
}

/// The answer to an unknown path, naming the paths that exist.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint: POST records to /metrics_webhook or /workorder_webhook",
    )
}
