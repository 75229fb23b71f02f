//! The dashboard and the report in a real browser: Debian's chromium, driven by
//! playwright-core from `tests/browser/dashboard.mjs`, watches the page of `run --follow` take
//! the records appended to the followed files without a reload, and reads both it and the
//! report's `index.html` (`tests/browser/report.mjs`) on a 420 px screen; and node runs the
//! dashboard's number formatting beside the report's.
//!
//! Needs `node` and `/usr/bin/chromium` (`.ci/run` installs both); without them the tests
//! say so and pass, except under CI (`CI` set), where they fail.

use crate::common;

use common::data::records;
use common::{
    OutputWithin, Proc, append_to_array, data_dir, free_port, millrace, run_ok, wait_healthy,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a node script may run: a page that never settles fails the test instead of
/// hanging it. The scripts wait for the page in steps of at most 30 s each.
const SCRIPT_WITHIN: Duration = Duration::from_secs(300);

/// `node SCRIPT` from the browser tests' folder, for the browser at [`CHROMIUM`].
fn node(script: &str) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(browser_dir().join(script))
        .env("CHROMIUM", CHROMIUM);
    cmd
}

/// Runs a node script to its end and gives what it printed; fails the test, with all it said,
/// if it fails or overruns [`SCRIPT_WITHIN`].
fn run_script(cmd: &mut Command) -> String {
    let out = cmd.output_within(SCRIPT_WITHIN);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({})\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Where the browser scripts write their screenshots.
fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// The browser tests' folder.
fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

#[test]
fn the_dashboard_updates_in_a_browser_without_a_reload() {
    if !browser_installed() {
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let (data, more) = (dir.path().join("data"), dir.path().join("more"));
    write_sample_and_continuation(&data, &more);

    // `run --follow`: the whole pipeline following the data files, with the dashboard.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let following = Proc::spawn(millrace(dir.path()).args([
        "run",
        "--follow",
        "--data",
        "data",
        "--db",
        "store.db",
        "--dashboard-listen",
        &listen,
    ]));
    wait_healthy(port);
    // The one the page reconnects to, started by the script: stopped when the test ends.
    let _second = Restarted(dir.path().join("dashboard.pid"));

    let (folder, bin) = (dir.path().display(), common::bin());
    // The continuation written over each followed file in place: the array's closing `]`
    // moves on, as a writer appending to a JSON array file makes it do.
    let append = format!(
        "cd '{folder}' && for f in metrics workorder; do dd if=more/$f.json of=data/$f.json conv=notrunc status=none; done"
    );
    let stop = format!("kill -TERM {}", following.0.id());
    let start = format!(
        "cd '{folder}' && ('{bin}' dashboard --db store.db --listen {listen} > dashboard.log 2>&1 & echo $! > dashboard.pid)"
    );
    let checked = run_script(
        node("dashboard.mjs")
            .arg(format!("http://127.0.0.1:{port}/"))
            .args([&append, &stop, &start])
            .arg(screenshots())
            .env("MILLRACE_LOG", "warn")
            .env(
                "EXPECT_RECORDS",
                format!("{},{}", common::DATA_METRICS, common::DATA_WORK_ORDERS),
            )
            // The continuation is the sample again, shifted in time.
            .env(
                "EXPECT_RECORDS_AFTER",
                format!(
                    "{},{}",
                    2 * common::DATA_METRICS,
                    2 * common::DATA_WORK_ORDERS
                ),
            ),
    );
    // What the script checked, shown with --nocapture.
    println!("{checked}");
}

#[test]
fn the_report_reads_well_at_420_px_and_on_a_desktop() {
    if !browser_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Generated data: planted drivers, so the report has effects to state.
    run_ok(millrace(dir.path()).args(["generate", "--out", "data", "--seed", "3"]));
    run_ok(millrace(dir.path()).args([
        "run",
        "--data",
        "data",
        "--db",
        "store.db",
        "--report-dir",
        "report",
    ]));
    let page = dir.path().join("report/index.html");
    let checked = run_script(
        node("report.mjs")
            .arg(format!("file://{}", page.display()))
            .arg(screenshots()),
    );
    println!("{checked}");
}

/// The dashboard's `format.js` writes every number as the report's `sigfig` and `typical`
/// do: effects to three significant figures, typical changes as round numbers.
#[test]
fn the_dashboard_writes_numbers_as_the_report_does() {
    use millrace::report::shape::Summary;
    use millrace::report::sigfig::{sig3, signed};
    use millrace::report::typical::amount;
    if !tools_present() {
        return;
    }
    // Numbers of every size and sign, none an exact tie of the fourth figure (see
    // format.js), and a few written by hand.
    let mut numbers = vec![0.0, -0.0, 0.00412, 1234.5, 9.9951, 0.099_96, 999_999.0, 2.5];
    numbers.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for exponent in -9..=9 {
        for _ in 0..12 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mantissa = 1.0 + (seed >> 11) as f64 / (1u64 << 53) as f64 * 9.0;
            let sign = if seed & 1 == 0 { 1.0 } else { -1.0 };
            numbers.push(sign * mantissa * 10f64.powi(exponent));
        }
    }
    let steps: Vec<f64> = (-9..=9)
        .flat_map(|k| [1, 2, 5].map(|m| format!("{m}e{k}").parse::<f64>().unwrap()))
        .collect();
    let text = |x: f64| format!("{x:e}").replace("inf", "Infinity");
    let mut cases = Vec::new();
    let mut expected = Vec::new();
    for &x in &numbers {
        cases.push(serde_json::json!(["sig3", null, text(x)]));
        expected.push(sig3(x));
        cases.push(serde_json::json!(["signed", null, text(x)]));
        expected.push(signed(x));
    }
    for &step in &steps {
        for (summary, name) in [(Summary::Mean, "mean"), (Summary::Rate, "rate")] {
            cases.push(serde_json::json!(["amount", name, text(step)]));
            expected.push(amount(summary, step));
        }
    }
    let written = run_script(
        node("format.mjs")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dashboard/assets/format.js"))
            .arg(serde_json::Value::from(cases.clone()).to_string()),
    );
    let written: Vec<String> = serde_json::from_str(&written).unwrap();
    assert_eq!(written.len(), expected.len());
    for ((case, js), rust) in cases.iter().zip(&written).zip(&expected) {
        assert_eq!(
            js, rust,
            "{case}: the dashboard writes {js:?}, the report {rust:?}"
        );
    }
    // And what both write, said outright.
    let js = |i: usize| written[i].as_str();
    assert_eq!([js(4), js(6), js(8)], ["0.00412", "1230", "10.0"]);
    assert_eq!([js(5), js(13)], ["+0.00412", "+1.00e6"]);
    assert_eq!(js(2 * numbers.len()), "1e-9", "the first typical change");
}

/// Whether node and a browser are there to run the scripts with playwright, installed in the
/// browser tests' folder; `false` (after saying why) where they are not, which only a machine
/// outside CI may lack.
fn browser_installed() -> bool {
    tools_present() && {
        install_playwright(&browser_dir());
        true
    }
}

/// Whether node, npm and the browser are installed; `false` (after saying why) where they are
/// not, which only a machine outside CI may lack.
fn tools_present() -> bool {
    let Some(missing) = missing_tools() else {
        return true;
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the browser tests, but {missing}"
    );
    eprintln!("skipping the browser test: {missing} (.ci/run installs it)");
    false
}

/// The dashboard the browser script started (its pid in this file), stopped when dropped.
struct Restarted(PathBuf);

impl Drop for Restarted {
    fn drop(&mut self) {
        // Not asserted: it may be gone already, and a panic in a drop would abort the run.
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

/// What is missing to run a browser, if anything.
fn missing_tools() -> Option<String> {
    let runs = |program: &str| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !runs("node") || !runs("npm") {
        return Some("node and npm are not installed".into());
    }
    if !Path::new(CHROMIUM).exists() {
        return Some(format!(
            "{CHROMIUM} is not installed (apt-get install chromium)"
        ));
    }
    None
}

/// playwright-core as package-lock.json pins it, without a browser of its own.
fn install_playwright(browser_dir: &Path) {
    if browser_dir.join("node_modules/playwright-core").exists() {
        return;
    }
    run_script(
        Command::new("npm")
            .arg("ci")
            .current_dir(browser_dir)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    );
}

/// The sample into `data`, and into `more` the sample followed by the same records again,
/// shifted to just after the sample's end: a continuation the streamer sends as appended.
fn write_sample_and_continuation(data: &Path, more: &Path) {
    for folder in [data, more] {
        std::fs::create_dir_all(folder).unwrap();
    }
    let span = time_span(&data_dir().join("workorder.json"));
    for name in ["metrics.json", "workorder.json"] {
        let original = std::fs::read_to_string(data_dir().join(name)).unwrap();
        std::fs::write(data.join(name), &original).unwrap();
        std::fs::write(more.join(name), &original).unwrap();
        let shifted: Vec<serde_json::Value> = records(&data_dir().join(name))
            .into_iter()
            .map(|mut r| {
                let time = r["time"].as_i64().unwrap();
                r["time"] = (time + span).into();
                r
            })
            .collect();
        append_to_array(&more.join(name), &shifted);
    }
}

/// Seconds from the first work order to an hour after the last.
fn time_span(workorders: &Path) -> i64 {
    let times: Vec<i64> = records(workorders)
        .iter()
        .map(|r| r["time"].as_i64().unwrap())
        .collect();
    times.iter().max().unwrap() - times.iter().min().unwrap() + 3600
}
