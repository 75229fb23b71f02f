//! Following one data file as it grows, the way `tail -F` does, for `stream --follow`.
//!
//! The path is looked at (one `stat`) on every poll, and the file read only when it changed.
//! Plain polling, not inotify, so it works on every filesystem, network mounts included.
//!
//! - A file that grew is read on from where reading stopped: NDJSON lines appended, or an
//!   array whose closing `]` was replaced by `, {…}]`. A record still half-written is
//!   waited for.
//! - A path that names another file than the one open (another device and inode) was
//!   rotated: what the old file still holds is read first, through the handle still open on
//!   it, then the new file is followed. If its first record differs, it is a new source,
//!   read from its start, so the store cannot mistake its records for the old file's. If it
//!   starts with the same record, it is the same data written anew and then renamed into
//!   place (an atomic rewrite), and reading resumes where it stopped, with the usual checks.
//! - A file cut short, or changed before where reading stopped, is refused, as `stream`
//!   refuses it; and it stays refused until the path names another file. Since a writer that
//!   rewrites the whole file passes through such states for an instant, a file must look so
//!   for [`SETTLE`] before it is refused. If by then it starts with another record, it holds
//!   other data (emptied and refilled, as `copytruncate` rotation does) and is a new source;
//!   while it holds no record at all, it is waited for.

use super::identity::same_content;
use super::{FileBatch, FileReader, ReadError};
use crate::record::StreamKind;
use crate::sender::offsets::Offset;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How long a file must keep looking cut short or rewritten before it is refused.
const SETTLE: Duration = Duration::from_millis(500);

/// Which file a path names: its device and inode. Another one at the same path means the
/// file was rotated or replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    #[cfg(unix)]
    fn of(meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    /// Without inodes a rotation is seen only through a changed first record.
    #[cfg(not(unix))]
    fn of(_meta: &Metadata) -> FileId {
        FileId { dev: 0, ino: 0 }
    }
}

/// What one `stat` of the path says: which file, and enough to notice that it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    id: FileId,
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    /// The stamp of the file at `path`; `None` while no file is there.
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp {
            id: FileId::of(&meta),
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// One data file followed as it grows and rotates. Blocking: call it on a blocking thread.
pub struct Tail {
    path: PathBuf,
    kind: StreamKind,
    /// The file being read, and which file it is.
    reader: Option<(FileReader, FileId)>,
    /// Where reading stopped: the end of the last batch read, or the saved offset at start.
    last: Option<Offset>,
    /// The path's stamp when last looked at, so an unchanged file is not read again.
    seen: Option<Stamp>,
    /// The file refused: not read again while the path names it.
    refused: Option<FileId>,
    /// Since when the open file has looked cut short or rewritten.
    suspect: Option<Instant>,
}

impl Tail {
    /// Follows `path`, resuming after `resume` (the saved offset) when it is still the file
    /// streamed before. The file need not exist yet.
    pub fn new(path: &Path, kind: StreamKind, resume: Option<Offset>) -> Tail {
        Tail {
            path: path.to_path_buf(),
            kind,
            reader: None,
            last: resume,
            seen: None,
            refused: None,
            suspect: None,
        }
    }

    /// The next batch of at most `max` complete records, `None` when nothing new is there
    /// now. An error refuses the file (the caller says so, loudly); following goes on, and
    /// picks up the next file put at the path.
    pub fn next(&mut self, max: usize) -> Result<Option<FileBatch>, ReadError> {
        if let Some(batch) = self.read(max)? {
            return Ok(Some(batch));
        }
        // Stat before reading on: whatever is written after this stat changes the stamp
        // and is read at the next poll.
        let stamp = Stamp::of(&self.path);
        let current = self.reader.as_ref().map(|(_, id)| *id);
        match stamp {
            Some(now) if Some(now.id) == current => {
                if self.seen == Some(now) && self.suspect.is_none() {
                    return Ok(None);
                }
                self.seen = Some(now);
                self.carry_on()?;
            }
            Some(now) if Some(now.id) == self.refused => return Ok(None),
            _ if self.reader.is_none() && stamp == self.seen => return Ok(None),
            _ => {
                if let Some(batch) = self.drain_old(max)? {
                    return Ok(Some(batch));
                }
                let Some(now) = stamp else {
                    return Ok(None);
                };
                self.seen = Some(now);
                self.switch(now.id)?;
            }
        }
        self.read(max)
    }

    /// The next batch of the open file, remembering where it ends.
    fn read(&mut self, max: usize) -> Result<Option<FileBatch>, ReadError> {
        let Some((reader, _)) = self.reader.as_mut() else {
            return Ok(None);
        };
        match reader.next_batch(max) {
            Ok(Some(batch)) => {
                self.last = Some(batch.end.clone());
                Ok(Some(batch))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(self.refuse(e)),
        }
    }

    /// Readies the open file, which changed, to be read on from where reading stopped.
    fn carry_on(&mut self) -> Result<(), ReadError> {
        let Some((reader, _)) = self.reader.as_mut() else {
            return Ok(());
        };
        let checked = match &self.last {
            Some(offset) => reader.resume(offset),
            None => reader.rewind(),
        };
        match checked {
            Ok(()) => {
                self.suspect = None;
                Ok(())
            }
            Err(e) => {
                let since = *self.suspect.get_or_insert_with(Instant::now);
                if since.elapsed() < SETTLE {
                    return Ok(());
                }
                self.settle(e)
            }
        }
    }

    /// Decides about a file that kept failing its checks for [`SETTLE`], by what the path
    /// holds now. A file that starts with another record holds other data (rewritten in
    /// place, or emptied and refilled as `copytruncate` rotation does) and is a new source,
    /// as a rotated file is; one with no record yet may still become that, so it is waited
    /// for; else the file was cut short or changed before where reading stopped: refused.
    fn settle(&mut self, e: ReadError) -> Result<(), ReadError> {
        match FileReader::open_following(&self.path, self.kind) {
            Ok(None) => Ok(()),
            Ok(Some(now))
                if self
                    .last
                    .as_ref()
                    .is_some_and(|l| !same_content(&l.source, now.source())) =>
            {
                let id = now.metadata().map(|m| FileId::of(&m));
                match id {
                    Ok(id) => {
                        self.adopt(now, id);
                        Ok(())
                    }
                    Err(_) => Err(self.refuse(e)),
                }
            }
            _ => Err(self.refuse(e)),
        }
    }

    /// What the file no longer at the path still holds: a writer may have added records
    /// just before it was renamed away.
    fn drain_old(&mut self, max: usize) -> Result<Option<FileBatch>, ReadError> {
        if self.reader.is_none() {
            return Ok(None);
        }
        self.carry_on()?;
        self.read(max)
    }

    /// Opens the file now at the path, whose identity is `id`: the same data as before
    /// resumes where reading stopped, other data is a new source read from its start.
    fn switch(&mut self, id: FileId) -> Result<(), ReadError> {
        self.reader = None;
        self.suspect = None;
        let opened = match FileReader::open_following(&self.path, self.kind) {
            Ok(opened) => opened,
            Err(e) => {
                self.refused = Some(id);
                return Err(e);
            }
        };
        // Not a record yet (a new file, still empty): looked at again once it changes.
        let Some(reader) = opened else {
            return Ok(());
        };
        let id = reader.metadata().map(|m| FileId::of(&m)).unwrap_or(id);
        if self
            .last
            .as_ref()
            .is_some_and(|l| same_content(&l.source, reader.source()))
        {
            self.reader = Some((reader, id));
            return self.carry_on();
        }
        self.adopt(reader, id);
        Ok(())
    }

    /// Reads `reader`, whose first record differs from the file read before, from its start
    /// as a new source.
    fn adopt(&mut self, reader: FileReader, id: FileId) {
        if let Some(last) = &self.last {
            tracing::warn!(
                file = %self.path.display(),
                before = %last.source,
                now = %reader.source(),
                "a new file is at this path (rotated or replaced: its first record differs); \
                 following it as a new source, from its start"
            );
        }
        self.last = None;
        self.suspect = None;
        self.reader = Some((reader, id));
    }

    /// Stops reading the open file, which will not be read again while the path names it,
    /// and gives back why.
    fn refuse(&mut self, e: ReadError) -> ReadError {
        if let Some((_, id)) = self.reader.take() {
            self.refused = Some(id);
        }
        self.suspect = None;
        e
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{A, B, C, bodies};
    use super::*;
    use std::io::{Seek, SeekFrom, Write};

    /// Every batch the tail gives now, and the error that stopped it.
    fn drain(tail: &mut Tail) -> (Vec<FileBatch>, Option<ReadError>) {
        let mut out = vec![];
        loop {
            match tail.next(10) {
                Ok(Some(b)) => out.push(b),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    /// Cuts the file to `len` bytes, in place.
    fn cut(path: &Path, len: u64) {
        let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        f.set_len(len).unwrap();
    }

    fn append(path: &Path, text: &str) {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// Overwrites the closing `]` of an array file with `text`, the way a producer appends.
    fn replace_bracket(path: &Path, text: &str) {
        let len = std::fs::metadata(path).unwrap().len();
        let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        f.seek(SeekFrom::Start(len - 1)).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn follows_an_array_whose_bracket_moves_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("[{A}]")).unwrap();
        let mut tail = Tail::new(&path, StreamKind::Metrics, None);
        assert_eq!(bodies(&drain(&mut tail).0), [format!("[{A}]")]);
        replace_bracket(&path, &format!(", {B}, {C}]"));
        let (batches, err) = drain(&mut tail);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&batches), [format!("[{B},{C}]")]);
        assert_eq!(batches[0].first_seq, 1);
    }

    #[test]
    fn waits_for_a_record_written_in_two_halves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let (half, rest) = B.split_at(12);
        std::fs::write(&path, format!("[{A}, {half}")).unwrap();
        let mut tail = Tail::new(&path, StreamKind::Metrics, None);
        let (batches, err) = drain(&mut tail);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&batches), [format!("[{A}]")]);
        append(&path, rest);
        assert_eq!(bodies(&drain(&mut tail).0), [format!("[{B}]")]);
        // And NDJSON, from an empty file on.
        let lines = dir.path().join("l.json");
        std::fs::write(&lines, half).unwrap();
        let mut tail = Tail::new(&lines, StreamKind::Metrics, None);
        assert!(drain(&mut tail).0.is_empty());
        append(&lines, &format!("{rest}\n{C}\n"));
        assert_eq!(bodies(&drain(&mut tail).0), [format!("[{B},{C}]")]);
    }

    #[test]
    fn a_rotated_file_is_drained_then_the_new_one_followed_as_a_new_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("{A}\n")).unwrap();
        let mut tail = Tail::new(&path, StreamKind::Metrics, None);
        let first = drain(&mut tail).0;
        // The writer adds a last line, then rotates; the new file starts empty.
        append(&path, &format!("{B}\n"));
        std::fs::rename(&path, dir.path().join("m.json.1")).unwrap();
        std::fs::write(&path, "").unwrap();
        assert_eq!(bodies(&drain(&mut tail).0), [format!("[{B}]")]);
        append(&path, &format!("{C}\n"));
        let (batches, err) = drain(&mut tail);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&batches), [format!("[{C}]")]);
        assert_eq!(batches[0].first_seq, 0);
        assert_ne!(batches[0].end.source, first[0].end.source);
    }

    #[test]
    fn an_atomic_rewrite_with_more_records_resumes_where_reading_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("[{A}, {B}]")).unwrap();
        let mut tail = Tail::new(&path, StreamKind::Metrics, None);
        drain(&mut tail);
        let tmp = dir.path().join("m.json.tmp");
        std::fs::write(&tmp, format!("[{A}, {B}, {C}]")).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let (batches, err) = drain(&mut tail);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&batches), [format!("[{C}]")]);
        assert_eq!(batches[0].first_seq, 2);
    }

    #[test]
    fn a_file_cut_short_is_refused_once_it_stays_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("{A}\n{B}\n")).unwrap();
        let mut tail = Tail::new(&path, StreamKind::Metrics, None);
        drain(&mut tail);
        cut(&path, A.len() as u64 + 1);
        // A writer rewriting the file passes through this: not refused at once.
        assert!(drain(&mut tail).1.is_none());
        std::thread::sleep(SETTLE);
        let err = drain(&mut tail).1.expect("refused");
        assert!(err.message.contains("shorter"), "{err}");
        // Refused for good: appending does not bring it back.
        append(&path, &format!("{C}\n"));
        assert!(drain(&mut tail).0.is_empty());
    }

    #[test]
    fn a_file_emptied_then_refilled_with_other_records_is_a_new_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("{A}\n{B}\n")).unwrap();
        let mut tail = Tail::new(&path, StreamKind::Metrics, None);
        let before = drain(&mut tail).0;
        // `copytruncate` rotation: the same file, emptied, then written on.
        cut(&path, 0);
        assert!(drain(&mut tail).1.is_none());
        std::thread::sleep(SETTLE);
        assert!(drain(&mut tail).1.is_none(), "an empty file is waited for");
        append(&path, &format!("{C}\n"));
        let (batches, err) = drain(&mut tail);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&batches), [format!("[{C}]")]);
        assert_eq!(batches[0].first_seq, 0);
        assert_ne!(batches[0].end.source, before[0].end.source);
    }

    #[test]
    fn a_file_rewritten_whole_with_more_records_is_not_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("[{A}]")).unwrap();
        let mut tail = Tail::new(&path, StreamKind::Metrics, None);
        drain(&mut tail);
        // Caught half-way through `std::fs::write`: emptied, not yet written again.
        std::fs::write(&path, "").unwrap();
        assert!(drain(&mut tail).1.is_none());
        std::fs::write(&path, format!("[{A}, {B}]")).unwrap();
        let (batches, err) = drain(&mut tail);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&batches), [format!("[{B}]")]);
    }

    #[test]
    fn a_file_that_appears_later_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let mut tail = Tail::new(&path, StreamKind::Metrics, None);
        assert!(drain(&mut tail).0.is_empty());
        std::fs::write(&path, format!("{A}\n")).unwrap();
        assert_eq!(bodies(&drain(&mut tail).0), [format!("[{A}]")]);
    }
}
