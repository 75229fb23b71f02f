//! The original sample files, and the data millrace generates, ingest fully and exactly
//! through `millrace run`.

use crate::common;

use common::data::{SAMPLE, SAMPLE_METRICS, original_sample};
use common::*;

/// The original files, laid out as a plant wrote them (a work order over several lines).
#[test]
fn the_sample_data_is_stored_exactly() {
    let Some(sample) = original_sample("the_sample_data_is_stored_exactly") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--data"])
            .arg(&sample),
    );
    assert!(
        out.contains(&SAMPLE_METRICS.to_string()),
        "summary names the metric count: {out}"
    );
    let db = dir.path().join("millrace.db");
    assert_eq!(counts(&db), SAMPLE);
    assert_store_matches(&db, &sample);
}

#[test]
fn the_generated_data_is_stored_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--data"])
            .arg(data_dir()),
    );
    assert!(out.contains(&format!("{DATA_METRICS} sent")), "{out}");
    let db = dir.path().join("millrace.db");
    assert_eq!(counts(&db), DATA);
    assert_store_matches(&db, &data_dir());
}

#[test]
fn the_demo_runs_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(millrace(dir.path()).args(["run", "--no-progress"]));
    let demo = dir.path().join(".millrace/demo");
    assert!(demo.join("metrics.json").exists());
    assert_store_matches(&dir.path().join("millrace.db"), &demo);
    assert!(out.contains("records/s"), "{out}");
    // The time to the last commit, which the benchmarks read, is said and is within the
    // whole run's.
    let seconds = |after: &str| -> f64 {
        let rest =
            &out[out.find(after).unwrap_or_else(|| panic!("{after}: {out}")) + after.len()..];
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    let (whole, stored) = (
        seconds("finished in "),
        seconds("last record committed at "),
    );
    assert!(0.0 < stored && stored <= whole, "{out}");
}
