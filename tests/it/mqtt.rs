//! `millrace mqtt` end to end: the real binary subscribed to a real Mosquitto, feeding the
//! embedded queue that `millrace consume` empties into SQLite. Every record published is
//! stored once, bit-identical, whatever the layout, the duplicates, a bad message among good
//! ones, kill -9 of the subscriber or a broker restart.
//!
//! The kill -9 and broker-restart tests time their blows by the publisher's progress, `run`
//! is stopped by SIGTERM, and the full-queue test looks at what is queued while the subscriber
//! holds back: those run alone ([`serial::alone`]). The RabbitMQ one runs beside the other
//! service tests ([`serial::services`]). Each broker restarted is one of the test's own.

use crate::common;

use common::mqtt::{
    MACHINE_BROKER, Mosquitto, messages, own_broker, own_broker_with, publish, start_subscribed,
    subscriber,
};
use common::services::service_up;
use common::{
    DATA, Proc, assert_store_matches, data_dir, join_within, metric_rows, millrace, serial,
    wait_for_counts, wait_for_log,
};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A name no other test (or run) shares: topics and client ids on the machine's broker.
fn unique(what: &str) -> String {
    format!(
        "{what}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )
}

fn consumer(dir: &Path) -> Proc {
    Proc::spawn(millrace(dir).args(["consume", "all", "--redeliver-after", "1"]))
}

/// The sample as messages of every layout, each published twice.
fn sample_messages(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let data = data_dir();
    let mut all = messages(
        &data.join("metrics.json"),
        &format!("{prefix}/line1/metrics"),
        97,
    );
    all.extend(messages(
        &data.join("workorder.json"),
        &format!("{prefix}/line1/workorder"),
        13,
    ));
    let again = all.clone();
    all.extend(again);
    all
}

fn port_of(addr: &str) -> u16 {
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

fn machine_broker_up(test: &str) -> bool {
    service_up(
        test,
        "MQTT broker",
        MACHINE_BROKER,
        "mosquitto -d -c /etc/mosquitto/mosquitto.conf",
    )
}

/// On a broker of its own: Mosquitto's default `max_queued_messages` (1000) would drop
/// messages of a burst this size while the subscriber works through them (see docs/operating.md).
#[test]
fn every_layout_is_stored_bit_identical_and_once() {
    let Some(broker) = own_broker("every_layout_is_stored_bit_identical_and_once") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prefix = "layouts";
    let _sub = start_subscribed(
        &mut subscriber(dir.path(), &broker.url(), prefix, "millrace"),
        dir.path(),
    );
    let _consume = consumer(dir.path());
    let db = dir.path().join("millrace.db");
    publish(broker.port, "publisher", &sample_messages(prefix));
    wait_for_counts(&db, DATA, Duration::from_secs(60));
    // Anything still to come (a duplicate stored twice) would show by now.
    std::thread::sleep(Duration::from_millis(500));
    assert_store_matches(&db, &data_dir());
}

#[test]
fn a_bad_message_is_dead_lettered_and_the_good_flow_on() {
    if !machine_broker_up("a_bad_message_is_dead_lettered_and_the_good_flow_on") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique("bad");
    let url = format!("mqtt://{MACHINE_BROKER}");
    let _sub = start_subscribed(
        &mut subscriber(dir.path(), &url, &prefix, &unique("millrace")),
        dir.path(),
    );
    let _consume = consumer(dir.path());
    let topic = format!("{prefix}/line1/metrics");
    let good = |id: u32| format!(r#"[{{"id": {id}, "val": 0.5, "time": 1624377478}}]"#);
    let bad = r#"[{"id": 1, "val": "high", "time": 1624377478}]"#;
    // Over the 8 MiB limit: set aside like any bad payload, not a dropped connection that
    // the broker would answer with the same message for ever.
    let oversized = format!("[{}]", " ".repeat(9 << 20));
    let msgs: Vec<(String, Vec<u8>)> = [
        good(1),
        bad.to_string(),
        "not json".into(),
        oversized,
        good(2),
    ]
    .into_iter()
    .map(|p| (topic.clone(), p.into_bytes()))
    .collect();
    publish(port_of(MACHINE_BROKER), &unique("pub"), &msgs);
    let db = dir.path().join("millrace.db");
    wait_for_counts(&db, (2, 0), Duration::from_secs(20));
    let queue = rusqlite::Connection::open(dir.path().join(".millrace/queue.db")).unwrap();
    let mut stmt = queue
        .prepare("SELECT reason, body FROM messages WHERE queue = 'metrics.dead' ORDER BY tag")
        .unwrap();
    // Messages are queued several at a time: a dead letter may be committed after the good
    // message that followed it is stored.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let dead = loop {
        let dead: Vec<(String, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        if dead.len() >= 3 || std::time::Instant::now() > deadline {
            break dead;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        dead.len(),
        3,
        "{:?}",
        dead.iter().map(|d| &d.0).collect::<Vec<_>>()
    );
    // Messages are queued several at a time, so their dead letters may come in any order.
    let reason_of = |body: &[u8]| {
        dead.iter()
            .find(|d| d.1 == body)
            .map(|d| d.0.clone())
            .unwrap_or_else(|| panic!("no dead letter holds {:?}", String::from_utf8_lossy(body)))
    };
    let reason = reason_of(bad.as_bytes());
    assert!(
        reason.starts_with(&format!("MQTT topic {topic}: record 1: field `val`")),
        "{reason}"
    );
    let reason = reason_of(b"not json");
    assert!(reason.contains("not a record batch"), "{reason}");
    subscribed_once_and_listed_as_they_are(dir.path(), &prefix);
    let too_large = dead
        .iter()
        .find(|d| d.1.len() == 8 << 20)
        .expect("the oversized message, its first 8 MiB kept");
    assert!(
        too_large
            .0
            .contains("more than the 8388608 allowed (the webhook's limit, `max_body_bytes`"),
        "{}",
        too_large.0
    );
}

/// What `a_bad_message_is_dead_lettered_and_the_good_flow_on` left in `dir` says (issue 22):
/// "subscribed" once, naming both topics; and `dead-letters list` shows each payload as it
/// is, JSON as JSON and the rest as text, the oversized one said to be cut short.
fn subscribed_once_and_listed_as_they_are(dir: &Path, prefix: &str) {
    let log = std::fs::read_to_string(dir.join("mqtt.log")).unwrap();
    let subscribed: Vec<&str> = log.lines().filter(|l| l.contains("subscribed")).collect();
    assert_eq!(subscribed.len(), 1, "{log}");
    assert!(
        subscribed[0].contains(&format!(
            "metrics={prefix}/+/metrics, workorder={prefix}/+/workorder"
        )),
        "{log}"
    );
    let listed = common::run_ok(millrace(dir).args(["dead-letters", "list"]));
    assert!(
        listed.contains(&format!("    text, cut short at {} bytes: [", 8 << 20)),
        "{listed}"
    );
    assert!(listed.contains("    text: not json"), "{listed}");
    assert!(
        listed.contains(r#"    [{"id": 1, "val": "high""#),
        "{listed}"
    );
}

/// Generated metrics, `n` of them, unique.
fn generated(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            serde_json::json!({"id": i % 50, "val": i as f64 * 0.001 + 0.1, "time": 1_600_000_000 + i})
        })
        .collect()
}

fn as_messages(records: &[serde_json::Value], topic: &str, per: usize) -> Vec<(String, Vec<u8>)> {
    records
        .chunks(per)
        .map(|c| (topic.to_string(), serde_json::to_vec(c).unwrap()))
        .collect()
}

/// The metrics stored, as (id, bits of val, time), against what was generated.
fn assert_exactly(db: &Path, records: &[serde_json::Value]) {
    let want = metric_rows(records);
    let got: Vec<_> = common::stored_metrics(db)
        .into_iter()
        .filter(|r| r.2 >= 1_600_000_000)
        .collect();
    assert_eq!(got.len(), want.len(), "metric row count");
    assert!(got == want, "stored metrics differ from those published");
}

#[test]
fn kill_9_of_the_subscriber_loses_and_doubles_nothing() {
    let _alone = serial::alone();
    let Some(mut broker) = own_broker("kill_9_of_the_subscriber_loses_and_doubles_nothing") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("millrace.db");
    let prefix = "kill";
    let mut sub = subscriber(dir.path(), &broker.url(), prefix, "millrace");
    let mut running = start_subscribed(&mut sub, dir.path());
    let _consume = consumer(dir.path());
    let records = generated(100_000);
    let msgs = as_messages(&records, "kill/line1/metrics", 100);
    let port = broker.port;
    // Paced, so that the publish lasts longer than the ten kills on any machine.
    let publisher = std::thread::spawn(move || {
        for chunk in msgs.chunks(100) {
            publish(port, "publisher", chunk);
            std::thread::sleep(Duration::from_millis(150));
        }
    });
    let mut stored_at_kills = Vec::new();
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(100));
        running.kill();
        stored_at_kills.push(common::counts(&db).0);
        running = Proc::spawn(&mut sub);
    }
    join_within(
        publisher,
        Duration::from_secs(180),
        "publishing 100,000 records",
    );
    wait_for_counts(&db, (100_000, 0), Duration::from_secs(60));
    assert!(
        stored_at_kills.iter().filter(|&&n| n < 100_000).count() >= 8,
        "the kills should land mid-stream: {stored_at_kills:?}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_exactly(&db, &records);
    broker.stop();
}

#[test]
fn a_broker_restart_mid_stream_loses_and_doubles_nothing() {
    let _alone = serial::alone();
    let Some(mut broker) = own_broker("a_broker_restart_mid_stream_loses_and_doubles_nothing")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("millrace.db");
    let prefix = "restart";
    let _sub = start_subscribed(
        &mut subscriber(dir.path(), &broker.url(), prefix, "millrace"),
        dir.path(),
    );
    let _consume = consumer(dir.path());
    let records = generated(20_000);
    let (first, second) = records.split_at(10_000);
    publish(
        broker.port,
        "publisher",
        &as_messages(first, "restart/line1/metrics", 100),
    );
    broker.restart();
    let port = broker.port;
    let rest = as_messages(second, "restart/line2/metrics", 100);
    let publisher = std::thread::spawn(move || publish(port, "publisher", &rest));
    std::thread::sleep(Duration::from_millis(50));
    broker.restart();
    join_within(
        publisher,
        Duration::from_secs(120),
        "publishing through the restart",
    );
    wait_for_counts(&db, (20_000, 0), Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));
    assert_exactly(&db, &records);
}

/// `run --mqtt` without --data: the all-in-one process subscribes instead of streaming files,
/// stores what is published, and on SIGTERM exits 0 with the report written.
#[test]
fn run_with_mqtt_stores_what_is_published_and_stops_cleanly() {
    let _alone = serial::alone();
    let Some(broker) = own_broker("run_with_mqtt_stores_what_is_published_and_stops_cleanly")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prefix = "run";
    let mut cmd = millrace(dir.path());
    cmd.arg("run")
        .args(["--mqtt", &broker.url()])
        .arg("--topic")
        .arg(format!("metrics={prefix}/+/metrics"))
        .arg("--topic")
        .arg(format!("workorder={prefix}/+/workorder"))
        .arg("--dashboard-listen")
        .arg(format!("127.0.0.1:{}", common::free_port()));
    let mut run = start_subscribed(&mut cmd, dir.path());
    publish(broker.port, "publisher", &sample_messages(prefix));
    let db = dir.path().join("millrace.db");
    wait_for_counts(&db, DATA, Duration::from_secs(60));
    assert!(
        !dir.path().join(".millrace/demo").exists(),
        "no demo data without --data"
    );
    run.terminate();
    run.wait_ok(Duration::from_secs(30));
    assert_store_matches(&db, &data_dir());
    assert!(dir.path().join("report/index.html").exists());
}

/// A full queue holds acknowledgements back rather than dropping: with room for 10 messages
/// and no consumer yet, the subscriber waits (the limit is soft by the messages it puts in at
/// once, as it is for concurrent webhook requests); once the consumer empties the queue every
/// record arrives, once.
#[test]
fn a_full_queue_holds_messages_back_and_loses_none() {
    let _alone = serial::alone();
    let Some(broker) = own_broker("a_full_queue_holds_messages_back_and_loses_none") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("millrace.db");
    let mut cmd = subscriber(dir.path(), &broker.url(), "full", "millrace");
    cmd.args(["--max-queue-backlog", "10"]);
    let _sub = start_subscribed(&mut cmd, dir.path());
    let records = generated(10_000);
    publish(
        broker.port,
        "publisher",
        &as_messages(&records, "full/line1/metrics", 100),
    );
    let log = dir.path().join("mqtt.log");
    wait_for_log(&log, "holding acknowledgements", Duration::from_secs(20));
    // Watched for half a second once it holds back: the queue does not grow past the limit.
    for _ in 0..25 {
        let queued = common::queued(dir.path());
        assert!(
            queued < 50,
            "{queued} of 100 messages queued past a limit of 10"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _consume = consumer(dir.path());
    wait_for_counts(&db, (10_000, 0), Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));
    assert_exactly(&db, &records);
}

/// mqtts:// with a private CA (`--ca-cert`) and a user name and password in the URL (its
/// `@` escaped): records flow, and the password shows in no log line.
#[test]
fn mqtts_with_a_private_ca_and_a_password_in_the_url() {
    let tls_port = common::free_port();
    let Some(broker) =
        own_broker_with("mqtts_with_a_private_ca_and_a_password_in_the_url", |dir| {
            let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
            std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
            std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
            let passwd = dir.join("passwd");
            let made = Command::new("mosquitto_passwd")
                .arg("-c")
                .arg("-b")
                .arg(&passwd)
                .args(["reader", "s3cr@t-pw"])
                .status()
                .unwrap();
            assert!(made.success());
            format!(
                "listener {tls_port} 127.0.0.1\ncertfile {d}/cert.pem\nkeyfile {d}/key.pem\n\
             allow_anonymous false\npassword_file {d}/passwd\n",
                d = dir.display()
            )
        })
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = broker_file(&broker, "cert.pem", dir.path());
    let url = format!("mqtts://reader:s3cr%40t-pw@localhost:{tls_port}");
    let mut cmd = subscriber(dir.path(), &url, "tls", "millrace");
    cmd.arg("--ca-cert").arg(&ca);
    let _sub = start_subscribed(&mut cmd, dir.path());
    let _consume = consumer(dir.path());
    let records = generated(500);
    publish(
        broker.port,
        "publisher",
        &as_messages(&records, "tls/line1/metrics", 100),
    );
    let db = dir.path().join("millrace.db");
    wait_for_counts(&db, (500, 0), Duration::from_secs(30));
    assert_exactly(&db, &records);
    let log = std::fs::read_to_string(dir.path().join("mqtt.log")).unwrap();
    assert!(log.contains("mqtts://reader@localhost"), "{log}");
    assert!(!log.contains("s3cr"), "the password leaked: {log}");
}

/// A file of the broker's folder, copied where the subscriber runs.
fn broker_file(broker: &Mosquitto, name: &str, to: &Path) -> std::path::PathBuf {
    let copy = to.join(name);
    std::fs::copy(broker.path(name), &copy).unwrap();
    copy
}

/// Into RabbitMQ: the good records reach the store through the broker's queues, and a bad
/// payload lands in `<metrics queue>.dead` with its reason in the `millrace-reason` header.
#[test]
fn into_rabbitmq_a_bad_message_is_dead_lettered_with_its_reason() {
    let _serial = serial::services();
    if !common::services::broker_up("into_rabbitmq_a_bad_message_is_dead_lettered_with_its_reason")
    {
        return;
    }
    let Some(broker) = own_broker("into_rabbitmq_a_bad_message_is_dead_lettered_with_its_reason")
    else {
        return;
    };
    let queues = common::services::Queues::new();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = subscriber(dir.path(), &broker.url(), "amqp", "millrace");
    cmd.args(queues.args());
    let _sub = start_subscribed(&mut cmd, dir.path());
    let _consume = Proc::spawn(
        millrace(dir.path())
            .args(["consume", "all"])
            .args(queues.args()),
    );
    let topic = "amqp/line1/metrics".to_string();
    let bad = br#"[{"id": 1, "val": "high", "time": 1624377478}]"#.to_vec();
    let records = generated(200);
    let mut msgs = as_messages(&records[..100], &topic, 100);
    msgs.push((topic.clone(), bad.clone()));
    msgs.extend(as_messages(&records[100..], &topic, 100));
    publish(broker.port, "publisher", &msgs);
    let db = dir.path().join("millrace.db");
    wait_for_counts(&db, (200, 0), Duration::from_secs(30));
    assert_exactly(&db, &records);
    let dead = format!("{}.dead", queues.metrics());
    let (body, reason) = common::services::amqp(|conn| async move {
        let ch = conn.create_channel().await.unwrap();
        let got = ch
            .basic_get(
                dead.as_str().into(),
                lapin::options::BasicGetOptions::default(),
            )
            .await
            .unwrap()
            .expect("a dead letter");
        let reason = match got
            .properties
            .headers()
            .as_ref()
            .and_then(|h| h.inner().get("millrace-reason").cloned())
        {
            Some(lapin::types::AMQPValue::LongString(text)) => {
                String::from_utf8_lossy(text.as_bytes()).into_owned()
            }
            other => format!("{other:?}"),
        };
        (got.data.clone(), reason)
    });
    assert_eq!(body, bad);
    assert!(
        reason.contains("MQTT topic amqp/line1/metrics: record 1: field `val`"),
        "{reason}"
    );
}
