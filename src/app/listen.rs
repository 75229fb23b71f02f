//! Taking a server's address, the one way every command does it: a busy or refused address
//! is said with the flag that chooses another.

use super::pipeline_error::PipelineError;
use tokio::net::TcpListener;

/// Binds `listen`; on failure the message names `flag`, the option that chooses another
/// address.
pub async fn bind(listen: &str, hint: &'static str) -> Result<TcpListener, PipelineError> {
    TcpListener::bind(listen)
        .await
        .map_err(|source| PipelineError::Listen {
            listen: listen.to_string(),
            hint,
            source,
        })
}

/// The hint for a server chosen with `--listen`.
pub const LISTEN_HINT: &str = " (is another server using it? choose another address with --listen)";

/// The hint for `run --follow`'s dashboard.
pub const DASHBOARD_HINT: &str =
    " (is another dashboard using it? choose another address with --dashboard-listen)";
