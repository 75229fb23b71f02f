//! Every accepted body layout is queued; every bad body is refused with the right status and
//! leaves the queue untouched.

use crate::common;

use common::{Webhook, http, spawn_webhook, spawn_webhook_on};
use millrace::queue::{EmbeddedQueue, Queue, QueueError};
use millrace::record::StreamKind;
use millrace::webhook::WebhookConfig;
use serde_json::Value;
use std::time::Duration;

struct App {
    webhook: Webhook<EmbeddedQueue>,
    client: reqwest::Client,
}

async fn spawn_app() -> App {
    let webhook = spawn_webhook(WebhookConfig {
        max_body_bytes: 4096,
        max_batch_records: 3,
        ..WebhookConfig::default()
    })
    .await;
    App {
        webhook,
        client: http::client(),
    }
}

impl App {
    async fn post(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Vec<u8>>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.webhook.url()))
            .body(body.into());
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn queued(&self) -> u64 {
        self.webhook
            .queue
            .pending(StreamKind::Metrics)
            .await
            .unwrap()
            + self
                .webhook
                .queue
                .pending(StreamKind::Workorder)
                .await
                .unwrap()
    }
}

const TWO: &str =
    r#"[{"id": 1, "val": 2.5, "time": 1624377478}, {"id": 2, "val": 3, "time": 1624377479}]"#;

#[tokio::test(flavor = "multi_thread")]
async fn every_accepted_layout_is_queued() {
    let app = spawn_app().await;
    let double = serde_json::to_string(TWO).unwrap();
    let ndjson = "{\"id\": 1, \"val\": 2.5, \"time\": 1624377478}\n{\"id\": 2, \"val\": 3, \"time\": 1624377479}\n";
    let cases: [(&str, Option<&str>, String, u64); 5] = [
        (
            "/metrics_webhook",
            Some("application/json"),
            TWO.to_string(),
            2,
        ),
        (
            "/metrics_webhook",
            None,
            r#"{"id": 1, "val": 2.5, "time": 1624377478}"#.to_string(),
            1,
        ),
        (
            "/metrics_webhook",
            Some("application/x-ndjson"),
            ndjson.to_string(),
            2,
        ),
        ("/metrics_webhook", Some("application/json"), double, 2),
        (
            "/workorder_webhook",
            Some("application/json"),
            r#"[{"time": 1624378574, "product": 0, "production": 0}]"#.to_string(),
            1,
        ),
    ];
    for (i, (path, ct, body, n)) in cases.into_iter().enumerate() {
        let (status, answer) = app.post(path, ct, body).await;
        assert_eq!(status, 200, "case {i}: {answer}");
        assert_eq!(answer["accepted"], n, "case {i}");
        assert_eq!(
            app.queued().await,
            i as u64 + 1,
            "case {i} queued one message"
        );
    }
    // What was queued is exactly what was sent, whatever the layout.
    use millrace::queue::QueueConsumer;
    use millrace::record::{Metric, Records};
    let mut consumer = app
        .webhook
        .queue
        .consumer(StreamKind::Metrics)
        .await
        .unwrap();
    let queued = consumer.fetch(10, Duration::ZERO).await.unwrap();
    assert_eq!(queued.len(), 4);
    let first = Metric {
        id: 1,
        val: 2.5,
        time: 1624377478,
    };
    let second = Metric {
        id: 2,
        val: 3.0,
        time: 1624377479,
    };
    for (i, delivery) in queued.iter().enumerate() {
        let records =
            millrace::codec::decode_queued(StreamKind::Metrics, &delivery.envelope.body).unwrap();
        let want = if i == 1 {
            vec![first]
        } else {
            vec![first, second]
        };
        assert_eq!(records, Records::Metrics(want), "message {i}");
        assert_eq!(delivery.envelope.count, records.len() as u64);
    }
}

/// A refused request: path, Content-Type, body, the status it gets, and where the error
/// says the fault is (record and field), if it names one.
type BadBody<'a> = (
    &'a str,
    Option<&'a str>,
    String,
    u16,
    Option<(u64, &'a str)>,
);

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_are_refused_and_nothing_is_queued() {
    let app = spawn_app().await;
    let too_many = r#"[{"id":1,"val":1,"time":1},{"id":1,"val":1,"time":1},{"id":1,"val":1,"time":1},{"id":1,"val":1,"time":1}]"#;
    let huge = format!("[{}]", vec![r#"{"id":1,"val":1,"time":1}"#; 400].join(","));
    let cases: Vec<BadBody> = vec![
        ("/metrics_webhook", None, "".into(), 400, None),
        (
            "/metrics_webhook",
            None,
            "[{\"id\": 1, \"val\": 2.5".into(),
            400,
            None,
        ),
        (
            "/metrics_webhook",
            None,
            r#"[{"id": 1, "val": 2.5, "time": 5}, {"id": 2, "val": "x", "time": 5}]"#.into(),
            422,
            Some((2, "val")),
        ),
        (
            "/metrics_webhook",
            None,
            r#"[{"id": -4, "val": 2.5, "time": 5}]"#.into(),
            422,
            Some((1, "id")),
        ),
        (
            "/workorder_webhook",
            None,
            r#"[{"time": 5, "product": 1}]"#.into(),
            422,
            Some((1, "production")),
        ),
        ("/workorder_webhook", None, TWO.into(), 422, Some((1, ""))),
        (
            "/metrics_webhook",
            None,
            r#"[{"id": 1, "val": NaN, "time": 5}]"#.into(),
            400,
            None,
        ),
        (
            "/metrics_webhook",
            Some("application/xml"),
            TWO.into(),
            415,
            None,
        ),
        ("/metrics_webhook", None, "\"[garbage\"".into(), 400, None),
        ("/metrics_webhook", None, too_many.into(), 413, None),
        ("/metrics_webhook", None, huge, 413, None),
        ("/nowhere", None, TWO.into(), 404, None),
    ];
    for (i, (path, ct, body, want, located)) in cases.into_iter().enumerate() {
        let (status, answer) = app.post(path, ct, body).await;
        assert_eq!(status, want, "case {i}: {answer}");
        assert!(
            answer["error"].is_string(),
            "case {i}: a JSON error: {answer}"
        );
        if let Some((record, field)) = located {
            // Counting from 1, as the message does.
            assert_eq!(answer["record"], record, "case {i}: {answer}");
            let said = format!("record {record}: ");
            assert!(
                answer["error"].as_str().unwrap().starts_with(&said),
                "case {i}: {answer}"
            );
            if !field.is_empty() {
                assert_eq!(answer["field"], field, "case {i}: {answer}");
            }
        }
        assert_eq!(app.queued().await, 0, "case {i}: nothing queued");
    }
    let res = app
        .client
        .get(format!("{}/metrics_webhook", app.webhook.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
}

#[tokio::test(flavor = "multi_thread")]
async fn source_headers_must_come_together_and_be_valid() {
    let app = spawn_app().await;
    for headers in [
        vec![("millrace-source", "f")],
        vec![("millrace-seq", "3")],
        vec![("millrace-source", "f"), ("millrace-seq", "-1")],
    ] {
        let mut req = app
            .client
            .post(format!("{}/metrics_webhook", app.webhook.url()))
            .body(TWO);
        for (k, v) in &headers {
            req = req.header(*k, *v);
        }
        assert_eq!(
            req.send().await.unwrap().status().as_u16(),
            400,
            "{headers:?}"
        );
    }
    assert_eq!(app.queued().await, 0);
}

/// A queue whose every publish (and readiness check) fails with the fault it was made with.
#[derive(Clone)]
struct FailingQueue(fn() -> QueueError);

/// As when its disk fails or its broker is down: worth retrying. The cause is the error's
/// source, not part of its own message, so the 503 body must tell the whole chain.
fn disk_error() -> QueueError {
    QueueError::unavailable(
        "cannot write the batch to the queue file",
        std::io::Error::other("disk I/O error"),
    )
}

/// As after a panic holding its lock: never heals in this process.
fn wrecked() -> QueueError {
    QueueError::Broken {
        what: "a thread panicked while holding one of its locks",
        source: None,
    }
}

impl Queue for FailingQueue {
    type Consumer = millrace::queue::EmbeddedConsumer;

    async fn publish(&self, _: millrace::queue::Envelope) -> Result<(), QueueError> {
        Err((self.0)())
    }
    async fn consumer(&self, _: StreamKind) -> Result<Self::Consumer, QueueError> {
        Err(QueueError::Closed)
    }
    async fn pending(&self, _: StreamKind) -> Result<u64, QueueError> {
        Ok(0)
    }
    async fn publish_dead_letter(
        &self,
        _: millrace::queue::Envelope,
        _: String,
    ) -> Result<(), QueueError> {
        Err((self.0)())
    }
    async fn dead_letters(&self, _: StreamKind) -> Result<u64, QueueError> {
        Ok(0)
    }
    async fn ready(&self) -> Result<(), QueueError> {
        Err((self.0)())
    }
    async fn list_dead_letters(
        &self,
        _: StreamKind,
    ) -> Result<Vec<millrace::queue::DeadLetter>, QueueError> {
        Err((self.0)())
    }
    async fn settle_dead_letters(
        &self,
        _: StreamKind,
        _: millrace::queue::Which,
        _: millrace::queue::Settle,
    ) -> Result<u64, QueueError> {
        Err((self.0)())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queue_that_cannot_store_gives_503_with_retry_after() {
    let webhook = spawn_webhook_on(FailingQueue(disk_error), WebhookConfig::default()).await;
    let res = http::client()
        .post(format!("{}/metrics_webhook", webhook.url()))
        .body(TWO)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: Value = res.json_body().await;
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("cannot write the batch to the queue file: disk I/O error"),
        "{body}"
    );
}

trait JsonBody {
    async fn json_body(self) -> Value;
}

impl JsonBody for reqwest::Response {
    async fn json_body(self) -> Value {
        serde_json::from_str(&self.text().await.unwrap()).unwrap()
    }
}

/// A broken queue stops the webhook with the reason (so `serve` exits and says it), instead
/// of answering 503 for ever.
#[tokio::test(flavor = "multi_thread")]
async fn a_queue_that_cannot_heal_stops_the_webhook_with_the_reason() {
    // reqwest is built without a default TLS provider; millrace installs ring.
    millrace::support::tls::install_crypto();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics_webhook", listener.local_addr().unwrap());
    // Never fired: only the broken queue may stop this server.
    let (_trigger, shutdown) = millrace::support::shutdown::channel();
    let state = millrace::webhook::AppState {
        queue: FailingQueue(wrecked),
        config: WebhookConfig::default(),
    };
    let server = tokio::spawn(millrace::webhook::serve(listener, state, shutdown));
    let res = http::client().post(&url).body(TWO).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let body: Value = res.json_body().await;
    assert!(
        body["error"].as_str().unwrap().contains("restart millrace"),
        "{body}"
    );
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(40), server)
        .await
        .expect("the webhook kept serving a broken queue")
        .unwrap();
    let err = stopped.expect_err("serve ends with the reason");
    assert!(err.to_string().contains("the queue cannot go on"), "{err}");
}
