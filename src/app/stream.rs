//! `millrace stream`: sends the data files to a webhook, once or following them.

use crate::sender::{OffsetsLock, SenderConfig, follow, send_files};
use crate::support::shutdown::Shutdown;

/// `millrace stream`, resolved.
pub struct StreamJob {
    /// What to read and where to send it.
    pub sender: SenderConfig,
    /// Keep following the files.
    pub following: bool,
}

/// Sends what is new; a second streamer on the same offsets stops before it sends.
pub async fn start(job: StreamJob, shutdown: Shutdown) -> anyhow::Result<()> {
    let command = if job.following {
        "stream --follow"
    } else {
        "stream"
    };
    let _only_streamer = OffsetsLock::take(&job.sender.offsets, command)?;
    let summary = if job.following {
        follow(job.sender, shutdown).await?
    } else {
        send_files(job.sender, shutdown).await?
    };
    for (kind, sent) in &summary.sent {
        println!("{kind}: {sent} records sent");
    }
    Ok(())
}
