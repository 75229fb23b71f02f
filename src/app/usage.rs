//! A mistake in how millrace was called or configured (exit code 2), as opposed to a failure
//! while working (exit code 1).

/// What is wrong with the command line or the settings, and how to call millrace instead.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    /// What is wrong and how to call millrace instead.
    message: String,
    /// The error behind it, when there is one (a file that cannot be read, say).
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl UsageError {
    /// A mistake that `message` tells whole.
    pub fn new(message: impl Into<String>) -> Self {
        UsageError {
            message: message.into(),
            source: None,
        }
    }

    /// A mistake that `message` tells, found because of `source`.
    pub fn because(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        UsageError {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}
