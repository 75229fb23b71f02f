//! The options reference of `docs/usage.md`, rendered from the declarations in
//! [`super::args`], so that the documentation cannot name an option, a default or a variable
//! the program does not have. A test keeps the committed copy current; `UPDATE_DOCS=1 cargo
//! test options_reference` rewrites it.

use clap::CommandFactory;
use std::fmt::Write;

/// Per command, a table of its options: flag, environment variable and `millrace.toml` key,
/// default, and help.
pub fn options_reference() -> String {
    let command = super::args::Cli::command();
    let mut out = String::new();
    out += "Every option with a variable can also be set in `millrace.toml` under the key \
            shown (its name with underscores); a flag wins over the variable, the variable \
            over the file, the file over the default.\n";
    out += "\nOptions of every command:\n\n";
    table(&mut out, command.get_arguments().filter(|a| !is_builtin(a)));
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let _ = write!(out, "\n##### `millrace {}` options\n\n", sub.get_name());
        if let Some(about) = sub.get_about() {
            let _ = writeln!(out, "{}.\n", one_line(&about.to_string()));
        }
        table(&mut out, sub.get_arguments().filter(|a| !is_builtin(a)));
    }
    out
}

/// `--help` and `--version`, which every command has and no table needs.
fn is_builtin(arg: &clap::Arg) -> bool {
    matches!(arg.get_id().as_str(), "help" | "version")
}

/// One table of `args`.
fn table<'a>(out: &mut String, args: impl Iterator<Item = &'a clap::Arg>) {
    out.push_str("| Option | Variable / `millrace.toml` | Default | What it does |\n");
    out.push_str("| --- | --- | --- | --- |\n");
    for arg in args {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            flag(arg),
            setting(arg),
            default(arg),
            cell(&help(arg))
        );
    }
}

/// `--name <VALUE>`, or `<NAME>` for a positional argument.
fn flag(arg: &clap::Arg) -> String {
    let value = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map(ToString::to_string)
        .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
    let takes_value = arg.get_num_args().is_none_or(|n| n.takes_values())
        && !matches!(
            arg.get_action(),
            clap::ArgAction::SetTrue | clap::ArgAction::SetFalse | clap::ArgAction::Count
        );
    let optional = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
    match arg.get_long() {
        None => format!("`<{value}>`"),
        Some(long) if takes_value && optional => format!("`--{long}[=<{value}>]`"),
        Some(long) if takes_value => format!("`--{long} <{value}>`"),
        Some(long) => format!("`--{long}`"),
    }
}

/// `MILLRACE_X` / `x`, or nothing for an option of the command line only.
fn setting(arg: &clap::Arg) -> String {
    match arg.get_env() {
        Some(env) if arg.get_id() == "config" => format!("`{}`", env.to_string_lossy()),
        Some(env) => format!("`{}` / `{}`", env.to_string_lossy(), arg.get_id()),
        None => String::new(),
    }
}

/// The default as `--help` shows it, or what the help says happens without the option.
fn default(arg: &clap::Arg) -> String {
    let values: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !values.is_empty() && !matches!(arg.get_action(), clap::ArgAction::SetTrue) {
        return format!("`{}`", values.join(","));
    }
    let text = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    match text.split_once("[default: ") {
        Some((_, rest)) => rest.trim_end_matches(']').to_string(),
        None => String::new(),
    }
}

/// The help without a default written into it, with the values an enumeration takes.
fn help(arg: &clap::Arg) -> String {
    let text = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    let text = text
        .split(" [default: ")
        .next()
        .unwrap_or_default()
        .to_string();
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    let boolish = possible.len() == 2 && possible.iter().any(|p| p == "`true`");
    if possible.is_empty() || boolish || arg.get_action().takes_values() && possible.len() > 12 {
        text
    } else {
        format!("{text} (one of {})", possible.join(", "))
    }
}

/// Text fit for one table cell.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

/// Text on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The marked block of docs/usage.md is what the declarations render.
    #[test]
    fn options_reference_in_the_docs_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/usage.md");
        let text = std::fs::read_to_string(&path).expect("docs/usage.md");
        let (begin, end) = ("<!-- options:begin -->\n", "<!-- options:end -->");
        let start = text.find(begin).expect("the begin marker") + begin.len();
        let stop = text.find(end).expect("the end marker");
        let generated = options_reference();
        if text[start..stop] != generated {
            if std::env::var_os("UPDATE_DOCS").is_some() {
                let updated = format!("{}{generated}{}", &text[..start], &text[stop..]);
                std::fs::write(&path, updated).unwrap();
                return;
            }
            panic!(
                "docs/usage.md's options reference is stale: run `UPDATE_DOCS=1 cargo test --lib options_reference` and commit docs/usage.md"
            );
        }
    }

    #[test]
    fn every_option_is_in_the_reference_with_its_variable_and_default() {
        let text = options_reference();
        for needle in [
            "| `--max-lag <N>` | `MILLRACE_MAX_LAG` / `max_lag` | `3` |",
            "| `--batch-size <N>` | `MILLRACE_BATCH_SIZE` / `batch_size` | `5000` |",
            "| `--initial` |  |  |",
            "##### `millrace dead-letters` options",
            "`--follow[=<BOOL>]`",
            "| `<STREAM>` |",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
    }
}
