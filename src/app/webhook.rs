//! Serving the webhook on an address already bound: `serve` and the in-process pipeline of
//! `run` both start it here.

use crate::queue::Queue;
use crate::support::shutdown::Shutdown;
use crate::support::tls::TlsFiles;
use crate::webhook::{AppState, WebhookConfig};
use tokio::net::TcpListener;

/// Serves the webhook on `listener` (HTTPS with `tls`) until `shutdown`, publishing what it
/// accepts to `queue`.
pub async fn serve<Q: Queue>(
    listener: TcpListener,
    queue: Q,
    config: WebhookConfig,
    tls: Option<&TlsFiles>,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    let state = AppState { queue, config };
    match tls {
        Some(files) => {
            tracing::info!("webhook listening on https://{address}");
            crate::webhook::serve_tls(listener, state, files, shutdown).await?;
        }
        None => {
            tracing::info!("webhook listening on http://{address}");
            crate::webhook::serve(listener, state, shutdown).await?;
        }
    }
    tracing::info!("webhook stopped");
    Ok(())
}
