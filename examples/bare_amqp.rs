//! The RabbitMQ ceiling for `bench/pipeline.sh`: the same batches (JSON arrays of the data's
//! records, 5,000 per message) published persistent with confirms to a quorum queue, and
//! consumed and acknowledged, with nothing else — no HTTP, no validation, no store.
//!
//!     cargo run --release --example bare_amqp -- DATA_DIR [AMQP_URL] [BATCH]
//!
//! Prints `RESULT records=… seconds=… records_per_s=…`.

use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer};
use millrace::record::{Metric, WorkOrder};
use std::time::Instant;
use tokio_stream::StreamExt;

/// A batch as published: its JSON body and how many records it holds.
type Body = (Vec<u8>, usize);

/// The data's records as message bodies of `batch` records each, metrics then work orders,
/// serialised before the clock starts so the run times only the broker.
fn load_bodies(data: &str, batch: usize) -> Vec<Body> {
    let metrics: Vec<Metric> =
        serde_json::from_slice(&std::fs::read(format!("{data}/metrics.json")).unwrap()).unwrap();
    let orders: Vec<WorkOrder> =
        serde_json::from_slice(&std::fs::read(format!("{data}/workorder.json")).unwrap()).unwrap();
    let mut bodies: Vec<Body> = metrics
        .chunks(batch)
        .map(|c| (serde_json::to_vec(c).unwrap(), c.len()))
        .collect();
    bodies.extend(
        orders
            .chunks(batch)
            .map(|c| (serde_json::to_vec(c).unwrap(), c.len())),
    );
    bodies
}

/// Declares the durable quorum queue the pipeline uses and gives a channel on it with
/// publisher confirms on, so that each publish is measured until the broker has it.
async fn declare_publisher(conn: &Connection, queue: &str) -> Channel {
    let publisher = conn.create_channel().await.unwrap();
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    publisher
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..Default::default()
            },
            args,
        )
        .await
        .unwrap();
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    publisher
}

/// A consumer on `queue`, on a channel of its own with up to 256 unacknowledged deliveries.
async fn start_consumer(conn: &Connection, queue: &str) -> Consumer {
    let consumer_channel = conn.create_channel().await.unwrap();
    consumer_channel
        .basic_qos(256, BasicQosOptions::default())
        .await
        .unwrap();
    consumer_channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap()
}

/// Acknowledges `expected` deliveries one by one, as the consumer would after storing them.
async fn drain(mut consumer: Consumer, expected: usize) {
    let mut seen = 0;
    while seen < expected {
        let delivery = consumer.next().await.unwrap().unwrap();
        delivery.ack(BasicAckOptions::default()).await.unwrap();
        seen += 1;
    }
}

/// Publishes every body persistent and checks every confirm is an ack. Up to 64 confirms are
/// outstanding, like concurrent webhook requests.
async fn publish_all(publisher: &Channel, queue: &str, bodies: &[Body]) {
    let mut pending = std::collections::VecDeque::new();
    for (body, _) in bodies {
        let confirm = publisher
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                body,
                BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .unwrap();
        pending.push_back(confirm);
        if pending.len() >= 64 {
            assert!(pending.pop_front().unwrap().await.unwrap().is_ack());
        }
    }
    for confirm in pending {
        assert!(confirm.await.unwrap().is_ack());
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = &args[1];
    let url = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let batch: usize = args.get(3).and_then(|b| b.parse().ok()).unwrap_or(5000);
    let bodies = load_bodies(data, batch);
    let records: usize = bodies.iter().map(|b| b.1).sum();

    let conn = Connection::connect(&url, ConnectionProperties::default())
        .await
        .unwrap();
    let queue = format!("bench-bare-{}", std::process::id());
    let publisher = declare_publisher(&conn, &queue).await;
    let consumer = start_consumer(&conn, &queue).await;

    let started = Instant::now();
    let consume = tokio::spawn(drain(consumer, bodies.len()));
    publish_all(&publisher, &queue, &bodies).await;
    consume.await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "RESULT records={records} seconds={seconds:.3} records_per_s={:.0}",
        records as f64 / seconds
    );
    // Best effort: an empty bench queue left behind is harmless.
    let _ = publisher
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
}
