//! Reads a data file incrementally, in bounded memory, as batches ready to send.

use super::offsets::Offset;
use crate::codec::{Layout, Scanner, Step};
use crate::record::{Records, StreamKind, parse_record};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64;

/// How much of the file is read at a time.
const CHUNK: usize = 1 << 20;
/// The largest single record accepted; a bigger one means a broken file, not a record.
const MAX_RECORD: usize = 8 << 20;
/// How many bytes before an offset are fingerprinted.
const TAIL: u64 = 64;
/// What to do about a data file that lost records already streamed.
const SHORTER: &str = "if records were only cut from its end, run `millrace stream --initial` to \
    accept it as it is now (the store already holds those records and skips them)";

/// A batch of records read from a file, ready to send as a JSON array.
#[derive(Debug)]
pub struct FileBatch {
    /// The records' original text, joined into a JSON array: values travel exactly as the
    /// file spells them.
    pub body: Vec<u8>,
    /// Records in `body`.
    pub count: u64,
    /// Position of the first record in the file, which with the file's identity lets the
    /// store recognise a batch sent twice.
    pub first_seq: u64,
    /// Where the file stands once this batch is acknowledged.
    pub end: Offset,
}

/// A problem with a data file, located precisely enough to open the file and fix it.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{path}: {where_}{message}")]
pub struct ReadError {
    /// The data file at fault.
    pub path: String,
    /// Position of the record at fault (zero-based), when a record is at fault.
    pub record: Option<u64>,
    /// Byte position in the file where the problem is, to find it in the file.
    pub byte: u64,
    /// What is wrong and, where it helps, what to do about it.
    pub message: String,
    where_: String,
}

impl ReadError {
    fn new(path: &Path, record: Option<u64>, byte: u64, message: impl Into<String>) -> Self {
        let where_ = match record {
            Some(r) => format!("record {r} (byte {byte}): "),
            None => format!("byte {byte}: "),
        };
        ReadError {
            path: path.display().to_string(),
            record,
            byte,
            message: message.into(),
            where_,
        }
    }
}

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
    source: String,
    seq: u64,
    end: u64,
    scratch: Records,
    /// An error found after some good records; reported once those are sent.
    pending: Option<ReadError>,
}

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
        let io = |e: std::io::Error| ReadError::new(path, None, 0, format!("cannot read: {e}"));
        let canonical = path.canonicalize().map_err(io)?;
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut reader = FileReader {
            path: path.to_path_buf(),
            file,
            scanner: Scanner::new(Layout::Array),
            layout: Layout::Array,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            base: 0,
            eof: false,
            done: false,
            source: String::new(),
            seq: 0,
            end: 0,
            scratch: Records::with_capacity(kind, 0),
            pending: None,
        };
        let Some(first) = reader.first_record()? else {
            if let Some(offset) = resume {
                return Err(ReadError::new(
                    path,
                    None,
                    0,
                    format!(
                        "the file holds no record, but {} were streamed from it before: it was emptied or replaced; {SHORTER}",
                        offset.seq
                    ),
                ));
            }
            return Ok(None);
        };
        reader.source = format!(
            "{}#{:016x}",
            canonical.display(),
            xxh3_64(&reader.buf[first])
        );
        let Some(offset) = resume else {
            reader.rewind()?;
            return Ok(Some(reader));
        };
        if offset.source != reader.source {
            return Err(ReadError::new(
                path,
                None,
                0,
                "the file was replaced: its first record differs from the one streamed before. \
                 If it holds new data, run `millrace stream --initial` to stream it from the start \
                 as a new source (records of the old file stay stored)",
            ));
        }
        if len < offset.byte {
            return Err(ReadError::new(
                path,
                None,
                len,
                format!(
                    "the file is shorter ({len} bytes) than what was already streamed ({} bytes); {SHORTER}",
                    offset.byte
                ),
            ));
        }
        if reader.tail_hash_at(offset.byte)? != offset.tail_hash {
            return Err(ReadError::new(
                path,
                Some(offset.seq),
                offset.byte,
                "the bytes before this point changed: records were edited, inserted or removed, \
                 not only appended. Records are known by their position in the file, so millrace \
                 cannot tell which are new (and `--initial` would skip records by position). Put \
                 the original records back and append new ones at the end, or write new records \
                 to a fresh data folder",
            ));
        }
        reader.seek(offset.byte)?;
        reader.scanner = Scanner::after_item(reader.layout);
        reader.seq = offset.seq;
        reader.end = offset.byte;
        Ok(Some(reader))
    }

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

    /// The next batch of at most `max` records; `None` when nothing complete is left.
    ///
    /// A bad record ends the batch before it: the good records before it are returned (and
    /// can be sent), and the error comes on the next call.
    pub fn next_batch(&mut self, max: usize) -> Result<Option<FileBatch>, ReadError> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let first_seq = self.seq;
        let mut body = Vec::with_capacity(64 * max.min(100_000) + 2);
        body.push(b'[');
        let mut count = 0u64;
        let mut tail_hash = 0;
        while !self.done && (count as usize) < max {
            let scan_eof = self.eof && self.layout == Layout::Array;
            let step = self.scanner.next(&self.buf, &mut self.pos, scan_eof);
            let problem = match step {
                Ok(Step::Item(range)) => {
                    match parse_record(&mut self.scratch, &self.buf[range.clone()]) {
                        Ok(()) => {
                            if count > 0 {
                                body.push(b',');
                            }
                            body.extend_from_slice(&self.buf[range.clone()]);
                            count += 1;
                            self.seq += 1;
                            self.end = self.base + range.end as u64;
                            let from = range.end.saturating_sub(TAIL as usize);
                            tail_hash = xxh3_64(&self.buf[from..range.end]);
                            continue;
                        }
                        Err(e) => ReadError::new(
                            &self.path,
                            Some(self.seq),
                            self.base + range.start as u64,
                            format!("{e}; records before it were sent, fix it and stream again"),
                        ),
                    }
                }
                Ok(Step::End) => {
                    self.done = true;
                    continue;
                }
                Ok(Step::NeedMore) if !self.eof => match self.fill() {
                    Ok(()) => continue,
                    Err(e) => e,
                },
                Ok(Step::NeedMore) => {
                    self.done = true;
                    let rest = &self.buf[self.pos..];
                    if rest.iter().any(|b| !b.is_ascii_whitespace()) {
                        tracing::warn!(
                            file = %self.path.display(),
                            byte = self.base + self.pos as u64,
                            "the file ends with an incomplete record; it will be sent once it is complete"
                        );
                    }
                    continue;
                }
                Err(e) => ReadError::new(
                    &self.path,
                    Some(self.seq),
                    self.base + e.pos as u64,
                    e.message,
                ),
            };
            self.done = true;
            if count == 0 {
                return Err(problem);
            }
            self.pending = Some(problem);
        }
        self.scratch.clear();
        if count == 0 {
            return Ok(None);
        }
        body.push(b']');
        Ok(Some(FileBatch {
            body,
            count,
            first_seq,
            end: Offset {
                source: self.source.clone(),
                byte: self.end,
                seq: self.seq,
                tail_hash,
            },
        }))
    }

    /// Reads from the start up to the first record; gives its position in `buf`.
    fn first_record(&mut self) -> Result<Option<std::ops::Range<usize>>, ReadError> {
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
            let scan_eof = self.eof && self.layout == Layout::Array;
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

    fn rewind(&mut self) -> Result<(), ReadError> {
        self.seek(0)?;
        self.scanner = Scanner::new(self.layout);
        Ok(())
    }

    /// Positions reading at `byte`, with the bytes just before it in the buffer so the first
    /// batch's tail hash covers as much as later ones do.
    fn seek(&mut self, byte: u64) -> Result<(), ReadError> {
        let from = byte.saturating_sub(TAIL);
        let mut history = vec![0; (byte - from) as usize];
        self.file
            .seek(SeekFrom::Start(from))
            .and_then(|_| self.file.read_exact(&mut history))
            .map_err(|e| ReadError::new(&self.path, None, from, format!("cannot read: {e}")))?;
        self.buf = history;
        self.pos = self.buf.len();
        self.base = from;
        self.eof = false;
        self.done = false;
        Ok(())
    }

    fn tail_hash_at(&mut self, byte: u64) -> Result<u64, ReadError> {
        let from = byte.saturating_sub(TAIL);
        let mut tail = vec![0; (byte - from) as usize];
        self.file
            .seek(SeekFrom::Start(from))
            .and_then(|_| self.file.read_exact(&mut tail))
            .map_err(|e| ReadError::new(&self.path, None, from, format!("cannot read: {e}")))?;
        Ok(xxh3_64(&tail))
    }

    /// Drops what was consumed (keeping a little history for the tail hash) and reads on.
    fn fill(&mut self) -> Result<(), ReadError> {
        let keep_from = self.pos.saturating_sub(TAIL as usize);
        if keep_from > 0 {
            self.buf.drain(..keep_from);
            self.pos -= keep_from;
            self.base += keep_from as u64;
        }
        if self.buf.len() - self.pos > MAX_RECORD {
            return Err(ReadError::new(
                &self.path,
                Some(self.seq),
                self.base + self.pos as u64,
                format!(
                    "a record longer than {} MiB: the file is not record data",
                    MAX_RECORD >> 20
                ),
            ));
        }
        self.read_more()
    }

    fn read_more(&mut self) -> Result<(), ReadError> {
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let n = loop {
            match self.file.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(ReadError::new(
                        &self.path,
                        None,
                        self.base + old as u64,
                        format!("cannot read: {e}"),
                    ));
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = r#"{"id": 1, "val": 1.5, "time": 10}"#;
    const B: &str = r#"{"id": 2, "val": 2.5, "time": 11}"#;
    const C: &str = r#"{"id": 3, "val": 3.5, "time": 12}"#;

    fn read_all(
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

    fn bodies(batches: &[FileBatch]) -> Vec<String> {
        batches
            .iter()
            .map(|b| String::from_utf8(b.body.clone()).unwrap())
            .collect()
    }

    #[test]
    fn reads_an_array_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("[{A}, {B},\n {C}]")).unwrap();
        let (batches, err) = read_all(&path, None, 2);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bodies(&batches), [format!("[{A},{B}]"), format!("[{C}]")]);
        assert_eq!(batches[1].first_seq, 2);
        assert_eq!(batches[1].end.seq, 3);
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
    fn resumes_ndjson_and_waits_for_an_incomplete_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("{A}\n{B}\n{{\"id\": 3")).unwrap();
        let (batches, err) = read_all(&path, None, 10);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(batches[0].count, 2);
        std::fs::write(&path, format!("{A}\n{B}\n{C}\n")).unwrap();
        let (more, _) = read_all(&path, Some(&batches[0].end), 10);
        assert_eq!(bodies(&more), [format!("[{C}]")]);
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
    fn a_bad_record_is_located_after_the_good_ones_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(
            &path,
            format!("[{A}, {{\"id\": 2, \"val\": \"x\", \"time\": 1}}, {C}]"),
        )
        .unwrap();
        let (batches, err) = read_all(&path, None, 10);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].count, 1);
        let err = err.unwrap();
        assert_eq!(err.record, Some(1));
        assert_eq!(err.byte, (A.len() + 3) as u64);
        assert!(err.to_string().contains("field `val`"), "{err}");
    }

    #[test]
    fn a_truncated_array_is_an_error_at_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let text = format!("[{A}, {B}, {{\"id\": 3, \"va");
        std::fs::write(&path, &text).unwrap();
        let (batches, err) = read_all(&path, None, 10);
        assert_eq!(batches[0].count, 2);
        let err = err.unwrap();
        assert!(err.message.contains("truncated"), "{err}");
        assert_eq!(err.record, Some(2));
    }

    #[test]
    fn reads_records_across_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let n = 3 * CHUNK / A.len();
        let text = format!("[{}]", vec![A; n].join(", "));
        std::fs::write(&path, &text).unwrap();
        let (batches, err) = read_all(&path, None, 1000);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(batches.iter().map(|b| b.count).sum::<u64>(), n as u64);
        let last = batches.last().unwrap();
        assert_eq!(last.end.byte, text.len() as u64 - 1);
        // The offset's fingerprint matches what a fresh open computes.
        assert!(read_all(&path, Some(&last.end), 1000).1.is_none());
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
