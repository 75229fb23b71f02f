//! Opening a connection to RabbitMQ with the queues declared: what the publisher and every
//! consumer do first, so it lives beside them rather than in either.

use super::{AmqpConfig, TopologyError, declare};
use lapin::{Connection, ConnectionProperties};

/// Why a link could not be opened.
#[derive(Debug, thiserror::Error)]
pub(super) enum LinkError {
    #[error("cannot connect")]
    Connect(#[source] lapin::Error),
    #[error(transparent)]
    Topology(#[from] TopologyError),
}

/// Connects to the broker and declares the queues.
pub(super) async fn connect(config: &AmqpConfig, name: &str) -> Result<Connection, LinkError> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    let connection = Connection::connect(&config.uri, properties)
        .await
        .map_err(LinkError::Connect)?;
    declare(&connection, config).await?;
    Ok(connection)
}

/// RabbitMQ cannot be used at start-up: what `run` says at once rather than retrying, as a
/// one-shot run has nobody waiting for a broker to come back.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Nothing answered in time.
    #[error(
        "RabbitMQ at {broker} did not answer within {} s: check that it is running and reachable from this machine, and that --broker names the right host and port",
        within.as_secs()
    )]
    TimedOut {
        /// The broker, without its password.
        broker: String,
        /// How long it was given.
        within: std::time::Duration,
    },
    /// The connection or the queues' declaration failed.
    #[error(
        "cannot use RabbitMQ at {broker}: check that it is running, that --broker names the right host, port and virtual host, and that its user name and password are right"
    )]
    Failed {
        /// The broker, without its password.
        broker: String,
        /// What the client or the broker said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A queue exists with other settings, which its own message says how to fix.
    #[error(transparent)]
    Topology(TopologyError),
}

/// Connects once, declares the queues and closes again, giving up after `within`.
pub async fn probe(config: &AmqpConfig, within: std::time::Duration) -> Result<(), ProbeError> {
    let broker = config.redacted_uri();
    match tokio::time::timeout(within, connect(config, "millrace-probe")).await {
        Err(_) => Err(ProbeError::TimedOut { broker, within }),
        Ok(Err(LinkError::Topology(e @ TopologyError::Mismatch { .. }))) => {
            Err(ProbeError::Topology(e))
        }
        Ok(Err(e)) => Err(ProbeError::Failed {
            broker,
            source: Box::new(e),
        }),
        Ok(Ok(connection)) => {
            let _ = connection.close(200, "probe done".into()).await;
            Ok(())
        }
    }
}
