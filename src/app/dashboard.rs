//! `millrace dashboard`: the live analysis of the store, served to browsers.

use super::exposure::Exposure;
use super::listen::{LISTEN_HINT, bind};
use super::usage::UsageError;
use crate::auth::Credentials;
use crate::store::StoreLocation;
use crate::support::shutdown::Shutdown;
use crate::support::tls::TlsFiles;

/// `millrace dashboard`, resolved.
pub struct DashboardJob {
    /// Where it listens.
    pub listen: String,
    /// Listen beyond loopback without credentials.
    pub insecure: bool,
    /// HTTPS, when given.
    pub tls: Option<TlsFiles>,
    /// The tokens a browser may give as its password.
    pub credentials: Credentials,
    /// How the analysis tests the data.
    pub options: crate::report::Options,
    /// The store it watches.
    pub db: StoreLocation,
}

/// Serves the dashboard until `shutdown`.
pub async fn start(job: DashboardJob, shutdown: Shutdown) -> anyhow::Result<()> {
    let protected = job.credentials.has_tokens() || job.insecure;
    Exposure::DASHBOARD.guard(&job.listen, protected).await?;
    if !job.db.exists() {
        return Err(UsageError::new(format!(
            "there is no database at {}: run `millrace run` (or stream and consume) first, or point --db at one",
            job.db
        ))
        .into());
    }
    let listener = bind(&job.listen, LISTEN_HINT).await?;
    let scheme = if job.tls.is_some() { "https" } else { "http" };
    tracing::info!("dashboard on {scheme}://{}/", listener.local_addr()?);
    let (feed, analyst) = crate::live::spawn(job.db, job.options, shutdown.clone());
    crate::dashboard::serve(listener, job.tls, job.credentials, feed, shutdown).await?;
    analyst.closed().await;
    tracing::info!("dashboard stopped");
    Ok(())
}
