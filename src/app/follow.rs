//! `millrace run --follow` (or `--mqtt`): the whole pipeline in one process, kept running —
//! the files followed as they grow, MQTT topics subscribed to, and the live dashboard served
//! beside them — until Ctrl-C.

use super::files::Files;
use super::pipeline::Pipeline;
use super::pipeline_error::PipelineError;
use crate::auth::Credentials;
use crate::queue::Queue;
use crate::store::StoreLocation;
use crate::support::shutdown::{self, Shutdown};
use crate::webhook::WebhookConfig;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long the records the webhook accepted may take to be stored once following stops;
/// whatever is left stays in the durable queue for the next run.
const SETTLE: Duration = Duration::from_secs(10);

/// What `run --follow` serves besides the pipeline.
pub struct Live {
    /// Where the dashboard listens, bound already so a busy port is reported up front.
    pub dashboard: TcpListener,
    /// How the live analysis tests the data.
    pub options: crate::report::Options,
    /// MQTT topics to subscribe to beside (or instead of) the files.
    pub mqtt: Option<crate::mqtt::MqttConfig>,
}

/// Runs the pipeline into `db`, follows `files.data` (when there are files to
/// follow), subscribes to MQTT (when asked) and serves the dashboard, until `shutdown` or a
/// fault that stops the streamer or the subscriber; then stores what the webhook accepted and
/// stops every part.
pub async fn follow<Q: Queue>(
    db: StoreLocation,
    queue: Q,
    webhook: WebhookConfig,
    files: Option<Files>,
    live: Live,
    shutdown: Shutdown,
) -> Result<(), PipelineError> {
    // Every part stops on Ctrl-C, and also when the streamer or the subscriber stops by
    // itself.
    let (trigger, stop) = shutdown::channel();
    let (mqtt, shutdown) = match live.mqtt {
        Some(config) => {
            let (shown, task, following) = subscriber(config, queue.clone(), &stop, shutdown);
            (Some((shown, task)), following)
        }
        None => (None, shutdown),
    };
    if let Some(files) = &files {
        super::held::tell(&db, &files.data, true).await?;
    }
    let pipeline = Pipeline::start(&db, queue, webhook, "127.0.0.1:0").await?;
    let (feed, analyst) = crate::live::spawn(db.clone(), live.options, stop.clone());
    let address = live
        .dashboard
        .local_addr()
        .map_err(|source| PipelineError::Server {
            what: "dashboard",
            source,
        })?;
    let dashboard = tokio::spawn(crate::dashboard::serve(
        live.dashboard,
        None,
        Credentials::default(),
        feed,
        stop.clone(),
    ));
    let mut following: Vec<String> = files.iter().map(|c| c.data.display().to_string()).collect();
    following.extend(mqtt.iter().map(|(shown, _)| shown.clone()));
    println!(
        "millrace is following {}; dashboard on http://{address}/ (Ctrl-C to stop)",
        following.join(" and ")
    );
    let streamed = match &files {
        Some(files) => crate::sender::follow(files.to(&pipeline), shutdown).await,
        None => {
            shutdown.wait().await;
            Ok(crate::sender::SenderSummary::default())
        }
    };
    let sent = streamed
        .as_ref()
        .map(|s| s.sent.clone())
        .unwrap_or_default();
    let (_never, settle) = shutdown::channel();
    if tokio::time::timeout(SETTLE, pipeline.drain(&sent, &settle))
        .await
        .is_err()
    {
        tracing::warn!("records the webhook accepted are still queued; the next run stores them");
    }
    trigger.fire();
    if let Some((_, task)) = mqtt {
        task.await??;
    }
    let stopped = pipeline.stop().await?;
    dashboard.await?.map_err(|source| PipelineError::Server {
        what: "dashboard",
        source,
    })?;
    analyst.closed().await;
    // Stored and already held as plain `run` gives them: a copied folder shows here too.
    println!("millrace run --follow stopped");
    for totals in super::once::totals(&db, stopped, &streamed?).await? {
        println!("{totals}");
    }
    Ok(())
}

/// Starts the MQTT subscriber; gives the broker as logs show it, the task, and a shutdown
/// that fires on `shutdown` or when the subscriber stops by itself (the queue broke), so the
/// streamer stops then too.
fn subscriber<Q: Queue>(
    config: crate::mqtt::MqttConfig,
    queue: Q,
    stop: &Shutdown,
    shutdown: Shutdown,
) -> (String, Subscriber, Shutdown) {
    let shown = config.shown();
    let (stopped, on_stop) = tokio::sync::oneshot::channel::<()>();
    let subscribe = crate::mqtt::subscribe(config, queue, stop.clone());
    let task = tokio::spawn(async move {
        let result = subscribe.await;
        drop(stopped);
        result
    });
    let (end, following) = shutdown::channel();
    tokio::spawn(async move {
        tokio::select! {
            () = shutdown.wait() => {}
            _ = on_stop => {}
        }
        end.fire();
    });
    (shown, task, following)
}

/// The running MQTT subscriber.
type Subscriber = tokio::task::JoinHandle<Result<(), crate::mqtt::MqttError>>;
