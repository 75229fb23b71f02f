//! The logs as an operator meets them: JSON lines that all parse, refused requests logged
//! with their status, reason, stream and peer (and no more than a burst of them), spans
//! naming the stream and batch, and no colour codes in a file.

use crate::common;

use common::{OutputWithin, Proc, free_port, http, millrace, wait_for_log, wait_healthy};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Sends one raw HTTP/1.0 request and returns the status code.
fn request(port: u16, method: &str, path: &str, body: &str) -> u16 {
    let request = http::request(method, path, "", body);
    http::exchange(port, &request).map_or(0, |answer| http::status_of(&answer))
}

/// `serve` on a free port with stderr written to `log`.
fn serve(dir: &Path, log: &Path, extra: &[&str]) -> (Proc, u16) {
    let port = free_port();
    let mut cmd = millrace(dir);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env("MILLRACE_LOG", "millrace=debug")
        .stderr(std::fs::File::create(log).unwrap());
    let p = Proc::spawn(&mut cmd);
    wait_healthy(port);
    (p, port)
}

/// How long a line may take to reach the log.
const LOGGED_WITHIN: Duration = Duration::from_secs(20);

#[test]
fn json_logs_parse_and_name_refusals_and_batches() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let (mut server, port) = serve(dir.path(), &log, &["--log-format", "json"]);

    assert_eq!(request(port, "POST", "/metrics_webhook", "{not json"), 400);
    assert_eq!(request(port, "GET", "/no/such/path", ""), 404);
    // A flood of refusals: at most a burst of them is logged.
    for _ in 0..60 {
        assert_eq!(request(port, "POST", "/workorder_webhook", "[1]"), 422);
    }
    let good = r#"[{"id": 1, "val": 0.5, "time": 1624377478}]"#;
    assert_eq!(request(port, "POST", "/metrics_webhook", good), 200);
    let text = wait_for_log(&log, "\"queued\"", LOGGED_WITHIN);
    server.kill();

    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
    let refused: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "refused a request")
        .collect();

    let bad_json = refused
        .iter()
        .find(|l| l["status"] == 400)
        .expect("the 400 is logged");
    assert_eq!(bad_json["stream"], "metrics");
    assert!(bad_json["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(
        bad_json["reason"]
            .as_str()
            .unwrap()
            .contains("nothing of this batch was accepted"),
        "{bad_json}"
    );
    let unknown = refused
        .iter()
        .find(|l| l["status"] == 404)
        .expect("the 404 is logged");
    assert_eq!(unknown["stream"], "-");
    assert_eq!(unknown["path"], "/no/such/path");

    let flood = refused.iter().filter(|l| l["status"] == 422).count();
    assert!(
        (1..40).contains(&flood),
        "{flood} of 60 refusals logged: the flood was not cut"
    );
    assert_eq!(refused[2]["stream"], "workorder");

    let queued = lines
        .iter()
        .find(|l| l["message"] == "queued")
        .expect("the accepted batch is logged at debug");
    assert_eq!(queued["span"]["stream"], "metrics");
    assert!(!queued["span"]["batch"].as_str().unwrap().is_empty());
}

#[test]
fn text_logs_to_a_file_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let (mut server, port) = serve(dir.path(), &log, &[]);
    assert_eq!(request(port, "POST", "/metrics_webhook", "{not json"), 400);
    let text = wait_for_log(&log, "refused a request", LOGGED_WITHIN);
    server.kill();
    assert!(!text.contains('\u{1b}'), "colour codes in a file:\n{text}");
    assert!(text.contains("status=400"), "{text}");
    assert!(text.contains("stream=metrics"), "{text}");
}

#[test]
fn the_final_error_is_a_json_line_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::bin())
        .current_dir(dir.path())
        .args(["report", "--log-format", "json", "--config"])
        .arg(dir.path().join("missing.toml"))
        .stdout(Stdio::null())
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(last["level"], "ERROR");
    assert!(
        last["message"].as_str().unwrap().contains("missing.toml"),
        "{last}"
    );
}

#[test]
fn the_settings_file_can_choose_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("millrace.toml"), "log_format = \"json\"\n").unwrap();
    let log = dir.path().join("serve.log");
    let (mut server, port) = serve(dir.path(), &log, &[]);
    assert_eq!(request(port, "POST", "/metrics_webhook", "{not json"), 400);
    let text = wait_for_log(&log, "refused a request", LOGGED_WITHIN);
    server.kill();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value["level"].is_string());
    }
}

/// Issue 22: a consumer's progress line gives the time its work took, and a burst stored in
/// a fraction of a second gets no rate (over the 5 s period it was "1382 records per
/// second" for 6,910 records stored in 0.03 s; over 0.03 s it would be noise too).
#[test]
fn consumer_progress_gives_the_time_the_work_took_and_no_rate_for_a_burst() {
    let dir = tempfile::tempdir().unwrap();
    let stage = common::Stage::new(dir.path());
    let _serve = stage.serve();
    let log = dir.path().join("consume.log");
    let mut cmd = stage.consume_cmd();
    cmd.env("MILLRACE_LOG", "info")
        .stderr(std::fs::File::create(&log).unwrap());
    let _consume = Proc::spawn(&mut cmd);
    common::run_ok(&mut stage.stream(common::data_dir()));
    let text = wait_for_log(&log, "consumer progress stream=metrics", LOGGED_WITHIN);
    let line = text
        .lines()
        .find(|l| l.contains("consumer progress stream=metrics"))
        .unwrap();
    assert!(line.contains("busy_seconds=0."), "{line}");
    assert!(!line.contains("records_per_second"), "{line}");
}
