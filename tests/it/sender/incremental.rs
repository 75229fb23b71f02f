//! Streaming again sends only what is new, including records a timestamp offset would lose.

use crate::common;

use common::*;
use serde_json::json;

#[test]
fn a_second_stream_sends_nothing_and_appended_records_arrive_once() {
    let dir = tempfile::tempdir().unwrap();
    // A folder name beyond ASCII: the source identity travels in an HTTP header.
    let data = dir.path().join("données");
    copy_data(&data_dir(), &data);
    let db = dir.path().join("millrace.db");
    let run = || run_ok(millrace(dir.path()).args(["run", "--no-progress", "--data", "données"]));

    run();
    assert_eq!(counts(&db), DATA);
    let out = run();
    assert_eq!(out.matches(" 0 sent").count(), 2, "nothing resent: {out}");
    assert_eq!(counts(&db), DATA);

    let metrics = source_metrics(&data.join("metrics.json"));
    let newest = metrics.iter().map(|m| m.2).max().unwrap();
    let newest_of_0 = metrics
        .iter()
        .filter(|m| m.0 == 0)
        .map(|m| m.2)
        .max()
        .unwrap();
    assert!(newest_of_0 < newest);
    append_to_array(
        &data.join("metrics.json"),
        &[
            // Tied with the newest time already sent.
            json!({"id": 7, "val": 123.456, "time": newest}),
            // Older than another series' newest reading.
            json!({"id": 0, "val": -0.5, "time": newest_of_0 - 100}),
        ],
    );
    // The work orders are grouped by product, so product 0's new reading is out of order.
    append_to_array(
        &data.join("workorder.json"),
        &[json!({"time": 1624378600, "product": 0, "production": 1.25})],
    );
    // The sample plus the two metrics and the work order just appended.
    let grown = (DATA_METRICS + 2, DATA_WORK_ORDERS + 1);
    run();
    assert_eq!(counts(&db), grown);
    assert_store_matches(&db, &data);

    run();
    assert_eq!(counts(&db), grown, "stored exactly once");
}

#[test]
fn an_initial_resend_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("millrace.db");
    let data = data_dir();
    run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--data"])
            .arg(&data),
    );
    let out = run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--initial", "--data"])
            .arg(&data),
    );
    assert!(out.contains(&format!("{DATA_METRICS} sent")), "{out}");
    assert!(
        out.contains(&format!("{DATA_METRICS} already held")),
        "{out}"
    );
    assert_store_matches(&db, &data);
}

#[test]
fn a_replaced_file_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_data(&data_dir(), &data);
    run_ok(millrace(dir.path()).args(["run", "--no-progress", "--data", "data"]));
    std::fs::write(
        data.join("metrics.json"),
        r#"[{"id": 1, "val": 2.0, "time": 3}]"#,
    )
    .unwrap();
    let out = millrace(dir.path())
        .args(["run", "--no-progress", "--data", "data"])
        .output_bounded();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("metrics.json"), "{err}");
    assert!(err.contains("--initial"), "{err}");
    assert_eq!(
        counts(&dir.path().join("millrace.db")),
        DATA,
        "nothing changed"
    );
}
