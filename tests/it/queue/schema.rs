//! The queue's message schemas: millrace publishes packed bodies (schema 2), and a queue
//! still holding JSON bodies (schema 1: what the previous release wrote, and what other tools
//! may publish) is consumed after an upgrade with nothing lost, on the embedded queue and on
//! RabbitMQ.

use crate::common;

use common::services::{Queues, amqp, broker_up};
use common::*;
use lapin::BasicProperties;
use lapin::options::{BasicGetOptions, BasicPublishOptions};
use lapin::types::{AMQPValue, FieldTable};
use millrace::codec::is_packed;
use millrace::queue::{EmbeddedQueue, EmbeddedQueueConfig, Envelope, Queue};
use millrace::record::StreamKind;
use std::path::Path;
use std::time::Duration;

/// Three metrics as the previous release queued them: a compact JSON array.
const SCHEMA_1_BODY: &[u8] = br#"[{"id":901,"val":0.1,"time":1700000000},{"id":901,"val":-2.5e-7,"time":1700000060},{"id":902,"val":3.5,"time":1700000120}]"#;

/// The rows those three metrics must be stored as, bit for bit.
fn schema_1_rows() -> Vec<MetricRow> {
    vec![
        (901, 0.1f64.to_bits(), 1_700_000_000),
        (901, (-2.5e-7f64).to_bits(), 1_700_000_060),
        (902, 3.5f64.to_bits(), 1_700_000_120),
    ]
}

/// Two metrics posted to the webhook, which queues them packed.
const POSTED: &str = r#"[{"id": 7, "val": 797.38, "time": 1624377478}, {"id": 8, "val": 1e300, "time": 1624377479}]"#;

fn posted_rows() -> Vec<MetricRow> {
    vec![
        (7, 797.38f64.to_bits(), 1_624_377_478),
        (8, 1e300f64.to_bits(), 1_624_377_479),
    ]
}

fn post(port: u16, body: &str) {
    let headers = "Millrace-Source: schema-test\r\nMillrace-Seq: 0\r\n";
    let request = http::request("POST", "/metrics_webhook", headers, body);
    let answer = http::exchange(port, &request).expect("the webhook answers");
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
}

/// What the consumer must have stored: both batches, exactly.
fn assert_stored_both(db: &Path) {
    wait_for_counts(db, (5, 0), Duration::from_secs(60));
    let mut want = schema_1_rows();
    want.extend(posted_rows());
    want.sort();
    assert_eq!(stored_metrics(db), want);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queue_of_json_bodies_is_consumed_after_the_upgrade_beside_packed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let mut serve = stage.serve();
    // A message the previous release left on the queue: same table, JSON body.
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(
        dir.path().join(".millrace/queue.db"),
    ))
    .unwrap();
    queue
        .publish(Envelope {
            id: "from-the-previous-release".into(),
            stream: StreamKind::Metrics,
            source: Some("previous-release".into()),
            first_seq: 0,
            count: 3,
            body: SCHEMA_1_BODY.to_vec(),
        })
        .await
        .unwrap();
    post(stage.port, POSTED);
    serve.kill();

    let bodies = queued_bodies(dir.path());
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], SCHEMA_1_BODY);
    assert!(is_packed(&bodies[1]), "the webhook queues packed bodies");
    assert_eq!(bodies[1].len(), 12 + 2 * 24);

    let _consume = stage.consume();
    assert_stored_both(&dir.path().join("millrace.db"));
    wait_until(Duration::from_secs(30), "the queue emptied", || {
        queued(dir.path()) == 0
    });
}

#[test]
fn rabbitmq_messages_of_either_schema_are_consumed() {
    let _serial = serial::services();
    if !broker_up("rabbitmq_messages_of_either_schema_are_consumed") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let queues = Queues::new();
    let mut stage = Stage::new(dir.path());
    stage.queue_args = queues.args();
    let mut serve = stage.serve(); // declares the queues
    let target = queues.metrics();
    // Published with the properties the previous release gave its messages.
    amqp(|conn| async move {
        let ch = conn.create_channel().await.unwrap();
        ch.confirm_select(Default::default()).await.unwrap();
        let mut headers = FieldTable::default();
        headers.insert(
            "millrace-stream".into(),
            AMQPValue::LongString("metrics".into()),
        );
        headers.insert("millrace-count".into(), AMQPValue::LongLongInt(3));
        headers.insert("millrace-schema".into(), AMQPValue::LongInt(1));
        headers.insert(
            "millrace-source".into(),
            AMQPValue::LongString("previous-release".into()),
        );
        headers.insert("millrace-seq".into(), AMQPValue::LongLongInt(0));
        ch.basic_publish(
            "".into(),
            target.as_str().into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            SCHEMA_1_BODY,
            BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type("application/json".into())
                .with_message_id("from-the-previous-release".into())
                .with_headers(headers),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    });
    post(stage.port, POSTED);
    serve.kill();

    // Look at both (without acknowledging, so they go back), then consume them.
    let target = queues.metrics();
    let seen = amqp(|conn| async move {
        let ch = conn.create_channel().await.unwrap();
        let mut seen = Vec::new();
        for _ in 0..2 {
            let got = ch
                .basic_get(target.as_str().into(), BasicGetOptions { no_ack: false })
                .await
                .unwrap()
                .expect("a message");
            let props = &got.delivery.properties;
            let schema = props
                .headers()
                .as_ref()
                .and_then(|h| h.inner().get("millrace-schema").cloned());
            let content_type = props.content_type().as_ref().map(|c| c.to_string());
            seen.push((got.delivery.data.clone(), schema, content_type));
        }
        ch.close(200, "seen".into()).await.unwrap();
        seen
    });
    assert_eq!(seen[0].0, SCHEMA_1_BODY);
    assert!(is_packed(&seen[1].0), "the webhook publishes packed bodies");
    assert_eq!(seen[1].1, Some(AMQPValue::LongInt(2)));
    assert_eq!(seen[1].2.as_deref(), Some("application/vnd.millrace.batch"));

    let _consume = stage.consume();
    assert_stored_both(&dir.path().join("millrace.db"));
}

/// The queue's bodies in `dir`, oldest first.
fn queued_bodies(dir: &Path) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(dir.join(".millrace/queue.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT body FROM messages WHERE queue = 'metrics' ORDER BY tag")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn queue_format_json_writes_schema_1_for_other_readers() {
    // By flag, and by the settings file.
    for (args, toml) in [
        (vec!["--queue-format", "json"], None),
        (vec![], Some("queue_format = \"json\"\n")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        if let Some(toml) = toml {
            std::fs::write(dir.path().join("millrace.toml"), toml).unwrap();
        }
        let mut stage = Stage::new(dir.path());
        stage.queue_args = args.iter().map(|a| a.to_string()).collect();
        let mut serve = stage.serve();
        post(stage.port, POSTED);
        serve.kill();
        let bodies = queued_bodies(dir.path());
        assert_eq!(bodies.len(), 1);
        let records: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap();
        assert_eq!(records[0]["val"], 797.38, "{records}");
        assert_eq!(records.as_array().unwrap().len(), 2);
        let _consume = stage.consume();
        wait_for_counts(
            &dir.path().join("millrace.db"),
            (2, 0),
            Duration::from_secs(60),
        );
        let mut want = posted_rows();
        want.sort();
        assert_eq!(stored_metrics(&dir.path().join("millrace.db")), want);
    }
}

#[test]
fn an_unknown_queue_format_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = millrace(dir.path())
        .args(["serve", "--queue-format", "xml"])
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    let told = String::from_utf8_lossy(&out.stderr);
    assert!(told.contains("packed") && told.contains("json"), "{told}");
}
