//! `millrace consume`: consumers as a process of their own.

use super::consumers::{Opening, start as start_consumers};
use crate::queue::Broker;
use crate::record::StreamKind;
use crate::store::StoreLocation;
use crate::support::shutdown::Shutdown;

/// `millrace consume`, resolved.
pub struct ConsumeJob {
    /// The streams to consume.
    pub kinds: Vec<StreamKind>,
    /// The store to write.
    pub db: StoreLocation,
    /// The queue to read.
    pub broker: Broker,
    /// Where Prometheus metrics are served, if anywhere.
    pub metrics_listen: Option<String>,
    /// Raw readings pruned on a schedule, if asked.
    pub pruning: Option<super::retention::Pruning>,
}

/// Consumes until `shutdown`, then settles the work in hand.
pub async fn start(job: ConsumeJob, shutdown: Shutdown) -> anyhow::Result<()> {
    let queue = job.broker.open().await?;
    crate::metrics::server::expose(job.metrics_listen, &queue, &shutdown).await?;
    let started = start_consumers(&job.db, &queue, &job.kinds, Opening::Patient, &shutdown).await?;
    let Some(running) = started else {
        return Ok(());
    };
    for consumer in &running {
        crate::consumer::progress::spawn(consumer.kind, consumer.stats.clone(), shutdown.clone());
    }
    super::folding::spawn(job.db.clone(), shutdown.clone());
    if let Some(pruning) = job.pruning {
        super::retention::spawn(job.db.clone(), pruning, shutdown.clone());
    }
    for consumer in running {
        consumer.task.await??;
    }
    Ok(())
}
