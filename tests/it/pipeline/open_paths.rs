//! A `--db` or `--queue` path the file system refuses is the user's to fix: the message says
//! what the file system said ("not a directory", "permission denied") and names the path,
//! and the exit code is 2, as for any mistake in how millrace is configured. SQLite's own
//! words ("unable to open database file", "File exists") say neither.

use crate::common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Runs `args` in `dir` to its end (each fails while opening, before serving anything).
fn run(dir: &Path, args: &[&str], path: &Path) -> Output {
    millrace(dir).args(args).arg(path).output_bounded()
}

/// Asserts that `out` failed with exit code 2, saying `reason` and naming `named`.
fn assert_refused(out: &Output, reason: &str, named: &Path) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(reason), "{stderr}");
    assert!(stderr.contains(&named.display().to_string()), "{stderr}");
}

/// A path whose folder the user running the tests may not write: a read-only folder of our
/// own, or, for root (whom permission bits do not stop), a file in /sys, which the kernel
/// refuses to create even for root.
fn unwritable(dir: &Path) -> PathBuf {
    if running_as_root() {
        PathBuf::from("/sys/millrace-test.db")
    } else {
        let locked = dir.join("locked");
        std::fs::create_dir(&locked).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
        locked.join("x.db")
    }
}

/// Whether the tests run as root, as `id -u` says.
fn running_as_root() -> bool {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

#[test]
fn a_db_path_through_a_file_says_not_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    let db = file.join("x.db");
    let out = run(dir.path(), &["consume", "all", "--db"], &db);
    assert_refused(&out, "not a directory", &file);
}

#[test]
fn a_db_path_millrace_may_not_write_says_permission_denied() {
    let dir = tempfile::tempdir().unwrap();
    let db = unwritable(dir.path());
    let out = run(dir.path(), &["consume", "all", "--db"], &db);
    assert_refused(&out, "permission denied", &db);
}

#[test]
fn a_queue_path_through_a_file_says_not_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    let queue = file.join("sub/queue.db");
    let listen = format!("127.0.0.1:{}", free_port());
    let out = run(
        dir.path(),
        &["serve", "--listen", &listen, "--queue"],
        &queue,
    );
    assert_refused(&out, "not a directory", &file);
}

#[test]
fn a_queue_path_millrace_may_not_write_says_permission_denied() {
    let dir = tempfile::tempdir().unwrap();
    let queue = unwritable(dir.path());
    let listen = format!("127.0.0.1:{}", free_port());
    let out = run(
        dir.path(),
        &["serve", "--listen", &listen, "--queue"],
        &queue,
    );
    assert_refused(&out, "permission denied", &queue);
}
