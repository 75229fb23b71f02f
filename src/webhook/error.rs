//! The webhook's error answers: one type that maps every refusal (bad record, full queue,
//! missing credentials) to its HTTP status and a JSON body a client can act on.

use crate::codec::{DecodeError, DecodeErrorKind};
use crate::queue::QueueError;
use crate::support::chain::Chain;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer: the status plus a JSON body that says what was wrong and, for a bad
/// record, which one and which field.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status, which tells the client whether retrying can help.
    pub status: StatusCode,
    /// What went wrong, sent as JSON.
    pub body: ErrorBody,
    /// Seconds a client should wait before retrying (503).
    pub retry_after: Option<u64>,
    /// Ask for credentials (401).
    pub challenge: bool,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// What was wrong, in words.
    pub error: String,
    /// Position in the batch of the record at fault, counting from 1 as the message does, if
    /// one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<usize>,
    /// The field at fault, if one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// An answer with this status and message, naming no record or field.
    pub fn new(status: StatusCode, error: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: error.into(),
                record: None,
                field: None,
            },
            retry_after: None,
            challenge: false,
        }
    }

    /// 401, saying what was wrong with the credentials (never what they should have been).
    pub fn unauthorized(e: crate::auth::AuthError) -> Self {
        ApiError {
            challenge: true,
            ..ApiError::new(StatusCode::UNAUTHORIZED, e.to_string())
        }
    }
}

impl From<DecodeError> for ApiError {
    fn from(e: DecodeError) -> Self {
        let status = match e.kind {
            DecodeErrorKind::Syntax => StatusCode::BAD_REQUEST,
            DecodeErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            DecodeErrorKind::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            DecodeErrorKind::TooManyRecords => StatusCode::PAYLOAD_TOO_LARGE,
        };
        ApiError {
            status,
            body: ErrorBody {
                error: format!("{e}; nothing of this batch was accepted"),
                record: e.record.map(|r| r + 1),
                field: e.field,
            },
            retry_after: None,
            challenge: false,
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        let wait = if matches!(e, QueueError::Full { .. }) {
            5
        } else {
            1
        };
        ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "{}; the batch was not confirmed: send it again (a batch with Millrace-Source \
                     headers is stored once however often it is sent)",
                    Chain(&e)
                ),
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let reason = super::refusals::Reason(self.body.error.clone());
        let mut response = (self.status, Json(self.body)).into_response();
        response.extensions_mut().insert(reason);
        if self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"millrace\""),
            );
        }
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
