//! Plain HTTP to loopback ports, written by hand so that a test sends exactly the bytes it
//! means to; and the webhook served in-process for tests that look at its answers.

use super::wait::wait_until;
use millrace::queue::{EmbeddedQueue, EmbeddedQueueConfig, Queue};
use millrace::support::shutdown;
use millrace::webhook::{AppState, WebhookConfig, serve};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long a server may take to answer one request before the test fails: a server that
/// neither answers nor closes would otherwise hang it.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// Sends one raw request to a loopback port and reads the whole answer (HTTP/1.0: the server
/// closes after it). `None` when nothing accepts the connection; a server that accepts but
/// does not answer within [`ANSWER_WITHIN`] fails the test.
pub fn exchange(port: u16, request: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(ANSWER_WITHIN)).unwrap();
    s.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    if let Err(e) = s.read_to_end(&mut answer) {
        assert!(
            !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "no answer on port {port} within {ANSWER_WITHIN:?} to {request:.80}"
        );
    }
    Some(String::from_utf8_lossy(&answer).into_owned())
}

/// A request with a JSON `body`, with `headers` (each ending in `\r\n`) before it.
pub fn request(method: &str, path: &str, headers: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.0\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// The status code of an answer; 0 when there is none.
pub fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// An HTTP client for the tests, whose requests fail instead of hanging: connecting takes at
/// most 10 s, and each read at most [`ANSWER_WITHIN`] (an event stream may stay open longer,
/// as long as something arrives).
pub fn client_builder() -> reqwest::ClientBuilder {
    // reqwest is built without a default TLS provider; millrace installs ring.
    millrace::support::tls::install_crypto();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(ANSWER_WITHIN)
}

/// [`client_builder`] as it is.
pub fn client() -> reqwest::Client {
    client_builder().build().unwrap()
}

/// Waits until the webhook on `port` answers its health check.
pub fn wait_healthy(port: u16) {
    wait_until(
        Duration::from_secs(30),
        &format!("the webhook on port {port} healthy"),
        || exchange(port, "GET /healthz HTTP/1.0\r\n\r\n").is_some_and(|a| status_of(&a) == 200),
    );
}

/// `GET path` on a loopback port, its body parsed as JSON; `None` unless it answered 200
/// with JSON.
pub fn get_json(port: u16, path: &str) -> Option<serde_json::Value> {
    let answer = exchange(port, &format!("GET {path} HTTP/1.0\r\n\r\n"))?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    (status_of(head) == 200).then_some(())?;
    serde_json::from_str(body).ok()
}

/// `POST path` of a JSON `body` on a loopback port: the status and the answer as JSON
/// (`Null` when it is not JSON).
pub fn post_json(port: u16, path: &str, body: &str) -> (u16, serde_json::Value) {
    let answer = exchange(port, &request("POST", path, "", body)).expect("connect");
    let text = answer.split_once("\r\n\r\n").map_or("", |(_, text)| text);
    (
        status_of(&answer),
        serde_json::from_str(text).unwrap_or_default(),
    )
}

/// A webhook served in-process, on a loopback port of its own, for tests that look at its
/// answers and its queue without a separate process. Stops when dropped.
pub struct Webhook<Q> {
    pub addr: SocketAddr,
    /// The queue it publishes to, to see what a request left there.
    pub queue: Q,
    /// The queue's folder when the helper made it: removed when the webhook is dropped.
    _folder: Option<tempfile::TempDir>,
    _stop: shutdown::Trigger,
}

impl<Q> Webhook<Q> {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serves the webhook in-process with `config`, over an embedded queue in a folder of its
/// own.
pub async fn spawn_webhook(config: WebhookConfig) -> Webhook<EmbeddedQueue> {
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(dir.path().join("queue.db"))).unwrap();
    Webhook {
        _folder: Some(dir),
        ..spawn_webhook_on(queue, config).await
    }
}

/// Serves the webhook in-process with `config` over `queue`, e.g. one that fails on purpose.
pub async fn spawn_webhook_on<Q: Queue>(queue: Q, config: WebhookConfig) -> Webhook<Q> {
    // reqwest is built without a default TLS provider; millrace installs ring.
    millrace::support::tls::install_crypto();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, shutdown) = shutdown::channel();
    let state = AppState {
        queue: queue.clone(),
        config,
    };
    tokio::spawn(serve(listener, state, shutdown));
    Webhook {
        addr,
        queue,
        _folder: None,
        _stop: stop,
    }
}
