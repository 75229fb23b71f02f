//! Logging: human-readable lines on stderr, filtered by `MILLRACE_LOG` (e.g. `debug`,
//! `millrace=debug`), `info` by default.

use tracing_subscriber::EnvFilter;

/// Installs the log subscriber once for the process.
///
/// The AMQP client's own logs are off unless asked for (`MILLRACE_LOG=info,lapin=debug`):
/// it reports every dropped connection as an error, while millrace already says what a lost
/// broker means and what it is doing about it.
pub fn init() {
    let wanted = std::env::var("MILLRACE_LOG").unwrap_or_else(|_| "info".into());
    let directives = if wanted.contains("lapin") {
        wanted
    } else {
        format!("{wanted},lapin=off")
    };
    let filter =
        EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info,lapin=off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
