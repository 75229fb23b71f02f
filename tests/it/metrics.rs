//! Prometheus metrics end to end: `serve`, `consume --metrics-listen`, `mqtt
//! --metrics-listen` and `dashboard` as real processes, scraped over HTTP, their counts
//! checked exactly against the sample data they moved.

use crate::common;

use common::mqtt::{MACHINE_BROKER, messages, publish};
use common::services::service_up;
use common::{
    DATA, DATA_METRICS, DATA_WORK_ORDERS, OutputWithin, Proc, Stage, data_dir, free_port, http,
    millrace, run_ok, serial, wait_for_counts, wait_for_log,
};
use std::time::{Duration, Instant};

/// Records per request of [`Stage::stream`].
const BATCH: u64 = 250;

/// `GET /metrics` on a loopback port, with `headers`: the status and the body, or `None`
/// while nothing answers there.
fn scrape_with(port: u16, headers: &str) -> Option<(u16, String, String)> {
    let answer = http::exchange(port, &format!("GET /metrics HTTP/1.0\r\n{headers}\r\n"))?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    Some((http::status_of(head), head.to_string(), body.to_string()))
}

/// The metrics text on `port`, waiting (up to 30 s) until it answers 200.
fn scrape(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some((200, head, body)) = scrape_with(port, "") {
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: text/plain; version=0.0.4"),
                "{head}"
            );
            return body;
        }
        assert!(Instant::now() < deadline, "no metrics on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of the series `name` whose labels include every `labels` pair, if listed.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, rest) = series.split_once('{').unwrap_or((series, ""));
        let matches = series_name == name
            && labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        matches.then(|| value.parse().unwrap())
    })
}

/// [`value`] of a stream's series, panicking when it is not listed.
fn of(text: &str, name: &str, stream: &str) -> f64 {
    value(text, name, &[("stream", stream)])
        .unwrap_or_else(|| panic!("no {name}{{stream={stream:?}}} in\n{text}"))
}

/// Scrapes `port` until `done` holds of the text (up to 60 s), and returns that text.
fn scrape_until(port: u16, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = scrape(port);
        if done(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "never {what}:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_and_consume_count_every_record_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let metrics_port = free_port();
    let _consume = Proc::spawn(
        stage
            .consume_cmd()
            .arg("--metrics-listen")
            .arg(format!("127.0.0.1:{metrics_port}")),
    );
    all_listed_at_zero(&scrape(stage.port), &scrape(metrics_port));

    run_ok(&mut stage.stream(data_dir()));
    wait_for_counts(
        &dir.path().join("millrace.db"),
        DATA,
        Duration::from_secs(60),
    );
    first_pass_counted(stage.port, metrics_port);

    // Everything again: the consumer finds every record held already.
    run_ok(stage.stream(data_dir()).arg("--initial"));
    let consumed = scrape_until(metrics_port, "skipped the resent records", |t| {
        of(t, "millrace_records_duplicate_total", "metrics") == DATA_METRICS as f64
            && of(t, "millrace_records_duplicate_total", "workorder") == DATA_WORK_ORDERS as f64
    });
    assert_eq!(
        of(&consumed, "millrace_records_stored_total", "metrics"),
        DATA_METRICS as f64,
        "nothing stored twice"
    );
    let served = scrape(stage.port);
    assert_eq!(
        of(&served, "millrace_records_accepted_total", "metrics"),
        2.0 * DATA_METRICS as f64
    );
    assert_eq!(
        requests(&served, "/metrics_webhook", "200"),
        Some(2.0 * batches(DATA_METRICS))
    );
    timings_and_lag(&served, &consumed);

    // The queue drained: both processes see it empty (they look every few seconds).
    for port in [stage.port, metrics_port] {
        scrape_until(port, "saw an empty queue", |t| {
            value(t, "millrace_queue_backlog", &[("stream", "metrics")]) == Some(0.0)
                && value(t, "millrace_queue_backlog", &[("stream", "workorder")]) == Some(0.0)
        });
    }
    scanned_paths_collapse(stage.port);
}

/// Requests the webhook answered on `path` with `status`, as `text` lists them.
fn requests(text: &str, path: &str, status: &str) -> Option<f64> {
    value(
        text,
        "millrace_http_requests_total",
        &[("path", path), ("status", status)],
    )
}

/// Requests [`Stage::stream`] makes to send `records`.
fn batches(records: u64) -> f64 {
    records.div_ceil(BATCH) as f64
}

/// Before any traffic, every counter of both streams is listed at 0.
fn all_listed_at_zero(served: &str, consumed: &str) {
    for stream in ["metrics", "workorder"] {
        assert_eq!(of(served, "millrace_records_accepted_total", stream), 0.0);
        for name in [
            "millrace_records_stored_total",
            "millrace_records_duplicate_total",
            "millrace_dead_letters_total",
        ] {
            assert_eq!(of(consumed, name, stream), 0.0, "{name}");
        }
    }
}

/// After the sample was sent once: every record accepted and stored once, one request each
/// batch.
fn first_pass_counted(webhook_port: u16, metrics_port: u16) {
    let consumed = scrape_until(metrics_port, "stored everything", |t| {
        of(t, "millrace_records_stored_total", "metrics") == DATA_METRICS as f64
            && of(t, "millrace_records_stored_total", "workorder") == DATA_WORK_ORDERS as f64
    });
    assert_eq!(
        of(&consumed, "millrace_records_duplicate_total", "metrics"),
        0.0
    );
    assert_eq!(of(&consumed, "millrace_dead_letters_total", "metrics"), 0.0);
    let served = scrape(webhook_port);
    assert_eq!(
        of(&served, "millrace_records_accepted_total", "metrics"),
        DATA_METRICS as f64
    );
    assert_eq!(
        of(&served, "millrace_records_accepted_total", "workorder"),
        DATA_WORK_ORDERS as f64
    );
    assert_eq!(
        requests(&served, "/metrics_webhook", "200"),
        Some(batches(DATA_METRICS))
    );
    assert_eq!(
        requests(&served, "/workorder_webhook", "200"),
        Some(batches(DATA_WORK_ORDERS))
    );
}

/// Timings are histograms, with buckets, and saw every write; the lag is the sample's age.
fn timings_and_lag(served: &str, consumed: &str) {
    let commits = value(consumed, "millrace_store_commit_seconds_count", &[]).unwrap();
    assert!(commits > 0.0, "{consumed}");
    assert!(consumed.contains("millrace_store_commit_seconds_bucket{le=\"0.01\"}"));
    let publishes = value(served, "millrace_publish_seconds_count", &[]).unwrap();
    assert_eq!(
        publishes,
        2.0 * (batches(DATA_METRICS) + batches(DATA_WORK_ORDERS)),
        "one publish per batch"
    );
    // The sample is years old: the lag is the time since its newest record.
    assert!(of(consumed, "millrace_ingest_lag_seconds", "metrics") > 86_400.0);
}

/// A scanner's made-up paths all count under one label.
fn scanned_paths_collapse(port: u16) {
    for path in ["/wp-login.php", "/.env", "/admin/x"] {
        http::exchange(port, &format!("GET {path} HTTP/1.0\r\n\r\n")).unwrap();
    }
    // The metrics are read, not written.
    let answer =
        http::exchange(port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n").unwrap();
    assert!(
        answer.starts_with("HTTP/1.0 405") && answer.contains("use GET to read the metrics"),
        "{answer}"
    );
    let served = scrape(port);
    assert_eq!(requests(&served, "other", "404"), Some(3.0), "{served}");
    assert_eq!(requests(&served, "/metrics", "405"), Some(1.0), "{served}");
    assert!(!served.contains("wp-login"), "{served}");
}

/// `mqtt --metrics-listen`: records accepted from MQTT messages count like the webhook's.
#[test]
fn mqtt_counts_what_it_accepts() {
    if !service_up(
        "mqtt_counts_what_it_accepts",
        "MQTT broker",
        MACHINE_BROKER,
        "mosquitto -d -c /etc/mosquitto/mosquitto.conf",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let prefix = format!("metrics-test-{unique}");
    let metrics_port = free_port();
    let log = dir.path().join("mqtt.log");
    let mut cmd = millrace(dir.path());
    cmd.arg("mqtt")
        .args(["--url", &format!("mqtt://{MACHINE_BROKER}")])
        .args(["--client-id", &format!("millrace-{unique}")])
        .arg("--topic")
        .arg(format!("workorder={prefix}/+/workorder"))
        .env(
            "MILLRACE_METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )
        .env("MILLRACE_LOG", "info")
        .stderr(std::fs::File::create(&log).unwrap());
    let _sub = Proc::spawn(&mut cmd);
    wait_for_log(&log, "subscribed", Duration::from_secs(20));
    let before = scrape(metrics_port);
    assert_eq!(
        of(&before, "millrace_records_accepted_total", "workorder"),
        0.0
    );
    let msgs = messages(
        &data_dir().join("workorder.json"),
        &format!("{prefix}/line1/workorder"),
        100,
    );
    let port = MACHINE_BROKER.rsplit_once(':').unwrap().1.parse().unwrap();
    publish(port, &format!("publisher-{unique}"), &msgs);
    let text = scrape_until(metrics_port, "accepted every record", |t| {
        of(t, "millrace_records_accepted_total", "workorder") >= DATA_WORK_ORDERS as f64
    });
    assert_eq!(
        of(&text, "millrace_records_accepted_total", "workorder"),
        DATA_WORK_ORDERS as f64
    );
    assert_eq!(of(&text, "millrace_records_accepted_total", "metrics"), 0.0);
    assert!(value(&text, "millrace_publish_seconds_count", &[]).unwrap() > 0.0);
}

/// The dashboard serves `/metrics` on its own listener: open without tokens, and wanting one
/// as a bearer token once tokens are configured.
#[test]
fn the_dashboard_serves_metrics_guarded_by_its_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("millrace.db");
    millrace::store::SqliteStore::open(&db).unwrap();
    let open_port = free_port();
    let _open = Proc::spawn(
        millrace(dir.path())
            .args(["dashboard", "--listen"])
            .arg(format!("127.0.0.1:{open_port}")),
    );
    let text = scrape(open_port);
    assert!(
        text.contains("# TYPE millrace_records_stored_total counter"),
        "{text}"
    );
    let text = scrape(open_port);
    assert!(
        value(
            &text,
            "millrace_http_requests_total",
            &[("path", "/metrics"), ("status", "200")]
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );

    let guarded_port = free_port();
    let _guarded = Proc::spawn(
        millrace(dir.path())
            .args(["dashboard", "--auth-token", "s3cret", "--listen"])
            .arg(format!("127.0.0.1:{guarded_port}")),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = loop {
        if let Some(answer) = scrape_with(guarded_port, "") {
            break answer;
        }
        assert!(Instant::now() < deadline, "the dashboard never answered");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(refused.0, 401, "{refused:?}");
    let wrong = scrape_with(guarded_port, "Authorization: Bearer nope\r\n").unwrap();
    assert_eq!(wrong.0, 401);
    let (status, _, body) = scrape_with(guarded_port, "Authorization: Bearer s3cret\r\n").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("millrace_records_stored_total"), "{body}");
}

/// `metrics_listen` in millrace.toml starts the listener; the consumer logs its totals when
/// it stops.
#[test]
fn consume_takes_metrics_listen_from_the_settings_file_and_logs_its_totals() {
    // Stopped by SIGTERM, within a bound.
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    std::fs::write(
        dir.path().join("millrace.toml"),
        format!("metrics_listen = \"127.0.0.1:{metrics_port}\"\n"),
    )
    .unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let log = dir.path().join("consume.log");
    let mut consume = Proc::spawn(
        stage
            .consume_cmd()
            .env("MILLRACE_LOG", "info")
            .stderr(std::fs::File::create(&log).unwrap()),
    );
    run_ok(&mut stage.stream(data_dir()));
    scrape_until(metrics_port, "stored everything", |t| {
        of(t, "millrace_records_stored_total", "metrics") == DATA_METRICS as f64
    });
    consume.terminate();
    consume.wait_ok(Duration::from_secs(30));
    let log = without_colours(&std::fs::read_to_string(&log).unwrap());
    let stopped = log
        .lines()
        .find(|l| l.contains("consumer stopped") && l.contains("stream=metrics"))
        .unwrap_or_else(|| panic!("no totals of the metrics consumer in\n{log}"));
    assert!(
        stopped.contains(&format!("stored={DATA_METRICS}"))
            && stopped.contains("duplicates=0")
            && stopped.contains("dead_letters=0"),
        "{stopped}"
    );
}

#[test]
fn a_metrics_address_that_cannot_be_bound_says_which_option_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let out = millrace(dir.path())
        .args(["consume", "all", "--metrics-listen", &address])
        .output_bounded();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on {address} for metrics"))
            && err.contains("--metrics-listen"),
        "{err}"
    );
}

/// `text` without the terminal colour codes a log may hold.
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // An escape sequence runs to its final letter (`m` for colours).
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
