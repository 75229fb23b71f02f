//! `millrace dead-letters list|requeue|drop` and the counts `millrace status` shows for
//! them, on the embedded queue and on RabbitMQ: a dead letter is listed with its reason,
//! requeued records are stored exactly once — even when the requeue runs twice, or a crash
//! left a copy on the queue as well as in the dead-letter place — and dropped ones are gone.

mod common;

use common::services::{BROKER, Queues, broker_up};
use common::*;
use millrace::queue::{AmqpConfig, AmqpQueue, EmbeddedQueue, EmbeddedQueueConfig, Envelope, Queue};
use millrace::record::StreamKind;
use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// A valid batch of three metrics, from a source of its own: what a consumer stores once its
/// cause is fixed.
fn batch(id: &str) -> Envelope {
    let body = br#"[{"id": 901, "val": 1.5, "time": 1700000000}, {"id": 901, "val": 2.5, "time": 1700000060}, {"id": 902, "val": 3.5, "time": 1700000120}]"#;
    Envelope {
        id: id.into(),
        stream: StreamKind::Metrics,
        source: Some(format!("dead-letter-test-{id}")),
        first_seq: 0,
        count: 3,
        body: body.to_vec(),
    }
}

fn status(dir: &Path, extra: &[String]) -> Value {
    let out = run_ok(millrace(dir).args(["status", "--json"]).args(extra));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn dead_letters(dir: &Path, args: &[&str], extra: &[String]) -> Output {
    millrace(dir)
        .arg("dead-letters")
        .args(args)
        .args(extra)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed with {}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `consume all` until the store holds `rows` metrics and nothing is left on the
/// metrics queue (RabbitMQ counts only messages ready, so a message a stopped consumer had
/// in hand comes back, and is consumed in another round).
fn consume_until_drained(dir: &Path, extra: &[String], rows: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut consumer = Proc::spawn(millrace(dir).args(["consume", "all"]).args(extra));
        loop {
            let doc = status(dir, extra);
            let metrics = &doc["streams"]["metrics"];
            if metrics["queued"] == 0 && metrics["rows"].as_u64() >= Some(rows) {
                break;
            }
            assert!(Instant::now() < deadline, "the queue never drained: {doc}");
            std::thread::sleep(Duration::from_millis(100));
        }
        consumer.kill();
        if status(dir, extra)["streams"]["metrics"]["queued"] == 0 {
            return;
        }
    }
}

/// The same story on either queue: a dead letter is counted, listed with its reason,
/// requeued (twice, and with a stray copy already on the queue, as a crash between
/// re-publishing and removing leaves it), stored exactly once, and a dropped one is gone.
async fn story<Q: Queue>(dir: &Path, queue: &Q, extra: &[String], stored_before: (u64, u64)) {
    listed_with_its_reason(dir, queue, extra, stored_before).await;
    requeued_and_stored_once(dir, queue, extra, stored_before.0).await;
    dropped_by_id_then_all(dir, queue, extra, stored_before.0 + 3).await;
}

/// A dead letter is counted by `status` and listed with its reason, and stays where it is.
async fn listed_with_its_reason<Q: Queue>(
    dir: &Path,
    queue: &Q,
    extra: &[String],
    stored_before: (u64, u64),
) {
    queue
        .publish_dead_letter(batch("dl-one"), "the store refused it (test)".into())
        .await
        .unwrap();
    let doc = status(dir, extra);
    assert_eq!(doc["streams"]["metrics"]["dead_letters"], 1);
    assert_eq!(doc["streams"]["workorder"]["dead_letters"], 0);
    assert_eq!(doc["streams"]["metrics"]["rows"], stored_before.0);
    assert_eq!(doc["streams"]["workorder"]["rows"], stored_before.1);

    let listed = ok(dead_letters(dir, &["list"], extra));
    assert!(listed.contains("dl-one"), "{listed}");
    assert!(listed.contains("the store refused it (test)"), "{listed}");
    assert!(listed.contains("3 records"), "{listed}");
    assert!(listed.contains("s ago"), "{listed}");
    let json: Value =
        serde_json::from_str(&ok(dead_letters(dir, &["list", "--json"], extra))).unwrap();
    assert_eq!(json[0]["id"], "dl-one");
    assert_eq!(json[0]["stream"], "metrics");
    assert_eq!(json[0]["records"], 3);
    assert_eq!(
        status(dir, extra)["streams"]["metrics"]["dead_letters"],
        1,
        "listing leaves the dead letter where it is"
    );
}

/// Requeued twice, with a stray copy on the queue as well, its records are stored once.
async fn requeued_and_stored_once<Q: Queue>(dir: &Path, queue: &Q, extra: &[String], rows: u64) {
    // A crash between re-publishing and removing leaves a copy on the queue too.
    queue.publish(batch("dl-one")).await.unwrap();
    let requeued = ok(dead_letters(
        dir,
        &["requeue", "--stream", "metrics"],
        extra,
    ));
    assert!(
        requeued.contains("metrics: 1 dead letters put back"),
        "{requeued}"
    );
    let again = ok(dead_letters(dir, &["requeue"], extra));
    assert!(again.contains("no dead letters"), "{again}");
    let doc = status(dir, extra);
    assert_eq!(doc["streams"]["metrics"]["dead_letters"], 0);
    assert_eq!(doc["streams"]["metrics"]["queued"], 2);

    consume_until_drained(dir, extra, rows + 3);
    let doc = status(dir, extra);
    assert_eq!(
        doc["streams"]["metrics"]["rows"],
        rows + 3,
        "requeued records stored exactly once"
    );
    assert_eq!(
        doc["streams"]["metrics"]["newest_unix"], 1_700_000_120,
        "the requeued batch holds the newest metric"
    );
}

/// `drop` wants --id or --all, drops only what it is told, and an unknown id is an error.
async fn dropped_by_id_then_all<Q: Queue>(dir: &Path, queue: &Q, extra: &[String], rows: u64) {
    for id in ["dl-two", "dl-three"] {
        queue
            .publish_dead_letter(batch(id), "not wanted (test)".into())
            .await
            .unwrap();
    }
    let refused = dead_letters(dir, &["drop"], extra);
    assert_eq!(refused.status.code(), Some(2), "drop without --id or --all");
    let unknown = dead_letters(dir, &["drop", "--id", "no-such-letter"], extra);
    assert_eq!(unknown.status.code(), Some(1));
    let dropped = ok(dead_letters(dir, &["drop", "--id", "dl-two"], extra));
    assert!(
        dropped.contains("metrics: 1 dead letters dropped"),
        "{dropped}"
    );
    let left = ok(dead_letters(dir, &["list"], extra));
    assert!(
        left.contains("dl-three") && !left.contains("dl-two"),
        "{left}"
    );
    let dropped = ok(dead_letters(
        dir,
        &["drop", "--all", "--stream", "metrics"],
        extra,
    ));
    assert!(
        dropped.contains("metrics: 1 dead letters dropped"),
        "{dropped}"
    );
    let doc = status(dir, extra);
    assert_eq!(doc["streams"]["metrics"]["dead_letters"], 0);
    assert_eq!(doc["streams"]["metrics"]["queued"], 0);
    assert_eq!(doc["streams"]["metrics"]["rows"], rows);
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_listed_requeued_once_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--report-dir", "out", "--data"])
            .arg(sample_dir()),
    );
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(
        dir.path().join(".millrace/queue.db"),
    ))
    .unwrap();
    story(dir.path(), &queue, &[], SAMPLE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_listed_requeued_once_and_dropped_on_rabbitmq() {
    if !broker_up("dead_letters_are_listed_requeued_once_and_dropped_on_rabbitmq") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let queues = Queues::new();
    let mut config = AmqpConfig::new(BROKER);
    config.metrics_queue = queues.metrics();
    config.workorder_queue = queues.workorder();
    let queue = AmqpQueue::connect(config).await.unwrap();
    let extra = queues.args();
    let doc = status(dir.path(), &extra);
    assert_eq!(doc["queue"]["kind"], "rabbitmq");
    assert!(
        !doc["queue"]["location"]
            .as_str()
            .unwrap()
            .contains("guest:guest")
    );
    story(dir.path(), &queue, &extra, (0, 0)).await;
}
