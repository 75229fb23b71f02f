//! Durable offsets: how far into each data file the webhook has acknowledged.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How far one data file has been acknowledged, with enough of a fingerprint to notice when
/// the file is no longer the one that was streamed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offset {
    /// The identity the records were sent under.
    pub source: String,
    /// Byte position just after the last acknowledged record.
    pub byte: u64,
    /// Records acknowledged so far: the position of the next record.
    pub seq: u64,
    /// Hash of the bytes just before `byte`, to tell an append from a rewrite.
    pub tail_hash: u64,
}

/// Every file's offset, saved atomically as one small JSON file.
#[derive(Debug)]
pub struct Offsets {
    path: PathBuf,
    files: BTreeMap<String, Offset>,
}

/// Why the offsets file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum OffsetsError {
    /// The file exists but cannot be read (permissions, a disk error).
    #[error("cannot read the offsets file {path}")]
    Read {
        /// The offsets file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid offsets JSON, so where each data file stopped is unknown.
    #[error(
        "the offsets file {path} is damaged: delete it and run `millrace stream --initial` to resend everything (the store skips what it already has)"
    )]
    Corrupt {
        /// The offsets file.
        path: PathBuf,
        /// What the JSON parser objected to, and where.
        #[source]
        source: serde_json::Error,
    },
    /// The new offsets could not be saved: the stream stops, and the batch just delivered is
    /// sent again next time (the store skips it).
    #[error("cannot save the offsets file {path}")]
    Write {
        /// The offsets file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Offsets {
    /// Loads the offsets file; a missing file means nothing was streamed yet.
    pub fn load(path: &Path) -> Result<Self, OffsetsError> {
        let files = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| OffsetsError::Corrupt {
                path: path.to_path_buf(),
                source: e,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(OffsetsError::Read {
                    path: path.to_path_buf(),
                    source: e,
                });
            }
        };
        Ok(Offsets {
            path: path.to_path_buf(),
            files,
        })
    }

    /// Where streaming of `file` (its full path) stopped last time, if it was streamed.
    pub fn get(&self, file: &str) -> Option<&Offset> {
        self.files.get(file)
    }

    /// Where streaming of the file whose identity is `source` stopped, under whichever path
    /// it was streamed from: how a moved folder carries on.
    pub fn find(&self, source: &str) -> Option<&Offset> {
        self.files.values().find(|o| o.source == source)
    }

    /// Records a new offset and saves the whole file before returning.
    pub fn set(&mut self, file: &str, offset: Offset) -> Result<(), OffsetsError> {
        self.files.insert(file.to_string(), offset);
        self.save()
    }

    /// Writes to a temporary file, syncs it and renames it over the old one, so a crash
    /// leaves either the old offsets or the new, never a torn file.
    fn save(&self) -> Result<(), OffsetsError> {
        let fail = |e: std::io::Error| OffsetsError::Write {
            path: self.path.clone(),
            source: e,
        };
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(fail)?;
        let tmp = self.path.with_extension("json.tmp");
        let mut file = std::fs::File::create(&tmp).map_err(fail)?;
        let json = serde_json::to_vec_pretty(&self.files).expect("offsets serialize");
        file.write_all(&json).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(fail)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_offsets_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/offsets.json");
        let offset = Offset {
            source: "s".into(),
            byte: 10,
            seq: 2,
            tail_hash: 7,
        };
        Offsets::load(&path)
            .unwrap()
            .set("a", offset.clone())
            .unwrap();
        assert_eq!(Offsets::load(&path).unwrap().get("a"), Some(&offset));
    }

    #[test]
    fn a_damaged_file_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("offsets.json");
        std::fs::write(&path, "{not json").unwrap();
        let err = Offsets::load(&path).unwrap_err().to_string();
        assert!(err.contains("--initial"), "{err}");
    }
}
