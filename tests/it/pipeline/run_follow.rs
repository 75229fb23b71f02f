//! `millrace run --follow`: the whole pipeline kept running over growing files, with the live
//! dashboard — records appended to a followed file show in the analysis within 2 s, and
//! Ctrl-C (SIGTERM) stops it cleanly with the report written and no SQLite side files left.
//! A copied data folder is said at start to be held whole already, and the summary at exit
//! counts it as already held; a busy dashboard port stops it before it creates anything.

use crate::common;

use common::{
    DATA, OutputWithin, Proc, append_to_array, copy_data, data_dir, free_port, get_json, millrace,
    run_ok, serial, wait_until,
};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Polls the dashboard's `/api/report` until `done` holds for it; returns it, and when.
fn wait_for(
    port: u16,
    within: Duration,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> (serde_json::Value, Instant) {
    let deadline = Instant::now() + within;
    loop {
        if let Some(report) = get_json(port, "/api/report").filter(|r| done(r)) {
            return (report, Instant::now());
        }
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn records(report: &serde_json::Value) -> (u64, u64) {
    let n = |stream: &str| report["streams"][stream]["records"].as_u64().unwrap_or(0);
    (n("metrics"), n("workorder"))
}

fn intervals(report: &serde_json::Value) -> u64 {
    report["products"].as_array().map_or(0, |p| {
        p.iter().filter_map(|p| p["intervals"].as_u64()).sum()
    })
}

#[test]
fn appended_work_orders_reach_the_dashboard_within_two_seconds_and_ctrl_c_writes_the_report() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_data(&data_dir(), &data);
    let port = free_port();
    let mut following = Proc::spawn(millrace(dir.path()).args([
        "run",
        "--follow",
        "--data",
        "data",
        "--db",
        "store.db",
        "--report-dir",
        "report",
        "--dashboard-listen",
        &format!("127.0.0.1:{port}"),
    ]));
    let (first, _) = wait_for(port, Duration::from_secs(60), "the sample stored", |r| {
        records(r) == DATA
    });

    // Work orders that close new intervals: each product's counter read again 5 minutes on.
    let last: Vec<serde_json::Value> = first["timelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let end = t["end"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .as_i64()
                .unwrap();
            serde_json::json!({"time": end + 300, "product": t["product"], "production": 1e6})
        })
        .collect();
    let written = Instant::now();
    append_to_array(&data.join("workorder.json"), &last);
    let (after, seen) = wait_for(port, Duration::from_secs(10), "the new work orders", |r| {
        records(r).1 == DATA.1 + last.len() as u64
    });
    let latency = seen - written;
    assert!(
        latency < Duration::from_secs(2),
        "the dashboard showed the appended work orders {latency:?} after they were written"
    );
    assert!(
        intervals(&after) > intervals(&first),
        "new intervals were analysed"
    );

    following.terminate();
    following.wait_ok(Duration::from_secs(30));
    let top3: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report/top3.json")).unwrap())
            .unwrap();
    assert_eq!(
        top3["products"], after["products"],
        "the report is the live analysis"
    );
}

/// Records acknowledged of the files under `folder`, as the offsets file in `dir` says.
fn acknowledged(dir: &Path, folder: &str) -> u64 {
    let Ok(text) = std::fs::read(dir.join(".millrace/offsets.json")) else {
        return 0;
    };
    let offsets: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
    offsets.as_object().map_or(0, |files| {
        files
            .iter()
            .filter(|(path, _)| path.contains(folder))
            .filter_map(|(_, o)| o["seq"].as_u64())
            .sum()
    })
}

/// No SQLite side file of the store in `dir` is left behind.
fn assert_no_side_files(dir: &Path) {
    for side in ["millrace.db-wal", "millrace.db-shm"] {
        assert!(!dir.join(side).exists(), "{side} left behind");
    }
}

#[test]
fn a_copied_folder_is_said_to_be_held_whole_and_ctrl_c_leaves_no_side_files() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    copy_data(&data_dir(), &dir.path().join("data"));
    run_ok(millrace(dir.path()).args(["run", "--no-progress", "--data", "data"]));
    let copied = Command::new("cp")
        .args(["-a", "data", "copy"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(copied.success());
    let port = free_port();
    let mut following = Proc(
        millrace(dir.path())
            .args(["run", "--follow", "--no-progress", "--data", "copy"])
            .arg("--dashboard-listen")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    wait_until(Duration::from_secs(60), "the copy sent", || {
        acknowledged(dir.path(), "/copy/") >= DATA.0 + DATA.1
    });
    following.interrupt();
    let out = following.finish(Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for (file, records) in [("metrics.json", DATA.0), ("workorder.json", DATA.1)] {
        let told = format!(
            "copy/{file}: the store already holds all {records} records of this file, so it stores nothing new"
        );
        assert!(stdout.contains(&told), "{stdout}");
    }
    assert!(
        stdout.contains(
            "\"A copied data folder stores nothing new\" under Common mistakes in docs/usage.md"
        ),
        "points to the docs: {stdout}"
    );
    let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let (m, w) = DATA;
    assert!(
        words.contains(&format!(
            "metrics {m} sent 0 stored {m} already held {m} in store workorder {w} sent 0 stored {w} already held {w} in store"
        )),
        "the exit summary counts the copy as already held: {stdout}"
    );
    assert_no_side_files(dir.path());
}

#[test]
fn a_busy_dashboard_port_stops_run_follow_before_it_creates_anything() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    // No --data: the demo data would be generated too, were the port not checked first.
    let out = millrace(dir.path())
        .args([
            "run",
            "--follow",
            "--no-progress",
            "--dashboard-listen",
            &listen,
        ])
        .output_bounded();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {listen}"))
            && stderr.contains("choose another address with --dashboard-listen"),
        "{stderr}"
    );
    for made in [".millrace/queue.db", ".millrace/demo", "millrace.db"] {
        assert!(!dir.path().join(made).exists(), "{made} was created");
    }
}
