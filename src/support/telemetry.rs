//! Logging: lines on stderr, filtered by `MILLRACE_LOG` (e.g. `debug`, `millrace=debug`),
//! `info` by default, as readable text or as one JSON object per line for a log collector.
//!
//! The format is chosen by `--log-format`, `MILLRACE_LOG_FORMAT` or `log_format` in
//! `millrace.toml`; the command line resolves which and passes it to [`init`].

use std::io::IsTerminal;
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines, coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `message`, the event's fields and the
    /// current span's), for a log collector.
    Json,
}

/// The format chosen at [`init`], for output that must match it (the final error line, the
/// progress bar that JSON logs do without).
static CHOSEN: OnceLock<LogFormat> = OnceLock::new();

/// The log format in use: [`LogFormat::Text`] until [`init`] chose another.
pub fn format() -> LogFormat {
    CHOSEN.get().copied().unwrap_or_default()
}

/// Whether colour codes may be written to stderr: only to a terminal, and never when
/// `NO_COLOR` is set to anything but the empty string (<https://no-color.org>).
pub fn colour_allowed() -> bool {
    colour_wanted(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// [`colour_allowed`]'s rule, apart from the process's state so it can be tested.
fn colour_wanted(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Installs the log subscriber once for the process.
///
/// The AMQP client's own logs are off unless asked for (`MILLRACE_LOG=info,lapin=debug`):
/// it reports every dropped connection as an error, while millrace already says what a lost
/// broker means and what it is doing about it.
pub fn init(format: LogFormat) {
    let _ = CHOSEN.set(format);
    let wanted = std::env::var("MILLRACE_LOG").unwrap_or_else(|_| "info".into());
    let directives = if wanted.contains("lapin") {
        wanted
    } else {
        format!("{wanted},lapin=off")
    };
    let filter =
        EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info,lapin=off"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(colour_allowed()).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// Writes the error that ended the command as the last line on stderr, in the log format:
/// `error: …` as text, or a JSON object with `level` `ERROR` that a collector can alert on.
pub fn final_error(message: &str) {
    match format() {
        LogFormat::Text => eprintln!("error: {message}"),
        LogFormat::Json => eprintln!("{}", final_error_json(message)),
    }
}

/// The JSON line of [`final_error`], with the fields of the JSON log lines.
fn final_error_json(message: &str) -> String {
    serde_json::json!({
        "timestamp": humantime_now(),
        "level": "ERROR",
        "message": message,
        "exit": true,
    })
    .to_string()
}

/// Now as RFC 3339 in UTC with microseconds, as the JSON log lines write it.
fn humantime_now() -> String {
    crate::support::timefmt::rfc3339_micros(std::time::SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_wanted(true, None));
        assert!(!colour_wanted(false, None));
        assert!(!colour_wanted(true, Some(OsStr::new("1"))));
        // no-color.org: an empty NO_COLOR does not count.
        assert!(colour_wanted(true, Some(OsStr::new(""))));
    }

    #[test]
    fn the_final_error_is_one_json_object() {
        let line = final_error_json("cannot open \"x\"\nsecond line");
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["level"], "ERROR");
        assert_eq!(value["message"], "cannot open \"x\"\nsecond line");
    }
}
