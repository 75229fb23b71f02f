//! One failed try at delivering a batch, in a file of its own: the HTTP client (`http`)
//! makes it and the outage's lines (`outage`) tell of it, and neither imports the other.

use reqwest::StatusCode;

/// Why one try at delivering a batch failed, in a way worth retrying.
#[derive(Debug, thiserror::Error)]
pub enum Attempt {
    /// The webhook answered, but not yet with a yes (busy, or its queue unavailable).
    #[error("the webhook answered {status}: {message}")]
    Answered {
        /// The HTTP status it answered with.
        status: StatusCode,
        /// Its explanation.
        message: String,
    },
    /// The webhook could not be reached, or did not answer in time.
    #[error("the webhook could not be reached or did not answer")]
    Unreachable(#[source] reqwest::Error),
}

impl Attempt {
    /// What to check, after the last try: whether a webhook runs there at all, when
    /// nothing answered; nothing more when one did, as its answer says what it lacks.
    pub(super) fn hint(&self) -> &'static str {
        match self {
            Attempt::Unreachable(_) => "; check that `millrace serve` is running there",
            Attempt::Answered { .. } => "",
        }
    }
}
