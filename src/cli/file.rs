//! `millrace.toml`: every option that has a `MILLRACE_*` variable, under its id (`max_lag`
//! for `--max-lag`, `auth_tokens` for the list of `--auth-token`s, `mqtt_url` for `mqtt
//! --url`). The file's values become the options' defaults before the command line is
//! parsed, so a flag or a variable wins over the file and the file over the built-in
//! default, and a value in the file passes the same checks as one on the command line.
//! Nothing here names an option: the options are read off [`super::args`].

use clap::Command;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A settings file, read and parsed.
pub struct SettingsFile {
    /// Where it was read from, for messages.
    pub path: PathBuf,
    /// Its keys and values.
    table: toml::Table,
}

/// The settings file named by `--config` (or `MILLRACE_CONFIG`), else `./millrace.toml`
/// when it exists; `None` when there is none.
pub fn load(argv: &[OsString]) -> Result<Option<SettingsFile>, SettingsFileError> {
    let path = match named(argv).or_else(|| std::env::var_os("MILLRACE_CONFIG")) {
        Some(p) => PathBuf::from(p),
        None if Path::new("millrace.toml").exists() => PathBuf::from("millrace.toml"),
        None => return Ok(None),
    };
    let text = std::fs::read_to_string(&path).map_err(|source| SettingsFileError::Read {
        path: path.clone(),
        source,
    })?;
    let table = text
        .parse::<toml::Table>()
        .map_err(|source| SettingsFileError::Invalid {
            path: path.clone(),
            source,
        })?;
    Ok(Some(SettingsFile { path, table }))
}

/// The `--config` given on the command line, read before clap parses it, since the file's
/// values must be in place by then.
fn named(argv: &[OsString]) -> Option<OsString> {
    let mut args = argv.iter().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--" {
            return None;
        }
        if arg == "--config" {
            return args.next().cloned();
        }
        if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            return Some(value.into());
        }
    }
    None
}

/// The options the file may set: every argument with an environment variable, by id, except
/// `config` itself.
fn settable(command: &Command) -> BTreeMap<String, clap::Arg> {
    let mut found = BTreeMap::new();
    let mut add = |cmd: &Command| {
        for arg in cmd.get_arguments() {
            if arg.get_env().is_some() && arg.get_id() != "config" {
                found
                    .entry(arg.get_id().to_string())
                    .or_insert_with(|| arg.clone());
            }
        }
    };
    add(command);
    for sub in command.get_subcommands() {
        add(sub);
    }
    found
}

/// `command` with the file's values as its options' defaults, each checked as the command
/// line's would be.
pub fn apply(mut command: Command, file: &SettingsFile) -> Result<Command, SettingsFileError> {
    let known = settable(&command);
    let invalid = |key: &str, reason: String| SettingsFileError::Value {
        path: file.path.clone(),
        key: key.to_string(),
        reason,
    };
    for (key, value) in &file.table {
        let Some(arg) = known.get(key) else {
            return Err(SettingsFileError::Unknown {
                path: file.path.clone(),
                key: key.clone(),
            });
        };
        let values = strings(value).map_err(|reason| invalid(key, reason))?;
        let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1)
            || matches!(arg.get_action(), clap::ArgAction::Append);
        if values.len() != 1 && !many {
            return Err(invalid(key, "takes one value, not a list".into()));
        }
        for text in &values {
            check(arg, text).map_err(|e| invalid(key, reason(&e)))?;
        }
        let secret = arg.is_hide_env_values_set();
        let set = |a: clap::Arg| a.default_values(values.clone()).hide_default_value(secret);
        if command.get_arguments().any(|a| a.get_id() == key.as_str()) {
            command = command.mut_arg(key, set);
        }
        let names: Vec<String> = command
            .get_subcommands()
            .filter(|s| s.get_arguments().any(|a| a.get_id() == key.as_str()))
            .map(|s| s.get_name().to_string())
            .collect();
        for name in names {
            command = command.mut_subcommand(name, |sub| sub.mut_arg(key, set));
        }
    }
    Ok(command)
}

/// Parses `text` as `arg`'s value given on the command line would be, alone.
fn check(arg: &clap::Arg, text: &str) -> Result<(), clap::Error> {
    let long = arg.get_long().unwrap_or(arg.get_id().as_str()).to_string();
    let alone = arg.clone().long(long.clone()).global(false).required(false);
    Command::new("check")
        .arg(alone)
        .try_get_matches_from([OsString::from("check"), format!("--{long}={text}").into()])
        .map(|_| ())
}

/// A TOML value as the command line would give it: a scalar as one value, a list as one
/// value per item.
fn strings(value: &toml::Value) -> Result<Vec<String>, String> {
    let scalar = |v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err("must be a string, a number, true or false, or a list of them".to_string()),
    };
    match value {
        toml::Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

/// What clap said of a value, without its own framing ("error: …", "For more information").
fn reason(error: &clap::Error) -> String {
    if let Some(source) = std::error::Error::source(error) {
        return source.to_string();
    }
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default();
    first.trim_start_matches("error: ").to_string()
}

/// The settings file cannot be used: a mistake in how millrace was configured (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SettingsFileError {
    /// The file cannot be read.
    #[error("cannot read the settings file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("the settings file {} is invalid", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What the parser said, with the line.
        #[source]
        source: toml::de::Error,
    },
    /// The file sets a key millrace does not know: a typo is not ignored.
    #[error(
        "the settings file {} is invalid: unknown field `{key}` (the keys are the options' names with underscores, as `millrace <command> --help` lists them, e.g. max_lag for --max-lag)",
        path.display()
    )]
    Unknown {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
    },
    /// A value the option does not take.
    #[error("the settings file {} is invalid: `{key}` {reason}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// What is wrong with its value.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn file(text: &str) -> SettingsFile {
        SettingsFile {
            path: "millrace.toml".into(),
            table: text.parse().unwrap(),
        }
    }

    fn parsed(settings: &str, line: &[&str]) -> Result<super::super::args::Cli, String> {
        let command = apply(super::super::args::Cli::command(), &file(settings))
            .map_err(|e| crate::support::chain::Chain(&e).to_string())?;
        let argv = std::iter::once("millrace").chain(line.iter().copied());
        let matches = command
            .try_get_matches_from(argv)
            .map_err(|e| e.to_string())?;
        super::super::args::Cli::from_arg_matches(&matches).map_err(|e| e.to_string())
    }

    #[test]
    fn a_flag_wins_over_the_file_and_the_file_over_the_default() {
        use super::super::args::Command;
        let run = |settings: &str, line: &[&str]| match parsed(settings, line).unwrap().command {
            Command::Run(run) => run,
            _ => unreachable!(),
        };
        assert_eq!(run("", &["run"]).send.batch_size, 5000);
        assert_eq!(run("batch_size = 7", &["run"]).send.batch_size, 7);
        let flag = run("batch_size = 7", &["run", "--batch-size", "9"]);
        assert_eq!(flag.send.batch_size, 9);
        let file = run(
            "db = \"f.db\"\nfollow = true\nauth_tokens = [\"a\", \"b\"]",
            &["run"],
        );
        assert_eq!(file.store.db, PathBuf::from("f.db"));
        assert!(file.follow.follow);
        let off = run("follow = true", &["run", "--follow=false"]);
        assert!(!off.follow.follow, "--follow=false beats the file");
        match parsed("auth_tokens = [\"a\", \"b\"]", &["stream"])
            .unwrap()
            .command
        {
            Command::Stream(s) => assert_eq!(s.auth.tokens.auth_tokens, ["a", "b"]),
            _ => unreachable!(),
        }
        match parsed("mqtt_url = \"mqtts://b:8884\"", &["mqtt"])
            .unwrap()
            .command
        {
            Command::Mqtt(m) => assert_eq!(m.url, "mqtts://b:8884"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_files_values_pass_the_command_lines_checks() {
        let err = parsed("batch_size = 0", &["run"]).unwrap_err();
        assert_eq!(
            err,
            "the settings file millrace.toml is invalid: `batch_size` must be a whole number between 1 and 1000000"
        );
        let err = parsed("dbb = \"x\"", &["run"]).unwrap_err();
        assert!(err.contains("unknown field `dbb`"), "{err}");
        let err = parsed("queue_format = \"xml\"", &["run"]).unwrap_err();
        assert!(
            err.contains("`queue_format`") && err.contains("xml"),
            "{err}"
        );
        let err = parsed("db = [\"a\", \"b\"]", &["run"]).unwrap_err();
        assert!(err.contains("takes one value"), "{err}");
        let err = parsed("initial = true", &["run"]).unwrap_err();
        assert!(err.contains("unknown field `initial`"), "{err}");
    }

    #[test]
    fn secrets_from_the_file_stay_out_of_the_help() {
        let command = apply(
            super::super::args::Cli::command(),
            &file("hmac_key = \"s3cret\"\nmqtt_password = \"pw\""),
        )
        .unwrap();
        let mut serve = command.find_subcommand("serve").unwrap().clone();
        let help = serve.render_long_help().to_string();
        assert!(!help.contains("s3cret"), "{help}");
    }

    #[test]
    fn the_config_flag_is_found_before_parsing() {
        let argv = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            named(&argv(&["millrace", "run", "--config", "a.toml"])),
            Some("a.toml".into())
        );
        assert_eq!(
            named(&argv(&["millrace", "--config=b.toml", "run"])),
            Some("b.toml".into())
        );
        assert_eq!(named(&argv(&["millrace", "run", "--", "--config"])), None);
    }
}
