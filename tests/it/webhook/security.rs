//! Authentication end to end (the streamer presents what the webhook asks for), refusing to
//! listen beyond loopback unprotected, and secrets kept out of every message and log.

use crate::common;

use common::*;
use std::time::Duration;

const TOKEN: &str = "s3cret-t0ken-value";

#[test]
fn the_streamer_authenticates_with_a_token_or_a_signature() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keys.txt"), "# HMAC key\nsigning-k3y\n").unwrap();
    let mut stage = Stage::new(dir.path());
    stage.queue_args = vec![
        "--auth-token".into(),
        TOKEN.into(),
        "--hmac-key-file".into(),
        "keys.txt".into(),
    ];
    let mut serve_cmd = stage.serve_cmd();
    let serve = Proc::spawn(
        serve_cmd
            .env("MILLRACE_LOG", "debug")
            .stderr(std::process::Stdio::piped()),
    );
    wait_healthy(stage.port);
    let _consumer = Proc::spawn(millrace(dir.path()).args(["consume", "all"]));

    // Without credentials: refused, with the server's reason, and nothing stored.
    let refused = stage.stream(data_dir()).output_bounded();
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("401") && err.contains("authentication required"),
        "{err}"
    );

    // A wrong token: refused, and the message does not repeat it.
    let wrong = stage
        .stream(data_dir())
        .args(["--auth-token", "not-the-token"])
        .output_bounded();
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains("token is not valid") && !err.contains("not-the-token"),
        "{err}"
    );

    // The right token, then the signature (the offsets file is per run folder, so resend).
    run_ok(stage.stream(data_dir()).env("MILLRACE_AUTH_TOKENS", TOKEN));
    run_ok(
        stage
            .stream(data_dir())
            .args(["--initial", "--hmac-key", "signing-k3y"]),
    );
    wait_for_counts(
        &dir.path().join("millrace.db"),
        DATA,
        Duration::from_secs(60),
    );

    let mut serve = serve;
    serve.kill();
    let mut log = String::new();
    use std::io::Read;
    serve
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        !log.contains(TOKEN) && !log.contains("signing-k3y"),
        "secrets in the log:\n{log}"
    );
}

#[test]
fn listening_beyond_loopback_needs_authentication_or_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = millrace(dir.path())
        .args(["serve", "--listen"])
        .arg(format!("0.0.0.0:{port}"))
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen") && err.contains("--insecure"),
        "{err}"
    );

    let _open = Proc::spawn(
        millrace(dir.path())
            .args(["serve", "--insecure", "--listen"])
            .arg(format!("0.0.0.0:{port}")),
    );
    wait_healthy(port);
    let protected_port = free_port();
    let _protected = Proc::spawn(
        millrace(dir.path())
            .args([
                "serve",
                "--auth-token",
                TOKEN,
                "--queue",
                "other.db",
                "--listen",
            ])
            .arg(format!("0.0.0.0:{protected_port}")),
    );
    wait_healthy(protected_port);
}
