//! `millrace dead-letters list|requeue|drop` and the counts `millrace status` shows for
//! them, on the embedded queue and on RabbitMQ: a dead letter is listed with its reason,
//! requeued records are stored exactly once — even when the requeue runs twice, or a crash
//! left a copy on the queue as well as in the dead-letter place — and dropped ones are gone.

use crate::common;

use common::services::{BROKER, Queues, broker_up};
use common::*;
use millrace::queue::{AmqpConfig, AmqpQueue, EmbeddedQueue, EmbeddedQueueConfig, Envelope, Queue};
use millrace::record::StreamKind;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
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

/// `millrace dead-letters ARGS` in `dir`, on the queue `extra` chooses.
fn dead_letters(dir: &Path, args: &[&str], extra: &[String]) -> Command {
    let mut cmd = millrace(dir);
    cmd.arg("dead-letters").args(args).args(extra);
    cmd
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

    let shown = run_ok(millrace(dir).arg("status").args(extra));
    assert!(
        shown.contains("\n1 dead letter: see it with `millrace dead-letters list`"),
        "{shown}"
    );
    let listed = run_ok(&mut dead_letters(dir, &["list"], extra));
    assert!(listed.contains("dl-one"), "{listed}");
    assert_eq!(listed.lines().last(), Some("1 dead letter"), "{listed}");
    // The body as the JSON it is: no escaped quotes.
    assert!(
        listed.contains(r#"    [{"id": 901, "val": 1.5, "time": 1700000000}, {"id": 901,"#),
        "{listed}"
    );
    assert!(listed.contains("the store refused it (test)"), "{listed}");
    assert!(listed.contains("3 records"), "{listed}");
    assert!(listed.contains("s ago"), "{listed}");
    let json: Value =
        serde_json::from_str(&run_ok(&mut dead_letters(dir, &["list", "--json"], extra))).unwrap();
    assert_eq!(json[0]["id"], "dl-one");
    assert_eq!(json[0]["stream"], "metrics");
    assert_eq!(json[0]["records"], 3);
    assert!(
        json[0]["first_bytes"]
            .as_str()
            .unwrap()
            .starts_with(r#"[{"id": 901, "val": 1.5"#),
        "{json}"
    );
    assert_eq!(json[0]["first_bytes_format"], "json");
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
    let requeued = run_ok(&mut dead_letters(
        dir,
        &["requeue", "--stream", "metrics"],
        extra,
    ));
    assert!(
        requeued.contains("metrics: 1 dead letter put back"),
        "{requeued}"
    );
    let again = run_ok(&mut dead_letters(dir, &["requeue"], extra));
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
    let refused = dead_letters(dir, &["drop"], extra).output_bounded();
    assert_eq!(refused.status.code(), Some(2), "drop without --id or --all");
    let unknown = dead_letters(dir, &["drop", "--id", "no-such-letter"], extra).output_bounded();
    assert_eq!(unknown.status.code(), Some(1));
    let dropped = run_ok(&mut dead_letters(dir, &["drop", "--id", "dl-two"], extra));
    assert!(
        dropped.contains("metrics: 1 dead letter dropped"),
        "{dropped}"
    );
    let left = run_ok(&mut dead_letters(dir, &["list"], extra));
    assert!(
        left.contains("dl-three") && !left.contains("dl-two"),
        "{left}"
    );
    let dropped = run_ok(&mut dead_letters(
        dir,
        &["drop", "--all", "--stream", "metrics"],
        extra,
    ));
    assert!(
        dropped.contains("metrics: 1 dead letter dropped"),
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
            .arg(data_dir()),
    );
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(
        dir.path().join(".millrace/queue.db"),
    ))
    .unwrap();
    story(dir.path(), &queue, &[], DATA).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_listed_requeued_once_and_dropped_on_rabbitmq() {
    let _serial = serial::services_async().await;
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

/// The metrics topic the requeue story publishes on.
const TOPIC: &str = "requeue/line1/metrics";
/// A payload that is no metrics batch (the one in issue 22): set aside by `millrace mqtt`.
const BAD: &[u8] = br#"{"id": 3, "val": "hot", "time": 1700000000}"#;
/// Three valid metrics in one payload: over a `max_batch_records` of 2, within one of 10.
const OVER: &[u8] = br#"[{"id": 801, "val": 1.5, "time": 1700000000}, {"id": 801, "val": 2.5, "time": 1700000060}, {"id": 801, "val": 3.5, "time": 1700000120}]"#;
/// One valid metric, which the store refuses until the consumers give up on it.
const REFUSED: &[u8] = br#"{"id": 802, "val": 0.5, "time": 1700000300}"#;

/// `dead-letters list --json` in `dir`.
fn letters(dir: &Path, extra: &[String]) -> Vec<Value> {
    let listed: Value =
        serde_json::from_str(&run_ok(&mut dead_letters(dir, &["list", "--json"], extra))).unwrap();
    listed.as_array().unwrap().clone()
}

/// The reason of the one listed letter whose body shows `needle`.
fn reason_of(letters: &[Value], needle: &str) -> String {
    let found: Vec<&Value> = letters
        .iter()
        .filter(|l| l["first_bytes"].as_str().unwrap().contains(needle))
        .collect();
    assert_eq!(found.len(), 1, "one letter holds {needle}: {letters:?}");
    found[0]["reason"].as_str().unwrap().to_string()
}

/// Waits until `n` dead letters are listed.
fn wait_for_letters(dir: &Path, extra: &[String], n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = letters(dir, extra);
        if listed.len() >= n {
            return listed;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} letters: {listed:?}",
            listed.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Makes the store in `dir` and has it refuse every metric from now on, as a full disk or a
/// revoked permission would, until [`accept_writes`].
fn refuse_writes(dir: &Path, extra: &[String]) {
    let db = dir.join("millrace.db");
    let mut consumer = Proc::spawn(millrace(dir).args(["consume", "all"]).args(extra));
    let deadline = Instant::now() + Duration::from_secs(30);
    while counts_table(&db).is_none() {
        assert!(Instant::now() < deadline, "consume never made the store");
        std::thread::sleep(Duration::from_millis(50));
    }
    consumer.kill();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON metrics
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        )
        .unwrap();
}

fn accept_writes(dir: &Path) {
    rusqlite::Connection::open(dir.join("millrace.db"))
        .unwrap()
        .execute_batch("DROP TRIGGER refuse")
        .unwrap();
}

/// Rows in the store's metrics table, `None` before the table exists.
fn counts_table(db: &Path) -> Option<u64> {
    let conn = rusqlite::Connection::open(db).ok()?;
    conn.query_row("SELECT COUNT(*) FROM metrics", [], |r| r.get::<_, i64>(0))
        .ok()
        .map(|n| n as u64)
}

/// Starts consumers one after another, each killed once it has failed to store, until one
/// sets the refused message aside as delivered too often: how a valid batch becomes a dead
/// letter when the store refuses it. (The one that sets it aside is let finish: killed in
/// the middle, it would leave a copy on the queue, delivered too often as well.)
fn consume_until_given_up(dir: &Path, extra: &[String], letters_then: usize) {
    let log = dir.join("consume.log");
    for _ in 0..12 {
        let mut cmd = millrace(dir);
        cmd.args(["consume", "metrics", "--redeliver-after", "1"])
            .args(extra)
            .stderr(std::fs::File::create(&log).unwrap());
        let mut consumer = Proc::spawn(&mut cmd);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            if said.contains("set aside") {
                wait_for_letters(dir, extra, letters_then);
                // Stopped as an operator would, so it settles what it holds.
                consumer.terminate();
                consumer.wait_ok(Duration::from_secs(30));
                return;
            }
            if said.contains("cannot store the batch") || consumer.0.try_wait().unwrap().is_some() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the consumer did nothing: {said}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        consumer.kill();
    }
    panic!("the refused message never became a dead letter");
}

/// Issue 22: a requeued dead letter goes back through the decoding that first set it aside,
/// and keeps its reason when that refuses it again. Three MQTT payloads: one no batch at
/// all, one over `max_batch_records`, one valid that the store refused until the consumers
/// gave up on it. Once the causes are fixed (the limit raised, the store writable again),
/// `requeue --all` has the two stored and leaves the first where it was, with its reason.
fn requeue_story(test: &str, extra: &[String]) {
    let Some(broker) = common::mqtt::own_broker(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("millrace.toml"), "max_batch_records = 2\n").unwrap();
    refuse_writes(dir, extra);
    let mut cmd = common::mqtt::subscriber(dir, &broker.url(), "requeue", "millrace");
    cmd.args(extra);
    let _sub = common::mqtt::start_subscribed(&mut cmd, dir);
    let msgs: Vec<(String, Vec<u8>)> = [BAD, OVER, REFUSED]
        .iter()
        .map(|p| (TOPIC.to_string(), p.to_vec()))
        .collect();
    common::mqtt::publish(broker.port, "publisher", &msgs);

    let first = wait_for_letters(dir, extra, 2);
    let bad_reason = reason_of(&first, "hot");
    assert!(
        bad_reason.starts_with(&format!("MQTT topic {TOPIC}: record 1: field `val`")),
        "{bad_reason}"
    );
    let over_reason = reason_of(&first, "801");
    assert!(over_reason.contains("more than 2 records"), "{over_reason}");
    consume_until_given_up(dir, extra, 3);
    let refused_reason = reason_of(&letters(dir, extra), "802");
    assert!(
        refused_reason.contains("without being stored") || refused_reason.contains("delivery"),
        "{refused_reason}"
    );

    // The causes fixed: the store takes metrics again, and batches of 10 are allowed.
    accept_writes(dir);
    std::fs::write(dir.join("millrace.toml"), "max_batch_records = 10\n").unwrap();
    let out = dead_letters(dir, &["requeue", "--all"], extra).output_bounded();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "one is still refused: {stdout}{stderr}"
    );
    assert!(
        stdout.contains("metrics: 2 dead letters put back on the queue"),
        "{stdout}"
    );
    assert!(stderr.contains(&bad_reason), "{stderr}");
    assert!(stderr.contains("dead-letters drop --id"), "{stderr}");

    consume_until_drained(dir, extra, 4);
    let ids: Vec<i64> = common::stored_metrics(&dir.join("millrace.db"))
        .iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(ids, [801, 801, 801, 802], "the fixed ones stored, once");
    let left = letters(dir, extra);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        reason_of(&left, "hot"),
        bad_reason,
        "the bad payload keeps its reason"
    );
}

#[test]
fn a_requeued_letter_is_decoded_as_it_first_was_and_stored_once_its_cause_is_fixed() {
    requeue_story(
        "a_requeued_letter_is_decoded_as_it_first_was_and_stored_once_its_cause_is_fixed",
        &[],
    );
}

#[test]
fn a_requeued_letter_is_decoded_as_it_first_was_on_rabbitmq() {
    let _serial = serial::services();
    let test = "a_requeued_letter_is_decoded_as_it_first_was_on_rabbitmq";
    if !broker_up(test) {
        return;
    }
    let queues = Queues::new();
    requeue_story(test, &queues.args());
}
