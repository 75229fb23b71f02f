//! `stream --follow`: records appended to the data files reach the store within a second,
//! exactly once and bit-identical, through appends, half-written records, rotation, a file
//! refused, SIGTERM and a restart.
//!
//! The webhook, the embedded queue, the consumers and SQLite run in this process
//! (`run::Pipeline`); the streamer runs in-process through `stream::follow`, or as the real
//! binary where its exit code and log lines are what is checked.
//!
//! The tests that hold the streamer to "sent within a second", or stop it with SIGTERM, take
//! [`serial::alone`].

use crate::common;

use common::*;
use millrace::app::Pipeline;
use millrace::queue::{EmbeddedQueue, EmbeddedQueueConfig};
use millrace::sender::{SenderConfig, SenderSummary, follow, send_files};
use millrace::store::StoreLocation;
use millrace::support::shutdown;
use millrace::webhook::WebhookConfig;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How soon an appended record must be sent (its offset saved after the webhook's 2xx).
const SENT_WITHIN: Duration = Duration::from_secs(1);
/// How long the store may take beyond that, on a loaded machine.
const STORED_WITHIN: Duration = Duration::from_secs(20);

/// A metric whose value only survives bit-for-bit if its text travels unchanged.
fn metric(i: u64) -> String {
    format!(
        r#"{{"id": {}, "val": 0.30000000000000004e{}, "time": {}}}"#,
        i % 7,
        i % 5,
        1_624_377_478 + i
    )
}

fn workorder(i: u64) -> String {
    format!(
        r#"{{"time": {}, "product": {}, "production": 1.0000000000000002e-{}}}"#,
        1_624_378_574 + i,
        i % 2,
        i % 3
    )
}

/// The records these texts hold.
fn parsed(texts: &[String]) -> Vec<serde_json::Value> {
    texts
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect()
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Appends to an array file in place, the way a producer does: its `]` becomes `, …]`.
fn append_in_place(path: &Path, records: &[String]) {
    use std::io::{Seek, SeekFrom};
    let len = std::fs::metadata(path).unwrap().len();
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(len - 1)).unwrap();
    f.write_all(format!(", {}]", records.join(", ")).as_bytes())
        .unwrap();
}

fn lines(records: &[String]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// Polls `done` until it holds, failing after `within` with `what`.
async fn eventually(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What following ended with, once stopped; fails the test if it has not ended within 10 s.
async fn stopped(
    task: tokio::task::JoinHandle<Result<SenderSummary, millrace::sender::SenderError>>,
) -> Result<SenderSummary, millrace::sender::SenderError> {
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("following stopped within 10 s of the trigger")
        .unwrap()
}

/// The records acknowledged of `file`, as the offsets file says.
fn acknowledged(offsets: &Path, file: &Path) -> u64 {
    let Ok(text) = std::fs::read(offsets) else {
        return 0;
    };
    let Ok(all) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return 0;
    };
    let key = file.canonicalize().unwrap().display().to_string();
    all[&key]["seq"].as_u64().unwrap_or(0)
}

/// A folder with the pipeline running over it and the data folder `data/` in it.
struct Plant {
    dir: tempfile::TempDir,
    pipeline: Pipeline<EmbeddedQueue>,
}

impl Plant {
    async fn start() -> Plant {
        Plant::start_with(WebhookConfig::default()).await
    }

    async fn start_with(webhook: WebhookConfig) -> Plant {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let queue =
            EmbeddedQueue::open(EmbeddedQueueConfig::new(dir.path().join("queue.db"))).unwrap();
        let db = StoreLocation::Sqlite(dir.path().join("millrace.db"));
        let pipeline = Pipeline::start(&db, queue, webhook, "127.0.0.1:0")
            .await
            .unwrap();
        Plant { dir, pipeline }
    }

    fn data(&self, name: &str) -> PathBuf {
        self.dir.path().join("data").join(name)
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("millrace.db")
    }

    fn offsets(&self) -> PathBuf {
        self.dir.path().join("offsets.json")
    }

    fn url(&self) -> String {
        format!("http://{}", self.pipeline.addr)
    }

    fn config(&self) -> SenderConfig {
        SenderConfig {
            data: self.dir.path().join("data"),
            webhook: self.url(),
            initial: false,
            batch_size: 5000,
            offsets: self.offsets(),
            retry_for: Duration::from_secs(10),
            progress: false,
            credentials: Default::default(),
            ca_cert: None,
        }
    }

    /// Follows the data folder in-process until the returned trigger is fired.
    fn follow(
        &self,
    ) -> (
        shutdown::Trigger,
        tokio::task::JoinHandle<Result<SenderSummary, millrace::sender::SenderError>>,
    ) {
        let (trigger, stop) = shutdown::channel();
        let task = tokio::spawn(follow(self.config(), stop));
        (trigger, task)
    }

    /// Waits until `file`'s first `n` records are acknowledged, within [`SENT_WITHIN`].
    async fn sent(&self, file: &str, n: u64) {
        let (offsets, path) = (self.offsets(), self.data(file));
        eventually(SENT_WITHIN, &format!("{n} records of {file} sent"), || {
            acknowledged(&offsets, &path) >= n
        })
        .await;
    }

    /// Waits until the store holds `want` rows.
    async fn stored(&self, want: (u64, u64)) {
        let db = self.db();
        eventually(STORED_WITHIN, &format!("{want:?} stored"), || {
            counts(&db) == want
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appended_lines_and_array_records_are_stored_once_within_a_second() {
    let _alone = serial::alone_async().await;
    let plant = Plant::start().await;
    let metrics: Vec<String> = (0..5).map(metric).collect();
    let workorders: Vec<String> = (0..5).map(workorder).collect();
    std::fs::write(plant.data("metrics.json"), format!("[{}]", metrics[0])).unwrap();
    std::fs::write(plant.data("workorder.json"), lines(&workorders[..1])).unwrap();
    let (stop, task) = plant.follow();
    plant.sent("metrics.json", 1).await;
    plant.sent("workorder.json", 1).await;

    for round in [1..3, 3..5] {
        append_in_place(&plant.data("metrics.json"), &metrics[round.clone()]);
        append(
            &plant.data("workorder.json"),
            &lines(&workorders[round.clone()]),
        );
        plant.sent("metrics.json", round.end as u64).await;
        plant.sent("workorder.json", round.end as u64).await;
    }
    plant.stored((5, 5)).await;
    stop.fire();
    let summary = stopped(task).await.unwrap();
    assert_eq!(summary.sent.iter().map(|(_, n)| n).sum::<u64>(), 10);
    assert!(stored_metrics(&plant.db()) == metric_rows(&parsed(&metrics)));
    assert!(stored_workorders(&plant.db()) == workorder_rows(&parsed(&workorders)));

    // Started again, it has nothing to send.
    let again = send_files(plant.config(), shutdown::channel().1)
        .await
        .unwrap();
    assert!(again.sent.iter().all(|(_, n)| *n == 0), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_written_in_two_halves_is_stored_once_whole() {
    let _alone = serial::alone_async().await;
    let plant = Plant::start().await;
    let path = plant.data("metrics.json");
    let records: Vec<String> = (0..2).map(metric).collect();
    std::fs::write(&path, format!("[{}", records[0])).unwrap();
    let (stop, task) = plant.follow();
    plant.sent("metrics.json", 1).await;
    let (half, rest) = records[1].split_at(records[1].len() / 2);
    append(&path, &format!(", {half}"));
    // Time for the follower to see the half, and wait for the rest rather than refuse it.
    tokio::time::sleep(3 * millrace::sender::POLL).await;
    assert_eq!(acknowledged(&plant.offsets(), &path), 1);
    append(&path, &format!("{rest}]"));
    plant.sent("metrics.json", 2).await;
    plant.stored((2, 0)).await;
    stop.fire();
    stopped(task).await.unwrap();
    assert!(stored_metrics(&plant.db()) == metric_rows(&parsed(&records)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_file_is_followed_and_both_files_records_are_stored_once() {
    let _alone = serial::alone_async().await;
    let plant = Plant::start().await;
    let path = plant.data("metrics.json");
    let records: Vec<String> = (0..6).map(metric).collect();
    std::fs::write(&path, lines(&records[..2])).unwrap();
    let (stop, task) = plant.follow();
    plant.sent("metrics.json", 2).await;
    // A last line, then rotation: renamed away, a new file in its place.
    append(&path, &lines(&records[2..3]));
    std::fs::rename(&path, plant.data("metrics.json.1")).unwrap();
    std::fs::write(&path, lines(&records[3..5])).unwrap();
    plant.stored((5, 0)).await;
    // The new file is a source of its own, counted from its start.
    append(&path, &lines(&records[5..]));
    plant.sent("metrics.json", 3).await;
    plant.stored((6, 0)).await;
    stop.fire();
    stopped(task).await.unwrap();
    assert!(stored_metrics(&plant.db()) == metric_rows(&parsed(&records)));
    let again = send_files(plant.config(), shutdown::channel().1)
        .await
        .unwrap();
    assert!(again.sent.iter().all(|(_, n)| *n == 0), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_the_webhook_refuses_ends_following_with_its_error() {
    let plant = Plant::start_with(WebhookConfig {
        max_batch_records: 1,
        ..WebhookConfig::default()
    })
    .await;
    std::fs::write(plant.data("workorder.json"), lines(&[workorder(0)])).unwrap();
    std::fs::write(plant.data("metrics.json"), lines(&[metric(0), metric(1)])).unwrap();
    let (_stop, task) = plant.follow();
    // The work-order follower stops too, so the error comes out instead of following on.
    let ended = tokio::time::timeout(STORED_WITHIN, task).await;
    let err = ended.expect("following ended").unwrap().unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
}

/// `stream --follow` of the real binary against the plant, its log in `log`.
fn follow_binary(plant: &Plant, log: &Path) -> Command {
    let mut cmd = millrace(plant.dir.path());
    cmd.args(["stream", "--no-progress", "--webhook"])
        .arg(plant.url())
        .args(["--data", "data", "--offsets", "offsets.json"])
        .stderr(std::fs::File::create(log).unwrap());
    cmd
}

/// Stops the streamer with SIGTERM and waits for it to exit; gives its exit code and what it
/// printed.
fn terminated(mut streamer: Proc) -> (Option<i32>, String) {
    streamer.terminate();
    let out = streamer.finish(Duration::from_secs(10));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_cut_short_is_refused_loudly_and_the_other_keeps_flowing() {
    let _alone = serial::alone_async().await;
    let plant = Plant::start().await;
    let metrics: Vec<String> = (0..3).map(metric).collect();
    let workorders: Vec<String> = (0..2).map(workorder).collect();
    std::fs::write(plant.data("metrics.json"), lines(&metrics[..2])).unwrap();
    std::fs::write(plant.data("workorder.json"), lines(&workorders[..1])).unwrap();
    let log = plant.dir.path().join("stream.log");
    let mut cmd = follow_binary(&plant, &log);
    let streamer = Proc(cmd.arg("--follow").stdout(Stdio::piped()).spawn().unwrap());
    plant.stored((2, 1)).await;

    std::fs::write(plant.data("metrics.json"), lines(&metrics[..1])).unwrap();
    eventually(STORED_WITHIN, "the refusal logged", || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("shorter"))
    })
    .await;
    append(&plant.data("metrics.json"), &lines(&metrics[2..]));
    append(&plant.data("workorder.json"), &lines(&workorders[1..]));
    plant.sent("workorder.json", 2).await;
    plant.stored((2, 2)).await;

    let (code, _) = terminated(streamer);
    assert_eq!(code, Some(0), "a refused file does not end the stream");
    let log = std::fs::read_to_string(&log).unwrap();
    let refusal = log.lines().find(|l| l.contains("shorter")).unwrap();
    assert!(refusal.contains("ERROR"), "{refusal}");
    assert!(refusal.contains("metrics.json"), "{refusal}");
    assert!(refusal.contains("--initial"), "says what to do: {refusal}");
    assert_eq!(
        counts(&plant.db()),
        (2, 2),
        "nothing of the refused file after it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_saves_the_offsets_and_a_restart_sends_nothing_twice() {
    let _alone = serial::alone_async().await;
    let plant = Plant::start().await;
    let metrics: Vec<String> = (0..4).map(metric).collect();
    let workorders: Vec<String> = (0..3).map(workorder).collect();
    std::fs::write(plant.data("metrics.json"), format!("[{}]", metrics[0])).unwrap();
    std::fs::write(plant.data("workorder.json"), lines(&workorders[..1])).unwrap();
    let log = plant.dir.path().join("stream.log");

    // Following is switched on by the environment here, by millrace.toml below.
    let mut cmd = follow_binary(&plant, &log);
    cmd.env("MILLRACE_FOLLOW", "true").stdout(Stdio::piped());
    let streamer = Proc(cmd.spawn().unwrap());
    plant.sent("metrics.json", 1).await;
    append_in_place(&plant.data("metrics.json"), &metrics[1..3]);
    append(&plant.data("workorder.json"), &lines(&workorders[1..2]));
    plant.sent("metrics.json", 3).await;
    plant.sent("workorder.json", 2).await;
    let (code, out) = terminated(streamer);
    assert_eq!(code, Some(0), "{}", std::fs::read_to_string(&log).unwrap());
    assert!(out.contains("metrics: 3 records sent"), "{out}");

    // Records written while it was stopped are sent by the next one, and only they.
    append_in_place(&plant.data("metrics.json"), &metrics[3..]);
    std::fs::write(plant.dir.path().join("millrace.toml"), "follow = true\n").unwrap();
    let mut cmd = follow_binary(&plant, &log);
    let streamer = Proc(cmd.stdout(Stdio::piped()).spawn().unwrap());
    append(&plant.data("workorder.json"), &lines(&workorders[2..]));
    plant.sent("metrics.json", 4).await;
    plant.sent("workorder.json", 3).await;
    plant.stored((4, 3)).await;
    let (code, out) = terminated(streamer);
    assert_eq!(code, Some(0));
    assert!(out.contains("metrics: 1 records sent"), "{out}");
    assert!(out.contains("workorder: 1 records sent"), "{out}");
    assert!(stored_metrics(&plant.db()) == metric_rows(&parsed(&metrics)));
    assert!(stored_workorders(&plant.db()) == workorder_rows(&parsed(&workorders)));
}
