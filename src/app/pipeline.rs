//! The pipeline in one process: a webhook and a consumer per stream on one queue and one
//! store, which `run` and `run --follow` stream the data files through over real HTTP,
//! exactly as separate processes would.

use super::consumers::Opening;
use super::pipeline_error::PipelineError;
use crate::consumer::{ConsumerStats, Running};
use crate::queue::Queue;
use crate::record::StreamKind;
use crate::store::StoreLocation;
use crate::support::shutdown::{self, Shutdown, Trigger};
use crate::webhook::WebhookConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How long [`Pipeline::drain`] waits before it says what it waits for, and again after.
const TELL_WAIT_AFTER: Duration = Duration::from_secs(5);

/// A running webhook with its consumers, all in this process.
pub struct Pipeline<Q: Queue> {
    /// Where the webhook listens.
    pub addr: SocketAddr,
    queue: Q,
    consumers: Vec<Running>,
    server: JoinHandle<std::io::Result<()>>,
    trigger: Trigger,
}

impl<Q: Queue> Pipeline<Q> {
    /// Starts one consumer per stream and the webhook on `listen` (port 0 picks a free
    /// one), in this process.
    pub async fn start(
        db: &StoreLocation,
        queue: Q,
        webhook: WebhookConfig,
        listen: &str,
    ) -> Result<Pipeline<Q>, PipelineError> {
        let (trigger, stop) = shutdown::channel();
        let consumers = super::consumers::start(db, &queue, &StreamKind::ALL, Opening::Once, &stop)
            .await?
            .unwrap_or_default();
        let listener = super::listen::bind(listen, "").await?;
        let addr = listener
            .local_addr()
            .map_err(|source| PipelineError::Server {
                what: "webhook",
                source,
            })?;
        let server = tokio::spawn(super::webhook::serve(
            listener,
            queue.clone(),
            webhook,
            None,
            stop,
        ));
        Ok(Pipeline {
            addr,
            queue,
            consumers,
            server,
            trigger,
        })
    }

    /// Waits until the consumers settled (stored or set aside) at least `sent` records of
    /// each stream and nothing is left in the queue or in their hands, or until `shutdown`.
    ///
    /// Both conditions matter: RabbitMQ does not count messages already handed to a
    /// consumer, and a queue may hold messages from before this run.
    pub async fn drain(
        &self,
        sent: &[(StreamKind, u64)],
        shutdown: &Shutdown,
    ) -> Result<(), PipelineError> {
        let mut tell_at = Instant::now() + TELL_WAIT_AFTER;
        loop {
            if Instant::now() >= tell_at {
                self.tell_wait(sent).await?;
                tell_at = Instant::now() + TELL_WAIT_AFTER;
            }
            let mut done = true;
            for Running { kind, stats, task } in &self.consumers {
                // A consumer that stopped early met a fault no retry heals: `stop` says which.
                if task.is_finished() {
                    return Ok(());
                }
                let want = sent.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n);
                // The counters first: asking the queue costs a query, so it is asked only
                // once they say the stream may be done, and polling can be quick.
                done = done
                    && stats.settled.load(Ordering::Relaxed) >= want
                    && stats.in_hand.load(Ordering::Relaxed) == 0
                    && self.queue.pending(*kind).await? == 0;
            }
            if done || shutdown.is_triggered() {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                _ = shutdown.wait() => {}
            }
        }
    }

    /// Says what [`Pipeline::drain`] is waiting for, so that a run is never silent.
    async fn tell_wait(&self, sent: &[(StreamKind, u64)]) -> Result<(), PipelineError> {
        let mut left = Vec::new();
        for Running { kind, stats, .. } in &self.consumers {
            let want = sent.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n);
            let settled = stats.settled.load(Ordering::Relaxed);
            let queued = self.queue.pending(*kind).await?;
            left.push(format!(
                "{kind} {settled} of {want} records settled, {queued} messages queued"
            ));
        }
        tracing::info!(
            "waiting for the consumers to store what was sent: {} (Ctrl-C stops; what is queued stays for the next run)",
            left.join("; ")
        );
        Ok(())
    }

    /// Stops the webhook and the consumers after the work in hand.
    pub async fn stop(self) -> Result<Vec<(StreamKind, Arc<ConsumerStats>)>, PipelineError> {
        self.trigger.fire();
        self.server.await?.map_err(|source| PipelineError::Server {
            what: "webhook",
            source,
        })?;
        let mut out = Vec::new();
        for Running { kind, stats, task } in self.consumers {
            task.await??;
            out.push((kind, stats));
        }
        Ok(out)
    }
}
