//! `millrace run`: the whole pipeline in one process, once over the data files or, with
//! `--follow` or `--mqtt`, kept running with the live dashboard; then the report.

use super::demo::demo_data;
use super::exposure::Exposure;
use super::files::{Files, Sending};
use super::follow::{Live, follow};
use super::listen::{DASHBOARD_HINT, bind};
use super::report::ReportJob;
use crate::mqtt::MqttConfig;
use crate::queue::Broker;
use crate::sender::OffsetsLock;
use crate::store::StoreLocation;
use crate::support::shutdown::{Interrupted, Shutdown};
use crate::webhook::WebhookConfig;
use std::path::PathBuf;
use std::time::Duration;

/// How long `run` waits for RabbitMQ to answer before it gives up.
const BROKER_PROBE: Duration = Duration::from_secs(10);

/// `millrace run`, resolved.
pub struct RunJob {
    /// The data folder given, checked; `None` streams the demo dataset (or, with MQTT, no
    /// files at all).
    pub data: Option<PathBuf>,
    /// How the files are read and sent.
    pub sending: Sending,
    /// Keep running: follow the files, serve the dashboard.
    pub following: bool,
    /// Subscribe to MQTT too (implies `following`).
    pub mqtt: Option<MqttConfig>,
    /// Where the dashboard listens when following.
    pub dashboard_listen: String,
    /// The queue.
    pub broker: Broker,
    /// What the webhook accepts and how it writes the queue.
    pub webhook: WebhookConfig,
    /// The store, the report's folder and the analysis.
    pub report: ReportJob,
    /// Raw readings pruned on a schedule while following, if asked.
    pub pruning: Option<super::retention::Pruning>,
}

/// Runs `job`: a second `run` on the same offsets stops before anything is made.
pub async fn start(job: RunJob, shutdown: Shutdown) -> anyhow::Result<()> {
    let command = if job.following { "run --follow" } else { "run" };
    let _only_run = OffsetsLock::take(&job.sending.offsets, command)?;
    // A one-shot run has nobody waiting for a broker to come back: say so at once.
    job.broker.check_reachable(BROKER_PROBE).await?;
    if job.following {
        return run_following(job, shutdown).await;
    }
    let files = Files {
        data: match &job.data {
            Some(dir) => dir.clone(),
            None => demo_data()?,
        },
        sending: job.sending.clone(),
    };
    let queue = job.broker.open().await?;
    let db: StoreLocation = job.report.db.clone();
    let summary = super::once::run_once(db, queue, job.webhook, &files, shutdown).await?;
    println!("{summary}");
    if let Some(signal) = summary.interrupted {
        // No report of part of the data: one would read like the whole answer.
        return Err(Interrupted {
            what: "millrace run".into(),
            signal,
        }
        .into());
    }
    // The rollups are left to the next process that folds: nothing a one-off run does
    // needs them (see `store::rollup`).
    // What the ingest freed goes back before the report allocates (`support::allocator`).
    crate::support::allocator::give_back_freed();
    super::report::write(&job.report).await?;
    set_aside(summary.dead_letters(), &job.broker)
}

/// `run --follow` (or `--mqtt`): kept running until Ctrl-C, then the report.
async fn run_following(job: RunJob, shutdown: Shutdown) -> anyhow::Result<()> {
    // The port first: a busy one stops the run before the demo data, the queue or the store
    // is made.
    Exposure::RUN_DASHBOARD
        .guard(&job.dashboard_listen, false)
        .await?;
    let dashboard = bind(&job.dashboard_listen, DASHBOARD_HINT).await?;
    // With MQTT the files are optional: no --data, no demo data, only MQTT.
    let data = match job.data {
        Some(dir) => Some(dir),
        None if job.mqtt.is_some() => None,
        None => Some(demo_data()?),
    };
    let files = data.map(|data| Files {
        data,
        sending: job.sending,
    });
    let queue = job.broker.open().await?;
    super::folding::spawn(job.report.db.clone(), shutdown.clone());
    if let Some(pruning) = job.pruning {
        super::retention::spawn(job.report.db.clone(), pruning, shutdown.clone());
    }
    let live = Live {
        dashboard,
        options: job.report.options,
        mqtt: job.mqtt,
    };
    follow(
        job.report.db.clone(),
        queue,
        job.webhook,
        files,
        live,
        shutdown,
    )
    .await?;
    super::report::write(&job.report).await
}

/// Fails the run if it set `dead` messages aside, saying where they are and what to do.
fn set_aside(dead: u64, broker: &Broker) -> anyhow::Result<()> {
    if dead == 0 {
        return Ok(());
    }
    let place = broker.dead_letter_place();
    let (what, them) = match dead {
        1 => (
            "1 message could not be stored and was set aside as a dead letter, with its reason"
                .to_string(),
            "it",
        ),
        n => (
            format!(
                "{n} messages could not be stored and were set aside as dead letters, with their reasons"
            ),
            "them",
        ),
    };
    anyhow::bail!(
        "{what}, {place}: `millrace dead-letters list` shows {them}, `millrace dead-letters requeue` puts {them} back once the cause is fixed"
    );
}
