//! `millrace status`, `millrace completions` and `millrace man`, run as a user runs them:
//! the counts the status shows are the sample's exactly, nothing is created where nothing
//! was, and an unreachable broker is a quick, clear failure.

use crate::common;

use common::services::Schema;
use common::*;
use serde_json::Value;
use std::path::Path;

/// `millrace status --json` in `dir`, with `extra` options, parsed.
fn status_json(dir: &Path, extra: &[&str]) -> Value {
    let out = run_ok(millrace(dir).args(["status", "--json"]).args(extra));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The newest time of a sample file.
fn newest(rows: impl Iterator<Item = i64>) -> i64 {
    rows.max().unwrap()
}

fn newest_metric() -> i64 {
    newest(
        source_metrics(&data_dir().join("metrics.json"))
            .into_iter()
            .map(|r| r.2),
    )
}

fn newest_workorder() -> i64 {
    newest(
        source_workorders(&data_dir().join("workorder.json"))
            .into_iter()
            .map(|r| r.0),
    )
}

fn run_sample(dir: &Path, extra: &[&str]) {
    run_ok(
        millrace(dir)
            .args(["run", "--no-progress", "--report-dir", "out"])
            .args(extra)
            .arg("--data")
            .arg(data_dir()),
    );
}

#[test]
fn status_before_anything_ran_creates_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(millrace(dir.path()).arg("status"));
    assert!(
        out.contains("no store at millrace.db yet: nothing has been stored"),
        "{out}"
    );
    assert!(
        out.contains("no queue at .millrace/queue.db yet: nothing has been queued"),
        "{out}"
    );
    let doc = status_json(dir.path(), &[]);
    assert_eq!(doc["store"]["exists"], false);
    assert_eq!(doc["queue"]["exists"], false);
    assert_eq!(doc["streams"]["metrics"]["rows"], 0);
    assert!(doc["streams"]["metrics"]["newest_time"].is_null());
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "status created {left:?}");
}

#[test]
fn status_counts_the_stored_sample_exactly() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path(), &[]);
    let doc = status_json(dir.path(), &[]);
    let metrics = &doc["streams"]["metrics"];
    let orders = &doc["streams"]["workorder"];
    assert_eq!(metrics["rows"], DATA_METRICS);
    assert_eq!(orders["rows"], DATA_WORK_ORDERS);
    assert_eq!(metrics["newest_unix"], newest_metric());
    assert_eq!(orders["newest_unix"], newest_workorder());
    let shown = metrics["newest_time"].as_str().unwrap();
    assert!(
        shown.starts_with("2021-") && shown.ends_with('Z') && shown.len() == 20,
        "{shown}"
    );
    for stream in [metrics, orders] {
        assert_eq!(stream["queued"], 0);
        assert_eq!(stream["dead_letters"], 0);
    }
    assert_eq!(doc["store"]["kind"], "sqlite");
    assert_eq!(doc["queue"]["kind"], "embedded");
    let table = run_ok(millrace(dir.path()).arg("status"));
    assert!(table.contains("store: SQLite file millrace.db"), "{table}");
    let row = table
        .lines()
        .find(|l| l.starts_with("metrics"))
        .expect("a metrics row");
    let cells: Vec<_> = row.split_whitespace().collect();
    assert_eq!(cells[1], DATA_METRICS.to_string(), "{table}");
    // The raw readings' span and the rollups' span, which holds it in whole minutes.
    let oldest = source_metrics(&data_dir().join("metrics.json"))
        .into_iter()
        .map(|r| r.2)
        .min()
        .unwrap();
    assert_eq!(metrics["oldest_unix"], oldest);
    // A one-off run leaves its readings to be folded; a rebuild folds them at once.
    assert_eq!(doc["rollups"]["buckets"], 0);
    assert_eq!(doc["rollups"]["unfolded"], DATA_METRICS);
    assert!(
        table.contains(&format!(
            "rollups: none folded yet: {DATA_METRICS} readings wait"
        )),
        "{table}"
    );
    run_ok(millrace(dir.path()).args(["rollup", "--rebuild"]));
    let doc = status_json(dir.path(), &[]);
    let table = run_ok(millrace(dir.path()).arg("status"));
    assert_eq!(doc["rollups"]["unfolded"], 0);
    let rollups = &doc["rollups"];
    let (from, to) = (
        rollups["from_unix"].as_i64().unwrap(),
        rollups["to_unix"].as_i64().unwrap(),
    );
    assert!(from <= oldest && oldest < from + 60, "{rollups}");
    assert!(
        to > newest_metric() && to <= newest_metric() + 60,
        "{rollups}"
    );
    let buckets = rollups["buckets"].as_u64().unwrap();
    assert!(buckets > 0 && buckets <= DATA_METRICS, "{rollups}");
    assert!(
        table.contains(&format!("rollups: {buckets} one-minute buckets from ")),
        "{table}"
    );
}

/// `millrace rollup --rebuild` makes the buckets kept at ingest again, and says so; without
/// --rebuild, or without a store, it says what to do and exits 2.
#[test]
fn rollup_rebuild_makes_the_kept_buckets_again() {
    let dir = tempfile::tempdir().unwrap();
    let refused = millrace(dir.path())
        .args(["rollup", "--rebuild"])
        .output_bounded();
    assert_eq!(refused.status.code(), Some(2));
    let told = String::from_utf8_lossy(&refused.stderr);
    assert!(
        told.contains("there is no database at millrace.db"),
        "{told}"
    );
    assert!(
        !dir.path().join("millrace.db").exists(),
        "it created a store"
    );
    run_sample(dir.path(), &[]);
    let out = run_ok(millrace(dir.path()).args(["rollup", "--rebuild"]));
    let kept = status_json(dir.path(), &[])["rollups"].clone();
    assert!(kept["buckets"].as_u64().unwrap() > 0, "{kept}");
    assert!(
        out.contains(&format!(
            "rollups rebuilt: {} one-minute buckets from {DATA_METRICS} readings",
            kept["buckets"]
        )),
        "{out}"
    );
    // Made again, they are the same.
    run_ok(millrace(dir.path()).args(["rollup", "--rebuild"]));
    assert_eq!(status_json(dir.path(), &[])["rollups"], kept);
    let bare = millrace(dir.path()).arg("rollup").output_bounded();
    assert_eq!(bare.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bare.stderr).contains("needs --rebuild"),
        "{:?}",
        bare
    );
}

#[test]
fn status_on_an_unreachable_broker_fails_quickly_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = millrace(dir.path())
        .args(["status", "--broker"])
        .arg(format!("amqp://guest:s3cret@127.0.0.1:{port}/%2f"))
        .output_bounded();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the queue at amqp://guest:"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn status_on_an_unreachable_database_fails_quickly_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("postgres://millrace@127.0.0.1:{}/test", free_port());
    let out = millrace(dir.path())
        .args(["status", "--db", &url])
        .output_bounded();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot open the store {url}")),
        "{err}"
    );
}

#[test]
fn status_reads_postgresql_on_postgresql() {
    let _serial = serial::services();
    let Some(schema) = Schema::create("status_reads_postgresql_on_postgresql") else {
        return;
    };
    let url = schema.url();
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path(), &["--db", &url]);
    let doc = status_json(dir.path(), &["--db", &url]);
    assert_eq!(doc["store"]["kind"], "postgres");
    assert_eq!(doc["streams"]["metrics"]["rows"], DATA_METRICS);
    assert_eq!(doc["streams"]["workorder"]["rows"], DATA_WORK_ORDERS);
    assert_eq!(doc["streams"]["metrics"]["newest_unix"], newest_metric());
    assert_eq!(
        doc["streams"]["workorder"]["newest_unix"],
        newest_workorder()
    );
}

#[test]
fn completions_and_the_man_page_name_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let bash = run_ok(millrace(dir.path()).args(["completions", "bash"]));
    for word in ["millrace", "status", "dead-letters", "consume", "--broker"] {
        assert!(bash.contains(word), "bash completions lack {word}");
    }
    for shell in ["zsh", "fish"] {
        let script = run_ok(millrace(dir.path()).args(["completions", shell]));
        assert!(script.contains("dead-letters"), "{shell}");
    }
    let man = run_ok(millrace(dir.path()).arg("man"));
    let title = man
        .lines()
        .find(|l| l.starts_with('.') && !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap();
    assert!(title.starts_with(".TH millrace"), "{title}");
    assert!(man.contains("status"), "the man page names status");
    assert!(
        man.contains("dead\\-letters"),
        "the man page names dead-letters"
    );
}

/// The commands `millrace --help` lists, `help` left out.
fn commands(dir: &Path) -> Vec<String> {
    let help = run_ok(millrace(dir).arg("--help"));
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// The long options `millrace COMMAND --help` lists, as roff writes them (`\-\-db`).
fn options_in_roff(dir: &Path, command: &str) -> Vec<String> {
    let help = run_ok(millrace(dir).args([command, "--help"]));
    let options: Vec<String> = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            l.split([',', ' ', '=', '[', '<'])
                .find(|w| w.starts_with("--"))
        })
        .map(|o| o.replace('-', "\\-"))
        .collect();
    assert!(options.len() >= 2, "{command}: {help}");
    options
}

/// Issue 22: `millrace man --out DIR` writes a page for every command that the main page
/// lists, each with that command's options, and the main page lists no page that is not
/// written; `millrace man` alone prints one page that holds every command and its options.
#[test]
fn the_man_pages_hold_every_command_and_its_options() {
    let dir = tempfile::tempdir().unwrap();
    let said = run_ok(millrace(dir.path()).args(["man", "--out", "pages"]));
    let pages = dir.path().join("pages");
    assert!(said.contains("pages"), "{said}");
    let main = std::fs::read_to_string(pages.join("millrace.1")).unwrap();
    let listed: std::collections::BTreeSet<String> = main
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("millrace\\-") && w.ends_with("(1)"))
        .map(|w| format!("{}.1", w.trim_end_matches("(1)").replace("\\-", "-")))
        .collect();
    let written: std::collections::BTreeSet<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "millrace.1")
        .collect();
    assert_eq!(
        listed, written,
        "the main page lists exactly the pages written"
    );
    let one = run_ok(millrace(dir.path()).arg("man"));
    for command in commands(dir.path()) {
        let page = std::fs::read_to_string(pages.join(format!("millrace-{command}.1")))
            .unwrap_or_else(|e| panic!("no page for {command}: {e}"));
        assert!(
            page.starts_with(".ie") || page.starts_with(".TH"),
            "{command}"
        );
        for option in options_in_roff(dir.path(), &command) {
            assert!(page.contains(&option), "{command}'s page lacks {option}");
        }
        let section = one
            .split(&format!(".SH \"MILLRACE {}\"", command.to_uppercase()))
            .nth(1)
            .unwrap_or_else(|| panic!("no section for {command} in `millrace man`"));
        let section = section.split("\n.SH ").next().unwrap();
        for option in options_in_roff(dir.path(), &command) {
            assert!(
                section.contains(&option),
                "`millrace man` lacks {command} {option}"
            );
        }
    }
    // The one page names no page it does not say how to get.
    assert!(!one.contains("millrace\\-help(1)"), "{one}");
    assert!(one.contains("man \\-\\-out"), "{one}");
    // A folder that cannot be made is the caller's to fix.
    let out = millrace(dir.path())
        .args(["man", "--out", "pages/millrace.1"])
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("give --out a folder you can write to"),
        "{stderr}"
    );
}
