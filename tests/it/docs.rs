//! The documentation, kept true by the program it describes.
//!
//! - Every example marked in README.md, CONTRIBUTING.md, BENCHMARKS.md and `docs/*.md` — a
//!   fenced block right after a line `<!-- example: SPEC -->` — is compared with what millrace
//!   really prints or writes. The program runs here as a user would: `millrace run` in an
//!   empty folder (the demo data, `generate --seed 1 --scale 4`), and in another
//!   `generate --out null --seed 1 --no-plant` then `run --data null`.
//! - Every relative link leads to a file that exists, and a `#section` to one of its headings.
//! - Every `millrace <command> --flag` the docs write is a flag of that command, as
//!   `millrace <command> -h` lists it.
//!
//! How an example is compared ([`SOURCES`] names what each SPEC reads):
//! - JSON (`top3.json`, `status --json`), at the SPEC's path such as `products[0].top[0]`:
//!   the same structure with the keys in the same order, strings and literals exact, and
//!   numbers equal to a relative 1e-9 (the documented tolerance; the program is
//!   deterministic, so in practice they are equal). A path that ends at a string is compared
//!   with the block's text.
//! - Text (what a command prints, `top3.csv`, `report.md`): the block's lines appear in the
//!   real output as consecutive lines. Before comparing, both sides lose a log line's leading
//!   timestamp, and durations (`0.25 s`) and rates (`160154 records/s`), which differ from run
//!   to run, become `#`. Folders, pids and ports that a test cannot fix are replaced by the
//!   docs' own (`/home/me/plant`, `48211`, `5001`) in the real output.
//! - A `millrace.toml` block is written into an empty folder, where `millrace status` must
//!   accept it and name its `db`.

use crate::common::OutputWithin;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

/// What each example SPEC starts with, and so which real output it is compared with.
const SOURCES: &[&str] = &[
    "demo run",
    "demo top3.json",
    "demo top3.csv",
    "demo report.md",
    "demo status --json",
    "demo copy",
    "demo lock",
    "demo unreachable",
    "null top3.json",
    "millrace.toml",
];

/// How long any one step may take before the test gives up on it.
const PATIENCE: Duration = Duration::from_secs(120);

#[test]
fn every_example_in_the_docs_is_what_millrace_prints() {
    let examples = examples();
    assert!(
        examples.len() >= 10,
        "expected the docs' marked examples, found {}",
        examples.len()
    );
    let failures: Vec<String> = examples.iter().filter_map(check_example).collect();
    assert!(
        failures.is_empty(),
        "{} example(s) differ from the program's output:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_relative_link_in_the_docs_leads_somewhere() {
    let mut broken = Vec::new();
    for file in doc_files(true) {
        let text = read(&file);
        for (line, target) in links(&text) {
            if let Err(why) = check_link(&file, &target) {
                broken.push(format!("{}:{line}: ({target}) {why}", shown(&file)));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_flag_the_docs_give_a_command_is_real() {
    let flags = flags_by_command();
    let mut unknown = BTreeSet::new();
    for file in doc_files(false) {
        for snippet in command_snippets(&read(&file)) {
            for (command, flag) in flags_in(&snippet, &flags) {
                if !flags[&command].contains(&flag) {
                    unknown.insert(format!("{}: `millrace {command} {flag}`", shown(&file)));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "flags the docs name that the command does not take:\n{}",
        unknown.into_iter().collect::<Vec<_>>().join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The docs

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The documentation files: README.md, CONTRIBUTING.md, BENCHMARKS.md and `docs/*.md`, and
/// with `history` the dated benchmark log too (its links are checked, not its commands,
/// which are as they were run then).
fn doc_files(history: bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "CONTRIBUTING.md", "BENCHMARKS.md"]
        .iter()
        .map(|f| root().join(f))
        .collect();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    if history {
        files.push(root().join("bench/HISTORY.md"));
    }
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// One marked example: where it is, its SPEC, and the text of its block.
struct Example {
    place: String,
    spec: String,
    body: String,
}

fn examples() -> Vec<Example> {
    let mut found = Vec::new();
    for file in doc_files(false) {
        let text = read(&file);
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(spec) = line
                .trim()
                .strip_prefix("<!-- example:")
                .and_then(|rest| rest.strip_suffix("-->"))
            else {
                continue;
            };
            let place = format!("{}:{}", shown(&file), i + 1);
            let opening = lines.get(i + 1).copied().unwrap_or_default();
            assert!(
                opening.starts_with("```"),
                "{place}: an example marker must be followed by a fenced block"
            );
            let body: Vec<&str> = lines[i + 2..]
                .iter()
                .take_while(|l| !l.starts_with("```"))
                .copied()
                .collect();
            found.push(Example {
                place,
                spec: spec.trim().to_string(),
                body: body.join("\n"),
            });
        }
    }
    found
}

/// Fenced code blocks taken out, so that what they show is not read as Markdown.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut kept = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            kept.push((i + 1, line));
        }
    }
    kept
}

// ---------------------------------------------------------------------------------------
// The program's real output

/// The binary under test, with no settings leaking in from the environment.
fn millrace(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_millrace"));
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("MILLRACE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("MILLRACE_LOG", "warn").env_remove("NO_COLOR");
    cmd
}

/// Runs `cmd` to its end, within [`PATIENCE`]; panics with what it said unless it
/// succeeded.
fn ok(cmd: &mut Command) -> String {
    let out = cmd.output_within(PATIENCE);
    assert!(out.status.success(), "{cmd:?} failed: {}", said(&out));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn said(out: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A child killed when dropped, whatever happened in between.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of `from` up to and including the first that `last` accepts.
fn lines_until(from: impl Read + Send + 'static, last: impl Fn(&str) -> bool) -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + PATIENCE;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let done = last(&line);
                lines.push(line);
                if done {
                    return lines;
                }
            }
            Err(_) => panic!("the awaited line never came; got:\n{}", lines.join("\n")),
        }
    }
}

/// Everything the examples are compared with, made once.
struct Real {
    texts: BTreeMap<&'static str, String>,
}

fn real() -> &'static Real {
    static REAL: OnceLock<Real> = OnceLock::new();
    REAL.get_or_init(|| {
        let (mut texts, null) = std::thread::scope(|s| {
            let null = s.spawn(null_run);
            (demo_runs(), null.join().expect("the null run"))
        });
        texts.insert("null top3.json", null);
        Real { texts }
    })
}

/// The quick start in an empty folder, then what the docs show around it: the status, a
/// streamer with no webhook, a copy of the data, and a second `run` beside a running one.
fn demo_runs() -> BTreeMap<&'static str, String> {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    let mut texts = BTreeMap::new();
    texts.insert("demo run", ok(millrace(here).arg("run")));
    for (key, file) in [
        ("demo top3.json", "top3.json"),
        ("demo top3.csv", "top3.csv"),
        ("demo report.md", "report.md"),
    ] {
        texts.insert(key, read(&here.join("report").join(file)));
    }
    texts.insert(
        "demo status --json",
        ok(millrace(here).args(["status", "--json"])),
    );
    texts.insert("demo unreachable", unreachable(here));
    copy_folder(&here.join(".millrace/demo"), &here.join("copy"));
    let (copy, lock) = copy_and_lock(here);
    texts.insert("demo copy", copy);
    texts.insert("demo lock", lock);
    texts
}

/// `top3.json` of data where nothing drives output, in a folder of its own.
fn null_run() -> String {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    ok(millrace(here).args(["generate", "--out", "null", "--seed", "1", "--no-plant"]));
    ok(millrace(here).args(["run", "--data", "null"]));
    read(&here.join("report/top3.json"))
}

/// What `stream` logs first when nothing listens at `--webhook`, on a port shown as 5001.
fn unreachable(here: &Path) -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = millrace(here)
        .args(["stream", "--data", ".millrace/demo", "--no-progress"])
        .args(["--offsets", ".millrace/unreachable.json", "--webhook", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("millrace starts");
    let stderr = child.stderr.take().unwrap();
    let _child = Running(child);
    let lines = lines_until(stderr, |l| l.contains("cannot reach the webhook"));
    lines
        .join("\n")
        .replace(&format!("127.0.0.1:{port}"), "127.0.0.1:5001")
}

/// A copy of `from` (its `.millrace-id` included, as `cp -a` copies it) at `to`.
fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// What `run --follow` says at start over the copy, and what a second `run` in the same
/// folder says meanwhile, with the folder and pid the docs show.
fn copy_and_lock(here: &Path) -> (String, String) {
    let mut child = millrace(here)
        .args(["run", "--follow", "--data", "copy"])
        .args(["--dashboard-listen", "127.0.0.1:0", "--no-progress"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("millrace starts");
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let _follower = Running(child);
    let copy = lines_until(stdout, |l| l.starts_with("millrace is following")).join("\n");
    let second = millrace(here)
        .args(["run", "--data", "copy"])
        .output_within(PATIENCE);
    assert_eq!(
        second.status.code(),
        Some(2),
        "a second run: {}",
        said(&second)
    );
    let mut lock = String::from_utf8(second.stderr).unwrap();
    let canonical = here.canonicalize().unwrap();
    for folder in [canonical.as_path(), here] {
        lock = lock.replace(&folder.display().to_string(), "/home/me/plant");
    }
    let lock = lock
        .replace(&format!("(pid {pid})"), "(pid 48211)")
        .replace(&format!("`kill {pid}`"), "`kill 48211`");
    (copy, lock)
}

// ---------------------------------------------------------------------------------------
// Comparing an example with the real output

/// `None` when the example matches; else what differs, and the real output to copy from.
fn check_example(example: &Example) -> Option<String> {
    let Some(source) = SOURCES
        .iter()
        .filter(|s| example.spec == **s || example.spec.starts_with(&format!("{s} ")))
        .max_by_key(|s| s.len())
    else {
        return Some(format!(
            "{}: unknown example `{}`; known: {SOURCES:?}",
            example.place, example.spec
        ));
    };
    let selector = example.spec[source.len()..].trim();
    let outcome = if *source == "millrace.toml" {
        check_settings(&example.body)
    } else {
        let real = &real().texts[source];
        if source.ends_with("json") {
            check_json(&example.body, real, selector)
        } else {
            check_text(&example.body, real)
        }
    };
    outcome
        .err()
        .map(|why| format!("{} ({}): {why}", example.place, example.spec))
}

fn check_text(doc: &str, real: &str) -> Result<(), String> {
    let want: Vec<String> = doc.lines().map(normalized).collect();
    let have: Vec<String> = real.lines().map(normalized).collect();
    if !want.is_empty() && have.windows(want.len()).any(|w| w == want.as_slice()) {
        return Ok(());
    }
    Err(format!(
        "these lines are not in the real output:\n{}\n--- the real output:\n{real}",
        want.join("\n")
    ))
}

/// A line as compared: without a log line's timestamp, with durations and rates as `#`.
fn normalized(line: &str) -> String {
    let line = line.trim_end();
    let line = match line.split_once(' ') {
        Some((first, rest))
            if first.len() > 20 && first.ends_with('Z') && first.as_bytes()[4] == b'-' =>
        {
            rest.trim_start()
        }
        _ => line,
    };
    let line = masked_before(line, " records/s", |_| true);
    masked_before(&line, " s", |after| {
        after.is_none_or(|c| !c.is_alphanumeric())
    })
}

/// `line` with each number right before `suffix` (and the spaces before the number) written
/// ` #`, where `follows` accepts the character after the suffix.
fn masked_before(line: &str, suffix: &str, follows: impl Fn(Option<char>) -> bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(suffix) {
        let (before, after) = rest.split_at(at);
        let after = &after[suffix.len()..];
        let number = before.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        let is_number = number.len() < before.len()
            && before[number.len()..].starts_with(|c: char| c.is_ascii_digit());
        if is_number && follows(after.chars().next()) {
            out.push_str(number.trim_end_matches(' '));
            out.push_str(" #");
        } else {
            out.push_str(before);
        }
        out.push_str(suffix);
        rest = after;
    }
    out.push_str(rest);
    out
}

fn check_json(doc: &str, real: &str, selector: &str) -> Result<(), String> {
    let real = Json::parse(real).map_err(|e| format!("the real output is not JSON: {e}"))?;
    let selected = real.at(selector)?;
    if let Json::Str(text) = selected {
        return if text == doc.trim() {
            Ok(())
        } else {
            Err(format!("the real text is:\n{text}"))
        };
    }
    let doc = Json::parse(doc).map_err(|e| format!("the example is not JSON: {e}"))?;
    doc.same_as(selected, "$")
        .map_err(|why| format!("{why}\n--- the real value:\n{}", selected.pretty(0)))
}

/// A `millrace.toml` example: `millrace status` in a folder holding it must accept it and
/// name the store it sets.
fn check_settings(body: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("millrace.toml"), body).unwrap();
    let out = millrace(dir.path()).arg("status").output_within(PATIENCE);
    if !out.status.success() {
        return Err(format!("`millrace status` refused it: {}", said(&out)));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let db = body
        .lines()
        .find_map(|l| l.strip_prefix("db = \""))
        .and_then(|rest| rest.strip_suffix('"'));
    match db {
        Some(db) if !stdout.contains(db) => Err(format!("status does not name {db}: {stdout}")),
        _ => Ok(()),
    }
}

/// JSON with its keys in the order written, which `serde_json::Value` does not keep.
#[derive(Debug)]
enum Json {
    Literal(String),
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> Result<Json, String> {
        let mut parser = Parser { text, at: 0 };
        let value = parser.value()?;
        parser.space();
        if parser.at == text.len() {
            Ok(value)
        } else {
            Err(format!("text after the value at byte {}", parser.at))
        }
    }

    /// The value at a path such as `products[0].top[0]` (empty: the whole document).
    fn at(&self, path: &str) -> Result<&Json, String> {
        let mut here = self;
        for step in path.split(['.', '[']).filter(|s| !s.is_empty()) {
            here = match (here, step.strip_suffix(']')) {
                (Json::Array(items), Some(index)) => index
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .ok_or_else(|| format!("no item [{index}] in {path}"))?,
                (Json::Object(fields), None) => fields
                    .iter()
                    .find(|(k, _)| k == step)
                    .map(|(_, v)| v)
                    .ok_or_else(|| format!("no key `{step}` in {path}"))?,
                _ => return Err(format!("`{step}` of {path} does not fit the document")),
            };
        }
        Ok(here)
    }

    /// Whether `self` (the docs') is `real`, keys in the same order and numbers within the
    /// tolerance; else the first place that differs.
    fn same_as(&self, real: &Json, at: &str) -> Result<(), String> {
        match (self, real) {
            (Json::Object(a), Json::Object(b)) => {
                let keys = |o: &[(String, Json)]| o.iter().map(|(k, _)| k.clone()).collect();
                let (ka, kb): (Vec<String>, Vec<String>) = (keys(a), keys(b));
                if ka != kb {
                    return Err(format!("{at}: keys {ka:?}, the program writes {kb:?}"));
                }
                a.iter()
                    .zip(b)
                    .try_for_each(|((k, x), (_, y))| x.same_as(y, &format!("{at}.{k}")))
            }
            (Json::Array(a), Json::Array(b)) if a.len() == b.len() => a
                .iter()
                .zip(b)
                .enumerate()
                .try_for_each(|(i, (x, y))| x.same_as(y, &format!("{at}[{i}]"))),
            (Json::Number(a), Json::Number(b)) if close(a, b) => Ok(()),
            (Json::Str(a), Json::Str(b)) | (Json::Literal(a), Json::Literal(b)) if a == b => Ok(()),
            _ => Err(format!(
                "{at}: the docs have {}, the program writes {}",
                self.pretty(0),
                real.pretty(0)
            )),
        }
    }

    /// As `serde_json::to_string_pretty` writes it, to paste into the docs.
    fn pretty(&self, indent: usize) -> String {
        let pad = |n: usize| "  ".repeat(n);
        match self {
            Json::Literal(t) | Json::Number(t) => t.clone(),
            Json::Str(s) => serde_json::to_string(s).unwrap(),
            Json::Array(items) if items.is_empty() => "[]".into(),
            Json::Object(fields) if fields.is_empty() => "{}".into(),
            Json::Array(items) => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|v| format!("{}{}", pad(indent + 1), v.pretty(indent + 1)))
                    .collect();
                format!("[\n{}\n{}]", inner.join(",\n"), pad(indent))
            }
            Json::Object(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}{k:?}: {}", pad(indent + 1), v.pretty(indent + 1)))
                    .collect();
                format!("{{\n{}\n{}}}", inner.join(",\n"), pad(indent))
            }
        }
    }
}

/// Two JSON numbers equal to a relative 1e-9.
fn close(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => a == b,
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        self.space();
        let found = self.text[self.at..].starts_with(c);
        if found {
            self.at += c.len_utf8();
        }
        found
    }

    fn value(&mut self) -> Result<Json, String> {
        self.space();
        let rest = &self.text[self.at..];
        match rest.chars().next() {
            Some('{') => self.object(),
            Some('[') => self.array(),
            Some('"') => self.string().map(Json::Str),
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let len = rest
                    .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
                    .unwrap_or(rest.len());
                self.at += len;
                Ok(Json::Number(rest[..len].to_string()))
            }
            _ => ["true", "false", "null"]
                .into_iter()
                .find(|l| rest.starts_with(l))
                .map(|l| {
                    self.at += l.len();
                    Json::Literal(l.to_string())
                })
                .ok_or_else(|| format!("no JSON value at byte {}", self.at)),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let rest = &self.text[self.at..];
        let mut escaped = false;
        for (i, c) in rest.char_indices().skip(1) {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    self.at += i + 1;
                    return serde_json::from_str(&rest[..=i]).map_err(|e| e.to_string());
                }
                _ => escaped = false,
            }
        }
        Err("a string is never closed".into())
    }

    fn array(&mut self) -> Result<Json, String> {
        self.at += 1;
        let mut items = Vec::new();
        if self.eat(']') {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            if self.eat(']') {
                return Ok(Json::Array(items));
            }
            if !self.eat(',') {
                return Err(format!("expected `,` or `]` at byte {}", self.at));
            }
        }
    }

    fn object(&mut self) -> Result<Json, String> {
        self.at += 1;
        let mut fields = Vec::new();
        if self.eat('}') {
            return Ok(Json::Object(fields));
        }
        loop {
            self.space();
            let key = self.string()?;
            if !self.eat(':') {
                return Err(format!("expected `:` at byte {}", self.at));
            }
            fields.push((key, self.value()?));
            if self.eat('}') {
                return Ok(Json::Object(fields));
            }
            if !self.eat(',') {
                return Err(format!("expected `,` or `}}` at byte {}", self.at));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Links

/// `(line, target)` of each Markdown link outside code.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in prose(text) {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            found.push((number, rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    found
}

fn check_link(from: &Path, target: &str) -> Result<(), String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return Ok(());
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let file = if path.is_empty() {
        from.to_path_buf()
    } else {
        from.parent().unwrap().join(path)
    };
    if !file.exists() {
        return Err(format!("{} does not exist", file.display()));
    }
    let is_markdown = file.extension().is_some_and(|e| e == "md");
    if anchor.is_empty() || !is_markdown {
        return Ok(());
    }
    let anchors = anchors(&read(&file));
    if anchors.contains(anchor) {
        Ok(())
    } else {
        Err(format!("no heading `#{anchor}` in {}", shown(&file)))
    }
}

/// The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as
/// hyphens, `-1`, `-2`… after a repeated one.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeMap::<String, usize>::new();
    let mut anchors = BTreeSet::new();
    for (_, line) in prose(text) {
        let Some(title) = line
            .strip_prefix('#')
            .map(|l| l.trim_start_matches('#'))
            .and_then(|l| l.strip_prefix(' '))
        else {
            continue;
        };
        let slug: String = title
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let count = seen.entry(slug.clone()).or_insert(0);
        anchors.insert(if *count == 0 {
            slug.clone()
        } else {
            format!("{slug}-{count}")
        });
        *count += 1;
    }
    anchors
}

// ---------------------------------------------------------------------------------------
// Flags

/// Every command's flags, long names and aliases, as `millrace <command> -h` lists them.
fn flags_by_command() -> BTreeMap<String, BTreeSet<String>> {
    let here = std::env::temp_dir();
    let help = ok(millrace(&here).arg("--help"));
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect();
    assert!(commands.len() > 5, "commands from --help: {help}");
    commands
        .into_iter()
        .map(|command| {
            let help = ok(millrace(&here).args([command.as_str(), "-h"]));
            (command, flags_in_help(&help))
        })
        .collect()
}

fn flags_in_help(help: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for line in help.lines().map(str::trim_start) {
        let option = line.strip_prefix("-h, ").unwrap_or(line);
        if let Some(name) = option.strip_prefix("--") {
            let end = name
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(name.len());
            flags.insert(format!("--{}", &name[..end]));
        }
        for marker in ["[alias: ", "[aliases: "] {
            if let Some(at) = line.find(marker) {
                let list = &line[at + marker.len()..];
                let list = &list[..list.find(']').unwrap_or(list.len())];
                flags.extend(list.split(", ").map(|a| a.trim().to_string()));
            }
        }
    }
    flags
}

/// Pieces of the docs that may hold a command line: each line of a code block (joined over
/// a trailing `\`) and each inline code span of a paragraph.
fn command_snippets(text: &str) -> Vec<String> {
    let mut snippets = Vec::new();
    let mut fenced = false;
    let mut pending = String::new();
    let mut paragraph = String::new();
    let spans = |paragraph: &mut String, snippets: &mut Vec<String>| {
        let text = std::mem::take(paragraph);
        snippets.extend(text.split('`').skip(1).step_by(2).map(String::from));
    };
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            spans(&mut paragraph, &mut snippets);
        } else if fenced {
            pending.push_str(line.trim_end_matches('\\'));
            pending.push(' ');
            if !line.ends_with('\\') {
                snippets.push(std::mem::take(&mut pending));
            }
        } else if line.trim().is_empty() {
            spans(&mut paragraph, &mut snippets);
        } else {
            paragraph.push(' ');
            paragraph.push_str(line);
        }
    }
    spans(&mut paragraph, &mut snippets);
    snippets
}

/// `(command, flag)` for each flag written after `millrace <command>` (or `cargo run
/// --release -- <command>`) in a snippet, up to the end of that shell command.
fn flags_in(snippet: &str, flags: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, String)> {
    let snippet = snippet.replace("cargo run --release -- ", "millrace ");
    let words: Vec<&str> = snippet.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let word = word.trim_start_matches(['`', '(']);
        let is_binary = word == "millrace" || word.ends_with("/millrace");
        // A command that closes its code span (`millrace serve` is running…) has no flags.
        let Some(command) = words
            .get(i + 1)
            .filter(|c| is_binary && flags.contains_key(**c))
        else {
            continue;
        };
        for word in &words[i + 2..] {
            if ["|", "||", "&", "&&", ">", ">>", "2>", "#"].contains(word) || word.starts_with('`')
            {
                break;
            }
            let flag = word.trim_start_matches('[');
            if let Some(name) = flag.strip_prefix("--").filter(|n| !n.is_empty()) {
                let end = name
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .unwrap_or(name.len());
                found.push((command.to_string(), format!("--{}", &name[..end])));
            }
            if word.contains(['`', ';']) {
                break;
            }
        }
    }
    found
}
