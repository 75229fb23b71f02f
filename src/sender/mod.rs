//! The streamer: reads the data files and sends what the webhook has not acknowledged yet.
//!
//! Offsets are positions in the files, not timestamps, so records that are late, out of
//! order, or tied with the newest time already sent are never skipped. An offset advances
//! only after the webhook's 2xx; a crash in between resends the batch, and the store skips
//! the records it already holds.
//!
//! [`send_files`] sends what the files hold and returns; [`follow`] (`stream --follow`) keeps
//! running and sends records as they are written, following rotated files.

mod attempt;
mod follow;
mod http;
mod lock;
mod offsets;
mod outage;
mod progress;
mod reader;

pub use attempt::Attempt;
pub use follow::{POLL, follow};
pub use http::{ClientError, SendError, Sender};
pub use lock::{LockError, OffsetsLock, lock_path};
pub use offsets::{Offset, Offsets, OffsetsError};
pub use progress::Progress;
pub use reader::{FileBatch, FileReader, ReadError, Tail};

use crate::record::StreamKind;
use crate::support::shutdown::Shutdown;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a stream run reads and where it sends it.
#[derive(Clone, Debug)]
pub struct SenderConfig {
    /// Folder holding `metrics.json` and `workorder.json`.
    pub data: PathBuf,
    /// Base URL of the webhook.
    pub webhook: String,
    /// Resend everything from the start of each file.
    pub initial: bool,
    /// Records per request.
    pub batch_size: usize,
    /// The offsets file.
    pub offsets: PathBuf,
    /// How long to retry one batch before giving up.
    pub retry_for: Duration,
    /// Show progress bars on a terminal.
    pub progress: bool,
    /// What to authenticate with, if the webhook asks.
    pub credentials: crate::auth::Credentials,
    /// A CA certificate to trust for an https webhook, beyond the system's.
    pub ca_cert: Option<PathBuf>,
}

/// What a stream run sent.
#[derive(Clone, Debug, Default)]
pub struct SenderSummary {
    /// Records delivered, per stream.
    pub sent: Vec<(StreamKind, u64)>,
    /// Records the files still hold that were not sent, per stream: none unless the stream
    /// was interrupted (by Ctrl-C or SIGTERM) before the end of the files.
    pub unsent: Vec<(StreamKind, u64)>,
    /// How long the run took.
    pub elapsed: Duration,
}

/// Why a stream run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// A data file could not be read, holds a bad record, or is not the file streamed before.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A batch could not be delivered to the webhook.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The offsets file could not be read or saved, so progress cannot be kept.
    #[error(transparent)]
    Offsets(#[from] OffsetsError),
    /// The data folder holds neither data file: most likely the wrong folder was given.
    #[error("no data to stream: neither {0}/metrics.json nor {0}/workorder.json exists")]
    NoData(PathBuf),
    /// The CA certificate given cannot be used.
    #[error(transparent)]
    CaCert(#[from] crate::support::tls::CaCertError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A file's stream task ended abnormally (a bug: it panicked).
    #[error("a stream task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// Streams both files, side by side, until everything present is acknowledged.
pub async fn send_files(
    config: SenderConfig,
    shutdown: Shutdown,
) -> Result<SenderSummary, SenderError> {
    let started = Instant::now();
    let (offsets, sender) = connect(&config)?;
    let progress = Progress::new(config.progress);
    let sender = sender.showing(&progress);
    let files: Vec<_> = StreamKind::ALL
        .into_iter()
        .map(|kind| (kind, config.data.join(kind.file_name())))
        .filter(|(kind, path)| {
            let exists = path.exists();
            if !exists {
                tracing::warn!(file = %path.display(), "no {kind} data file; skipping it");
            }
            exists
        })
        .collect();
    if files.is_empty() {
        return Err(SenderError::NoData(config.data.clone()));
    }
    let mut tasks = Vec::new();
    for (kind, path) in files {
        let file = FileStream {
            kind,
            path,
            initial: config.initial,
            batch_size: config.batch_size.max(1),
            offsets: offsets.clone(),
            sender: sender.clone(),
        };
        let reader = file.open()?;
        let bar = reader
            .as_ref()
            .map(|r| progress.file(kind.name(), r.size(), r.position()));
        let shutdown = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            let (sent, last) = match (reader, bar) {
                (Some(reader), Some(mut bar)) => {
                    let sent = file.run(reader, &mut bar, &shutdown).await;
                    bar.finish();
                    sent?
                }
                _ => (0, None),
            };
            let unsent = if shutdown.is_triggered() {
                file.unsent(last).await?
            } else {
                0
            };
            Ok::<_, SenderError>((kind, sent, unsent))
        }));
    }
    let done = gather(tasks).await?;
    Ok(SenderSummary {
        sent: done.iter().map(|&(kind, sent, _)| (kind, sent)).collect(),
        unsent: done
            .iter()
            .map(|&(kind, _, unsent)| (kind, unsent))
            .collect(),
        elapsed: started.elapsed(),
    })
}

/// The identity records of the data file at `path` are sent under, and how many complete
/// records it holds; `None` when it does not exist or holds none yet. A followed file
/// (`following`) may end in a record still being written, which is not counted and not
/// warned about.
pub fn census(
    path: &Path,
    kind: StreamKind,
    following: bool,
) -> Result<Option<(String, u64)>, ReadError> {
    if !path.exists() {
        return Ok(None);
    }
    let reader = if following {
        FileReader::open_following(path, kind)?
    } else {
        FileReader::open(path, kind, None)?
    };
    Ok(reader.map(|r| (r.source().to_string(), r.count_rest())))
}

/// The offsets saved so far, shared by the files' tasks, and a client for the webhook.
fn connect(config: &SenderConfig) -> Result<(Arc<Mutex<Offsets>>, Sender), SenderError> {
    let offsets = Arc::new(Mutex::new(Offsets::load(&config.offsets)?));
    let ca = match &config.ca_cert {
        Some(path) => Some(crate::support::tls::ca_certificate(path)?),
        None => None,
    };
    let sender = Sender::new(
        &config.webhook,
        config.retry_for,
        config.credentials.clone(),
        ca,
    )?;
    Ok((offsets, sender))
}

/// Waits for every file's task and gives what each sent; the first failure, if any, once
/// all have ended (the other file's task finishes what it holds meanwhile).
async fn gather<T>(
    tasks: Vec<tokio::task::JoinHandle<Result<T, SenderError>>>,
) -> Result<Vec<T>, SenderError> {
    let mut sent = Vec::new();
    let mut failure = None;
    for task in tasks {
        match task.await? {
            Ok(one) => sent.push(one),
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(sent),
    }
}

/// The key a data file's offset is saved under: its full path. A file that does not exist
/// (yet) is named through its folder's full path, as it will be once it exists.
fn offset_key(path: &Path) -> String {
    let full = path.canonicalize().or_else(|_| {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        let folder = folder.unwrap_or(Path::new(".")).canonicalize()?;
        Ok::<_, std::io::Error>(folder.join(path.file_name().unwrap_or_default()))
    });
    full.unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// One data file being streamed.
struct FileStream {
    kind: StreamKind,
    path: PathBuf,
    initial: bool,
    batch_size: usize,
    offsets: Arc<Mutex<Offsets>>,
    sender: Sender,
}

impl FileStream {
    fn key(&self) -> String {
        offset_key(&self.path)
    }

    /// Opens the file positioned after what was acknowledged: as saved under its path, or,
    /// for a path never streamed from, as saved for the same file under another path (its
    /// folder was moved or mounted elsewhere), with the usual checks that it still matches.
    fn open(&self) -> Result<Option<FileReader>, SenderError> {
        if self.initial {
            return Ok(FileReader::open(&self.path, self.kind, None)?);
        }
        let saved = self
            .offsets
            .lock()
            .expect("offsets lock")
            .get(&self.key())
            .cloned();
        if saved.is_some() {
            return Ok(FileReader::open(&self.path, self.kind, saved.as_ref())?);
        }
        let Some(mut reader) = FileReader::open(&self.path, self.kind, None)? else {
            return Ok(None);
        };
        let moved = self
            .offsets
            .lock()
            .expect("offsets lock")
            .find(reader.source())
            .cloned();
        if let Some(offset) = moved {
            tracing::info!(
                file = %self.path.display(),
                "streamed before from another path (its folder was moved): resuming there"
            );
            reader.resume(&offset)?;
        }
        Ok(Some(reader))
    }

    /// Records left in the file after `last`, the end of the last batch acknowledged (or,
    /// with none, after where streaming started): what an interrupted stream did not send.
    async fn unsent(&self, last: Option<Offset>) -> Result<u64, SenderError> {
        let reader = match &last {
            Some(end) => FileReader::open(&self.path, self.kind, Some(end))?,
            None => self.open()?,
        };
        let counted = tokio::task::spawn_blocking(move || reader.map_or(0, FileReader::count_rest));
        Ok(counted.await?)
    }

    /// Reads ahead on a blocking thread while the previous batch is in flight; gives the
    /// records sent and where the file stands after the last of them.
    async fn run(
        &self,
        mut reader: FileReader,
        progress: &mut progress::FileProgress,
        shutdown: &Shutdown,
    ) -> Result<(u64, Option<Offset>), SenderError> {
        let source = reader.source().to_string();
        let key = self.key();
        let batch_size = self.batch_size;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<FileBatch, ReadError>>(2);
        let read_ahead = tokio::task::spawn_blocking(move || {
            loop {
                let next = reader.next_batch(batch_size).transpose();
                let Some(item) = next else { break };
                let stop = item.is_err();
                if tx.blocking_send(item).is_err() || stop {
                    break;
                }
            }
        });
        let mut sent = 0;
        let mut last = None;
        let result = async {
            while let Some(batch) = rx.recv().await {
                let batch = batch?;
                if shutdown.is_triggered() {
                    break;
                }
                self.sender
                    .send(self.kind, &source, batch.first_seq, &batch.body, shutdown)
                    .await?;
                crate::support::fault::point(crate::support::fault::STREAM_DELIVERED);
                self.offsets
                    .lock()
                    .expect("offsets lock")
                    .set(&key, batch.end.clone())?;
                sent += batch.count;
                progress.advance(batch.count, batch.end.byte);
                last = Some(batch.end);
            }
            Ok::<_, SenderError>(())
        }
        .await;
        drop(rx);
        let _ = read_ahead.await;
        match result {
            Err(SenderError::Send(SendError::Stopped)) | Ok(()) => Ok((sent, last)),
            Err(e) => Err(e),
        }
    }
}
