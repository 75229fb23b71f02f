//! The data files `run` streams through its own webhook, and how: a [`SenderConfig`] but for
//! the webhook's address, which is known only once the pipeline has bound it.

use super::pipeline::Pipeline;
use crate::auth::Credentials;
use crate::queue::Queue;
use crate::sender::SenderConfig;
use std::path::PathBuf;
use std::time::Duration;

/// How `run` reads and sends its data files.
#[derive(Clone, Debug)]
pub struct Files {
    /// Folder holding `metrics.json` and `workorder.json`.
    pub data: PathBuf,
    /// Resend everything from the start of each file.
    pub initial: bool,
    /// Records per request.
    pub batch_size: usize,
    /// Where acknowledged positions are kept.
    pub offsets: PathBuf,
    /// How long one batch is retried while the webhook is unavailable.
    pub retry_for: Duration,
    /// Whether a progress bar is drawn.
    pub progress: bool,
}

impl Files {
    /// The sender's settings for `pipeline`'s webhook: on loopback, so with no credentials.
    pub fn to<Q: Queue>(&self, pipeline: &Pipeline<Q>) -> SenderConfig {
        SenderConfig {
            data: self.data.clone(),
            webhook: format!("http://{}", pipeline.addr),
            initial: self.initial,
            batch_size: self.batch_size,
            offsets: self.offsets.clone(),
            retry_for: self.retry_for,
            progress: self.progress,
            credentials: Credentials::default(),
            ca_cert: None,
        }
    }
}
