//! `millrace serve`: the webhook as a process of its own.

use super::exposure::Exposure;
use super::listen::{LISTEN_HINT, bind};
use crate::queue::Broker;
use crate::support::shutdown::Shutdown;
use crate::support::tls::TlsFiles;
use crate::webhook::WebhookConfig;

/// `millrace serve`, resolved.
pub struct ServeJob {
    /// Where it listens.
    pub listen: String,
    /// Listen beyond loopback without credentials.
    pub insecure: bool,
    /// HTTPS, when given.
    pub tls: Option<TlsFiles>,
    /// Limits, credentials and the queue's body format.
    pub webhook: WebhookConfig,
    /// The queue it publishes to.
    pub broker: Broker,
}

/// Serves the webhook until `shutdown`.
pub async fn start(job: ServeJob, shutdown: Shutdown) -> anyhow::Result<()> {
    let protected = !job.webhook.credentials.is_empty() || job.insecure;
    Exposure::WEBHOOK.guard(&job.listen, protected).await?;
    let queue = job.broker.open().await?;
    let listener = bind(&job.listen, LISTEN_HINT).await?;
    crate::metrics::server::watch_backlog(queue.clone(), shutdown.clone());
    super::webhook::serve(listener, queue, job.webhook, job.tls.as_ref(), shutdown).await?;
    Ok(())
}
