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
use lapin::{BasicProperties, Connection, ConnectionProperties};
use millrace::record::{Metric, WorkOrder};
use std::time::Instant;
use tokio_stream::StreamExt;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = &args[1];
    let url = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let batch: usize = args.get(3).and_then(|b| b.parse().ok()).unwrap_or(5000);
    let metrics: Vec<Metric> =
        serde_json::from_slice(&std::fs::read(format!("{data}/metrics.json")).unwrap()).unwrap();
    let orders: Vec<WorkOrder> =
        serde_json::from_slice(&std::fs::read(format!("{data}/workorder.json")).unwrap()).unwrap();
    let mut bodies: Vec<(Vec<u8>, usize)> = metrics
        .chunks(batch)
        .map(|c| (serde_json::to_vec(c).unwrap(), c.len()))
        .collect();
    bodies.extend(
        orders
            .chunks(batch)
            .map(|c| (serde_json::to_vec(c).unwrap(), c.len())),
    );
    let records: usize = bodies.iter().map(|b| b.1).sum();

    let conn = Connection::connect(&url, ConnectionProperties::default())
        .await
        .unwrap();
    let queue = format!("bench-bare-{}", std::process::id());
    let publisher = conn.create_channel().await.unwrap();
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    publisher
        .queue_declare(
            queue.as_str().into(),
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
    let consumer_channel = conn.create_channel().await.unwrap();
    consumer_channel
        .basic_qos(256, BasicQosOptions::default())
        .await
        .unwrap();
    let mut consumer = consumer_channel
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    let started = Instant::now();
    let expected = bodies.len();
    let consume = tokio::spawn(async move {
        let mut seen = 0;
        while seen < expected {
            let delivery = consumer.next().await.unwrap().unwrap();
            delivery.ack(BasicAckOptions::default()).await.unwrap();
            seen += 1;
        }
    });
    // Publish with up to 64 confirms outstanding, like concurrent webhook requests.
    let mut pending = std::collections::VecDeque::new();
    for (body, _) in &bodies {
        let confirm = publisher
            .basic_publish(
                "".into(),
                queue.as_str().into(),
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
