//! Reads a data file incrementally, in bounded memory, as batches ready to send.
//!
//! By concept: `resume` opens a file and decides where reading starts (refusing a file that
//! is no longer the one streamed before), `identity` names a file by its data folder's
//! identity and its first record, `buffer` reads it a chunk at a time in bounded memory,
//! `batch` turns its records into batches, `tail` follows a file as it grows and rotates
//! (`stream --follow`), and `error` locates what goes wrong. They all work on the one
//! [`FileReader`] defined here.

mod batch;
mod buffer;
mod error;
mod identity;
mod resume;
mod tail;

pub use batch::FileBatch;
pub use error::ReadError;
pub use tail::Tail;

use crate::codec::{Layout, Scanner};
use crate::record::Records;
use std::fs::File;
use std::path::PathBuf;

/// An open data file, positioned after what was already acknowledged.
pub struct FileReader {
    path: PathBuf,
    file: File,
    scanner: Scanner,
    layout: Layout,
    buf: Vec<u8>,
    pos: usize,
    /// File position of `buf[0]`.
    base: u64,
    eof: bool,
    done: bool,
    /// Followed (`stream --follow`): the end of the file is where the writer is, not where
    /// the content ends, so an unclosed array or a half-written record is waited for.
    open_ended: bool,
    source: String,
    seq: u64,
    end: u64,
    scratch: Records,
    /// An error found after some good records; reported once those are sent.
    pending: Option<ReadError>,
}

impl FileReader {
    /// The identity records of this file are sent under.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The file's current size, for progress.
    pub fn size(&self) -> u64 {
        self.file.metadata().map(|m| m.len()).unwrap_or(0)
    }

    /// Where reading stands, in bytes.
    pub fn position(&self) -> u64 {
        self.end
    }

    /// Whether the scanner may take the end of what was read as the end of the content: only
    /// for an array read to the end of a file no one is writing any more. An NDJSON file's
    /// last line without its end is always taken as still being written.
    fn scan_eof(&self) -> bool {
        self.eof && self.layout == Layout::Array && !self.open_ended
    }

    /// The open file's metadata, which says which file it is (rotation is noticed by this).
    pub(crate) fn metadata(&self) -> std::io::Result<std::fs::Metadata> {
        self.file.metadata()
    }
}

/// Records and a reading loop the tests of every part of the reader share.
#[cfg(test)]
mod testing {
    use super::{FileBatch, FileReader, ReadError};
    use crate::record::StreamKind;
    use crate::sender::offsets::Offset;
    use std::path::Path;

    pub(super) const A: &str = r#"{"id": 1, "val": 1.5, "time": 10}"#;
    pub(super) const B: &str = r#"{"id": 2, "val": 2.5, "time": 11}"#;
    pub(super) const C: &str = r#"{"id": 3, "val": 3.5, "time": 12}"#;

    /// Every batch of at most `max` records the file gives, and the error that ended them.
    pub(super) fn read_all(
        path: &Path,
        resume: Option<&Offset>,
        max: usize,
    ) -> (Vec<FileBatch>, Option<ReadError>) {
        let mut reader = match FileReader::open(path, StreamKind::Metrics, resume) {
            Ok(Some(r)) => r,
            Ok(None) => return (vec![], None),
            Err(e) => return (vec![], Some(e)),
        };
        let mut out = vec![];
        loop {
            match reader.next_batch(max) {
                Ok(Some(b)) => out.push(b),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    /// The batches' bodies, as text.
    pub(super) fn bodies(batches: &[FileBatch]) -> Vec<String> {
        batches
            .iter()
            .map(|b| String::from_utf8(b.body.clone()).unwrap())
            .collect()
    }
}
