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
