//! The live dashboard end to end: started in-process on a free port over a store holding the
//! sample, and asked over real HTTP what a browser asks.

use crate::common;

use common::http::client;
use common::{DATA_WORK_ORDERS, OutputWithin, data_dir, http, millrace, run_ok};
use millrace::auth::Credentials;
use millrace::live::Feed;
use millrace::record::{Records, WorkOrder};
use millrace::store::{Incoming, SqliteStore, Store, StoreLocation};
use millrace::support::shutdown::{self, Trigger};
use millrace::support::tls::TlsFiles;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A dashboard served in-process; stops when dropped.
struct Dashboard {
    addr: SocketAddr,
    _stop: Trigger,
}

impl Dashboard {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Serves the dashboard over `feed` on a free loopback port.
async fn spawn_dashboard(feed: Feed, credentials: Credentials) -> Dashboard {
    spawn_dashboard_tls(feed, credentials, None).await
}

/// [`spawn_dashboard`], over HTTPS with `tls`.
async fn spawn_dashboard_tls(
    feed: Feed,
    credentials: Credentials,
    tls: Option<TlsFiles>,
) -> Dashboard {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, shutdown) = shutdown::channel();
    tokio::spawn(millrace::dashboard::serve(
        listener,
        tls,
        credentials,
        feed,
        shutdown,
    ));
    Dashboard { addr, _stop: stop }
}

/// The live analysis of the SQLite store at `db`, served; the analyst stops with the server.
async fn watch_store(db: &Path, credentials: Credentials) -> (Dashboard, Trigger) {
    let (analyst_stop, analyst) = shutdown::channel();
    let (feed, _analyst) = millrace::live::spawn(
        StoreLocation::Sqlite(db.to_path_buf()),
        millrace::report::Options::default(),
        analyst,
    );
    (spawn_dashboard(feed, credentials).await, analyst_stop)
}

/// A store holding the sample, written by the real pipeline.
fn sample_store(dir: &Path) -> PathBuf {
    run_ok(
        millrace(dir)
            .arg("run")
            .arg("--data")
            .arg(data_dir())
            .args(["--db", "store.db", "--report-dir", "report"]),
    );
    dir.join("store.db")
}

/// `/api/report` once the first analysis is ready.
async fn ready_report(dashboard: &Dashboard) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = client()
            .get(dashboard.url("/api/report"))
            .send()
            .await
            .unwrap();
        if answer.status() == 200 {
            return serde_json::from_str(&answer.text().await.unwrap()).unwrap();
        }
        assert_eq!(answer.status(), 503, "{}", answer.text().await.unwrap());
        assert!(Instant::now() < deadline, "no analysis within a minute");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_is_top3_json_of_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_store(dir.path());
    let (dashboard, _analyst) = watch_store(&db, Credentials::default()).await;
    let mut live = ready_report(&dashboard).await;

    let location = StoreLocation::Sqlite(db.clone());
    let mut store = location.open().unwrap();
    let options = millrace::report::Options::default();
    let report = millrace::report::build(&mut store, &location.to_string(), options).unwrap();
    let expected = serde_json::to_value(millrace::report::render::json::document(&report)).unwrap();

    let extras = live.as_object_mut().unwrap();
    let streams = extras.remove("streams").expect("streams");
    assert_eq!(
        streams["workorder"]["records"], DATA_WORK_ORDERS,
        "{streams}"
    );
    assert!(extras.remove("updated_at").unwrap().is_i64());
    let timelines = extras.remove("timelines").expect("timelines");
    assert_eq!(
        timelines.as_array().unwrap().len(),
        expected["products"].as_array().unwrap().len()
    );
    assert_eq!(live, expected);
}

/// Reads an event stream until the next `report` event, and returns its document.
async fn next_report(events: &mut reqwest::Response, buffer: &mut String) -> serde_json::Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.lines().any(|l| l == "event: report") {
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("a data line");
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(60), events.chunk())
            .await
            .expect("an event within a minute")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

fn intervals(document: &serde_json::Value) -> Vec<u64> {
    document["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["intervals"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn events_bring_the_report_on_connect_and_again_after_new_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_store(dir.path());
    let (dashboard, _analyst) = watch_store(&db, Credentials::default()).await;
    ready_report(&dashboard).await;
    let mut events = client()
        .get(dashboard.url("/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let first = next_report(&mut events, &mut buffer).await;

    // Two more work orders per product, an hour apart, after the sample's last.
    let last = first["streams"]["workorder"]["newest_time"]
        .as_i64()
        .unwrap();
    let more: Vec<WorkOrder> = (1..=2)
        .flat_map(|k| {
            (0..2).map(move |product| WorkOrder {
                time: last + 3600 * k,
                product,
                production: 1.0e6 + k as f64,
            })
        })
        .collect();
    let records = Records::Workorder(more);
    SqliteStore::open(&db)
        .unwrap()
        .write(&[Incoming {
            origin: "dashboard-test",
            first_seq: 0,
            records: &records,
        }])
        .unwrap();

    let second = next_report(&mut events, &mut buffer).await;
    assert_eq!(
        second["streams"]["workorder"]["records"],
        DATA_WORK_ORDERS + 4
    );
    let (before, after) = (intervals(&first), intervals(&second));
    assert!(
        before.iter().zip(&after).all(|(b, a)| a > b),
        "{before:?} → {after:?}"
    );
}

#[tokio::test]
async fn the_report_is_503_until_the_first_analysis() {
    let (_publish, feed) = tokio::sync::watch::channel(None);
    let dashboard = spawn_dashboard(feed, Credentials::default()).await;
    let answer = client()
        .get(dashboard.url("/api/report"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    assert!(answer.headers().contains_key("retry-after"));
    let body: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("not ready"),
        "{body}"
    );
}

#[tokio::test]
async fn every_answer_carries_the_policy_and_only_get_is_allowed() {
    let (_publish, feed) = tokio::sync::watch::channel(None);
    let dashboard = spawn_dashboard(feed, Credentials::default()).await;
    let http = client();
    for path in [
        "/",
        "/assets/app.js",
        "/assets/app.css",
        "/api/report",
        "/nope",
    ] {
        let answer = http.get(dashboard.url(path)).send().await.unwrap();
        let csp = answer.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        for directive in [
            "default-src 'self'",
            "connect-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
    }
    let page = http.get(dashboard.url("/")).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script src="/assets/app.js""#));
    assert!(!html.contains("<script>"), "no inline script");
    for path in ["/", "/api/report", "/api/events", "/healthz"] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let answer = http
                .request(method.clone(), dashboard.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 405, "{method} {path}");
            assert!(answer.headers().contains_key("content-security-policy"));
        }
    }
}

#[tokio::test]
async fn with_tokens_a_browser_logs_in_with_basic_auth() {
    let (_publish, feed) = tokio::sync::watch::channel(None);
    let credentials = Credentials::new(vec!["s3cret".into(), "other".into()], vec![]);
    let dashboard = spawn_dashboard(feed, credentials).await;
    let http = client();
    for path in ["/", "/assets/app.js", "/api/report", "/api/events"] {
        let anonymous = http.get(dashboard.url(path)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{path}");
        assert_eq!(
            anonymous.headers()["www-authenticate"],
            r#"Basic realm="millrace""#
        );
        let wrong = http
            .get(dashboard.url(path))
            .basic_auth("plant", Some("guess"))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
        let bearer = http
            .get(dashboard.url(path))
            .bearer_auth("s3cret")
            .send()
            .await
            .unwrap();
        assert_eq!(bearer.status(), 401, "{path}: only Basic is read");
    }
    let page = http
        .get(dashboard.url("/"))
        .basic_auth("anyone", Some("other"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let report = http
        .get(dashboard.url("/api/report"))
        .basic_auth("", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        report.status(),
        503,
        "let in, and the analysis is not ready"
    );
    let health = http.get(dashboard.url("/healthz")).send().await.unwrap();
    assert_eq!(
        health.status(),
        200,
        "the health check needs no credentials"
    );
}

#[tokio::test]
async fn it_serves_https_with_the_tls_options() {
    let dir = tempfile::tempdir().unwrap();
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let (_publish, feed) = tokio::sync::watch::channel(None);
    let credentials = Credentials::new(vec!["s3cret".into()], vec![]);
    let tls = TlsFiles {
        cert: cert.clone(),
        key,
    };
    let dashboard = spawn_dashboard_tls(feed, credentials, Some(tls)).await;
    let https = http::client_builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    let page = https
        .get(format!("https://localhost:{}/", dashboard.addr.port()))
        .basic_auth("plant", Some("s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("content-security-policy"));
    let plain = client().get(dashboard.url("/healthz")).send().await;
    assert!(plain.is_err(), "plain HTTP is not served beside HTTPS");
}

#[test]
fn listening_beyond_loopback_needs_a_token_or_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let out = millrace(dir.path())
        .args(["dashboard", "--listen", "0.0.0.0:0"])
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0")
            && err.contains("could read the analysis")
            && err.contains("--auth-token")
            && err.contains("--insecure"),
        "{err}"
    );
    // The address from the environment and from millrace.toml, guarded the same way.
    let from_env = millrace(dir.path())
        .arg("dashboard")
        .env("MILLRACE_DASHBOARD_LISTEN", "0.0.0.0:0")
        .output_bounded();
    assert_eq!(from_env.status.code(), Some(2));
    std::fs::write(
        dir.path().join("millrace.toml"),
        "dashboard_listen = \"0.0.0.0:0\"\n",
    )
    .unwrap();
    let from_file = millrace(dir.path()).arg("dashboard").output_bounded();
    assert_eq!(from_file.status.code(), Some(2));
    let err = String::from_utf8_lossy(&from_file.stderr);
    assert!(err.contains("refusing to listen on 0.0.0.0:0"), "{err}");
    // An HMAC key protects the webhook, not the dashboard: a browser cannot sign.
    let signed_only = millrace(dir.path())
        .args(["dashboard", "--listen", "0.0.0.0:0"])
        .env("MILLRACE_HMAC_KEY", "k")
        .output_bounded();
    assert_eq!(signed_only.status.code(), Some(2));
}
