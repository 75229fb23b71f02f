//! The report finds what was planted in generated data, ignores what only trends with time,
//! says so when nothing is there, is complete and self-contained, and on the original sample
//! tells each kind of parameter by how it moves.

use crate::common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Generates a dataset, runs the pipeline and the report over it (`run` given `extra` too),
/// and returns the dataset's truth and the report's top3.json.
fn run_report_with(dir: &Path, generate: &[&str], extra: &[&str]) -> (Value, Value) {
    run_ok(
        millrace(dir)
            .args(["generate", "--out", "data"])
            .args(generate),
    );
    run_ok(
        millrace(dir)
            .args([
                "run",
                "--no-progress",
                "--data",
                "data",
                "--report-dir",
                "out",
            ])
            .args(extra),
    );
    let read = |p: &str| {
        serde_json::from_str::<Value>(&std::fs::read_to_string(dir.join(p)).unwrap()).unwrap()
    };
    (read("data/planted.json"), read("out/top3.json"))
}

fn run_report(dir: &Path, generate: &[&str]) -> (Value, Value) {
    run_report_with(dir, generate, &[])
}

fn ids(values: &Value, key: &str) -> BTreeSet<i64> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[key].as_i64().unwrap())
        .collect()
}

/// Every product's top three are exactly its planted drivers, reliable, with the right
/// summaries; the parameters that only trend with time are in no top three.
fn assert_recovers_planted(planted: &Value, top3: &Value) {
    let trend_only: BTreeSet<i64> = planted["trend_only"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let products = top3["products"].as_array().unwrap();
    assert_eq!(
        products.len(),
        planted["products"].as_array().unwrap().len()
    );
    for (truth, found) in planted["products"].as_array().unwrap().iter().zip(products) {
        let top = &found["top"];
        assert_eq!(top.as_array().unwrap().len(), 3, "{found}");
        assert_eq!(
            ids(top, "parameter"),
            ids(&truth["drivers"], "parameter"),
            "product {}: {found}",
            truth["product"]
        );
        assert!(found["any_reliable"].as_bool().unwrap());
        for t in top.as_array().unwrap() {
            assert!(t["reliable"].as_bool().unwrap(), "{t}");
            let driver = truth["drivers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["parameter"] == t["parameter"])
                .unwrap();
            assert_eq!(
                t["summary"], driver["summary"],
                "summarised as planted: {t}"
            );
            let sign = driver["effect"].as_f64().unwrap().signum();
            assert_eq!(
                t["spearman"].as_f64().unwrap().signum(),
                sign,
                "direction as planted: {t}"
            );
            assert!(!trend_only.contains(&t["parameter"].as_i64().unwrap()));
        }
    }
}

#[test]
fn finds_the_planted_drivers_when_products_run_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let (planted, top3) = run_report(dir.path(), &["--scale", "4", "--seed", "1"]);
    assert_recovers_planted(&planted, &top3);
    // A counter whose rate drives output is found by its rate.
    let product0 = &top3["products"][0]["top"];
    assert!(
        product0
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["parameter"] == 13 && t["summary"] == "rate"),
        "{product0}"
    );
}

#[test]
fn finds_the_planted_drivers_when_products_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let (planted, top3) = run_report(
        dir.path(),
        // Each product runs only half the time: twice the demo's data gives the weakest
        // planted driver (a counter read about once per interval) enough intervals.
        &["--scale", "8", "--seed", "1", "--schedule", "turns"],
    );
    assert_recovers_planted(&planted, &top3);
    assert!(
        top3["products"][0]["runs"].as_i64().unwrap() > 2,
        "the counters restarted: {top3}"
    );
}

#[test]
fn trend_only_parameters_are_never_reliable() {
    let dir = tempfile::tempdir().unwrap();
    run_report(dir.path(), &["--scale", "4", "--seed", "2"]);
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    // In the full rankings, the rows of parameters 1 and 3 say "no" in the reliable column.
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| {
            l.starts_with("| ") && (l.contains("| 1 | mean |") || l.contains("| 3 | mean |"))
        })
        .collect();
    assert!(rows.len() >= 2, "{md}");
    assert!(
        rows.iter().all(|r| r.trim_end().ends_with("| no |")),
        "{rows:#?}"
    );
}

#[test]
fn says_plainly_when_nothing_drives_output() {
    let dir = tempfile::tempdir().unwrap();
    let (_, top3) = run_report(dir.path(), &["--scale", "2", "--seed", "3", "--no-plant"]);
    for product in top3["products"].as_array().unwrap() {
        assert!(!product["any_reliable"].as_bool().unwrap(), "{product}");
        assert_eq!(
            product["top"].as_array().unwrap().len(),
            3,
            "the best three are still listed"
        );
    }
    let html = std::fs::read_to_string(dir.path().join("out/index.html")).unwrap();
    assert!(html.contains("No parameter shows a reliable relationship"));
    let md = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("No parameter shows a reliable relationship"));
}

/// Runs the pipeline over `data` in `dir`, with the report into `dir/out`.
fn run_into_out(dir: &Path, data: &Path) -> std::path::PathBuf {
    run_ok(
        millrace(dir)
            .args(["run", "--no-progress", "--report-dir", "out", "--data"])
            .arg(data),
    );
    dir.join("out")
}

#[test]
fn the_report_is_complete_and_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_into_out(dir.path(), &data_dir());
    let top3: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("top3.json")).unwrap()).unwrap();
    let products = top3["products"].as_array().unwrap();
    assert_eq!(ids(&top3["products"], "product"), BTreeSet::from([0, 1]));
    for p in products {
        assert_eq!(p["top"].as_array().unwrap().len(), 3);
        assert!(p["intervals"].as_i64().unwrap() > 250, "{p}");
        for t in p["top"].as_array().unwrap() {
            for key in [
                "parameter",
                "summary",
                "pearson",
                "spearman",
                "p_value",
                "q_value",
                "n",
            ] {
                assert!(!t[key].is_null(), "{key} in {t}");
            }
        }
    }
    let csv = std::fs::read_to_string(out.join("top3.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 6,
        "a header and three rows per product"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.matches("<svg").count() >= 12,
        "a scatter and a time series per top parameter"
    );
    for outside in [
        "<script src",
        "<link",
        "src=\"http",
        "href=\"http",
        "@import",
    ] {
        assert!(
            !html.contains(outside),
            "self-contained, but found {outside}"
        );
    }
}

#[test]
fn the_sample_parameters_are_summarised_by_their_kind() {
    let Some(sample) =
        common::data::original_sample("the_sample_parameters_are_summarised_by_their_kind")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = run_into_out(dir.path(), &sample);
    // Counters are summarised by their rate, gauges by their mean, parameters that could be
    // either (5: falls 19 % of its rises, 70 drops mostly not to zero) both ways, and the
    // report shows which, with the rule's inputs. 9 rises almost only (falls 6.5 % of its
    // rises) but reads below zero, which no counter does: a gauge.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| 18 | counter | rate |")
            && md.contains("| 2 | gauge | mean |")
            && md.contains("| 5 | counter or gauge | mean and rate |")
            && md.contains("| 9 | gauge | mean | 338 | 0 | -337.5 | 6.5% | 94 (83) | 0 |"),
        "{md}"
    );
}

#[test]
fn report_without_a_database_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = millrace(dir.path())
        .args(["report", "--db", "nothing.db"])
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database at nothing.db"));
}

#[test]
fn max_lag_sets_the_lags_tried_and_refuses_nonsense() {
    let dir = tempfile::tempdir().unwrap();
    let (_, top3) = run_report_with(dir.path(), &["--scale", "1"], &["--max-lag", "1"]);
    assert_eq!(top3["max_lag"], 1);
    for product in top3["products"].as_array().unwrap() {
        for f in product["ranking"].as_array().unwrap() {
            assert_eq!(f["rho_by_lag"].as_array().unwrap().len(), 2, "{f}");
            assert!(f["lag"].as_u64().unwrap() <= 1, "{f}");
        }
    }
    let out = millrace(dir.path())
        .args(["report", "--out", "again", "--max-lag", "500"])
        .output_bounded();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("max-lag"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
