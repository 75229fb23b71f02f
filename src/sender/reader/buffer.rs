//! The read buffer: the file is read a chunk at a time, what was consumed is dropped, and a
//! few bytes before the reading position are kept so a batch's end can be fingerprinted.
//! This is what keeps memory bounded whatever the file's size.

use super::FileReader;
use super::error::ReadError;
use std::io::{Read, Seek, SeekFrom};

/// How much of the file is read at a time.
pub(super) const CHUNK: usize = 1 << 20;
/// The largest single record accepted; a bigger one means a broken file, not a record.
pub(super) const MAX_RECORD: usize = 8 << 20;
/// How many bytes before an offset are fingerprinted.
pub(super) const TAIL: u64 = 64;

impl FileReader {
    /// Positions reading at `byte`, with the bytes just before it in the buffer so the first
    /// batch's tail hash covers as much as later ones do.
    pub(super) fn seek(&mut self, byte: u64) -> Result<(), ReadError> {
        let from = byte.saturating_sub(TAIL);
        let mut history = vec![0; (byte - from) as usize];
        self.file
            .seek(SeekFrom::Start(from))
            .and_then(|_| self.file.read_exact(&mut history))
            .map_err(|e| ReadError::unreadable(&self.path, from, e))?;
        self.buf = history;
        self.pos = self.buf.len();
        self.base = from;
        self.eof = false;
        self.done = false;
        Ok(())
    }

    /// Drops what was consumed (keeping a little history for the tail hash) and reads on.
    pub(super) fn fill(&mut self) -> Result<(), ReadError> {
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

    /// Appends up to a chunk of the file to the buffer, keeping all of it; notes the end of
    /// the file when nothing more came.
    pub(super) fn read_more(&mut self) -> Result<(), ReadError> {
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let n = loop {
            match self.file.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(ReadError::unreadable(&self.path, self.base + old as u64, e));
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
    use super::super::testing::{A, read_all};
    use super::*;

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
}
