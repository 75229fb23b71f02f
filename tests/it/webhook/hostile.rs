//! Malformed and hostile requests, each with the status and message it must get. After every
//! one: nothing queued and the server still answering. The same table is docs/usage.md's
//! reference of what is rejected and why; this test checks they agree.

use crate::common;

use common::spawn_webhook;
use millrace::auth::{Credentials, sign};
use millrace::queue::Queue;
use millrace::record::StreamKind;
use millrace::webhook::WebhookConfig;
use std::io::{Read, Write};
use std::time::Duration;

const TOKEN: &str = "t0ken-for-tests";
const KEY: &[u8] = b"hmac-key-for-tests";
const GOOD: &str = r#"{"id": 1, "val": 2.5, "time": 1624377478}"#;

/// One hostile request and what it must get.
#[derive(Clone)]
struct Case {
    /// What is wrong, as the table in docs/usage.md says it.
    what: &'static str,
    method: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
    /// A piece of the error message the client must see.
    says: &'static str,
}

fn auth() -> Vec<(&'static str, String)> {
    vec![("Authorization", format!("Bearer {TOKEN}"))]
}

fn post(what: &'static str, body: impl Into<Vec<u8>>, status: u16, says: &'static str) -> Case {
    Case {
        what,
        method: "POST",
        path: "/metrics_webhook",
        headers: auth(),
        body: body.into(),
        status,
        says,
    }
}

fn with_header(mut case: Case, name: &'static str, value: &str) -> Case {
    case.headers.push((name, value.to_string()));
    case
}

/// A JSON array of the given records.
fn array(records: &[&str]) -> String {
    format!("[{}]", records.join(", "))
}

/// One metric record with its fields written as given, however wrong.
fn record(id: &str, val: &str, time: &str) -> String {
    format!(r#"{{"id": {id}, "val": {val}, "time": {time}}}"#)
}

/// Every case, in the order they are sent, from the lists below grouped by what is wrong.
fn cases() -> Vec<Case> {
    [
        syntax_cases(),
        value_cases(),
        shape_cases(),
        encoding_and_size_cases(),
        header_cases(),
        request_cases(),
        credential_cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Bodies that are not valid JSON, or not a JSON array of records: 400.
fn syntax_cases() -> Vec<Case> {
    vec![
        post("empty body", "", 400, "empty body"),
        post("only whitespace", " \n\t ", 400, "empty body"),
        post(
            "truncated JSON",
            r#"[{"id": 1, "va"#,
            400,
            "ends inside a record",
        ),
        post("array never closed", format!("[{GOOD}"), 400, "not closed"),
        post(
            "trailing comma",
            format!("[{GOOD},]"),
            400,
            "followed by another record",
        ),
        post(
            "missing comma",
            format!("[{GOOD} {GOOD}]"),
            400,
            "expected `,` or `]`",
        ),
        post(
            "text after the array",
            format!("[{GOOD}] extra"),
            400,
            "after the closing",
        ),
        post("not JSON", "hello", 400, "not a record batch"),
        post("a bare number", "42", 400, "not a record batch"),
        post("null", "null", 400, "not a record batch"),
        post(
            "NaN",
            array(&[&record("1", "NaN", "1624377478")]),
            400,
            "expected value",
        ),
        post(
            "Infinity",
            array(&[&record("1", "Infinity", "1624377478")]),
            400,
            "expected value",
        ),
        post(
            "-Infinity",
            array(&[&record("1", "-Infinity", "1624377478")]),
            400,
            "invalid number",
        ),
    ]
}

/// Records whose fields have the wrong type or a value out of range: 422.
fn value_cases() -> Vec<Case> {
    vec![
        post(
            "val as a string",
            array(&[&record("1", "\"high\"", "1624377478")]),
            422,
            "field `val`: invalid type: string",
        ),
        post(
            "id as a string",
            array(&[&record("\"7\"", "1.0", "1624377478")]),
            422,
            "field `id`: invalid type: string",
        ),
        post(
            "fractional id",
            array(&[&record("1.5", "1.0", "1624377478")]),
            422,
            "field `id`: invalid type: floating point",
        ),
        post(
            "negative id",
            array(&[&record("-1", "1.0", "1624377478")]),
            422,
            "field `id`: must be a parameter number",
        ),
        post(
            "id beyond 64 bits",
            array(&[&record("99999999999999999999", "1.0", "1624377478")]),
            422,
            "field `id`",
        ),
        post(
            "val out of range",
            array(&[&record("1", "1e400", "1624377478")]),
            422,
            "field `val`: number out of range",
        ),
        post(
            "null val",
            array(&[&record("1", "null", "1624377478")]),
            422,
            "field `val`: invalid type: null",
        ),
        post(
            "time in milliseconds",
            array(&[&record("1", "1.0", "1624377478000")]),
            422,
            "looks like milliseconds",
        ),
        post(
            "negative time",
            array(&[&record("1", "1.0", "-5")]),
            422,
            "field `time`: must be Unix seconds",
        ),
        post(
            "time as a date string",
            array(&[&record("1", "1.0", "\"2021-06-22\"")]),
            422,
            "field `time`: invalid type: string",
        ),
    ]
}

/// Records of the wrong shape: fields missing, unknown or repeated, or not an object: 422.
fn shape_cases() -> Vec<Case> {
    vec![
        post(
            "missing field",
            r#"[{"id": 1, "val": 2.5}]"#,
            422,
            "missing field `time`",
        ),
        post(
            "unknown field",
            r#"[{"id": 1, "val": 2.5, "time": 1624377478, "unit": "C"}]"#,
            422,
            "unknown field `unit`",
        ),
        post(
            "duplicate key",
            r#"[{"id": 1, "id": 2, "val": 2.5, "time": 1624377478}]"#,
            422,
            "duplicate field `id`",
        ),
        post(
            "a record that is an array",
            "[[1, 2.5, 1624377478]]",
            422,
            "invalid type: sequence",
        ),
        post(
            "a record that is a string",
            "[\"1,2.5,1624377478\"]",
            422,
            "invalid type: string",
        ),
        post(
            "one bad record among good ones",
            array(&[GOOD, GOOD, &record("1", "\"x\"", "1")]),
            422,
            "record 3: field `val`",
        ),
    ]
}

/// Bodies that are too deep, badly encoded, double-encoded or too large: 400 or 413.
fn encoding_and_size_cases() -> Vec<Case> {
    let deep = format!("[{}{}]", "[".repeat(5000), "]".repeat(5000));
    vec![
        post("deep nesting", deep, 400, "recursion limit exceeded"),
        post(
            "invalid UTF-8 in a key",
            b"[{\"id\": 1, \"val\": 2.5, \"time\": 1624377478, \"\xff\": 1}]".to_vec(),
            400,
            "invalid unicode",
        ),
        post(
            "invalid UTF-8 outside strings",
            b"[\xff]".to_vec(),
            400,
            "expected value",
        ),
        post("double-encoded garbage", "\"[garbage\"", 400, "record 1"),
        post(
            "double-encoded non-array",
            "\"42\"",
            400,
            "content is not a JSON array",
        ),
        post(
            "double-encoded, badly escaped",
            "\"[\\x]\"",
            400,
            "not a valid JSON string",
        ),
        post(
            "more records than allowed",
            array(&vec![GOOD; 101]),
            413,
            "more than 100 records",
        ),
        post(
            "body too large",
            array(&vec![GOOD; 3000]),
            413,
            "larger than 65536 bytes",
        ),
    ]
}

/// Headers that contradict the body or each other: 415 or 400.
fn header_cases() -> Vec<Case> {
    vec![
        with_header(
            post("wrong content type", array(&[GOOD]), 415, "not supported"),
            "Content-Type",
            "text/xml",
        ),
        with_header(
            post(
                "NDJSON type, array body",
                array(&[GOOD]),
                400,
                "says NDJSON",
            ),
            "Content-Type",
            "application/x-ndjson",
        ),
        with_header(
            post(
                "Millrace-Seq without Millrace-Source",
                array(&[GOOD]),
                400,
                "or neither",
            ),
            "Millrace-Seq",
            "3",
        ),
        with_header(
            with_header(
                post(
                    "Millrace-Seq not a number",
                    array(&[GOOD]),
                    400,
                    "whole number",
                ),
                "Millrace-Seq",
                "x",
            ),
            "Millrace-Source",
            "f",
        ),
    ]
}

/// Requests sent to the wrong place: a work order to the metrics endpoint, a method other than
/// POST, a path with no endpoint.
fn request_cases() -> Vec<Case> {
    vec![
        Case {
            what: "a work order sent to the metrics endpoint",
            ..post(
                "",
                r#"[{"time": 1624377478, "product": 0, "production": 1}]"#,
                422,
                "unknown field `product`",
            )
        },
        Case {
            method: "GET",
            ..post("wrong method (GET)", "", 405, "use POST")
        },
        Case {
            method: "PUT",
            ..post("wrong method (PUT)", array(&[GOOD]), 405, "use POST")
        },
        Case {
            path: "/metrics_hook",
            ..post("unknown path", array(&[GOOD]), 404, "no such endpoint")
        },
    ]
}

/// Requests without valid credentials: no token, a wrong one, or a signature that does not
/// match: 401.
fn credential_cases() -> Vec<Case> {
    vec![
        Case {
            headers: vec![],
            ..post(
                "no credentials",
                array(&[GOOD]),
                401,
                "authentication required",
            )
        },
        Case {
            headers: vec![("Authorization", "Bearer wrong".into())],
            ..post(
                "wrong bearer token",
                array(&[GOOD]),
                401,
                "token is not valid",
            )
        },
        Case {
            headers: vec![("Authorization", format!("Basic {TOKEN}"))],
            ..post(
                "not a bearer scheme",
                array(&[GOOD]),
                401,
                "authentication required",
            )
        },
        Case {
            headers: vec![(
                "X-Millrace-Signature",
                format!("sha256={}", sign(KEY, b"another body")),
            )],
            ..post(
                "signature of another body",
                array(&[GOOD]),
                401,
                "signature is not valid",
            )
        },
        Case {
            headers: vec![("X-Millrace-Signature", "md5=abc".into())],
            ..post(
                "malformed signature",
                array(&[GOOD]),
                401,
                "signature is not valid",
            )
        },
    ]
}

/// Sends one raw HTTP/1.1 request and returns (status, body).
fn send(port: u16, case: &Case) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        case.method,
        case.path,
        case.body.len()
    );
    for (k, v) in &case.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&case.body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// Sends `case` from a blocking thread (`send` is plain blocking I/O) and returns (status, body).
async fn send_off(port: u16, case: Case) -> (u16, String) {
    tokio::task::spawn_blocking(move || send(port, &case))
        .await
        .unwrap()
}

/// A request for the health endpoint, to show the server still answers.
fn health() -> Case {
    Case {
        what: "",
        method: "GET",
        path: "/healthz",
        headers: vec![],
        body: vec![],
        status: 200,
        says: "",
    }
}

/// Checks the answer to a hostile `case`: its status, its message, a JSON error, and never the
/// token echoed back.
#[track_caller]
fn assert_refused(case: &Case, status: u16, body: &str) {
    assert_eq!(status, case.status, "{}: {body}", case.what);
    assert!(
        body.contains(case.says),
        "{}: expected `{}` in {body}",
        case.what,
        case.says
    );
    let json: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("{}: not JSON: {body}", case.what));
    assert!(json["error"].is_string(), "{}", case.what);
    assert!(
        !body.contains(TOKEN),
        "{}: the token must never be echoed",
        case.what
    );
}

/// The controls: the same server accepts a good batch with a token and with a signature, so
/// the refusals come from what is wrong in each case, not from a server refusing everything.
async fn assert_good_batches_accepted(port: u16) {
    let body = format!("[{GOOD}]");
    for headers in [
        auth(),
        vec![(
            "X-Millrace-Signature",
            format!("sha256={}", sign(KEY, body.as_bytes())),
        )],
    ] {
        let good = Case {
            what: "good",
            method: "POST",
            path: "/metrics_webhook",
            headers,
            body: body.clone().into_bytes(),
            status: 200,
            says: "",
        };
        let (status, answer) = send_off(port, good).await;
        assert_eq!(status, 200, "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_request_is_refused_and_changes_nothing() {
    let webhook = spawn_webhook(WebhookConfig {
        max_body_bytes: 64 * 1024,
        max_batch_records: 100,
        credentials: Credentials::new(vec![TOKEN.into()], vec![KEY.to_vec()]),
        ..WebhookConfig::default()
    })
    .await;
    let port = webhook.port();
    let queue = &webhook.queue;
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let queued = || async {
        queue.pending(StreamKind::Metrics).await.unwrap()
            + queue.pending(StreamKind::Workorder).await.unwrap()
    };
    for case in &cases {
        let (status, body) = send_off(port, case.clone()).await;
        assert_refused(case, status, &body);
        assert_eq!(queued().await, 0, "{}: nothing queued", case.what);
        let health = send_off(port, health()).await;
        assert_eq!(health.0, 200, "{}: the server is still up", case.what);
    }
    assert_good_batches_accepted(port).await;
    assert_eq!(queued().await, 2);
}

#[test]
fn the_usage_docs_list_every_case() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/usage.md")).unwrap();
    let missing: Vec<String> = cases()
        .iter()
        .map(|case| {
            format!(
                "| {} | {} | {} |",
                case.what,
                case.status,
                case.says.replace('|', "\\|")
            )
        })
        .filter(|row| !docs.contains(row.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/usage.md lacks these rows:\n{}",
        missing.join("\n")
    );
}
