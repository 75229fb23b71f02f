//! Opening a data file and deciding where reading starts: the file's layout and identity
//! come from its first record, and a resume is refused unless the file is still the one
//! streamed before, since resuming a shorter, replaced or rewritten file would skip or
//! corrupt data.

use super::FileReader;
use super::buffer::{CHUNK, MAX_RECORD, TAIL};
use super::error::ReadError;
use super::identity::{file_identity, same_content};
use crate::codec::{Layout, Scanner, Step};
use crate::record::{Records, StreamKind};
use crate::sender::offsets::Offset;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use xxhash_rust::xxh3::xxh3_64;

/// What to do about a data file that lost records already streamed.
const SHORTER: &str = "if records were only cut from its end, run `millrace stream --initial` to \
    accept it as it is now (the store already holds those records and skips them)";

impl FileReader {
    /// Opens `path` for `kind`, resuming after `resume` when given. `None` when the file
    /// holds no record yet.
    ///
    /// Refuses to resume when the file is not the one streamed before — shorter, replaced, or
    /// rewritten before the offset — since resuming then would skip or corrupt data.
    pub fn open(
        path: &Path,
        kind: StreamKind,
        resume: Option<&Offset>,
    ) -> Result<Option<FileReader>, ReadError> {
        let Some(mut reader) = FileReader::open_at_start(path, kind, false)? else {
            return match resume {
                Some(offset) => Err(emptied(path, offset)),
                None => Ok(None),
            };
        };
        if let Some(offset) = resume {
            reader.resume(offset)?;
        }
        Ok(Some(reader))
    }

    /// Opens `path` for following (`stream --follow`), at its start. `None` while the file
    /// holds no complete record yet.
    ///
    /// Such a reader treats the end of the file as "not written yet" rather than as the end:
    /// an array whose `]` is still to come, or a record cut in the middle, is waited for
    /// instead of refused as truncated.
    pub(crate) fn open_following(
        path: &Path,
        kind: StreamKind,
    ) -> Result<Option<FileReader>, ReadError> {
        FileReader::open_at_start(path, kind, true)
    }

    /// Positions reading just after `offset`, refusing it if this file no longer matches it
    /// (see [`FileReader::check_resume`]). Also how a followed file carries on after it grew.
    pub(crate) fn resume(&mut self, offset: &Offset) -> Result<(), ReadError> {
        let len = self
            .file
            .metadata()
            .map_err(|e| ReadError::unreadable(&self.path, 0, e))?
            .len();
        self.check_resume(offset, len)?;
        self.resume_at(offset)
    }

    /// Reads `path` up to its first record, which gives the file's layout and identity, and
    /// positions reading at the start. `None` when the file holds no record yet.
    fn open_at_start(
        path: &Path,
        kind: StreamKind,
        open_ended: bool,
    ) -> Result<Option<FileReader>, ReadError> {
        let io = |e: std::io::Error| ReadError::unreadable(path, 0, e);
        let canonical = path.canonicalize().map_err(io)?;
        let file = File::open(path).map_err(io)?;
        let mut reader = FileReader::at_start(path, file, kind);
        reader.open_ended = open_ended;
        let Some(first) = reader.first_record()? else {
            return Ok(None);
        };
        reader.source = file_identity(path, &canonical, xxh3_64(&reader.buf[first]));
        reader.rewind()?;
        Ok(Some(reader))
    }

    /// A reader of `file` that has read nothing yet, its layout still to be detected.
    fn at_start(path: &Path, file: File, kind: StreamKind) -> FileReader {
        FileReader {
            path: path.to_path_buf(),
            file,
            scanner: Scanner::new(Layout::Array),
            layout: Layout::Array,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            base: 0,
            eof: false,
            done: false,
            open_ended: false,
            source: String::new(),
            seq: 0,
            end: 0,
            scratch: Records::with_capacity(kind, 0),
            pending: None,
        }
    }

    /// Reads from the start up to the first record; gives its position in `buf`.
    fn first_record(&mut self) -> Result<Option<Range<usize>>, ReadError> {
        self.fill()?;
        let first = loop {
            match self.buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => break self.buf[i],
                None if self.eof => return Ok(None),
                None => self.fill()?,
            }
        };
        self.layout = Layout::detect(first).ok_or_else(|| {
            ReadError::new(
                &self.path,
                None,
                0,
                "expected a JSON array of records (`[`) or one JSON record per line (`{`)",
            )
        })?;
        let mut scanner = Scanner::new(self.layout);
        let mut pos = 0;
        loop {
            let scan_eof = self.scan_eof();
            match scanner.next(&self.buf, &mut pos, scan_eof) {
                Ok(Step::Item(range)) => return Ok(Some(range)),
                Ok(Step::End) => return Ok(None),
                Ok(Step::NeedMore) if self.eof => return Ok(None),
                Ok(Step::NeedMore) => {
                    if self.buf.len() > MAX_RECORD {
                        return Err(ReadError::new(
                            &self.path,
                            Some(0),
                            pos as u64,
                            format!(
                                "no complete record in the first {} MiB: the file is not record data",
                                MAX_RECORD >> 20
                            ),
                        ));
                    }
                    // Keep everything: the first record must stay in view to be hashed.
                    let before = self.buf.len();
                    self.read_more()?;
                    if self.buf.len() == before && !self.eof {
                        continue;
                    }
                    pos = 0;
                    scanner = Scanner::new(self.layout);
                }
                Err(e) => {
                    return Err(ReadError::new(&self.path, Some(0), e.pos as u64, e.message));
                }
            }
        }
    }

    /// Refuses an `offset` this file no longer matches (`len` is its size): its first record
    /// differs (replaced), it ends before the offset (cut), or the bytes just before the
    /// offset changed (rewritten). Each needs a different fix, so each says which.
    fn check_resume(&mut self, offset: &Offset, len: u64) -> Result<(), ReadError> {
        if !same_content(&offset.source, &self.source) {
            return Err(ReadError::new(
                &self.path,
                None,
                0,
                "the file was replaced: its first record differs from the one streamed before. \
                 If it holds new data, run `millrace stream --initial` to stream it from the start \
                 as a new source (records of the old file stay stored)",
            ));
        }
        if len < offset.byte {
            return Err(ReadError::new(
                &self.path,
                None,
                len,
                format!(
                    "the file is shorter ({len} bytes) than what was already streamed ({} bytes); {SHORTER}",
                    offset.byte
                ),
            ));
        }
        if self.tail_hash_at(offset.byte)? != offset.tail_hash {
            return Err(ReadError::new(
                &self.path,
                Some(offset.seq),
                offset.byte,
                "the bytes before this point changed: records were edited, inserted or removed, \
                 not only appended. Records are known by their position in the file, so millrace \
                 cannot tell which are new (and `--initial` would skip records by position). Put \
                 the original records back and append new ones at the end, or write new records \
                 to a fresh data folder",
            ));
        }
        Ok(())
    }

    /// Positions reading just after the record `offset` ends at, counting on from there.
    fn resume_at(&mut self, offset: &Offset) -> Result<(), ReadError> {
        self.seek(offset.byte)?;
        self.scanner = Scanner::after_item(self.layout);
        self.seq = offset.seq;
        self.end = offset.byte;
        Ok(())
    }

    /// Positions reading at the start of the file, for a file streamed from its beginning.
    pub(crate) fn rewind(&mut self) -> Result<(), ReadError> {
        self.seek(0)?;
        self.scanner = Scanner::new(self.layout);
        self.seq = 0;
        self.end = 0;
        Ok(())
    }

    /// The fingerprint of the bytes just before `byte`, as an offset records it.
    fn tail_hash_at(&mut self, byte: u64) -> Result<u64, ReadError> {
        let from = byte.saturating_sub(TAIL);
        let mut tail = vec![0; (byte - from) as usize];
        self.file
            .seek(SeekFrom::Start(from))
            .and_then(|_| self.file.read_exact(&mut tail))
            .map_err(|e| ReadError::unreadable(&self.path, from, e))?;
        Ok(xxh3_64(&tail))
    }
}

/// The error for a file that holds no record although `offset` says records were streamed
/// from it.
fn emptied(path: &Path, offset: &Offset) -> ReadError {
    ReadError::new(
        path,
        None,
        0,
        format!(
            "the file holds no record, but {} were streamed from it before: it was emptied or replaced; {SHORTER}",
            offset.seq
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{A, B, C, bodies, read_all};
    use super::*;

    #[test]
    fn a_file_that_cannot_be_read_keeps_the_systems_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let Err(err) = FileReader::open(&path, StreamKind::Metrics, None) else {
            panic!("a missing file opened");
        };
        let io = std::error::Error::source(&err)
            .and_then(|e| e.downcast_ref::<std::io::Error>())
            .expect("the io error is the source");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(
            crate::support::chain::Chain(&err).to_string(),
            format!("{}: byte 0: cannot read: {io}", path.display())
        );
    }

    #[test]
    fn resumes_after_an_append_to_an_array() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("[{A}, {B}]")).unwrap();
        let (batches, _) = read_all(&path, None, 10);
        let offset = batches.last().unwrap().end.clone();
        assert!(
            read_all(&path, Some(&offset), 10).0.is_empty(),
            "nothing new"
        );
        std::fs::write(&path, format!("[{A}, {B}, {C}]")).unwrap();
        let (more, err) = read_all(&path, Some(&offset), 10);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&more), [format!("[{C}]")]);
        assert_eq!(more[0].first_seq, 2);
    }

    #[test]
    fn an_offset_saved_under_the_files_path_by_an_older_millrace_still_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("[{A}, {B}, {C}]")).unwrap();
        let mut offset = read_all(&path, None, 2).0[0].end.clone();
        let (_, hash) = offset.source.rsplit_once('#').unwrap();
        offset.source = format!("{}#{hash}", path.canonicalize().unwrap().display());
        let (more, err) = read_all(&path, Some(&offset), 10);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&more), [format!("[{C}]")]);
        assert!(
            !more[0].end.source.starts_with('/'),
            "saved anew under the folder's identity"
        );
    }

    #[test]
    fn short_appends_resume_again_and_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let short = r#"{"id":1,"val":1,"time":1}"#;
        let mut records = vec![A.to_string()];
        std::fs::write(&path, format!("[{}]", records.join(", "))).unwrap();
        let mut offset = read_all(&path, None, 10).0.pop().unwrap().end;
        for _ in 0..3 {
            records.push(short.to_string());
            std::fs::write(&path, format!("[{}]", records.join(", "))).unwrap();
            let (mut batches, err) = read_all(&path, Some(&offset), 10);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(batches.len(), 1);
            offset = batches.pop().unwrap().end;
        }
        assert_eq!(offset.seq, 4);
    }

    #[test]
    fn refuses_to_resume_a_replaced_or_rewritten_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("[{A}, {B}, {C}]")).unwrap();
        let (batches, _) = read_all(&path, None, 10);
        let offset = batches[0].end.clone();
        std::fs::write(&path, format!("[{A}]")).unwrap();
        let err = read_all(&path, Some(&offset), 10).1.unwrap();
        assert!(err.message.contains("shorter"), "{err}");
        std::fs::write(&path, format!("[{B}, {A}, {C}]")).unwrap();
        let err = read_all(&path, Some(&offset), 10).1.unwrap();
        assert!(err.message.contains("replaced"), "{err}");
        std::fs::write(&path, format!("[{A}, {C}, {B}]")).unwrap();
        let err = read_all(&path, Some(&offset), 10).1.unwrap();
        assert!(err.message.contains("changed"), "{err}");
        std::fs::write(&path, "[]").unwrap();
        let err = read_all(&path, Some(&offset), 10).1.unwrap();
        assert!(err.message.contains("holds no record"), "{err}");
    }

    #[test]
    fn a_file_without_any_complete_record_is_refused_in_bounded_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let mut text = String::from("[{\"id\": \"");
        text.push_str(&"x".repeat(MAX_RECORD + CHUNK));
        std::fs::write(&path, &text).unwrap();
        let err = FileReader::open(&path, StreamKind::Metrics, None)
            .err()
            .unwrap();
        assert!(err.message.contains("not record data"), "{err}");
    }

    #[test]
    fn an_empty_file_has_nothing_to_send() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, "  ").unwrap();
        assert!(
            FileReader::open(&path, StreamKind::Metrics, None)
                .unwrap()
                .is_none()
        );
    }
}
