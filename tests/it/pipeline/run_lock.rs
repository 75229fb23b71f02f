//! One `run` per working folder, one `stream` per offsets file (issue 22, defect 1): a second
//! one stops at once with exit 2, naming the folder and the pid that holds it; the lock goes
//! with its holder, even one killed with SIGKILL; and the one that proceeds reports counts
//! that add up.
//!
//! The SIGKILL test and the "at once" one take [`serial::alone`]. The twenty races do not: a
//! busy neighbour only makes them likelier to overlap, which is what they are after.

use crate::common;

use common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Starts of two `run`s at once; before the lock, 4 tries gave 3 failures and 2 hangs.
const STARTS: usize = 20;

/// `run` over the sample in `dir`, its output captured.
fn spawn_run(dir: &std::path::Path) -> Proc {
    Proc(
        millrace(dir)
            .args(["run", "--no-progress", "--data"])
            .arg(data_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn millrace run"),
    )
}

/// How long a `run` over the sample may take: one that hangs is the defect this file is about.
const RUN_WITHIN: Duration = Duration::from_secs(120);

#[test]
fn of_two_runs_started_together_in_one_folder_one_proceeds_and_the_other_names_it() {
    for start in 0..STARTS {
        let dir = tempfile::tempdir().unwrap();
        let mut first = spawn_run(dir.path());
        let mut second = spawn_run(dir.path());
        let pids = [first.0.id(), second.0.id()];
        let outs = [first.finish(RUN_WITHIN), second.finish(RUN_WITHIN)];
        let codes: Vec<_> = outs.iter().map(|o| o.status.code()).collect();
        let Some(winner) = codes.iter().position(|c| *c == Some(0)) else {
            panic!("start {start}: neither proceeded: {codes:?}\n{outs:?}");
        };
        let loser = 1 - winner;
        assert_eq!(codes[loser], Some(2), "start {start}: {outs:?}");
        let refusal = String::from_utf8_lossy(&outs[loser].stderr);
        let folder = dir.path().canonicalize().unwrap();
        assert!(
            refusal.contains(&format!("(pid {})", pids[winner]))
                && refusal.contains(&folder.display().to_string()),
            "start {start}: the refusal names the holder and the folder: {refusal}"
        );
        let summary = String::from_utf8_lossy(&outs[winner].stdout);
        let words = summary.split_whitespace().collect::<Vec<_>>().join(" ");
        let (m, w) = DATA;
        let counts_add_up = format!(
            "metrics {m} sent {m} stored 0 already held {m} in store workorder {w} sent {w} stored 0 already held {w} in store rate"
        );
        assert!(words.contains(&counts_add_up), "start {start}: {summary}");
        assert_eq!(
            counts(&dir.path().join("millrace.db")),
            DATA,
            "start {start}"
        );
    }
}

#[test]
fn a_run_killed_with_sigkill_leaves_no_lock_behind() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    // A queue and store of its own, so that the next run has only the sample to store, not
    // what this one left queued of data forty times as large; the lock is the offsets
    // file's, which both share.
    let mut killed = Proc::spawn(
        millrace(dir.path())
            .args(["run", "--no-progress", "--batch-size", "500"])
            .args(["--queue", "killed-queue.db", "--db", "killed.db", "--data"])
            .arg(large_data_dir()),
    );
    let db = dir.path().join("killed.db");
    wait_until(Duration::from_secs(60), "the first run storing", || {
        counts(&db).0 > 0
    });
    assert!(
        killed.0.try_wait().unwrap().is_none(),
        "the first run still at work when killed"
    );
    killed.kill();
    let lock = dir.path().join(".millrace/offsets.json.lock");
    assert!(lock.exists(), "the lock file stays; only the lock went");
    let out = spawn_run(dir.path()).finish(RUN_WITHIN);
    assert!(
        out.status.success(),
        "the next run proceeds: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_second_stream_on_one_offsets_file_stops_at_once() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let data = dir.path().join("data");
    copy_data(&data_dir(), &data);
    let following = Proc::spawn(stage.stream(&data).arg("--follow"));
    let lock = dir.path().join(".millrace/offsets.json.lock");
    let pid = following.0.id().to_string();
    wait_until(
        Duration::from_secs(30),
        "the follower taking the lock",
        || std::fs::read_to_string(&lock).is_ok_and(|t| t.starts_with(&pid)),
    );
    let started = Instant::now();
    let out = stage.stream(&data).output_bounded();
    let refusal = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{refusal}");
    assert!(
        refusal.contains(&format!("`millrace stream --follow` (pid {pid})")),
        "{refusal}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "at once");
}
