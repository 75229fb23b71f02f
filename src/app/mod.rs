//! Starting millrace's services: what each command runs, from settings already resolved.
//!
//! [`crate::cli`] parses the command line and `millrace.toml` and resolves them, once, into
//! a [`Job`]; [`start`] runs it. The webhook, the dashboards, the consumers and the pipeline
//! in one process are started here, so `run` and the single-stage commands share one way to
//! bind an address, start consumers or serve the webhook. (The Prometheus endpoint of
//! `consume` and `mqtt` is the exception: `metrics::server::expose` binds it, as its own
//! stage, since every stage records into it.) The in-process pipeline ([`Pipeline`]) returns a typed
//! [`PipelineError`]; each command's entry point is the program's edge and reports with
//! `anyhow`, whose chain `main` prints.

mod consume;
mod consumers;
mod dashboard;
mod dead_letters;
mod demo;
mod exposure;
mod files;
mod folding;
mod follow;
mod generate;
mod held;
mod listen;
mod mqtt;
mod once;
mod pipeline;
mod pipeline_error;
mod prune;
mod report;
mod requeue;
mod retention;
mod rollup;
mod run;
mod serve;
mod status;
mod stream;
mod summary;
mod usage;
mod webhook;

pub use consume::ConsumeJob;
pub use dashboard::DashboardJob;
pub use dead_letters::{Action as DeadLetterWork, DeadLettersJob};
pub use exposure::Exposure;
pub use files::{Files, Sending};
pub use follow::Live;
pub use generate::generate_data;
pub use mqtt::MqttJob;
pub use once::run_once;
pub use pipeline::Pipeline;
pub use pipeline_error::PipelineError;
pub use prune::PruneJob;
pub use report::ReportJob;
pub use requeue::Decoding;
pub use retention::Pruning;
pub use rollup::RollupJob;
pub use run::RunJob;
pub use serve::ServeJob;
pub use status::StatusJob;
pub use stream::StreamJob;
pub use summary::{RunSummary, StreamTotals};
pub use usage::UsageError;

use crate::support::shutdown::Shutdown;

/// A command, resolved: everything it needs, typed and checked, before any work starts.
pub enum Job {
    /// `millrace run`.
    Run(Box<RunJob>),
    /// `millrace stream`.
    Stream(StreamJob),
    /// `millrace serve`.
    Serve(Box<ServeJob>),
    /// `millrace mqtt`.
    Mqtt(MqttJob),
    /// `millrace consume`.
    Consume(ConsumeJob),
    /// `millrace report`.
    Report(ReportJob),
    /// `millrace dashboard`.
    Dashboard(DashboardJob),
    /// `millrace status`.
    Status(StatusJob),
    /// `millrace rollup`.
    Rollup(RollupJob),
    /// `millrace prune`.
    Prune(PruneJob),
    /// `millrace dead-letters`.
    DeadLetters(DeadLettersJob),
}

/// Runs `job` until it is done or `shutdown`.
pub async fn start(job: Job, shutdown: Shutdown) -> anyhow::Result<()> {
    match job {
        Job::Run(job) => run::start(*job, shutdown).await,
        Job::Stream(job) => stream::start(job, shutdown).await,
        Job::Serve(job) => serve::start(*job, shutdown).await,
        Job::Mqtt(job) => mqtt::start(job, shutdown).await,
        Job::Consume(job) => consume::start(job, shutdown).await,
        Job::Report(job) => report::write(&job).await,
        Job::Dashboard(job) => dashboard::start(job, shutdown).await,
        Job::Status(job) => status::show(job).await,
        Job::Rollup(job) => rollup::rebuild(job).await,
        Job::Prune(job) => prune::prune(job).await,
        Job::DeadLetters(job) => dead_letters::handle(job).await,
    }
}
