//! The original sample files ingest fully and exactly through `millrace run`.

mod common;

use common::*;

#[test]
fn the_sample_data_is_stored_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--data"])
            .arg(sample_dir()),
    );
    assert!(
        out.contains(&SAMPLE_METRICS.to_string()),
        "summary names the metric count: {out}"
    );
    let db = dir.path().join("millrace.db");
    assert_eq!(counts(&db), SAMPLE);
    assert_store_matches(&db, &sample_dir());
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
