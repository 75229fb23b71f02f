//! Support code that no one stage owns: retry timing, error chains, crash points for tests,
//! blocking work off the runtime, secrets kept out of messages, SQLite file checks, the
//! allocator, TLS, shutdown, logging and dates. Nothing here imports a pipeline stage.

pub mod allocator;
pub mod backoff;
pub mod chain;
pub mod fault;
pub mod offload;
pub mod redact;
pub mod shutdown;
pub mod sqlite_file;
pub mod telemetry;
pub mod timefmt;
pub mod tls;
