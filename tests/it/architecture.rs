//! The import structure of `src/`, kept as the crate doc of `src/lib.rs` states it: no cycle
//! among files, and no module importing from a later layer than its own.
//!
//! A newcomer should be able to change one file and know what it can break: the files that
//! import it, all of them later in the pipeline's layering. A cycle or an upward import makes
//! that guess wrong, and both creep in one harmless-looking `use` at a time, so this test reads
//! every `crate::…`, `super::…` and `self::…` path in `src/` (in `use` lines, grouped or not,
//! and inline in code) and checks them. It uses std only and reads the files as text.
//!
//! What counts as an import: a path from `crate`, `super` or `self`, or through a child
//! module the file declares (`mod analysis;`, then `use analysis::conclude`), resolved to the
//! deepest file it names (`crate::queue::Envelope` names `queue/mod.rs`, where `Envelope` is
//! re-exported). A `mod` declaration and a `pub use child::Item` re-export are a folder's table
//! of contents, not imports; comments and string literals are skipped. `main.rs` is a crate of
//! its own (its `crate::` is the binary) and may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// The top-level modules of `src/`, lowest layer first; the one place the order is declared.
/// A module may import only from modules before it and from its own folder. `support` holds
/// utilities that know nothing of the pipeline; `record`, `codec` and `auth` the types both
/// edges share; `queue` and `store` the two back ends, and `metrics` the exporter the stages
/// record into (it reads the queue's backlog); then the stages; `generate` makes sample data;
/// `app` and `cli` wire everything together, and only `cli` may import `app`.
const LAYERS: &[&str] = &[
    "support",
    "record",
    "codec",
    "auth",
    "queue",
    "store",
    "metrics",
    "sender",
    "webhook",
    "mqtt",
    "consumer",
    "report",
    "live",
    "dashboard",
    "generate",
    "app",
    "cli",
];

/// One import: the file that names it, the path as written, the file it resolves to, and the
/// line it is on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    from: String,
    path: String,
    to: String,
    line: usize,
}

#[test]
fn src_has_no_import_cycle_and_no_upward_import() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_tree(&src);
    assert!(
        files.contains_key("lib.rs") && files.len() > 50,
        "expected the crate's sources under {}, found {} files",
        src.display(),
        files.len()
    );
    let problems = check(&files);
    assert!(
        problems.is_empty(),
        "the import structure of src/ breaks the layering in the crate doc of src/lib.rs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_crate_doc_states_the_layers_in_this_order() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("src/lib.rs");
    let line = LAYERS.join(" → ");
    assert!(
        lib.lines()
            .any(|l| l.trim_start_matches("//!").trim() == line),
        "src/lib.rs's crate doc should state the layers as one line, exactly as the test declares them:\n//! {line}"
    );
}

#[test]
fn the_checker_finds_a_cycle_and_an_upward_import() {
    let files: BTreeMap<String, String> = [
        ("lib.rs", "pub mod support;\npub mod queue;\npub mod cli;\n"),
        // Upward: support may not know the queue, even inline in a function body.
        (
            "support/mod.rs",
            "pub mod chain;\nfn f() { crate::queue::Queue::new(); }\n",
        ),
        (
            "support/chain.rs",
            "// crate::cli::never — a comment is not an import\nconst S: &str = \"crate::cli\";\n",
        ),
        // A cycle between two files of one folder, through a grouped `use` and `super`.
        (
            "queue/mod.rs",
            "mod a;\nmod b;\npub use a::A;\nuse crate::support::{chain::{self, Chain}};\n",
        ),
        ("queue/a.rs", "use super::{b::B, Other};\npub struct A;\n"),
        (
            "queue/b.rs",
            "pub struct B;\nmod tests {\n    use super::super::a::A;\n}\n",
        ),
        ("cli/mod.rs", "use crate::queue::a::A;\n"),
        ("extra/mod.rs", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let imports = imports(&files);
    let seen: BTreeSet<(&str, &str)> = imports
        .iter()
        .map(|i| (i.from.as_str(), i.to.as_str()))
        .collect();
    let expected: BTreeSet<(&str, &str)> = [
        ("support/mod.rs", "queue/mod.rs"),
        ("queue/mod.rs", "support/chain.rs"),
        ("queue/a.rs", "queue/b.rs"),
        ("queue/a.rs", "queue/mod.rs"),
        ("queue/b.rs", "queue/a.rs"),
        ("cli/mod.rs", "queue/a.rs"),
    ]
    .into();
    assert_eq!(seen, expected);
    let problems = check(&files);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`extra`") && p.contains("LAYERS")),
        "an unplaced folder is named: {problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("upward: src/support/mod.rs:2 imports crate::queue::Queue::new")),
        "the upward import is named with its file and line: {problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p
            == "cycle: src/queue/a.rs:1 imports super::b::B → src/queue/b.rs:3 imports super::super::a::A → back to src/queue/a.rs"),
        "the cycle is named file by file: {problems:#?}"
    );
}

#[test]
fn grouped_and_inline_paths_are_all_found() {
    let module = vec!["x".to_string(), "y".to_string()];
    let paths = paths_in(
        "use crate::{a::b, c::{d, e as f}, g::*};\nuse super::{self, h};\nlet v = self::i::j(crate::k::<T>::l);\npub(crate) fn m(&self) -> Self {}\n",
        &module,
    );
    let found: Vec<String> = paths.iter().map(|(p, _, _)| p.join("::")).collect();
    assert_eq!(
        found,
        ["a::b", "c::d", "c::e", "g", "x", "x::h", "x::y::i::j", "k"],
        "{paths:?}"
    );
    // A child module's path counts, except in a re-export: that is the folder's contents.
    let paths = paths_in(
        "mod child;\nuse child::x;\npub use child::Y;\nfn f() { child::g(); other::h(); }\n",
        &module,
    );
    let found: Vec<String> = paths.iter().map(|(p, _, _)| p.join("::")).collect();
    assert_eq!(found, ["x::y::child::x", "x::y::child::g"], "{paths:?}");
}

/// Every problem with the import structure of `files` (paths relative to `src/`), one line
/// each: modules missing from [`LAYERS`], upward imports, cycles.
fn check(files: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    let tops: BTreeSet<&str> = files.keys().filter_map(|f| top(f)).collect();
    for t in &tops {
        if !LAYERS.contains(t) {
            problems.push(format!(
                "unplaced: module `{t}` is not in LAYERS in tests/it/architecture.rs; add it where its imports allow, and to the crate doc of src/lib.rs"
            ));
        }
    }
    let imports = imports(files);
    for i in &imports {
        if let (Some(from), Some(to)) = (top(&i.from), top(&i.to))
            && from != to
            && layer(from) <= layer(to)
        {
            problems.push(format!(
                "upward: src/{}:{} imports {} (in src/{}), but {to} is not a layer below {from}",
                i.from, i.line, i.path, i.to
            ));
        }
    }
    for cycle in cycles(&imports) {
        let mut line = String::from("cycle:");
        for i in &cycle {
            let _ = write!(line, " src/{}:{} imports {} →", i.from, i.line, i.path);
        }
        let _ = write!(line, " back to src/{}", cycle[0].from);
        problems.push(line);
    }
    problems
}

/// Where `module` sits in [`LAYERS`]; an unplaced module sits above all (and is reported).
fn layer(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| *l == module)
        .unwrap_or(usize::MAX)
}

/// The top-level module a file belongs to; `None` for the crate root.
fn top(file: &str) -> Option<&str> {
    match file.split_once('/') {
        Some((dir, _)) => Some(dir),
        None if file == "lib.rs" => None,
        None => file.strip_suffix(".rs"),
    }
}

/// Every `.rs` file under `dir`, by its path relative to `dir`, except the binary's `main.rs`.
fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("a readable src/") {
            let path = entry.expect("a readable entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if name != "main.rs" {
                    let text = std::fs::read_to_string(&path).expect("UTF-8 source");
                    files.insert(name, text);
                }
            }
        }
    }
    files
}

/// The module path of a file: `queue/embedded/mod.rs` is `queue::embedded`.
fn module_of(file: &str) -> Vec<String> {
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The file holding module `path`'s deepest prefix that is a file of its own.
fn file_of(path: &[String], files: &BTreeMap<String, String>) -> String {
    for len in (1..=path.len()).rev() {
        let stem = path[..len].join("/");
        for candidate in [format!("{stem}.rs"), format!("{stem}/mod.rs")] {
            if files.contains_key(&candidate) {
                return candidate;
            }
        }
    }
    "lib.rs".to_string()
}

/// Every import in `files` of another file.
fn imports(files: &BTreeMap<String, String>) -> Vec<Import> {
    let mut out = BTreeSet::new();
    for (file, text) in files {
        for (path, written, line) in paths_in(text, &module_of(file)) {
            let to = file_of(&path, files);
            if to != *file {
                out.insert(Import {
                    from: file.clone(),
                    path: written,
                    to,
                    line,
                });
            }
        }
    }
    // One edge per pair of files is enough to name it; keep the first line.
    let mut seen = BTreeSet::new();
    let mut sorted: Vec<Import> = out.into_iter().collect();
    sorted.sort_by_key(|i| (i.from.clone(), i.to.clone(), i.line));
    sorted
        .into_iter()
        .filter(|i| seen.insert((i.from.clone(), i.to.clone())))
        .collect()
}

/// The cycles among files, each as its imports in order: the shortest through each file that
/// is not on a cycle reported already, so that every tangle is named at least once.
fn cycles(imports: &[Import]) -> Vec<Vec<Import>> {
    let mut next: BTreeMap<&str, Vec<&Import>> = BTreeMap::new();
    for i in imports {
        next.entry(&i.from).or_default().push(i);
    }
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut found = Vec::new();
    for start in next.keys() {
        if reported.contains(*start) {
            continue;
        }
        if let Some(cycle) = cycle_through(start, &next) {
            reported.extend(cycle.iter().map(|i| i.from.clone()));
            found.push(cycle);
        }
    }
    found
}

/// The shortest way from `start` back to itself, breadth first, if there is one.
fn cycle_through(start: &str, next: &BTreeMap<&str, Vec<&Import>>) -> Option<Vec<Import>> {
    let mut came: BTreeMap<&str, &Import> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        for i in next.get(at).into_iter().flatten() {
            if i.to == start {
                let mut way = vec![(*i).clone()];
                let mut back = at;
                while back != start {
                    let step = came[back];
                    way.push(step.clone());
                    back = &step.from;
                }
                way.reverse();
                return Some(way);
            }
            if !came.contains_key(i.to.as_str()) {
                came.insert(&i.to, i);
                queue.push_back(&i.to);
            }
        }
    }
    None
}

/// A piece of source: a name, `::`, or one character of punctuation; with its line.
#[derive(Clone, Debug, PartialEq)]
enum Token {
    Name(String),
    Colons,
    Punct(char),
}

/// Every `crate::`, `super::` and `self::` path in `text`, a file of module `module`, and
/// every path through a child module the file declares (`mod analysis;` then
/// `analysis::conclude`) outside a `pub use`: as the module path it names, the path as
/// written, and the line it starts on. A grouped `use` gives one path per leaf; a glob names
/// the module before it.
fn paths_in(text: &str, module: &[String]) -> Vec<(Vec<String>, String, usize)> {
    let tokens = tokenize(&strip(text));
    let children: BTreeSet<&str> = tokens
        .windows(3)
        .filter_map(|w| match w {
            [
                (Token::Name(m), _),
                (Token::Name(name), _),
                (Token::Punct(';'), _),
            ] if m == "mod" => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    // Inline modules (`mod tests { … }`) change what `self` and `super` mean.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    // Inside a `use` item: whether it is a re-export (`pub use`, `pub(crate) use`).
    let mut in_use: Option<bool> = None;
    let mut i = 0;
    while i < tokens.len() {
        let (token, line) = &tokens[i];
        let starts_path = tokens.get(i + 1).is_some_and(|(t, _)| *t == Token::Colons)
            && !(i > 0 && matches!(tokens[i - 1].0, Token::Colons | Token::Punct('$')));
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Token::Punct(';') => in_use = None,
            Token::Name(kw) if kw == "use" => in_use = Some(is_pub(&tokens, i)),
            Token::Name(kw) if kw == "mod" => {
                if let (Some((Token::Name(name), _)), Some((Token::Punct('{'), _))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    inline.push((name.clone(), depth));
                }
            }
            Token::Name(first)
                if starts_path
                    && (matches!(first.as_str(), "crate" | "super" | "self")
                        || (children.contains(first.as_str())
                            && inline.is_empty()
                            && in_use != Some(true))) =>
            {
                let mut here: Vec<String> = module.to_vec();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let mut leaves = Vec::new();
                let end = use_tree(&tokens, i, Vec::new(), &mut leaves);
                for leaf in leaves {
                    let written = leaf.join("::");
                    let mut from_here = leaf;
                    if children.contains(from_here[0].as_str()) {
                        from_here.insert(0, "self".to_string());
                    }
                    if let Some(path) = resolve(&from_here, &here) {
                        out.push((path, written, *line));
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Whether the `use` at `i` is a re-export: `pub use`, or `pub(…) use`.
fn is_pub(tokens: &[(Token, usize)], i: usize) -> bool {
    let mut j = i;
    if j > 0 && tokens[j - 1].0 == Token::Punct(')') {
        while j > 0 && tokens[j - 1].0 != Token::Punct('(') {
            j -= 1;
        }
        j = j.saturating_sub(1);
    }
    j > 0 && tokens[j - 1].0 == Token::Name("pub".into())
}

/// Reads a path or use tree starting at `i` under `prefix`, pushing each full path into
/// `leaves`; returns the index after it.
fn use_tree(
    tokens: &[(Token, usize)],
    mut i: usize,
    mut prefix: Vec<String>,
    leaves: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match tokens.get(i).map(|(t, _)| t) {
            Some(Token::Name(name)) => {
                if name != "self" || prefix.is_empty() {
                    prefix.push(name.clone());
                }
                i += 1;
                if tokens.get(i).is_some_and(|(t, _)| *t == Token::Colons) {
                    i += 1;
                    if tokens.get(i).is_some_and(|(t, _)| *t == Token::Punct('<')) {
                        break; // A turbofish ends the path: `crate::x::<T>`.
                    }
                    continue;
                }
                if tokens
                    .get(i)
                    .is_some_and(|(t, _)| *t == Token::Name("as".into()))
                {
                    i += 2;
                }
                break;
            }
            Some(Token::Punct('*')) => {
                i += 1;
                break;
            }
            Some(Token::Punct('{')) => {
                i += 1;
                while i < tokens.len() && tokens[i].0 != Token::Punct('}') {
                    if tokens[i].0 == Token::Punct(',') {
                        i += 1;
                        continue;
                    }
                    let before = i;
                    i = use_tree(tokens, i, prefix.clone(), leaves);
                    if i == before {
                        i += 1;
                    }
                }
                return i + 1;
            }
            _ => break,
        }
    }
    leaves.push(prefix);
    i
}

/// The absolute module path `path` (starting `crate`, `super` or `self`) names from `here`.
fn resolve(path: &[String], here: &[String]) -> Option<Vec<String>> {
    let mut names = path.iter().peekable();
    let mut out: Vec<String> = match names.peek().map(|n| n.as_str()) {
        Some("crate") => Vec::new(),
        Some("self" | "super") => here.to_vec(),
        _ => return None,
    };
    if names.peek().is_some_and(|n| *n != "super") {
        names.next();
    }
    while names.peek().is_some_and(|n| *n == "super") {
        names.next();
        out.pop()?;
    }
    out.extend(names.cloned());
    Some(out)
}

/// `text` with comments, strings and character literals blanked out, lines kept.
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut nesting = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    nesting += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    nesting -= 1;
                    i += 2;
                    if nesting == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_at(&chars, i) {
            // r"…", r#"…"#, br"…": no escapes; ends at a quote and as many hashes.
            while chars[i] != '"' {
                i += 1;
            }
            i += 1;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal ('a', '\n', '\'', '\u{7f}'), not a lifetime ('a): skip
            // the quote, the character or the escape's first two, then up to the closing one.
            i += if next == Some('\\') { 3 } else { 2 };
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether a raw string starts at `i`, and with how many `#`.
fn raw_string_at(chars: &[char], i: usize) -> Option<usize> {
    let before_ok = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if !before_ok || chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|c| **c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some(hashes)
}

/// Names, `::` and punctuation of stripped source, each with its line (from 1).
fn tokenize(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Token::Name(chars[start..i].iter().collect()), line));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push((Token::Colons, line));
            i += 2;
        } else {
            out.push((Token::Punct(c), line));
            i += 1;
        }
    }
    out
}
