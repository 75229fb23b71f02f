//! `millrace run --follow`: the whole pipeline in one process, kept running — the files
//! followed as they grow, and the live dashboard served beside it — until Ctrl-C.

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
}

/// Runs the pipeline into `db`, follows `stream_config.data` and serves the dashboard, until
/// `shutdown` or a fault that stops the streamer; then stores what the webhook accepted and
/// stops every part.
pub async fn follow<Q: Queue>(
    db: StoreLocation,
    queue: Q,
    webhook: WebhookConfig,
    mut stream_config: StreamConfig,
    live: Live,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    // Every part stops on Ctrl-C, and also when the streamer stops by itself.
    let (trigger, stop) = shutdown::channel();
    let pipeline = Pipeline::start(&db, queue, webhook, "127.0.0.1:0").await?;
    stream_config.webhook = format!("http://{}", pipeline.addr);
    let data = stream_config.data.display().to_string();
    let feed = crate::live::spawn(db, live.options, stop.clone());
    let address = live.dashboard.local_addr()?;
    let dashboard = tokio::spawn(crate::dashboard::serve(
        live.dashboard,
        None,
        Credentials::default(),
        feed,
        stop.clone(),
    ));
    println!("millrace is following {data}; dashboard on http://{address}/ (Ctrl-C to stop)");
    let streamed = crate::stream::follow(stream_config, shutdown).await;
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
    pipeline.stop().await?;
    dashboard.await??;
    let summary = streamed?;
    for kind in StreamKind::ALL {
        let n = summary
            .sent
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |s| s.1);
        println!("  {:<9} {n:>10} sent", kind.name());
    }
    Ok(())
}
