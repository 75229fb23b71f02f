//! What goes wrong with a data file, and where: every step of reading reports through this
//! one type, so the message always names the file, the record and the byte to look at.

use std::path::Path;

/// A problem with a data file, located precisely enough to open the file and fix it.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {where_}{message}")]
pub struct ReadError {
    /// The data file at fault.
    pub path: String,
    /// Position of the record at fault (zero-based; the message counts from 1, as people
    /// do), when a record is at fault.
    pub record: Option<u64>,
    /// Byte position in the file where the problem is, to find it in the file.
    pub byte: u64,
    /// What is wrong and, where it helps, what to do about it.
    pub message: String,
    where_: String,
    /// The system's error, when the file could not be read at all.
    #[source]
    source: Option<std::io::Error>,
}

impl ReadError {
    /// A problem in `path` at `byte`, in `record` when one is at fault.
    pub(super) fn new(
        path: &Path,
        record: Option<u64>,
        byte: u64,
        message: impl Into<String>,
    ) -> Self {
        let where_ = match record {
            Some(r) => format!("record {} (byte {byte}): ", r + 1),
            None => format!("byte {byte}: "),
        };
        ReadError {
            path: path.display().to_string(),
            record,
            byte,
            message: message.into(),
            where_,
            source: None,
        }
    }

    /// `path` could not be read at `byte`, for the system's reason `source`.
    pub(super) fn unreadable(path: &Path, byte: u64, source: std::io::Error) -> Self {
        ReadError {
            source: Some(source),
            ..ReadError::new(path, None, byte, "cannot read")
        }
    }
}
