//! `millrace mqtt`: the MQTT subscriber as a process of its own.

use crate::mqtt::MqttConfig;
use crate::queue::Broker;
use crate::support::shutdown::Shutdown;

/// `millrace mqtt`, resolved.
pub struct MqttJob {
    /// The broker, topics and limits.
    pub mqtt: MqttConfig,
    /// The queue it publishes to.
    pub broker: Broker,
    /// Where Prometheus metrics are served, if anywhere.
    pub metrics_listen: Option<String>,
}

/// Subscribes until `shutdown`.
pub async fn start(job: MqttJob, shutdown: Shutdown) -> anyhow::Result<()> {
    let queue = job.broker.open().await?;
    crate::metrics::server::expose(job.metrics_listen, &queue, &shutdown).await?;
    crate::mqtt::subscribe(job.mqtt, queue, shutdown).await?;
    Ok(())
}
