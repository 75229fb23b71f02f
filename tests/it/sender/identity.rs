//! A data file's identity survives a move or a copy of its folder, and two different files
//! never share one: a folder moved resumes where it stopped, one copied whole and streamed
//! with a fresh offsets file is sent again and stores nothing twice, and two files whose first records are byte-identical but whose
//! later records differ are both stored whole.

use crate::common;

use common::*;
use std::path::Path;

/// `millrace run` on the folder `data` (relative to `dir`), with the offsets file `offsets`.
fn run(dir: &Path, data: &str, offsets: &str) -> String {
    run_ok(
        millrace(dir)
            .args(["run", "--no-progress", "--offsets", offsets, "--data"])
            .arg(data),
    )
}

/// Copies every file of the folder `from`, its identity included, into `to`.
fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_moved_or_copied_folder_stores_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("millrace.db");
    copy_data(&data_dir(), &dir.path().join("plant"));
    run(dir.path(), "plant", "offsets.json");
    assert_eq!(counts(&db), DATA);

    std::fs::rename(dir.path().join("plant"), dir.path().join("moved")).unwrap();
    let out = run(dir.path(), "moved", "offsets.json");
    assert_eq!(
        counts(&db),
        DATA,
        "nothing stored twice after a move: {out}"
    );
    assert_eq!(
        out.matches(" 0 sent").count(),
        2,
        "resumed, nothing resent: {out}"
    );

    copy_folder(
        &dir.path().join("moved"),
        &dir.path().join("elsewhere/copy"),
    );
    let out = run(dir.path(), "elsewhere/copy", "fresh-offsets.json");
    assert_eq!(counts(&db), DATA, "nothing stored twice from a copy: {out}");
    assert!(
        out.contains(&format!("{DATA_METRICS} already held")),
        "sent again, and the store recognised every record: {out}"
    );
    assert_store_matches(&db, &dir.path().join("elsewhere/copy"));
}

#[test]
fn two_files_with_the_same_first_record_are_both_stored_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("millrace.db");
    let metric = |id: u32, val: f64| format!(r#"{{"id": {id}, "val": {val}, "time": 1624377478}}"#);
    let first = metric(1, 0.5);
    let a = [first.clone(), metric(2, 1.5), metric(3, 2.5)];
    let b = [first, metric(4, 3.5), metric(5, 4.5), metric(6, 5.5)];
    for (name, records) in [("a", &a[..]), ("b", &b[..])] {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("metrics.json"),
            format!("[{}]", records.join(",\n ")),
        )
        .unwrap();
        // `run` wants both files; no work orders keeps the counts about metrics.
        std::fs::write(folder.join("workorder.json"), "[]").unwrap();
    }
    run(dir.path(), "a", "offsets.json");
    assert_eq!(counts(&db), (3, 0));
    let out = run(dir.path(), "b", "offsets.json");
    assert_eq!(counts(&db), (7, 0), "every record of both files: {out}");
    let mut ids: Vec<i64> = stored_metrics(&db).iter().map(|m| m.0).collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 1, 2, 3, 4, 5, 6]);
}
