//! The lock that makes one process the only writer of an offsets file.
//!
//! Two streamers on one offsets file send the same records twice and overwrite each other's
//! progress (one rename lands on the other's temporary file: "cannot save the offsets
//! file"); two `run`s in one folder also share one queue, so each one's consumers store the
//! other's records and neither summary adds up. A second one is therefore refused at once
//! rather than made to work beside the first.
//!
//! The lock is the operating system's (`flock`, through `fs4`) on a file beside the offsets
//! file (`.millrace/offsets.json.lock` by default), so it goes when its holder does, however
//! it ends — `kill -9` included — and no stale lock is ever left to clear by hand. The
//! holder writes its pid, command and folder into the file, for the refusal to name them.
//! The file itself stays: removing a lock file races with the next process opening it.

use fs4::FileExt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock on one offsets file, held until dropped (or the process ends).
#[derive(Debug)]
pub struct OffsetsLock {
    /// Kept open: closing it releases the lock.
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it: a usage mistake (exit 2), which the message says how to
    /// resolve.
    #[error(
        "another millrace is already working in {folder}: `millrace {command}` (pid {pid}) holds {lock}. Two of them on one offsets file would send the same records twice and overwrite each other's progress. Wait for it to finish, or stop it (`kill {pid}`), or work from another folder (or give another --offsets); see \"Two `run`s in one folder\" under Common mistakes in docs/usage.md"
    )]
    Held {
        /// The holder's working folder, as it wrote it.
        folder: String,
        /// The holder's command (`run`, `stream`).
        command: String,
        /// The holder's process id, or "unknown" if it had not written it yet.
        pid: String,
        /// The lock file.
        lock: PathBuf,
    },
    /// The lock file cannot be made or locked (a folder that cannot be written, say).
    #[error("cannot lock {path}, which keeps two millrace processes off one offsets file")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// How long a refused process waits for the holder to write who it is: the holder writes
/// just after it locks, so the file is seldom empty, and then only for an instant.
const HOLDER_WRITES: Duration = Duration::from_millis(500);

impl OffsetsLock {
    /// Locks the offsets file `offsets` for `command`, or says who holds it. Creates the
    /// folder and the lock file when they are missing; never waits for the holder.
    pub fn take(offsets: &Path, command: &str) -> Result<OffsetsLock, LockError> {
        let path = lock_path(offsets);
        let fail = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(fail)?;
        // Called through the trait: std's own `File::try_lock` is newer than the crate's
        // minimum Rust.
        match FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => return Err(held_by(&mut file, path)),
            Err(fs4::TryLockError::Error(e)) => return Err(fail(e)),
        }
        let folder = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| ".".into());
        file.set_len(0).map_err(fail)?;
        file.rewind().map_err(fail)?;
        writeln!(file, "{}\n{command}\n{folder}", std::process::id()).map_err(fail)?;
        Ok(OffsetsLock { _file: file })
    }
}

/// The lock file for the offsets file `offsets`: the same name with `.lock` added.
pub fn lock_path(offsets: &Path) -> PathBuf {
    let mut name = offsets.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    offsets.with_file_name(name)
}

/// The refusal, naming the holder as it wrote itself into `file`.
fn held_by(file: &mut File, lock: PathBuf) -> LockError {
    let deadline = Instant::now() + HOLDER_WRITES;
    let mut text = String::new();
    loop {
        text.clear();
        let read = file.rewind().and_then(|()| file.read_to_string(&mut text));
        if (read.is_ok() && text.lines().count() >= 3) || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut lines = text.lines();
    let mut next = |unknown: &str| {
        lines
            .next()
            .filter(|l| !l.is_empty())
            .unwrap_or(unknown)
            .to_string()
    };
    LockError::Held {
        pid: next("unknown"),
        command: next("run"),
        folder: next("this folder"),
        lock,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let offsets = dir.path().join("sub/offsets.json");
        let held = OffsetsLock::take(&offsets, "run").unwrap();
        let err = OffsetsLock::take(&offsets, "stream").unwrap_err();
        let LockError::Held { pid, command, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(pid, &std::process::id().to_string());
        assert_eq!(command, "run");
        assert!(err.to_string().contains("offsets.json.lock"), "{err}");
        drop(held);
        OffsetsLock::take(&offsets, "stream").expect("free once dropped");
    }

    #[test]
    fn the_lock_file_sits_beside_the_offsets() {
        assert_eq!(
            lock_path(Path::new(".millrace/offsets.json")),
            Path::new(".millrace/offsets.json.lock")
        );
    }
}
