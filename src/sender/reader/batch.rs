//! Batching: records are taken from the buffer one by one, checked, and joined in their
//! original text into a JSON array; a bad record ends the batch before it, so the good
//! records before it can still be sent.

use super::FileReader;
use super::buffer::TAIL;
use super::error::ReadError;
use crate::codec::Step;
use crate::record::parse_record;
use crate::sender::offsets::Offset;
use std::ops::Range;
use xxhash_rust::xxh3::xxh3_64;

/// What to do about a record that does not read, malformed JSON or a bad field alike: the
/// records before it are sent, and streaming again resumes at it.
const FIX_AND_STREAM_AGAIN: &str = "records before it were sent, fix it and stream again";

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

/// A batch being gathered: the array so far, and the fingerprint of its last record's end.
struct Gathering {
    body: Vec<u8>,
    count: u64,
    first_seq: u64,
    tail_hash: u64,
}

impl Gathering {
    /// An empty batch starting at record `first_seq`, sized for about `max` records.
    fn new(first_seq: u64, max: usize) -> Self {
        let mut body = Vec::with_capacity(64 * max.min(100_000) + 2);
        body.push(b'[');
        Gathering {
            body,
            count: 0,
            first_seq,
            tail_hash: 0,
        }
    }

    /// Appends one record's text to the array.
    fn push(&mut self, record: &[u8]) {
        if self.count > 0 {
            self.body.push(b',');
        }
        self.body.extend_from_slice(record);
        self.count += 1;
    }
}

impl FileReader {
    /// The next batch of at most `max` records; `None` when nothing complete is left.
    ///
    /// A bad record ends the batch before it: the good records before it are returned (and
    /// can be sent), and the error comes on the next call.
    pub fn next_batch(&mut self, max: usize) -> Result<Option<FileBatch>, ReadError> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        if self.done {
            // Nothing more until reading is positioned again (a followed file polls here).
            return Ok(None);
        }
        let mut batch = Gathering::new(self.seq, max);
        while !self.done && (batch.count as usize) < max {
            let problem = match self.next_record() {
                Ok(Some(range)) => match self.take_record(&mut batch, range) {
                    Ok(()) => continue,
                    Err(e) => e,
                },
                Ok(None) => continue,
                Err(e) => e,
            };
            // Reading stops at the first problem; it is reported now if nothing came before
            // it, else once the good records before it are sent.
            self.done = true;
            if batch.count == 0 {
                return Err(problem);
            }
            self.pending = Some(problem);
        }
        self.scratch.clear();
        Ok(self.finish(batch))
    }

    /// How many complete records are left to read, told by the layout alone (none is
    /// parsed, so it is quick): what an interrupted stream left unsent. Counting stops where
    /// the layout breaks, as streaming would.
    pub fn count_rest(mut self) -> u64 {
        let mut left = 0;
        while !self.done {
            match self.next_record() {
                Ok(Some(_)) => left += 1,
                Ok(None) => {}
                Err(_) => break,
            }
        }
        left
    }

    /// The next complete record's place in the buffer, reading more of the file as needed;
    /// `None`, with reading done, at the end of the records or of what is complete so far (a
    /// last record still being written is left for a later run).
    fn next_record(&mut self) -> Result<Option<Range<usize>>, ReadError> {
        loop {
            let scan_eof = self.scan_eof();
            match self.scanner.next(&self.buf, &mut self.pos, scan_eof) {
                Ok(Step::Item(range)) => return Ok(Some(range)),
                Ok(Step::End) => {
                    self.done = true;
                    return Ok(None);
                }
                Ok(Step::NeedMore) if !self.eof => self.fill()?,
                Ok(Step::NeedMore) => {
                    self.done = true;
                    self.warn_if_incomplete();
                    return Ok(None);
                }
                Err(e) => {
                    return Err(ReadError::new(
                        &self.path,
                        Some(self.seq),
                        self.base + e.pos as u64,
                        format!("{}; {FIX_AND_STREAM_AGAIN}", e.message),
                    ));
                }
            }
        }
    }

    /// Says so when the file ends in the middle of a record: not an error, since a writer
    /// may be appending it right now, but worth knowing if it stays that way.
    fn warn_if_incomplete(&self) {
        if self.open_ended {
            // Followed: the rest of the record is expected any moment; no warning each poll.
            return;
        }
        let rest = &self.buf[self.pos..];
        if rest.iter().any(|b| !b.is_ascii_whitespace()) {
            tracing::warn!(
                file = %self.path.display(),
                byte = self.base + self.pos as u64,
                "the file ends with an incomplete record; it will be sent once it is complete"
            );
        }
    }

    /// Checks the record at `range` and adds it to `batch`, moving the reader's position and
    /// the batch's fingerprint past it; a record that does not parse is located instead.
    fn take_record(&mut self, batch: &mut Gathering, range: Range<usize>) -> Result<(), ReadError> {
        if let Err(e) = parse_record(&mut self.scratch, &self.buf[range.clone()]) {
            return Err(ReadError::new(
                &self.path,
                Some(self.seq),
                self.base + range.start as u64,
                format!("{e}; {FIX_AND_STREAM_AGAIN}"),
            ));
        }
        batch.push(&self.buf[range.clone()]);
        self.seq += 1;
        self.end = self.base + range.end as u64;
        let from = range.end.saturating_sub(TAIL as usize);
        batch.tail_hash = xxh3_64(&self.buf[from..range.end]);
        Ok(())
    }

    /// The gathered batch closed and stamped with where the file stands after it; `None`
    /// when it holds no record.
    fn finish(&self, mut batch: Gathering) -> Option<FileBatch> {
        if batch.count == 0 {
            return None;
        }
        batch.body.push(b']');
        Some(FileBatch {
            body: batch.body,
            count: batch.count,
            first_seq: batch.first_seq,
            end: Offset {
                source: self.source.clone(),
                byte: self.end,
                seq: self.seq,
                tail_hash: batch.tail_hash,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{A, B, C, bodies, read_all};
    use super::FileReader;
    use crate::record::StreamKind;

    #[test]
    fn the_rest_is_counted_from_where_reading_stands() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, format!("[{A}, {B},\n {C}]")).unwrap();
        let (batches, _) = read_all(&path, None, 1);
        let reader = |at| {
            FileReader::open(&path, StreamKind::Metrics, at)
                .unwrap()
                .unwrap()
        };
        assert_eq!(reader(None).count_rest(), 3);
        assert_eq!(reader(Some(&batches[0].end)).count_rest(), 2);
        assert_eq!(reader(Some(&batches[2].end)).count_rest(), 0);
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
        assert!(err.to_string().contains(": record 2 (byte "), "{err}");
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
        assert!(err.message.ends_with("fix it and stream again"), "{err}");
        assert_eq!(err.record, Some(2));
        assert!(err.to_string().contains(": record 3 (byte "), "{err}");
    }
}
