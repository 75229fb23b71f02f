//! HTTPS end to end: `serve` with a certificate and key, the streamer trusting it through
//! `--ca-cert`, and a clear, immediate error when the certificate is not trusted.

use crate::common;

use common::*;
use std::time::Duration;

fn certificate(dir: &std::path::Path) {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
}

#[test]
fn the_streamer_sends_over_https() {
    let dir = tempfile::tempdir().unwrap();
    certificate(dir.path());
    let port = free_port();
    let _serve = Proc::spawn(
        millrace(dir.path())
            .args([
                "serve",
                "--tls-cert",
                "cert.pem",
                "--tls-key",
                "key.pem",
                "--listen",
            ])
            .arg(format!("127.0.0.1:{port}")),
    );
    let _consume = Proc::spawn(millrace(dir.path()).args(["consume", "all"]));
    let webhook = format!("https://localhost:{port}");
    // Wait for the server by trying until the certificate error (not a refused connection)
    // says it is up.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let untrusted = loop {
        let out = millrace(dir.path())
            .args([
                "stream",
                "--no-progress",
                "--retry-for",
                "1",
                "--webhook",
                &webhook,
                "--data",
            ])
            .arg(data_dir())
            .output_bounded();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if err.contains("--ca-cert") || std::time::Instant::now() > deadline {
            assert_eq!(out.status.code(), Some(1));
            break err;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        untrusted.contains("cannot talk TLS") && untrusted.contains("--ca-cert"),
        "{untrusted}"
    );
    run_ok(
        millrace(dir.path())
            .args([
                "stream",
                "--no-progress",
                "--ca-cert",
                "cert.pem",
                "--webhook",
                &webhook,
                "--data",
            ])
            .arg(data_dir()),
    );
    wait_for_counts(
        &dir.path().join("millrace.db"),
        DATA,
        Duration::from_secs(60),
    );
}

#[test]
fn a_missing_key_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let out = millrace(dir.path())
        .args(["serve", "--tls-cert", "cert.pem"])
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
    certificate(dir.path());
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let out = millrace(dir.path())
        .args([
            "serve",
            "--tls-cert",
            "cert.pem",
            "--tls-key",
            "key.pem",
            "--listen",
            "127.0.0.1:0",
        ])
        .output_bounded();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot load the TLS certificate cert.pem and key key.pem"),
        "{err}"
    );
}
