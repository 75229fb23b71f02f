//! `millrace run --follow`: the whole pipeline kept running over growing files, with the live
//! dashboard — records appended to a followed file show in the analysis within 2 s, and
//! Ctrl-C (SIGTERM) stops it cleanly with the report written.

mod common;

use common::{DATA, Proc, append_to_array, copy_data, data_dir, free_port, get_json, millrace};
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

    let _ = std::process::Command::new("kill")
        .args(["-TERM", &following.0.id().to_string()])
        .status();
    following.wait_ok(Duration::from_secs(30));
    let top3: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report/top3.json")).unwrap())
            .unwrap();
    assert_eq!(
        top3["products"], after["products"],
        "the report is the live analysis"
    );
}
