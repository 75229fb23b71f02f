//! The data the end-to-end tests stream, all from here, so that `cargo test` on a fresh
//! clone needs nothing outside the repository.
//!
//! Most tests stream [`data_dir`]: what `millrace generate` writes for seed 1 at scale 1,
//! the size and time span of the original sample. It is made once per build of the binary,
//! in cargo's folder for test files, and shared by every test.
//!
//! The few tests that are about the original sample files, which live beside the
//! repository in `../shared/sample-data`, ask [`original_sample`]: without the files they
//! skip, saying why, except under `CI=true`, where `.ci/run` promises them and their
//! absence fails the run.

use super::process::{OutputWithin, bin};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Records in [`data_dir`]: metrics, work orders, and both as `counts` gives them. Named
/// once so that the numbers in expected output ("6910 sent") read as what they are.
pub const DATA_METRICS: u64 = 6910;
pub const DATA_WORK_ORDERS: u64 = 580;
pub const DATA: (u64, u64) = (DATA_METRICS, DATA_WORK_ORDERS);

/// Records in the original sample of [`original_sample`].
pub const SAMPLE_METRICS: u64 = 6896;
pub const SAMPLE_WORK_ORDERS: u64 = 576;
pub const SAMPLE: (u64, u64) = (SAMPLE_METRICS, SAMPLE_WORK_ORDERS);

/// A folder holding `metrics.json` and `workorder.json` as `millrace generate --seed 1
/// --scale 1` writes them ([`DATA`] records). Tests only read it: one that changes data
/// copies it first ([`copy_data`]).
pub fn data_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(generated).clone()
}

/// Generates the data set once per build of the binary (its folder is named after the
/// binary's modification time, so a changed generator writes it anew), into a folder of
/// its own that is then renamed into place: tests and test binaries running at the same
/// time each find it whole or make it themselves.
fn generated() -> PathBuf {
    let dir = generated_at("1");
    let said = |name: &str| records(&dir.join(name)).len() as u64;
    assert_eq!(
        (said("metrics.json"), said("workorder.json")),
        DATA,
        "`millrace generate --seed 1 --scale 1` writes other counts now: update DATA in \
         tests/it/common/data.rs"
    );
    dir
}

/// A folder as [`data_dir`], forty times as large (about 277,000 metrics and 23,000 work
/// orders): a `run` over it takes seconds, long enough to be interrupted in the middle.
pub fn large_data_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| generated_at("40")).clone()
}

/// What `millrace generate --seed 1 --scale SCALE` writes, made once per build of the binary.
fn generated_at(scale: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let built = std::fs::metadata(bin())
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let dir = target.join(format!("generated-data-{scale}-{built}"));
    if !dir.join("workorder.json").exists() {
        let staging = tempfile::tempdir_in(target).unwrap();
        let fresh = staging.path().join("data");
        let out = Command::new(bin())
            .args(["generate", "--seed", "1", "--scale", scale, "--out"])
            .arg(&fresh)
            .output_bounded();
        assert!(
            out.status.success(),
            "millrace generate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Another test may have renamed its copy into place first: either is whole.
        let _ = std::fs::rename(&fresh, &dir);
    }
    dir
}

/// The original sample files, beside the repository, for a test that is about them;
/// `None` when they are absent, and `test` skips, saying so. Under `CI=true` their absence
/// fails the test instead, since `.ci/run` checks for them before it starts.
pub fn original_sample(test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sample-data");
    let present = ["metrics.json", "workorder.json"]
        .iter()
        .all(|name| dir.join(name).is_file());
    if present {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the original sample is missing from {}: .ci/run should have stopped",
        dir.display()
    );
    println!(
        "skipping {test}: the original sample files are not in {} (they live beside the repository, not in it)",
        dir.display()
    );
    None
}

/// The records of a JSON-array data file.
pub fn records(path: &Path) -> Vec<Value> {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap()
}

/// Copies the data files of `from` into `to`.
pub fn copy_data(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["metrics.json", "workorder.json"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

/// Appends records to a JSON-array file the way a producer does: the closing bracket moves.
pub fn append_to_array(path: &Path, records: &[Value]) {
    let text = std::fs::read_to_string(path).unwrap();
    let body = text.trim_end().strip_suffix(']').expect("a JSON array");
    let mut out = body.to_string();
    for r in records {
        out.push_str(", ");
        out.push_str(&r.to_string());
    }
    out.push(']');
    std::fs::write(path, out).unwrap();
}
