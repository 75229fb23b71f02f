//! Retention (`millrace prune`, `--prune-raw-older-than`): raw readings older than a cut-off
//! go, their rollups stay; work orders and the stored ranges stay, so resent records are
//! still known; the report goes on covering the whole history and says what rests on
//! rollups; a prune cut short by a crash leaves nothing a report sees half done; one prune
//! runs at a time.

use crate::common;

use common::services::Schema;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The age kept: about half of the sample's 16.6 days.
const AGE: &str = "8d";
const AGE_SECONDS: i64 = 8 * 86_400;

fn status(dir: &Path, db: &str) -> Value {
    let out = run_ok(millrace(dir).args(["status", "--json", "--db", db]));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The status once every stored reading is folded (a one-off `run` leaves them pending; a
/// prune folds them first, so this is what it starts from).
fn folded(dir: &Path, db: &str) -> Value {
    run_ok(millrace(dir).args(["rollup", "--rebuild", "--db", db]));
    status(dir, db)
}

fn run_sample(dir: &Path, db: &str, extra: &[&str]) -> String {
    run_ok(
        millrace(dir)
            .args(["run", "--no-progress", "--report-dir", "out", "--db", db])
            .args(extra)
            .arg("--data")
            .arg(data_dir()),
    )
}

/// The sample's readings more than [`AGE`] before its newest one, counted from the source.
fn older_than_the_age() -> (usize, i64) {
    let times: Vec<i64> = source_metrics(&data_dir().join("metrics.json"))
        .into_iter()
        .map(|r| r.2)
        .collect();
    let newest = *times.iter().max().unwrap();
    let cut = (newest - AGE_SECONDS).div_euclid(60) * 60;
    (times.iter().filter(|&&t| t < cut).count(), cut)
}

/// What a store holds and reports after a prune, checked the same way on SQLite and
/// PostgreSQL.
fn pruned_as_promised(dir: &Path, db: &str, before: &Value) {
    let (older, cut) = older_than_the_age();
    let after = status(dir, db);
    let metrics = &after["streams"]["metrics"];
    assert_eq!(metrics["rows"], DATA_METRICS - older as u64, "{after}");
    assert!(metrics["oldest_unix"].as_i64().unwrap() >= cut, "{after}");
    assert_eq!(after["rollups"], before["rollups"], "rollups kept whole");
    assert_eq!(
        after["streams"]["workorder"],
        before["streams"]["workorder"]
    );
    // Resent, the sample adds nothing: the stored ranges still know every record.
    let again = run_sample(dir, db, &["--initial"]);
    assert!(
        again.contains(&format!("{DATA_METRICS} already held")),
        "{again}"
    );
    assert_eq!(
        status(dir, db)["streams"]["metrics"]["rows"],
        metrics["rows"]
    );
    // The report still covers the whole history, and says what rests on rollups.
    let md = std::fs::read_to_string(dir.join("out/report.md")).unwrap();
    assert!(md.contains("Pruned history: raw readings before"), "method");
    assert!(md.contains("where raw readings were pruned: they rest on per-minute rollups"));
    let top: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/top3.json")).unwrap()).unwrap();
    let rolled = &top["products"][0]["data_quality"]["rolled_up"];
    assert!(rolled["intervals"].as_u64().unwrap() > 100, "{rolled}");
    assert_eq!(rolled["readings"], older as u64, "{rolled}");
    assert!(
        md.contains(&format!("Data: {DATA_METRICS} metric readings")),
        "every reading counted, pruned or not"
    );
}

#[test]
fn a_prune_keeps_rollups_work_orders_and_ranges_and_the_report_covers_everything() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path(), "s.db", &[]);
    let before = folded(dir.path(), "s.db");
    let out = run_ok(millrace(dir.path()).args(["prune", "--raw-older-than", AGE, "--db", "s.db"]));
    let (older, cut) = older_than_the_age();
    assert!(
        out.contains(&format!("pruned {older} raw readings")),
        "{out}"
    );
    let cut_shown = run_ok(millrace(dir.path()).args(["status", "--db", "s.db"]));
    assert!(cut_shown.contains("rollups: "), "{cut_shown}");
    pruned_as_promised(dir.path(), "s.db", &before);
    // A rebuild makes again only what has readings left, and keeps the pruned minutes.
    run_ok(millrace(dir.path()).args(["rollup", "--rebuild", "--db", "s.db"]));
    assert_eq!(status(dir.path(), "s.db")["rollups"], before["rollups"]);
    // A second prune with the same age finds nothing more.
    let out = run_ok(millrace(dir.path()).args(["prune", "--raw-older-than", AGE, "--db", "s.db"]));
    assert!(out.contains("pruned 0 raw readings"), "{out}");
    let _ = cut;
}

#[test]
fn a_prune_cut_short_by_a_crash_is_finished_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path(), "s.db", &[]);
    let before = folded(dir.path(), "s.db");
    // Batches are per parameter: the crash comes after the second parameter's first one.
    let crashed = millrace(dir.path())
        .args(["prune", "--raw-older-than", AGE, "--db", "s.db"])
        .env("MILLRACE_CRASH_AT", "prune.batch:2")
        .output_bounded();
    assert!(!crashed.status.success(), "the crash point was not reached");
    // Half done, it is already the cut-off the report uses: nothing before it is read raw.
    run_ok(millrace(dir.path()).args(["report", "--db", "s.db", "--report-dir", "half"]));
    let md = std::fs::read_to_string(dir.path().join("half/report.md")).unwrap();
    assert!(md.contains("Pruned history: raw readings before"));
    let half = status(dir.path(), "s.db");
    let (older, _) = older_than_the_age();
    let left = half["streams"]["metrics"]["rows"].as_u64().unwrap();
    assert!(
        left > DATA_METRICS - older as u64 && left < DATA_METRICS,
        "{half}"
    );
    run_ok(millrace(dir.path()).args(["prune", "--raw-older-than", AGE, "--db", "s.db"]));
    pruned_as_promised(dir.path(), "s.db", &before);
}

#[test]
fn one_prune_runs_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path(), "s.db", &[]);
    // Another prune holds the lock (as `flock` holds it here).
    let mut holder = Proc::spawn(
        std::process::Command::new("flock")
            .arg(dir.path().join("s.db.prune-lock"))
            .args(["sleep", "30"]),
    );
    wait_until(Duration::from_secs(10), "the lock taken", || {
        dir.path().join("s.db.prune-lock").exists()
    });
    std::thread::sleep(Duration::from_millis(200));
    let refused = millrace(dir.path())
        .args(["prune", "--raw-older-than", AGE, "--db", "s.db"])
        .output_bounded();
    assert_eq!(refused.status.code(), Some(1));
    let told = String::from_utf8_lossy(&refused.stderr);
    assert!(told.contains("another millrace is pruning"), "{told}");
    holder.kill();
    assert_eq!(
        status(dir.path(), "s.db")["streams"]["metrics"]["rows"],
        DATA_METRICS
    );
}

#[test]
fn a_consumer_prunes_on_a_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let _consume = Proc::spawn(
        stage
            .consume_cmd()
            .env("MILLRACE_PRUNE_RAW_OLDER_THAN", AGE)
            .env("MILLRACE_PRUNE_EVERY", "1s"),
    );
    run_ok(&mut stage.stream(data_dir()));
    let (older, _) = older_than_the_age();
    let db = dir.path().join("millrace.db");
    let db = db.to_str().unwrap();
    wait_until(Duration::from_secs(60), "the scheduled prune", || {
        let s = status(dir.path(), db);
        s["streams"]["metrics"]["rows"] == DATA_METRICS - older as u64
            && s["streams"]["workorder"]["rows"] == DATA_WORK_ORDERS
    });
}

#[test]
fn a_prune_on_postgresql_keeps_the_same_promises_under_its_lock() {
    let _serial = serial::services();
    let Some(schema) = Schema::create("a_prune_on_postgresql_keeps_the_same_promises") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = schema.url();
    run_sample(dir.path(), &db, &[]);
    let before = folded(dir.path(), &db);
    // Held by another session: refused, nothing deleted.
    let mut holder = schema.client();
    holder
        .execute("SELECT pg_advisory_lock(7316027004)", &[])
        .unwrap();
    let refused = millrace(dir.path())
        .args(["prune", "--raw-older-than", AGE, "--db", &db])
        .output_bounded();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another millrace is pruning"));
    drop(holder);
    run_ok(millrace(dir.path()).args(["prune", "--raw-older-than", AGE, "--db", &db]));
    pruned_as_promised(dir.path(), &db, &before);
}
