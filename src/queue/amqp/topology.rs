//! Declaring the queues, idempotently, and explaining a clash with what already exists.

use super::AmqpConfig;
use crate::record::StreamKind;
use lapin::options::QueueDeclareOptions;
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ErrorKind};

/// How many times the broker hands a message out before it dead-letters it by itself; a
/// backstop behind the consumer's own limit, for messages that crash every consumer.
const DELIVERY_LIMIT: i32 = 10;

/// Why the queues could not be declared.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// The queue exists with other settings; declaring cannot fix that, an operator must.
    #[error(
        "the RabbitMQ queue `{queue}` already exists with other settings: delete it (rabbitmqctl delete_queue {queue}) or choose other queue names (--metrics-queue, --workorder-queue)"
    )]
    Mismatch {
        /// The queue's name.
        queue: String,
        /// The broker's refusal, whose own words say what differs.
        #[source]
        source: lapin::Error,
    },
    /// Declaring failed for another reason, such as a lost connection or a missing permission.
    #[error("cannot declare the RabbitMQ queue `{queue}`")]
    Failed {
        /// The queue's name.
        queue: String,
        /// The broker's or the client's error.
        #[source]
        source: lapin::Error,
    },
}

/// The arguments of a stream's queue: quorum type, and dead letters to `<queue>.dead`.
fn arguments(config: &AmqpConfig, stream: StreamKind) -> FieldTable {
    let mut args = quorum();
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString("".into()),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(config.dead_queue(stream).into()),
    );
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongInt(DELIVERY_LIMIT),
    );
    args
}

fn quorum() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    args
}

/// Declares every queue millrace uses (both streams and their dead letters). Declaring what
/// exists with the same settings is a no-op; each declare runs on its own channel, because a
/// refused declare closes the channel it ran on.
pub async fn declare(connection: &Connection, config: &AmqpConfig) -> Result<(), TopologyError> {
    for stream in StreamKind::ALL {
        declare_one(connection, &config.dead_queue(stream), quorum()).await?;
        declare_one(connection, config.queue(stream), arguments(config, stream)).await?;
    }
    Ok(())
}

async fn declare_one(
    connection: &Connection,
    queue: &str,
    args: FieldTable,
) -> Result<(), TopologyError> {
    let failed = |e: lapin::Error| match e.kind() {
        ErrorKind::ProtocolError(amqp) if amqp.get_id() == 406 => TopologyError::Mismatch {
            queue: queue.to_string(),
            source: e,
        },
        _ => TopologyError::Failed {
            queue: queue.to_string(),
            source: e,
        },
    };
    let channel = connection.create_channel().await.map_err(failed)?;
    let options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(queue.into(), options, args)
        .await
        .map_err(failed)?;
    let _ = channel.close(200, "declared".into()).await;
    Ok(())
}
