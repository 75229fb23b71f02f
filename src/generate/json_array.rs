//! A JSON array written record by record, so any size fits in little memory: the demo
//! generator's files, and the larger plants the benchmarks write (`examples/scale_plant.rs`).

use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// An open JSON array in a file.
pub struct JsonArray {
    out: BufWriter<File>,
    count: u64,
    one_per_line: bool,
}

impl JsonArray {
    /// Creates the file at `path` and opens the array; `one_per_line` puts each record on a
    /// line of its own (as plants write work orders), else they follow one another on one
    /// line (as the sample's metrics do).
    pub fn create(path: impl AsRef<Path>, one_per_line: bool) -> std::io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        out.write_all(b"[")?;
        Ok(JsonArray {
            out,
            count: 0,
            one_per_line,
        })
    }

    /// Writes one record.
    pub fn push<T: Serialize>(&mut self, record: &T) -> std::io::Result<()> {
        if self.count > 0 {
            self.out
                .write_all(if self.one_per_line { b",\n" } else { b", " })?;
        }
        serde_json::to_writer(&mut self.out, record).map_err(std::io::Error::other)?;
        self.count += 1;
        Ok(())
    }

    /// Closes the array and syncs the file; returns the records written.
    pub fn finish(mut self) -> std::io::Result<u64> {
        self.out.write_all(b"]\n")?;
        self.out
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()?;
        Ok(self.count)
    }
}
