//! The data files `run` streams through its own webhook: where they are, and how they are
//! read and sent. The sender's config is made from them once the pipeline has bound its
//! webhook, since only then is the address known.

use super::pipeline::Pipeline;
use crate::auth::Credentials;
use crate::queue::Queue;
use crate::sender::SenderConfig;
use std::path::PathBuf;
use std::time::Duration;

/// How data files are read and sent, wherever they are and whichever webhook takes them.
#[derive(Clone, Debug)]
pub struct Sending {
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

impl Sending {
    /// The sender's settings for the files in `data`, sent to `webhook` with `credentials`
    /// (trusting `ca_cert` for https when given).
    pub fn config(
        &self,
        data: PathBuf,
        webhook: String,
        credentials: Credentials,
        ca_cert: Option<PathBuf>,
    ) -> SenderConfig {
        SenderConfig {
            data,
            webhook,
            initial: self.initial,
            batch_size: self.batch_size,
            offsets: self.offsets.clone(),
            retry_for: self.retry_for,
            progress: self.progress,
            credentials,
            ca_cert,
        }
    }
}

/// The data files of a `run`: the folder, and how they are sent.
#[derive(Clone, Debug)]
pub struct Files {
    /// Folder holding `metrics.json` and `workorder.json`.
    pub data: PathBuf,
    /// How they are read and sent.
    pub sending: Sending,
}

impl Files {
    /// The sender's settings for `pipeline`'s webhook: on loopback, so with no credentials.
    pub fn to<Q: Queue>(&self, pipeline: &Pipeline<Q>) -> SenderConfig {
        self.sending.config(
            self.data.clone(),
            format!("http://{}", pipeline.addr),
            Credentials::default(),
            None,
        )
    }
}
