//! The `millrace` command: parses the command line, sets up logging and the async runtime,
//! and hands over to [`millrace::cli::execute`]. Everything else lives in the library so
//! tests and examples can drive it directly.

use millrace::cli::{execute, exit_code};
use millrace::support::chain::Chain;
use std::process::ExitCode;

fn main() -> ExitCode {
    millrace::support::allocator::limit_arenas();
    let invocation = millrace::cli::parse();
    millrace::support::telemetry::init(invocation.cli.log_format);
    // Few blocking threads: each holds a malloc arena, and dozens of half-empty arenas make a
    // consumer's memory grow with its input. Blocking work here is SQLite and decoding,
    // which two cores cannot run more of at once anyway.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(8)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            millrace::support::telemetry::final_error(&format!("cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(invocation)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            millrace::support::telemetry::final_error(&Chain(e.as_ref()).to_string());
            ExitCode::from(exit_code(&e))
        }
    }
}
