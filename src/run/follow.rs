//! `millrace run --follow` (or `--mqtt`): the whole pipeline in one process, kept running —
//! the files followed as they grow, MQTT topics subscribed to, and the live dashboard served
//! beside them — until Ctrl-C.

use super::Pipeline;
use crate::queue::Queue;
use crate::record::StreamKind;
use crate::shutdown::{self, Shutdown};
use crate::store::StoreLocation;
use crate::stream::StreamConfig;
use crate::webhook::{Credentials, WebhookConfig};
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

/// Runs the pipeline into `db`, follows `stream_config.data` (when there are files to
/// follow), subscribes to MQTT (when asked) and serves the dashboard, until `shutdown` or a
/// fault that stops the streamer or the subscriber; then stores what the webhook accepted and
/// stops every part.
pub async fn follow<Q: Queue>(
    db: StoreLocation,
    queue: Q,
    webhook: WebhookConfig,
    stream_config: Option<StreamConfig>,
    live: Live,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    // Every part stops on Ctrl-C, and also when the streamer or the subscriber stops by
    // itself.
    let (trigger, stop) = shutdown::channel();
    let mqtt = live.mqtt.map(|config| {
        let shown = config.shown();
        let task = tokio::spawn(crate::mqtt::subscribe(config, queue.clone(), stop.clone()));
        (shown, task)
    });
    let pipeline = Pipeline::start(&db, queue, webhook, "127.0.0.1:0").await?;
    let feed = crate::live::spawn(db, live.options, stop.clone());
    let address = live.dashboard.local_addr()?;
    let dashboard = tokio::spawn(crate::dashboard::serve(
        live.dashboard,
        None,
        Credentials::default(),
        feed,
        stop.clone(),
    ));
    let mut following: Vec<String> = stream_config
        .iter()
        .map(|c| c.data.display().to_string())
        .collect();
    following.extend(mqtt.iter().map(|(shown, _)| shown.clone()));
    println!(
        "millrace is following {}; dashboard on http://{address}/ (Ctrl-C to stop)",
        following.join(" and ")
    );
    let streamed = match stream_config {
        Some(mut config) => {
            config.webhook = format!("http://{}", pipeline.addr);
            crate::stream::follow(config, shutdown).await
        }
        None => {
            shutdown.wait().await;
            Ok(crate::stream::StreamSummary::default())
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
    pipeline.stop().await?;
    dashboard.await??;
    print_sent(&streamed?);
    Ok(())
}

fn print_sent(summary: &crate::stream::StreamSummary) {
    for kind in StreamKind::ALL {
        let n = summary
            .sent
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |s| s.1);
        println!("  {:<9} {n:>10} sent", kind.name());
    }
}
