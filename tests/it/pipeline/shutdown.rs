//! SIGTERM stops every long-running command gracefully: it stops taking work, settles what
//! it holds and exits 0 — or, for a plain `run` cut short before its end, 143 (130 after
//! SIGINT), saying it was interrupted and what it did not send — and nothing is lost or
//! doubled across the stop. A store that is locked for a while is waited out, not given up
//! on.
//!
//! Every test here takes [`serial::alone`]: each sends signals and waits for the exit within a
//! bound, and the locked-store tests hold a lock past SQLite's busy timeout.

use crate::common;

use common::*;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// SQLite's busy timeout for the consumers of the locked-store tests: the lock is held past it
/// within a second or two instead of the 10 s a real deployment waits.
const BUSY_TIMEOUT_MS: &str = "1000";

#[test]
fn every_command_stops_gracefully_on_sigterm() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        millrace(dir.path()).args(["generate", "--out", "data", "--scale", "10", "--seed", "4"]),
    );
    let data = dir.path().join("data");
    let want = (
        source_metrics(&data.join("metrics.json")).len() as u64,
        source_workorders(&data.join("workorder.json")).len() as u64,
    );
    let stage = Stage::new(dir.path());
    let mut serve = stage.serve();
    let mut consume = stage.consume();
    let mut stream = Proc::spawn(&mut stage.stream("data"));
    let db = dir.path().join("millrace.db");
    wait_until(Duration::from_secs(60), "5,000 metrics stored", || {
        counts(&db).0 >= 5_000
    });
    for p in [&stream, &consume, &serve] {
        p.terminate();
    }
    let within = Duration::from_secs(20);
    assert_eq!(stream.wait_exit(within).code(), Some(0), "stream");
    assert_eq!(consume.wait_exit(within).code(), Some(0), "consume");
    assert_eq!(serve.wait_exit(within).code(), Some(0), "serve");
    assert!(counts(&db).0 < want.0, "stopped before the end");

    // Started again, they finish the job: nothing lost, nothing doubled.
    let _serve = stage.serve();
    let _consume = stage.consume();
    run_ok(&mut stage.stream("data"));
    settle_and_check(dir.path(), &data, want);

    // `run` too, with offsets and a queue of its own: with the stages' it would find the
    // data sent already and be gone before the signal.
    let mut run = Proc::spawn(millrace(dir.path()).args([
        "run",
        "--no-progress",
        "--db",
        "other.db",
        "--offsets",
        "other-offsets.json",
        "--queue",
        "other-queue.db",
        "--data",
        "data",
        "--batch-size",
        "50",
    ]));
    let other = dir.path().join("other.db");
    wait_until(Duration::from_secs(30), "`run` writing", || {
        counts(&other).0 > 0
    });
    assert!(
        run.0.try_wait().unwrap().is_none(),
        "`run` at work when signalled"
    );
    run.terminate();
    assert_eq!(
        run.wait_exit(Duration::from_secs(20)).code(),
        Some(143),
        "run, cut short by SIGTERM"
    );
    assert!(counts(&other).0 < want.0, "`run` stopped before the end");
}

/// `consume` with a short busy timeout, its log in `log`.
fn consume_logged(stage: &Stage, log: &Path) -> Proc {
    Proc::spawn(
        stage
            .consume_cmd()
            .env("MILLRACE_SQLITE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
            .stderr(std::fs::File::create(log).unwrap()),
    )
}

/// Waits until the consumer logging to `log` has met the store's lock and given up on one
/// write: the lock has been held past its busy timeout.
fn wait_past_the_busy_timeout(log: &Path) {
    wait_for_log(log, "locked", Duration::from_secs(30));
}

#[test]
fn a_locked_store_is_waited_out() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let db = dir.path().join("millrace.db");
    // Create the store, then hold its write lock for longer than SQLite's busy timeout.
    millrace::store::SqliteStore::open(&db).unwrap();
    let blocker = rusqlite::Connection::open(&db).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let log = dir.path().join("consume.log");
    let _consume = consume_logged(&stage, &log);
    run_ok(&mut stage.stream(data_dir()));
    wait_past_the_busy_timeout(&log);
    assert_eq!(
        counts_while_locked(&blocker),
        (0, 0),
        "nothing written while locked"
    );
    blocker.execute_batch("COMMIT").unwrap();
    settle_and_check(dir.path(), &data_dir(), DATA);
}

fn counts_while_locked(conn: &rusqlite::Connection) -> (u64, u64) {
    let count = |t: &str| {
        conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as u64
    };
    (count("metrics"), count("workorder"))
}

#[test]
fn a_store_locked_while_consuming_is_waited_out() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let log = dir.path().join("consume.log");
    let _consume = consume_logged(&stage, &log);
    let db = dir.path().join("millrace.db");
    // A first small batch proves the consumer is up and writing.
    stage.stream_one_record();
    wait_for_counts(&db, (1, 0), Duration::from_secs(30));
    let blocker = rusqlite::Connection::open(&db).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    run_ok(&mut stage.stream(data_dir()));
    wait_past_the_busy_timeout(&log);
    assert_eq!(
        counts_while_locked(&blocker),
        (1, 0),
        "nothing written while locked"
    );
    blocker.execute_batch("COMMIT").unwrap();
    // The sample plus the first record.
    let want = (DATA_METRICS + 1, DATA_WORK_ORDERS);
    wait_for_counts(&db, want, Duration::from_secs(60));
    wait_until(Duration::from_secs(30), "the queue emptied", || {
        queued(dir.path()) == 0
    });
    assert_eq!(counts(&db), want, "each record once");
}

#[test]
fn ctrl_c_in_the_middle_of_a_run_says_interrupted_gives_the_unsent_counts_and_exits_130() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let data = large_data_dir();
    let all = (
        source_metrics(&data.join("metrics.json")).len() as u64,
        source_workorders(&data.join("workorder.json")).len() as u64,
    );
    let mut run = Proc(
        millrace(dir.path())
            .args(["run", "--no-progress", "--batch-size", "500", "--data"])
            .arg(&data)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let db = dir.path().join("millrace.db");
    wait_until(Duration::from_secs(60), "`run` writing", || {
        counts(&db).0 > 0
    });
    run.interrupt();
    let out = run.finish(Duration::from_secs(60));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("millrace run interrupted by SIGINT (Ctrl-C)")
            && stdout.contains("no report written"),
        "{stdout}"
    );
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        !dir.path().join("report").exists(),
        "no report of part of the data"
    );
    // Every record is sent, still queued, or counted unsent: the counts add up.
    let stored = counts(&db);
    let number = |word: &str, stream: &str| -> u64 {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(stream))
            .unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        words
            .windows(2)
            .find(|w| w[1] == word)
            .map_or(0, |w| w[0].parse().unwrap())
    };
    for (stream, all, stored) in [("metrics", all.0, stored.0), ("workorder", all.1, stored.1)] {
        let (sent, unsent) = (number("sent", stream), number("unsent", stream));
        assert_eq!(sent + unsent, all, "{stream}: {stdout}");
        assert_eq!(number("stored", stream), stored, "{stream}: {stdout}");
        assert_eq!(stored + number("still", stream), sent, "{stream}: {stdout}");
    }
    assert!(stored.0 < all.0, "interrupted in the middle: {stdout}");

    // Run again, it sends what was left and writes the report.
    let again = run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--data"])
            .arg(&data),
    );
    assert_eq!(counts(&db), all, "{again}");
    assert!(dir.path().join("report/index.html").exists());
}
