//! Limits that keep the webhook's memory and slots bounded: concurrent requests beyond the
//! limit get 503 with Retry-After at once, and slow uploads are cut off with 408. Those two
//! assert how long the answer took, and run alone ([`serial::alone`]).

use crate::common;

use common::{serial, spawn_webhook};
use millrace::webhook::WebhookConfig;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Starts a POST whose body never finishes arriving.
fn slow_upload(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"POST /metrics_webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n[{")
        .unwrap();
    s
}

/// Starts a POST whose body never finishes arriving, and returns once it holds a slot: the
/// server asks for the body ("100 Continue") only when the handler, past the concurrency
/// limit, reads it.
fn admitted_upload(port: u16) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(
        b"POST /metrics_webhook HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut interim = [0; 25];
    s.read_exact(&mut interim).unwrap();
    assert!(
        interim.starts_with(b"HTTP/1.1 100 Continue\r\n"),
        "{}",
        String::from_utf8_lossy(&interim)
    );
    s.write_all(b"[{").unwrap();
    s
}

fn answer(mut s: TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_beyond_the_concurrency_limit_get_503_at_once() {
    let _alone = serial::alone_async().await;
    let webhook = spawn_webhook(WebhookConfig {
        max_concurrent: 1,
        ..WebhookConfig::default()
    })
    .await;
    let port = webhook.port();
    let answered = tokio::task::spawn_blocking(move || {
        let _holding = admitted_upload(port);
        let mut second = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let started = Instant::now();
        second.write_all(b"POST /metrics_webhook HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]").unwrap();
        (answer(second), started.elapsed())
    })
    .await
    .unwrap();
    let (text, took) = answered;
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("retry-after: 1"),
        "{text}"
    );
    assert!(text.contains("as many requests as it may"), "{text}");
    assert!(
        took < Duration::from_secs(2),
        "refused at once, not queued: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_upload_is_cut_off_with_408() {
    let _alone = serial::alone_async().await;
    let webhook = spawn_webhook(WebhookConfig {
        request_timeout: Duration::from_secs(1),
        ..WebhookConfig::default()
    })
    .await;
    let port = webhook.port();
    let (text, took) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let text = answer(slow_upload(port));
        (text, started.elapsed())
    })
    .await
    .unwrap();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_credentials_web_pages_cannot_post() {
    let webhook = spawn_webhook(WebhookConfig::default()).await;
    let port = webhook.port();
    let text = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"POST /metrics_webhook HTTP/1.1\r\nHost: x\r\nOrigin: https://example.com\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]").unwrap();
        answer(s)
    })
    .await
    .unwrap();
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    assert!(text.contains("web pages are refused"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_headers_get_431() {
    let webhook = spawn_webhook(WebhookConfig {
        max_header_bytes: 16 * 1024,
        ..WebhookConfig::default()
    })
    .await;
    let port = webhook.port();
    let text = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let big = "x".repeat(40 * 1024);
        let request = format!("POST /metrics_webhook HTTP/1.1\r\nHost: x\r\nX-Padding: {big}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]");
        let _ = s.write_all(request.as_bytes());
        answer(s)
    })
    .await
    .unwrap();
    assert!(
        text.starts_with("HTTP/1.1 431"),
        "{}",
        &text[..text.len().min(200)]
    );
}
