//! What a new user runs into first: a mistake in how millrace is called stops it at once
//! (exit 2) with a message saying what to give instead, and a failure it cannot wait out
//! says what to check, rather than retrying in silence.

use crate::common;

use common::*;
use std::path::Path;
use std::process::Output;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Runs `args` in `dir` to completion.
fn millrace_in(dir: &Path, args: &[&str]) -> Output {
    millrace(dir).args(args).output_bounded()
}

/// Asserts `out` ended with `code` and its stderr holds every one of `says`.
fn assert_fails(out: &Output, code: i32, says: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    for words in says {
        assert!(stderr.contains(words), "expected `{words}` in: {stderr}");
    }
    stderr
}

/// A folder holding only the sample's metrics.json.
fn metrics_only(dir: &Path) -> String {
    let data = dir.join("metrics-only");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(data_dir().join("metrics.json"), data.join("metrics.json")).unwrap();
    data.display().to_string()
}

#[test]
fn a_webhook_without_a_scheme_is_refused_naming_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let sample = data_dir().display().to_string();
    let out = millrace_in(
        dir.path(),
        &["stream", "--data", &sample, "--webhook", "127.0.0.1:5072"],
    );
    assert_fails(&out, 2, &["--webhook `127.0.0.1:5072`", "http://host:port"]);
    let out = millrace_in(
        dir.path(),
        &[
            "stream",
            "--data",
            &sample,
            "--webhook",
            "ftp://127.0.0.1:5072",
        ],
    );
    assert_fails(&out, 2, &["http://host:port"]);
}

#[test]
fn a_webhook_naming_an_endpoint_is_refused_with_the_base_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let sample = data_dir().display().to_string();
    for endpoint in ["metrics_webhook", "workorder_webhook/"] {
        let url = format!("http://127.0.0.1:5000/{endpoint}");
        let out = millrace_in(
            dir.path(),
            &["stream", "--data", &sample, "--webhook", &url],
        );
        assert_fails(
            &out,
            2,
            &[
                "--webhook is the webhook's base URL",
                "give --webhook http://127.0.0.1:5000",
            ],
        );
    }
}

#[test]
fn a_webhook_path_the_server_does_not_serve_says_webhook_is_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _serve = Proc::spawn(millrace(dir.path()).args(["serve", "--listen", &listen]));
    wait_healthy(port);
    let url = format!("http://{listen}/ingest");
    let sample = data_dir().display().to_string();
    let out = millrace_in(
        dir.path(),
        &[
            "stream",
            "--no-progress",
            "--data",
            &sample,
            "--webhook",
            &url,
        ],
    );
    assert_fails(
        &out,
        1,
        &[
            "404 Not Found",
            "/ingest/metrics_webhook",
            "--webhook is the webhook's base URL (e.g. http://host:port)",
        ],
    );
}

/// Issue 22: a wrong webhook port is explained at once, in one line with what to check,
/// then at most one short line per 10 s with the time left: not two lines of 330
/// characters per retry with the hint only at the end.
#[test]
fn an_unreachable_webhook_is_explained_at_once_then_rarely() {
    // When each line comes is what is asserted.
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", free_port());
    let sample = data_dir().display().to_string();
    let started = std::time::Instant::now();
    let mut child = Proc(
        millrace(dir.path())
            .args([
                "stream",
                "--no-progress",
                "--data",
                &sample,
                "--webhook",
                &url,
            ])
            .args(["--retry-for", "12"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let lines = lines_with_times(&mut child, started, Duration::from_secs(30));
    let status = child.wait_exit(Duration::from_secs(10));
    let all: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(status.code(), Some(1), "{all:#?}");
    let told: Vec<&(Duration, String)> = lines.iter().filter(|(_, l)| l.contains("WARN")).collect();
    let (at, first) = told.first().unwrap_or_else(|| panic!("{all:#?}"));
    assert!(
        *at < Duration::from_secs(3),
        "told at once, not after {at:?}"
    );
    for words in [
        format!("cannot reach the webhook at {url} (Connection refused"),
        "check that `millrace serve` is running there".into(),
        "retrying for up to 12 s (--retry-for)".into(),
    ] {
        assert!(first.contains(&words), "{words} in {first}");
    }
    assert!(first.len() < 260, "one line: {first}");
    assert_eq!(
        told.len(),
        2,
        "the first and one reminder in 12 s: {all:#?}"
    );
    let (again_at, again) = told[1];
    assert!(*again_at - *at >= Duration::from_secs(9), "{all:#?}");
    assert!(
        again.contains(&format!("still cannot reach the webhook at {url}; "))
            && again.ends_with(" left (--retry-for)")
            && again.len() < 140,
        "{again}"
    );
    let last = all.last().unwrap();
    assert!(
        last.contains("gave up on the") && last.contains("check that `millrace serve` is running"),
        "{last}"
    );
}

/// Each line `child` writes to its piped stderr, with when it came (since `started`), until it
/// closes stderr; fails the test if it has not within `within`.
fn lines_with_times(
    child: &mut Proc,
    started: Instant,
    within: Duration,
) -> Vec<(Duration, String)> {
    let stderr = std::io::BufReader::new(child.0.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(stderr) {
            let _ = tx.send((started.elapsed(), line.unwrap()));
        }
    });
    let deadline = started + within;
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => lines.push(line),
            Err(RecvTimeoutError::Disconnected) => return lines,
            Err(RecvTimeoutError::Timeout) => {
                panic!("stderr still open after {within:?}: {lines:#?}")
            }
        }
    }
}

/// Issue 22: the file reader and the webhook both count records from 1, and a record that
/// is not even JSON gets the same advice as one with a bad field.
#[test]
fn file_and_webhook_errors_count_records_from_1_and_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let good = r#"{"id": 1, "val": 0.5, "time": 1624377478}"#;
    let cases = [
        (
            "field",
            r#", {"id": 2, "val": "x", "time": 5}"#,
            "field `val`",
        ),
        (
            "syntax",
            r#" {"id": 2, "val": 3, "time": 5}"#,
            "expected `,` or `]`",
        ),
    ];
    for (name, second, why) in cases {
        let data = dir.path().join(name);
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("metrics.json"), format!("[{good}{second}]")).unwrap();
        let offsets = dir.path().join(format!("{name}.offsets.json"));
        let out = stage
            .stream(&data)
            .arg("--offsets")
            .arg(&offsets)
            .output_bounded();
        let stderr = assert_fails(
            &out,
            1,
            &[
                "metrics.json: record 2 (byte ",
                why,
                "; records before it were sent, fix it and stream again",
            ],
        );
        assert!(!stderr.contains("record 1 "), "{stderr}");
    }
    let (status, answer) = post_json(
        stage.port,
        "/metrics_webhook",
        &format!(r#"[{good}, {{"id": 2, "val": "x", "time": 5}}]"#),
    );
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["record"], 2, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.starts_with("record 2: field `val`"), "{answer}");
}

#[test]
fn run_with_an_unreachable_broker_fails_at_once_naming_it_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let broker = format!("amqp://guest:hunter2@127.0.0.1:{}/%2f", free_port());
    let sample = data_dir().display().to_string();
    let out = millrace_in(
        dir.path(),
        &[
            "run",
            "--no-progress",
            "--data",
            &sample,
            "--broker",
            &broker,
        ],
    );
    let stderr = assert_fails(
        &out,
        1,
        &[
            "cannot use RabbitMQ at amqp://guest:***@127.0.0.1:",
            "check that it is running",
        ],
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("millrace serve"), "{stderr}");
}

#[test]
fn run_refuses_a_missing_data_folder_or_file_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("absent").display().to_string();
    let out = millrace_in(dir.path(), &["run", "--no-progress", "--data", &absent]);
    assert_fails(&out, 2, &[&format!("--data {absent} does not exist")]);
    let data = metrics_only(dir.path());
    let out = millrace_in(dir.path(), &["run", "--no-progress", "--data", &data]);
    assert_fails(&out, 2, &["workorder.json in --data"]);
    assert!(
        !dir.path().join("millrace.db").exists() && !dir.path().join(".millrace").exists(),
        "nothing was started"
    );
}

#[test]
fn stream_refuses_a_folder_with_neither_file_and_warns_of_one_missing() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = millrace_in(
        dir.path(),
        &["stream", "--data", &empty.display().to_string()],
    );
    assert_fails(&out, 2, &["metrics.json nor", "workorder.json in --data"]);

    // One file: it is sent, the other named; the report then says why it names no product.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _serve = Proc::spawn(millrace(dir.path()).args(["serve", "--listen", &listen]));
    wait_healthy(port);
    let data = metrics_only(dir.path());
    let url = format!("http://{listen}");
    let out = millrace_in(
        dir.path(),
        &[
            "stream",
            "--no-progress",
            "--data",
            &data,
            "--webhook",
            &url,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("workorder.json"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("metrics: {DATA_METRICS} records sent")),
        "{stdout}"
    );

    let mut consume = Proc::spawn(millrace(dir.path()).args(["consume", "all"]));
    let db = dir.path().join("millrace.db");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while counts(&db) != (DATA_METRICS, 0) {
        assert!(std::time::Instant::now() < deadline, "metrics never stored");
        std::thread::sleep(Duration::from_millis(50));
    }
    consume.kill();
    let why = "No products to report: no work orders stored";
    for flag in ["--report-dir", "--out"] {
        let report = dir.path().join(flag.trim_start_matches('-'));
        let stdout = run_ok(millrace(dir.path()).args(["report", flag]).arg(&report));
        assert!(stdout.contains(why), "{stdout}");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(report.join("top3.json")).unwrap())
                .unwrap();
        assert_eq!(json["products"], serde_json::json!([]));
        assert!(json["note"].as_str().unwrap().starts_with(why), "{json}");
        for file in ["report.md", "index.html"] {
            let text = std::fs::read_to_string(report.join(file)).unwrap();
            assert!(text.contains(why), "{file}");
        }
    }
}

#[test]
fn generate_refuses_nonsense_sizes_and_ignores_the_settings_file() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, says) in [
        (
            "--products",
            "0",
            "invalid value '0' for '--products <PRODUCTS>': must be a whole number between 1 and 1000",
        ),
        (
            "--products",
            "4000000000",
            "'--products <PRODUCTS>': must be a whole number between 1 and 1000",
        ),
        (
            "--scale",
            "0",
            "'--scale <SCALE>': must be a number above 0",
        ),
        (
            "--scale",
            "-1",
            "'--scale <SCALE>': must be a number above 0",
        ),
        (
            "--scale",
            "NaN",
            "'--scale <SCALE>': must be a number above 0",
        ),
    ] {
        let arg = format!("{flag}={value}");
        let out = millrace_in(dir.path(), &["generate", "--out", "g", &arg]);
        assert_fails(&out, 2, &[says]);
    }
    assert!(!dir.path().join("g").exists(), "nothing written");
    std::fs::write(dir.path().join("millrace.toml"), "not a key = [\n").unwrap();
    let stdout = run_ok(millrace(dir.path()).args(["generate", "--out", "g", "--scale", "0.1"]));
    assert!(stdout.starts_with("wrote "), "{stdout}");
    assert!(dir.path().join("g/metrics.json").exists());
    let out = millrace_in(dir.path(), &["report"]);
    assert_fails(&out, 2, &["the settings file millrace.toml is invalid"]);
}
