//! Helpers shared by the end-to-end tests: the real binary, real files, real HTTP.

pub mod data;
pub mod live;
pub mod mqtt;
pub mod scenarios;
pub mod services;

pub use data::{DATA, DATA_METRICS, DATA_WORK_ORDERS, data_dir, large_data_dir};
use millrace::queue::{EmbeddedQueue, EmbeddedQueueConfig, Queue};
use millrace::support::shutdown;
use millrace::webhook::{AppState, WebhookConfig, serve};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The millrace binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_millrace")
}

/// A millrace command run in `dir`, with no settings leaking in from the environment.
pub fn millrace(dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("MILLRACE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("MILLRACE_LOG", "warn");
    cmd
}

/// Runs a command to completion; panics with its output if it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn millrace");
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A child process killed when the test ends, whatever happens.
pub struct Proc(pub Child);

impl Proc {
    pub fn spawn(cmd: &mut Command) -> Proc {
        Proc(cmd.stdout(Stdio::null()).spawn().expect("spawn millrace"))
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Waits for the process to exit by itself and asserts it failed (it crashed on purpose).
    pub fn wait_crash(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                assert!(!status.success(), "process was expected to crash");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "process did not crash in {within:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the process to exit and asserts it succeeded.
    pub fn wait_ok(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                assert!(status.success(), "process failed with {status}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "process did not finish in {within:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the webhook on `port` answers its health check.
pub fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("webhook on port {port} never became healthy");
}

/// `GET path` on a loopback port, its body parsed as JSON; `None` unless it answered 200
/// with JSON.
pub fn get_json(port: u16, path: &str) -> Option<serde_json::Value> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
        .ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    head.split(' ').nth(1).filter(|status| *status == "200")?;
    serde_json::from_str(body).ok()
}

/// `POST path` of a JSON `body` on a loopback port: the status and the answer as JSON
/// (`Null` when it is not JSON).
pub fn post_json(port: u16, path: &str, body: &str) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let (head, text) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, serde_json::from_str(text).unwrap_or_default())
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

/// A metric as stored: (id, bits of val, time).
pub type MetricRow = (i64, u64, i64);
/// A work order as stored: (time, product, bits of production).
pub type WorkOrderRow = (i64, i64, u64);

/// Every stored metric, sorted.
pub fn stored_metrics(db: &Path) -> Vec<MetricRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT id, val, time FROM metrics").unwrap();
    let mut rows: Vec<MetricRow> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get::<_, f64>(1)?.to_bits(), r.get(2)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// Every stored work order, sorted.
pub fn stored_workorders(db: &Path) -> Vec<WorkOrderRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT time, product, production FROM workorder")
        .unwrap();
    let mut rows: Vec<WorkOrderRow> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, f64>(2)?.to_bits()))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// Row counts, or zero while the tables do not exist yet.
pub fn counts(db: &Path) -> (u64, u64) {
    let Ok(conn) = rusqlite::Connection::open(db) else {
        return (0, 0);
    };
    let count = |table: &str| {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
        .unwrap_or(0)
    };
    (count("metrics"), count("workorder"))
}

fn json_array(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read(path).unwrap();
    serde_json::from_slice(&text).unwrap()
}

/// The metrics of a source file, as the store should hold them, sorted.
pub fn source_metrics(path: &Path) -> Vec<MetricRow> {
    let mut rows: Vec<MetricRow> = json_array(path)
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["val"].as_f64().unwrap().to_bits(),
                r["time"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The work orders of a source file, as the store should hold them, sorted.
pub fn source_workorders(path: &Path) -> Vec<WorkOrderRow> {
    let mut rows: Vec<WorkOrderRow> = json_array(path)
        .iter()
        .map(|r| {
            (
                r["time"].as_i64().unwrap(),
                r["product"].as_i64().unwrap(),
                r["production"].as_f64().unwrap().to_bits(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Asserts the store holds exactly the records of the data folder: nothing lost, nothing
/// doubled, every value bit-identical.
pub fn assert_store_matches(db: &Path, data: &Path) {
    let want_m = source_metrics(&data.join("metrics.json"));
    let want_w = source_workorders(&data.join("workorder.json"));
    let got_m = stored_metrics(db);
    let got_w = stored_workorders(db);
    assert_eq!(got_m.len(), want_m.len(), "metric row count");
    assert_eq!(got_w.len(), want_w.len(), "work order row count");
    assert!(got_m == want_m, "stored metrics differ from the source");
    assert!(got_w == want_w, "stored work orders differ from the source");
}

/// Messages of either stream still in the embedded queue of `dir` (ready or in flight).
pub fn queued(dir: &Path) -> u64 {
    let Ok(conn) = rusqlite::Connection::open(dir.join(".millrace/queue.db")) else {
        return 0;
    };
    conn.query_row(
        "SELECT COUNT(*) FROM messages WHERE queue IN ('metrics', 'workorder')",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
    .unwrap_or(0)
}

/// Waits until the queue in `dir` is empty and the store holds at least `want` rows, then
/// asserts the store matches the data folder exactly. Waiting for the queue, not only for the
/// counts, lets any redelivered duplicates arrive before the check.
pub fn settle_and_check(dir: &Path, data: &Path, want: (u64, u64)) {
    let db = dir.join("millrace.db");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got = counts(&db);
        if queued(dir) == 0 && got.0 >= want.0 && got.1 >= want.1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "store holds {got:?} of {want:?}; {} still queued",
            queued(dir)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_store_matches(&db, data);
}

/// Waits until the store holds `want` rows of each table.
pub fn wait_for_counts(db: &Path, want: (u64, u64), within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let got = counts(db);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "store holds {got:?}, expected {want:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Copies the data files of `from` into `to`.
pub fn copy_data(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["metrics.json", "workorder.json"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

/// Appends records to a JSON-array file the way a producer does: the closing bracket moves.
pub fn append_to_array(path: &Path, records: &[serde_json::Value]) {
    let text = std::fs::read_to_string(path).unwrap();
    let body = text.trim_end().strip_suffix(']').expect("a JSON array");
    let mut out = body.to_string();
    for r in records {
        out.push_str(", ");
        out.push_str(&r.to_string());
    }
    out.push(']');
    std::fs::write(path, out).unwrap();
}

/// The separate processes of a deployment, started in `dir` around one webhook port.
pub struct Stage<'a> {
    pub dir: &'a Path,
    pub port: u16,
    /// Arguments that choose the queue, given to `serve` and `consume`.
    pub queue_args: Vec<String>,
}

impl Stage<'_> {
    pub fn new(dir: &Path) -> Stage<'_> {
        Stage {
            dir,
            port: free_port(),
            queue_args: Vec::new(),
        }
    }

    pub fn serve_cmd(&self) -> Command {
        let mut cmd = millrace(self.dir);
        cmd.args(["serve", "--listen"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(&self.queue_args);
        cmd
    }

    /// Starts the webhook and waits until it answers.
    pub fn serve(&self) -> Proc {
        let p = Proc::spawn(&mut self.serve_cmd());
        wait_healthy(self.port);
        p
    }

    pub fn consume_cmd(&self) -> Command {
        let mut cmd = millrace(self.dir);
        cmd.args(["consume", "all", "--redeliver-after", "1"])
            .args(&self.queue_args);
        cmd
    }

    pub fn consume(&self) -> Proc {
        Proc::spawn(&mut self.consume_cmd())
    }

    /// Streams a single metric from a folder of its own, to prove the pipeline is writing
    /// before a test disturbs it.
    pub fn stream_one_record(&self) {
        let first = self.dir.join("first");
        std::fs::create_dir_all(&first).unwrap();
        std::fs::write(
            first.join("metrics.json"),
            r#"[{"id": 1, "val": 0.5, "time": 1624377478}]"#,
        )
        .unwrap();
        run_ok(&mut self.stream(&first));
    }

    /// The streamer, sending `data` in small batches.
    pub fn stream(&self, data: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = millrace(self.dir);
        cmd.args([
            "stream",
            "--batch-size",
            "250",
            "--no-progress",
            "--webhook",
        ])
        .arg(format!("http://127.0.0.1:{}", self.port))
        .arg("--data")
        .arg(data);
        cmd
    }
}
