//! The command line: parsing and dispatch. Every option is declared once, in [`args`], and
//! can be given as a flag, as a `MILLRACE_*` environment variable, or in `millrace.toml`, in
//! that order of precedence ([`file`]). [`resolve`] turns what was parsed into a typed,
//! checked [`crate::app::Job`] before any work starts; [`crate::app`] runs it.

pub mod args;
mod bounds;
mod data_folder;
mod docs;
pub mod file;
mod reference;
mod resolve;
mod webhook_url;

pub use args::{Cli, Command};
pub use file::SettingsFileError;
pub use reference::options_reference;

use crate::app::UsageError;
use clap::{CommandFactory, FromArgMatches};
use std::ffi::OsString;

/// The command line as parsed, with the settings file's values in place, and the settings
/// file's problem if it had one: that stops every command but those that read no settings.
pub struct Invocation {
    /// The parsed command line.
    pub cli: Cli,
    /// Why `millrace.toml` could not be used, if it could not.
    settings: Option<SettingsFileError>,
}

/// Parses the process's command line over `millrace.toml`; exits with clap's message and
/// code 2 on a malformed command line.
pub fn parse() -> Invocation {
    parse_from(std::env::args_os().collect())
}

/// Parses `argv` over the settings file it names (or `./millrace.toml`).
pub fn parse_from(argv: Vec<OsString>) -> Invocation {
    let applied = file::load(&argv).and_then(|found| match found {
        Some(settings) => file::apply(Cli::command(), &settings),
        None => Ok(Cli::command()),
    });
    let (command, settings) = match applied {
        Ok(command) => (command, None),
        Err(problem) => (Cli::command(), Some(problem)),
    };
    let cli = command
        .try_get_matches_from(argv)
        .and_then(|m| Cli::from_arg_matches(&m))
        .unwrap_or_else(|e| e.exit());
    Invocation { cli, settings }
}

/// The exit code for an error that ended a command: 2 for a mistake in how millrace was
/// called or configured (a `--db` or `--queue` path the file system refuses, and a second
/// `run` or `stream` on an offsets file another one holds, included), 1 for a failure while
/// working, and 130 or 143 for a `run` that SIGINT or SIGTERM stopped before its end.
/// Decided here only.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if let Some(stopped) = error.downcast_ref::<crate::support::shutdown::Interrupted>() {
        return stopped.signal.exit_code();
    }
    let usage = error.chain().any(|e| {
        e.is::<UsageError>()
            || e.is::<SettingsFileError>()
            || e.is::<crate::support::sqlite_file::PathProblem>()
            || matches!(
                e.downcast_ref::<crate::sender::LockError>(),
                Some(crate::sender::LockError::Held { .. })
            )
    });
    if usage { 2 } else { 1 }
}

/// Runs the parsed command line to completion.
pub async fn execute(invocation: Invocation) -> anyhow::Result<()> {
    // `generate`, `completions` and `man` read no settings, so a broken millrace.toml must
    // not stop them; and they have nothing to finish gracefully, so Ctrl-C keeps its default
    // effect there.
    match invocation.cli.command {
        Command::Generate(args) => return crate::app::generate_data(&resolve::generate(args)),
        Command::Completions(args) => return docs::completions(args.shell),
        Command::Man(args) => return docs::man(args.out.as_deref()),
        _ => {}
    }
    if let Some(problem) = invocation.settings {
        return Err(problem.into());
    }
    let job = resolve::job(invocation.cli.command)?;
    let (trigger, shutdown) = crate::support::shutdown::channel();
    crate::support::shutdown::on_signals(trigger);
    crate::app::start(job, shutdown).await
}
