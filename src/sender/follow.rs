//! `stream --follow`: the streamer keeps running, and sends records as they are written.
//!
//! Each data file is followed by a [`Tail`] (appends, a moving `]`, half-written records,
//! rotation) on a blocking thread, one poll at a time, and what it gives is sent at once:
//! whatever arrived since the last poll goes out as one batch, so a record waits at most one
//! [`POLL`] before it is sent, never for a batch to fill. Offsets are saved after each 2xx,
//! as in a plain `stream`, so a restart sends nothing twice.
//!
//! A file refused (cut short, changed before its offset, a bad record) is logged as an error
//! saying what to do, and no longer read; the other file keeps flowing. What cannot be
//! worked around by waiting — the webhook refusing a batch or unreachable for `--retry-for`,
//! the offsets file not writable — ends the stream with an error, as it does without
//! `--follow`.

use super::progress::FileProgress;
use super::{
    Offsets, Progress, SendError, Sender, SenderConfig, SenderError, SenderSummary, Tail, connect,
    gather, offset_key,
};
use crate::record::StreamKind;
use crate::support::shutdown::Shutdown;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a followed file is looked at when nothing new was found in it: the most a
/// record waits before it is read.
pub const POLL: Duration = Duration::from_millis(100);

/// Streams both data files and keeps following them until `shutdown`; then returns what
/// was sent, with the offsets of everything acknowledged saved.
///
/// A data file that does not exist yet is waited for. A batch in flight when `shutdown`
/// comes is finished (or, while the webhook is being retried, abandoned unacknowledged, to
/// be sent again next time); nothing more is read.
pub async fn follow(
    config: SenderConfig,
    shutdown: Shutdown,
) -> Result<SenderSummary, SenderError> {
    let started = Instant::now();
    let (offsets, sender) = connect(&config)?;
    // A failure that ends one file's follower stops the other too: the error is reported,
    // rather than the process going on with one file and the failure unseen.
    let (trigger, stop) = crate::support::shutdown::channel();
    let trigger = Arc::new(trigger);
    let relay = {
        let trigger = trigger.clone();
        tokio::spawn(async move {
            shutdown.wait().await;
            trigger.fire();
        })
    };
    // A bar has no end to show for a file that keeps growing: periodic log lines instead.
    let progress = Progress::new(false);
    let mut tasks = Vec::new();
    for kind in StreamKind::ALL {
        let path = config.data.join(kind.file_name());
        if !path.exists() {
            tracing::warn!(file = %path.display(), "no {kind} data file yet; waiting for it");
        }
        let follower = Follower {
            kind,
            key: offset_key(&path),
            path,
            initial: config.initial,
            batch_size: config.batch_size.max(1),
            offsets: offsets.clone(),
            sender: sender.clone(),
        };
        let bar = progress.file(kind.name(), 0, 0);
        let (trigger, stop) = (trigger.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let followed = follower.run(bar, stop).await;
            if followed.is_err() {
                trigger.fire();
            }
            followed
        }));
    }
    let sent = gather(tasks).await;
    relay.abort();
    Ok(SenderSummary {
        sent: sent?,
        // Following has no end of the files to fall short of.
        unsent: Vec::new(),
        elapsed: started.elapsed(),
    })
}

/// One data file being followed.
struct Follower {
    kind: StreamKind,
    path: PathBuf,
    /// Where its offset is saved: the same key whichever file is at the path.
    key: String,
    initial: bool,
    batch_size: usize,
    offsets: Arc<Mutex<Offsets>>,
    sender: Sender,
}

impl Follower {
    /// Follows the file until `shutdown`; gives how many records were acknowledged.
    async fn run(
        self,
        mut progress: FileProgress,
        shutdown: Shutdown,
    ) -> Result<(StreamKind, u64), SenderError> {
        let resume = if self.initial {
            None
        } else {
            self.offsets
                .lock()
                .expect("offsets lock")
                .get(&self.key)
                .cloned()
        };
        let mut tail = Tail::new(&self.path, self.kind, resume);
        let mut sent = 0;
        while !shutdown.is_triggered() {
            let batch_size = self.batch_size;
            // The tail goes to a blocking thread for one poll and comes back with its result.
            let (back, step) = tokio::task::spawn_blocking(move || {
                let step = tail.next(batch_size);
                (tail, step)
            })
            .await?;
            tail = back;
            match step {
                // Read, but asked to stop meanwhile: not sent, so read again next time.
                Ok(Some(_)) if shutdown.is_triggered() => break,
                Ok(Some(batch)) => match self.deliver(&batch, &shutdown).await {
                    Ok(()) => {
                        sent += batch.count;
                        progress.advance(batch.count, batch.end.byte);
                    }
                    Err(SenderError::Send(SendError::Stopped)) => break,
                    Err(e) => return Err(e),
                },
                Ok(None) => {
                    tokio::select! {
                        () = tokio::time::sleep(POLL) => {}
                        () = shutdown.wait() => {}
                    }
                }
                Err(e) => tracing::error!(
                    stream = %self.kind,
                    "{e}. Meanwhile this file is no longer read (the other one still flows) until \
                     another file takes its place; once it is put right as said, restart \
                     `millrace stream --follow` (adding `--initial` if that is the fix)"
                ),
            }
        }
        Ok((self.kind, sent))
    }

    /// Sends one batch and saves where the file stands once the webhook acknowledged it.
    async fn deliver(
        &self,
        batch: &super::FileBatch,
        shutdown: &Shutdown,
    ) -> Result<(), SenderError> {
        self.sender
            .send(
                self.kind,
                &batch.end.source,
                batch.first_seq,
                &batch.body,
                shutdown,
            )
            .await?;
        crate::support::fault::point(crate::support::fault::STREAM_DELIVERED);
        self.offsets
            .lock()
            .expect("offsets lock")
            .set(&self.key, batch.end.clone())?;
        Ok(())
    }
}
