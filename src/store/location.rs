//! Where the store is: a SQLite file, or a PostgreSQL URL.

use super::{PostgresStore, SqliteStore, Store, StoreError};
use std::path::PathBuf;

/// The `--db` setting, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file, the default: nothing to install or run besides millrace.
    Sqlite(PathBuf),
    /// `postgres://user@host:port/database` (or `postgresql://`).
    Postgres(String),
}

impl StoreLocation {
    /// A `postgres://` or `postgresql://` URL means PostgreSQL; anything else is a SQLite
    /// file path.
    pub fn parse(db: &str) -> StoreLocation {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            StoreLocation::Postgres(db.to_string())
        } else {
            StoreLocation::Sqlite(PathBuf::from(db))
        }
    }

    /// Opens the store. Blocking (and for PostgreSQL not allowed on an async task): call it
    /// from a blocking thread.
    pub fn open(&self) -> Result<Box<dyn Store + Send>, StoreError> {
        Ok(match self {
            StoreLocation::Sqlite(path) => Box::new(SqliteStore::open(path)?),
            StoreLocation::Postgres(url) => Box::new(PostgresStore::connect(url)?),
        })
    }

    /// [`Self::open`] on a blocking thread, for async callers.
    pub async fn open_async(&self) -> Result<Box<dyn Store + Send>, StoreError> {
        let location = self.clone();
        tokio::task::spawn_blocking(move || location.open())
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// Whether the consumers of one process should write through one connection: yes for
    /// SQLite, which writes one transaction at a time whatever the connections, and whose
    /// page cache stays warm only while one connection does the writing (two writing in
    /// turns each found their cache stale at every transaction and read the index again:
    /// 86,000 page reads for a 1 M-record `run` against 16,000 for the bare insert). No for
    /// PostgreSQL, where the streams' connections write in parallel.
    pub fn one_writer_per_process(&self) -> bool {
        matches!(self, StoreLocation::Sqlite(_))
    }

    /// Whether there is anything to read: a SQLite file must exist; a server is asked.
    pub fn exists(&self) -> bool {
        match self {
            StoreLocation::Sqlite(path) => path.exists(),
            StoreLocation::Postgres(_) => true,
        }
    }
}

impl std::fmt::Display for StoreLocation {
    /// The location as messages show it, without a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sqlite(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&crate::support::redact::redact(url)),
        }
    }
}
