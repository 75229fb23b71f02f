//! Each stage crashes (abort, like kill -9) at the most dangerous moment: between a durable
//! step and the acknowledgement that follows it. Restarted, the pipeline must still store
//! every record exactly once. Without the store's deduplication each of these would double
//! records; without acknowledging after commit, lose them.
//!
//! The crash tests run alone ([`serial::alone`]): each waits, on a deadline, for a process to
//! crash at its point and for the restarted pipeline to catch up.

use crate::common;

use common::scenarios::{Backend, consumer_crash_after_commit};
use common::*;
use std::time::Duration;

#[test]
fn consumer_crash_after_commit_before_ack() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    consumer_crash_after_commit(dir.path(), Backend::Embedded);
}

#[test]
fn webhook_crash_after_queueing_before_answering() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let mut crashing = Proc::spawn(stage.serve_cmd().env("MILLRACE_CRASH_AT", "serve.queued:5"));
    wait_healthy(stage.port);
    let _consumer = stage.consume();
    let mut stream = Proc::spawn(&mut stage.stream(data_dir()));
    crashing.wait_crash(Duration::from_secs(30));
    let _serve = stage.serve();
    stream.wait_ok(Duration::from_secs(60));
    settle_and_check(dir.path(), &data_dir(), DATA);
}

#[test]
fn streamer_crash_after_delivery_before_saving_the_offset() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let _consumer = stage.consume();
    let mut crashing = Proc::spawn(
        stage
            .stream(data_dir())
            .env("MILLRACE_CRASH_AT", "stream.delivered:4"),
    );
    crashing.wait_crash(Duration::from_secs(30));
    run_ok(&mut stage.stream(data_dir()));
    settle_and_check(dir.path(), &data_dir(), DATA);
}

#[test]
fn the_same_sourced_batch_posted_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let _consumer = stage.consume();
    let body =
        r#"[{"id": 1, "val": 0.5, "time": 1624377478}, {"id": 1, "val": 0.5, "time": 1624377478}]"#;
    let post = |seq: &str| {
        let headers = format!("Millrace-Source: machine-7\r\nMillrace-Seq: {seq}\r\n");
        let request = http::request("POST", "/metrics_webhook", &headers, body);
        let answer = http::exchange(stage.port, &request).expect("the webhook answers");
        assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
    };
    post("0");
    post("0");
    post("1");
    let db = dir.path().join("millrace.db");
    // Two identical readings at positions 0 and 1, then position 1 again and a new 2.
    wait_for_counts(&db, (3, 0), Duration::from_secs(30));
    wait_until(Duration::from_secs(30), "the queue emptied", || {
        queued(dir.path()) == 0
    });
    assert_eq!(counts(&db), (3, 0), "each position stored once");
}
