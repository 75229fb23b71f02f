//! `--data`: the folder of data files, checked before anything starts, so a mistyped folder
//! or a missing file is told at once rather than found by the consumers or by an empty
//! report.

use crate::app::UsageError;
use crate::record::StreamKind;
use std::path::Path;

/// What the command needs of the folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Both files: `run` reports on both streams, so one missing leaves nothing to report.
    Both,
    /// At least one file: `stream` sends what exists, warning about the other.
    Either,
    /// Only the folder: `--follow` waits for files not written yet.
    Folder,
}

/// Refuses a `dir` that is not a folder, or lacks the files `needs` asks for.
pub fn check(dir: &Path, needs: Needs) -> Result<(), UsageError> {
    if !dir.is_dir() {
        let what = if dir.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        return Err(UsageError::new(format!(
            "--data {} {what}: give the folder holding metrics.json and workorder.json \
             (`millrace generate --out demo` writes a demo one)",
            dir.display()
        )));
    }
    let missing: Vec<String> = StreamKind::ALL
        .into_iter()
        .map(|kind| dir.join(kind.file_name()))
        .filter(|path| !path.is_file())
        .map(|path| path.display().to_string())
        .collect();
    let refused = match needs {
        Needs::Both => !missing.is_empty(),
        Needs::Either => missing.len() == StreamKind::ALL.len(),
        Needs::Folder => false,
    };
    if refused {
        return Err(UsageError::new(format!(
            "no {} in --data {}: it needs metrics.json and workorder.json",
            missing.join(" nor "),
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_command_gets_what_it_needs() {
        let dir = tempfile::tempdir().unwrap();
        let err = check(&dir.path().join("absent"), Needs::Folder).unwrap_err();
        assert!(err.to_string().contains("absent does not exist"), "{err}");
        assert!(check(dir.path(), Needs::Folder).is_ok());
        let err = check(dir.path(), Needs::Either).unwrap_err().to_string();
        assert!(err.contains("metrics.json nor "), "{err}");
        std::fs::write(dir.path().join("metrics.json"), "[]").unwrap();
        assert!(check(dir.path(), Needs::Either).is_ok());
        let err = check(dir.path(), Needs::Both).unwrap_err().to_string();
        assert!(
            err.starts_with("no ") && err.contains("workorder.json in --data"),
            "{err}"
        );
        let file = dir.path().join("metrics.json");
        assert!(
            check(&file, Needs::Folder)
                .unwrap_err()
                .to_string()
                .contains("is not a folder")
        );
    }
}
