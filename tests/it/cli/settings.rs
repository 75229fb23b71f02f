//! Every option can come from a flag, a `MILLRACE_*` variable or `millrace.toml`, and a
//! broken setting stops the command with a message and exit code 2.

use crate::common;

use common::*;

#[test]
fn the_database_can_be_chosen_by_environment_and_by_file() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--data"])
            .arg(data_dir())
            .env("MILLRACE_DB", "from-env.db"),
    );
    assert_eq!(counts(&dir.path().join("from-env.db")), DATA);

    std::fs::write(
        dir.path().join("millrace.toml"),
        "db = \"from-file.db\"\noffsets = \"other-offsets.json\"\n",
    )
    .unwrap();
    run_ok(
        millrace(dir.path())
            .args(["run", "--no-progress", "--data"])
            .arg(data_dir()),
    );
    assert_eq!(counts(&dir.path().join("from-file.db")), DATA);

    run_ok(
        millrace(dir.path())
            .args([
                "run",
                "--no-progress",
                "--initial",
                "--db",
                "from-flag.db",
                "--data",
            ])
            .arg(data_dir())
            .env("MILLRACE_DB", "ignored.db"),
    );
    assert_eq!(counts(&dir.path().join("from-flag.db")), DATA);
    assert!(
        !dir.path().join("ignored.db").exists(),
        "the flag wins over the environment"
    );
}

#[test]
fn a_typo_in_the_settings_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("millrace.toml"), "dbb = \"x.db\"\n").unwrap();
    let out = millrace(dir.path())
        .args(["run", "--no-progress"])
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `dbb`"), "{err}");
}

#[test]
fn a_refused_batch_stops_the_streamer_with_the_servers_message() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _serve = Proc::spawn(
        millrace(dir.path())
            .args(["serve", "--max-batch-records", "10", "--listen"])
            .arg(format!("127.0.0.1:{port}")),
    );
    wait_healthy(port);
    let out = millrace(dir.path())
        .args([
            "stream",
            "--no-progress",
            "--batch-size",
            "100",
            "--webhook",
        ])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--data")
        .arg(data_dir())
        .output_bounded();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("413") && err.contains("more than 10 records"),
        "{err}"
    );
}
