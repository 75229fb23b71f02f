//! Logging: human-readable lines on stderr, filtered by `MILLRACE_LOG` (e.g. `debug`,
//! `millrace=debug`), `info` by default.

use tracing_subscriber::EnvFilter;

/// Installs the log subscriber once for the process.
pub fn init() {
    let filter = EnvFilter::try_from_env("MILLRACE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
