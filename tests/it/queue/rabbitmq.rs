//! The pipeline on a real RabbitMQ broker: separate processes, broker restarts, killed and
//! competing consumers, poison messages, clashing queues.
//!
//! Most use the machine's broker (127.0.0.1:5672, guest/guest), on queue names of their own;
//! outside CI they skip, saying why, when no broker answers, and with CI=true they run. The
//! broker restart and the chaos run restart a broker, so they start one of their own
//! ([`own_rabbitmq`]) and never touch the machine's; they skip or fail alike when RabbitMQ is
//! not installed. The chaos run and the killed and crashing consumers kill processes and are
//! timed by the store's progress: those run alone ([`serial::alone`]); the broker restart
//! shares nothing and takes no lock; the others run beside the other tests of the machine's
//! services ([`serial::services`]).

use crate::common;

use common::own_rabbitmq::{OwnRabbitMq, own_rabbitmq};
use common::scenarios::{Backend, Victim, chaos, consumer_crash_after_commit, survives_kills_of};
use common::services::{Queues, amqp, broker_up};
use common::*;
use lapin::BasicProperties;
use lapin::options::{BasicGetOptions, BasicPublishOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use std::path::Path;
use std::time::{Duration, Instant};

/// What every test here starts from: its own queues and folder, and for a test that restarts
/// the broker, a broker of its own (dropped last, after the queues on it). A test that takes
/// the lock of [`serial`] takes it first, so that the queues are deleted before it is released.
struct Env {
    queues: Queues,
    dir: tempfile::TempDir,
    broker: Option<OwnRabbitMq>,
}

/// The test's environment on the machine's broker, or `None` (after saying why) when no
/// broker answers outside CI.
fn env(test: &str) -> Option<Env> {
    broker_up(test).then(|| Env {
        queues: Queues::new(),
        dir: tempfile::tempdir().unwrap(),
        broker: None,
    })
}

/// The test's environment on a broker of its own, or `None` (after saying why) when RabbitMQ
/// is not installed outside CI.
fn own_env(test: &str) -> Option<Env> {
    let broker = own_rabbitmq(test)?;
    Some(Env {
        queues: Queues::on(&broker.url()),
        dir: tempfile::tempdir().unwrap(),
        broker: Some(broker),
    })
}

impl Env {
    /// The test's own broker (of an [`own_env`]).
    fn broker(&self) -> &OwnRabbitMq {
        self.broker.as_ref().expect("a broker of the test's own")
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// This test's queues, for the scenarios shared with the embedded queue.
    fn backend(&self) -> Backend<'_> {
        Backend::RabbitMq(&self.queues)
    }

    /// The separate processes, all pointed at this test's queues.
    fn stage(&self) -> Stage<'_> {
        self.backend().stage(self.path())
    }

    /// Waits until the store holds at least `want`, our queues are empty and nothing more
    /// has arrived for a while, then checks the store against `data` exactly.
    fn settle(&self, data: &Path, want: (u64, u64)) {
        self.backend().settle(self.path(), data, want)
    }
}

fn generated(dir: &Path, scale: &str) -> (u64, u64) {
    run_ok(millrace(dir).args(["generate", "--out", "data", "--scale", scale, "--seed", "5"]));
    (
        source_metrics(&dir.join("data/metrics.json")).len() as u64,
        source_workorders(&dir.join("data/workorder.json")).len() as u64,
    )
}

/// POSTs one small batch (or, to `/readyz`, GETs) and gives back the status code; 0 when
/// nothing answers.
fn post_status(port: u16, path: &str) -> u16 {
    let body = r#"[{"id": 1, "val": 0.5, "time": 1624377478}]"#;
    let request = if path.starts_with("/readyz") {
        format!("GET {path} HTTP/1.0\r\n\r\n")
    } else {
        http::request("POST", path, "", body)
    };
    http::exchange(port, &request).map_or(0, |answer| http::status_of(&answer))
}

#[test]
fn the_sample_flows_through_three_separate_processes() {
    let _serial = serial::services();
    let Some(env) = env("the_sample_flows_through_three_separate_processes") else {
        return;
    };
    let stage = env.stage();
    let _serve = stage.serve();
    let _metrics = Proc::spawn(
        millrace(env.path())
            .args(["consume", "metrics"])
            .args(env.queues.args()),
    );
    let _workorder = Proc::spawn(
        millrace(env.path())
            .args(["consume", "workorder"])
            .args(env.queues.args()),
    );
    run_ok(&mut stage.stream(data_dir()));
    env.settle(&data_dir(), DATA);
}

#[test]
fn a_broker_restart_mid_stream_loses_and_doubles_nothing() {
    let Some(env) = own_env("a_broker_restart_mid_stream_loses_and_doubles_nothing") else {
        return;
    };
    let want = generated(env.path(), "5");
    let stage = env.stage();
    let _serve = stage.serve();
    let _consumer = stage.consume();
    let mut stream = Proc::spawn(stage.stream("data").args(["--retry-for", "300"]));
    let db = env.path().join("millrace.db");
    wait_until(
        Duration::from_secs(60),
        "progress before the restart",
        || counts(&db).0 >= 2_000,
    );
    env.broker().stop_app();
    // While the broker is away the webhook answers 503 — not 2xx, not 500 — and is not ready.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut status = post_status(stage.port, "/metrics_webhook");
    while status != 503 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        status = post_status(stage.port, "/metrics_webhook");
    }
    assert_eq!(
        status, 503,
        "the webhook answers 503 while the broker is down"
    );
    assert_eq!(
        post_status(stage.port, "/readyz"),
        503,
        "/readyz says not ready while the broker is down"
    );
    env.broker().start_app();
    stream.wait_ok(Duration::from_secs(240));
    env.settle(&env.path().join("data"), want);
    assert_eq!(post_status(stage.port, "/readyz"), 200, "ready again");
}

#[test]
fn a_consumer_killed_mid_stream_stores_everything_once() {
    let _alone = serial::alone();
    let Some(env) = env("a_consumer_killed_mid_stream_stores_everything_once") else {
        return;
    };
    survives_kills_of(env.path(), env.backend(), Victim::Consumer);
}

#[test]
fn a_consumer_crashing_after_commit_stores_everything_once() {
    let _alone = serial::alone();
    let Some(env) = env("a_consumer_crashing_after_commit_stores_everything_once") else {
        return;
    };
    consumer_crash_after_commit(env.path(), env.backend());
}

#[test]
fn competing_consumers_store_each_record_once() {
    let _serial = serial::services();
    let Some(env) = env("competing_consumers_store_each_record_once") else {
        return;
    };
    let want = generated(env.path(), "5");
    let stage = env.stage();
    let _serve = stage.serve();
    let _one = stage.consume();
    let _two = stage.consume();
    run_ok(&mut stage.stream("data"));
    env.settle(&env.path().join("data"), want);
}

#[test]
fn a_poison_message_becomes_a_dead_letter_with_its_reason() {
    let _serial = serial::services();
    let Some(env) = env("a_poison_message_becomes_a_dead_letter_with_its_reason") else {
        return;
    };
    let stage = env.stage();
    let _serve = stage.serve(); // declares the queues
    let target = env.queues.metrics();
    amqp(|conn| async move {
        let ch = conn.create_channel().await.unwrap();
        ch.confirm_select(Default::default()).await.unwrap();
        ch.basic_publish(
            "".into(),
            target.as_str().into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            b"this is not a batch",
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    });
    let _consumer = stage.consume();
    run_ok(&mut stage.stream(data_dir()));
    env.settle(&data_dir(), DATA);
    let dead = format!("{}.dead", env.queues.metrics());
    let (body, reason) = amqp(|conn| async move {
        let ch = conn.create_channel().await.unwrap();
        let got = ch
            .basic_get(dead.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
            .expect("a dead letter");
        let reason = match got
            .delivery
            .properties
            .headers()
            .as_ref()
            .and_then(|h| h.inner().get("millrace-reason").cloned())
        {
            Some(AMQPValue::LongString(s)) => s.to_string(),
            other => panic!("no reason header: {other:?}"),
        };
        (got.delivery.data.clone(), reason)
    });
    assert_eq!(body, b"this is not a batch");
    assert!(reason.contains("not a valid metrics batch"), "{reason}");
}

#[test]
fn a_queue_declared_with_other_settings_is_a_clear_error() {
    let _serial = serial::services();
    let Some(env) = env("a_queue_declared_with_other_settings_is_a_clear_error") else {
        return;
    };
    let classic = env.queues.metrics();
    amqp(|conn| async move {
        let ch = conn.create_channel().await.unwrap();
        let options = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        ch.queue_declare(classic.as_str().into(), options, FieldTable::default())
            .await
            .unwrap();
    });
    let out = millrace(env.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(env.queues.args())
        .output_bounded();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&env.queues.metrics()),
        "names the queue: {err}"
    );
    assert!(err.contains("inequivalent arg"), "says what differs: {err}");
    assert!(
        !err.contains("guest:guest"),
        "no password in messages: {err}"
    );
}

#[test]
fn chaos_on_rabbitmq_loses_and_doubles_nothing() {
    let _alone = serial::alone();
    let Some(env) = own_env("chaos_on_rabbitmq_loses_and_doubles_nothing") else {
        return;
    };
    chaos(env.path(), env.backend(), Some(env.broker()));
}
