//! Opening a SQLite file that other millrace processes may be opening at the same moment,
//! and saying plainly why a file cannot be opened at all.
//!
//! A service manager starts `serve` and `consume` together at boot, and both create the
//! queue file at once. SQLite waits for a lock through its busy handler, but not everywhere:
//! the switch to WAL can answer `SQLITE_BUSY` at once, and a schema transaction can too.
//! Failing there would make the service exit on a race it cannot see, so every such step
//! goes through [`patiently`], which waits out another process's lock for a bounded time.
//!
//! Connections of one process to one file take turns to write through a [`WriteGate`], so
//! they queue on a mutex rather than on SQLite's busy handler, which sleeps 1–25 ms between
//! tries (a `run` spent two seconds of thread time asleep there on a 1 M-record load).
//!
//! When the file cannot be opened at all, SQLite says "unable to open database file" whatever
//! the reason; [`PathProblem::diagnose`] asks the file system instead, so the message says
//! "permission denied" or "not a directory" and names the path the user has to fix.

use rusqlite::{Connection, ErrorCode};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// How long SQLite's own busy handler waits for a lock, per statement, unless
/// `MILLRACE_SQLITE_BUSY_TIMEOUT_MS` says otherwise (see [`busy_timeout`]).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a step that SQLite does not wait for itself is retried before giving up: long
/// enough for another process to create the tables or finish a long write.
const PATIENCE: Duration = Duration::from_secs(60);
/// After this long, waiting is said once in the log, so a stuck start is not silent.
const SAY_AFTER: Duration = Duration::from_secs(5);

/// Why a SQLite file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file system refuses the path: the user's configuration names a place millrace
    /// cannot write.
    #[error(transparent)]
    Path(#[from] PathProblem),
    /// The file's folder could not be made, for a reason the file system does not name.
    #[error("cannot create its folder")]
    Folder(#[source] std::io::Error),
    /// SQLite failed for another reason (a damaged file, a lock held past the wait).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// A path the file system will not let millrace create or write, and why, in its words.
#[derive(Debug, thiserror::Error)]
#[error("{reason}: {}: {advice}", path.display())]
pub struct PathProblem {
    /// The path at fault: the file itself, its folder, or a file standing where a folder
    /// should be.
    pub path: PathBuf,
    /// The file system's reason: "permission denied", "not a directory", …
    pub reason: &'static str,
    /// What the user can do about it.
    pub advice: &'static str,
}

impl PathProblem {
    /// Why `file` (a SQLite file millrace wants to create or write) cannot be, asked of the
    /// file system: a file where a folder of its path should be, a folder or file millrace
    /// may not write. `None` when the file system sees no problem (then SQLite's own error
    /// is the one to show). Probes by creating the file (as SQLite would) and, in its
    /// folder, a scratch file it removes again: SQLite's journal files need the folder too.
    pub fn diagnose(file: &Path) -> Option<PathProblem> {
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let Some(blocker) = dir.ancestors().find(|a| a.exists()) {
            if !blocker.is_dir() {
                return PathProblem::from_io(blocker, &std::io::ErrorKind::NotADirectory.into());
            }
        }
        if !dir.exists() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return PathProblem::from_io(dir, &e);
            }
        }
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(file)
        {
            return PathProblem::from_io(file, &e);
        }
        let probe = dir.join(format!(".millrace-probe-{}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
        {
            Ok(_) => {
                let _ = std::fs::remove_file(&probe);
                None
            }
            Err(e) => PathProblem::from_io(dir, &e),
        }
    }

    /// The problem an I/O error on `path` shows, when it is one the user fixes by choosing
    /// another path or changing permissions; `None` for any other error.
    pub fn from_io(path: &Path, error: &std::io::Error) -> Option<PathProblem> {
        use std::io::ErrorKind as K;
        let (reason, advice) = match error.kind() {
            K::PermissionDenied => (
                "permission denied",
                "give the user millrace runs as write access there, or choose another path",
            ),
            K::NotADirectory => (
                "not a directory",
                "a file stands where a folder of the path should be: choose another path",
            ),
            K::IsADirectory => ("is a directory", "name a file, not a folder"),
            K::ReadOnlyFilesystem => (
                "read-only file system",
                "choose a path on a file system millrace can write",
            ),
            _ => return None,
        };
        Some(PathProblem {
            path: path.to_path_buf(),
            reason,
            advice,
        })
    }
}

/// How long SQLite's own busy handler waits for a lock, per statement: 10 s, or as many
/// milliseconds as `MILLRACE_SQLITE_BUSY_TIMEOUT_MS` says. The variable is a knob for tests,
/// which hold a store's lock past the timeout and need not wait 10 s to get there, and for an
/// operator whose disk is slow enough that a writer holds the lock longer. A value that is
/// not a whole number is ignored. Read once per process.
pub fn busy_timeout() -> Duration {
    static TIMEOUT: LazyLock<Duration> = LazyLock::new(|| {
        std::env::var("MILLRACE_SQLITE_BUSY_TIMEOUT_MS")
            .ok()
            .and_then(|ms| ms.trim().parse().ok())
            .map_or(BUSY_TIMEOUT, Duration::from_millis)
    });
    *TIMEOUT
}

/// Opens (creating if needed) the SQLite file at `path` for sharing between processes: the
/// busy timeout set before anything else, then WAL and `synchronous=FULL`, a lock held by
/// another process waited out. A path the file system refuses is said as a [`PathProblem`].
pub fn open(path: &Path) -> Result<Connection, OpenError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Err(match PathProblem::diagnose(path) {
                Some(problem) => OpenError::Path(problem),
                None => OpenError::Folder(e),
            });
        }
    }
    let opened = Connection::open(path).and_then(|conn| {
        conn.busy_timeout(busy_timeout())?;
        patiently("switching the file to WAL", || {
            conn.pragma_update(None, "journal_mode", "WAL")
        })?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(conn)
    });
    opened.map_err(|e| explain(path, e))
}

/// Turns to write one SQLite file, shared by every connection of this process that writes
/// it (the queue's writer thread and its consumers; both stream consumers on one store).
///
/// Holding the turn across a write transaction means another writer of this process waits on
/// a mutex and starts the moment the turn is free, instead of polling SQLite's lock with
/// sleeps. Other processes still meet SQLite's own lock, waited out by the busy handler.
#[derive(Clone)]
pub struct WriteGate(Arc<Mutex<()>>);

impl WriteGate {
    /// The gate of the file at `path`: the same for every caller in this process that names
    /// the same file (by its canonical path once it exists).
    pub fn of(path: &Path) -> WriteGate {
        static GATES: LazyLock<Mutex<HashMap<PathBuf, Weak<Mutex<()>>>>> =
            LazyLock::new(Default::default);
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut gates = GATES.lock().unwrap_or_else(|e| e.into_inner());
        gates.retain(|_, gate| gate.strong_count() > 0);
        if let Some(gate) = gates.get(&key).and_then(Weak::upgrade) {
            return WriteGate(gate);
        }
        let gate = Arc::new(Mutex::new(()));
        gates.insert(key, Arc::downgrade(&gate));
        WriteGate(gate)
    }

    /// This process's turn to write the file, until the guard drops. A writer that panicked
    /// with the turn leaves nothing behind to protect (SQLite rolled its transaction back),
    /// so a poisoned gate is simply taken.
    pub fn turn(&self) -> MutexGuard<'_, ()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `error`, unless the file system says what is really wrong with `path`.
pub fn explain(path: &Path, error: rusqlite::Error) -> OpenError {
    let suspect = matches!(
        error.sqlite_error_code(),
        Some(
            ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::PermissionDenied
                | ErrorCode::SystemIoFailure
        )
    );
    match suspect.then(|| PathProblem::diagnose(path)).flatten() {
        Some(problem) => OpenError::Path(problem),
        None => OpenError::Sqlite(error),
    }
}

/// Whether `error` is another connection's lock: worth waiting out, not a failure.
pub fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Runs `step` until it is not refused for another connection's lock, for up to a minute;
/// says once in the log when the wait grows long. Any other outcome is returned at once.
pub fn patiently<T>(
    what: &str,
    mut step: impl FnMut() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let started = Instant::now();
    let mut said = false;
    let mut pause = Duration::from_millis(5);
    loop {
        match step() {
            Err(e) if is_busy(&e) && started.elapsed() < PATIENCE => {
                if !said && started.elapsed() >= SAY_AFTER {
                    tracing::warn!("{what}: another process holds the file's lock; waiting");
                    said = true;
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy() -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None)
    }

    #[test]
    fn one_file_has_one_gate_whatever_the_path_says() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.db");
        std::fs::write(&file, b"").unwrap();
        let a = WriteGate::of(&file);
        let b = WriteGate::of(&dir.path().join(".").join("a.db"));
        let other = WriteGate::of(&dir.path().join("b.db"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert!(!Arc::ptr_eq(&a.0, &other.0));
        // The turn is exclusive: while one holds it, another cannot take it.
        let held = a.turn();
        assert!(b.0.try_lock().is_err());
        drop(held);
        assert!(b.0.try_lock().is_ok());
    }

    #[test]
    fn a_step_refused_for_a_lock_is_tried_again_until_it_passes() {
        let mut tries = 0;
        let got = patiently("test", || {
            tries += 1;
            if tries < 4 { Err(busy()) } else { Ok(tries) }
        });
        assert_eq!(got.unwrap(), 4);
    }

    #[test]
    fn any_other_failure_is_returned_at_once() {
        let mut tries = 0;
        let got: rusqlite::Result<()> = patiently("test", || {
            tries += 1;
            Err(rusqlite::Error::InvalidQuery)
        });
        assert!(got.is_err());
        assert_eq!(tries, 1);
    }

    #[test]
    fn the_file_systems_refusals_are_named_and_others_are_not() {
        use std::io::{Error, ErrorKind as K};
        let path = Path::new("/somewhere/x.db");
        for (kind, reason) in [
            (K::PermissionDenied, "permission denied"),
            (K::NotADirectory, "not a directory"),
            (K::ReadOnlyFilesystem, "read-only file system"),
            (K::IsADirectory, "is a directory"),
        ] {
            let told = PathProblem::from_io(path, &Error::from(kind))
                .unwrap()
                .to_string();
            assert!(
                told.starts_with(&format!("{reason}: /somewhere/x.db: ")),
                "{told}"
            );
        }
        assert!(PathProblem::from_io(path, &Error::from(K::Interrupted)).is_none());
    }

    #[test]
    fn a_file_standing_where_a_folder_should_be_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "x").unwrap();
        let problem = PathProblem::diagnose(&file.join("a/b/x.db")).unwrap();
        assert_eq!((problem.reason, problem.path), ("not a directory", file));
    }

    #[test]
    fn a_writable_folder_is_no_problem_and_keeps_no_probe() {
        let dir = tempfile::tempdir().unwrap();
        assert!(PathProblem::diagnose(&dir.path().join("x.db")).is_none());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["x.db"]);
    }
}
