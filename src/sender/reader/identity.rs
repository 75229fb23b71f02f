//! A data file's identity, the name its records are sent and stored under: which data set
//! (the folder's identity), which file of it, and which content (its first record).
//!
//! The data set is named by a random identity kept in the folder itself, in `.millrace-id`,
//! written the first time the folder is streamed. It travels with the folder: moved,
//! renamed, mounted at another path in a container or copied whole, the folder is the same
//! data set, and the store recognises the records it already holds instead of storing them
//! again. Two folders made apart never share one, so two different files are never taken
//! for each other, even when their first records are byte-identical. (A folder copied and
//! then written to differently is two data sets that share one: delete `.millrace-id` in the
//! copy before writing other data into it.)
//!
//! A folder millrace cannot or may not write (no write bit set, even for root), and that has
//! no `.millrace-id` yet, falls back to the file's full path, as before there were folder
//! identities, and says so in the log.

use std::path::Path;

/// The file in a data folder that holds its identity.
const FOLDER_ID_FILE: &str = ".millrace-id";

/// The identity records of the file at `path` (whose full path is `canonical`) are sent
/// under, given the hash of its first record: `<folder id>/<file name>#<hash>`, or
/// `<full path>#<hash>` when the folder has no identity and cannot be given one.
pub(super) fn file_identity(path: &Path, canonical: &Path, first_record: u64) -> String {
    let name = canonical.file_name().unwrap_or_default().to_string_lossy();
    let folder = canonical.parent().unwrap_or(Path::new("/"));
    match folder_id(folder) {
        Ok(id) => format!("{id}/{name}#{first_record:016x}"),
        Err(e) => {
            tracing::info!(
                file = %path.display(),
                "cannot read or write {FOLDER_ID_FILE} in the data folder ({e}): its records are \
                 known by the file's full path, so moving the folder would send them as new"
            );
            format!("{}#{first_record:016x}", canonical.display())
        }
    }
}

/// Whether two identities name the same file content: the same first record. Identities
/// saved by an older millrace name the file by its path instead of its folder's identity; a
/// file found at that path with that first record is still the file streamed before, so an
/// upgrade resumes rather than streams everything again.
pub(crate) fn same_content(saved: &str, now: &str) -> bool {
    let hash = |s: &'_ str| s.rsplit_once('#').map(|(_, h)| h.to_string());
    hash(saved).is_some() && hash(saved) == hash(now)
}

/// The identity of the data folder `dir`, made (at random) and saved there if it has none.
fn folder_id(dir: &Path) -> std::io::Result<String> {
    let file = dir.join(FOLDER_ID_FILE);
    match read_id(&file) {
        Ok(Some(id)) => return Ok(id),
        Ok(None) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // A folder without any write bit says it is not to be written, even by root.
    if std::fs::metadata(dir)?.permissions().readonly() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the folder is read-only",
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let tmp = dir.join(format!("{FOLDER_ID_FILE}.{id}.tmp"));
    // Synced before it is linked into place, so a crash cannot leave an empty identity.
    let mut written = std::fs::File::create(&tmp)?;
    std::io::Write::write_all(&mut written, format!("{id}\n").as_bytes())?;
    written.sync_all()?;
    // A hard link fails if another streamer saved an identity first: then its one holds.
    let linked = std::fs::hard_link(&tmp, &file);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(id),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_id(&file)?
            .ok_or_else(|| std::io::Error::other(format!("{} is empty", file.display()))),
        Err(e) => Err(e),
    }
}

/// The identity saved in `file`: `None` if it holds none that millrace would have written.
fn read_id(file: &Path) -> std::io::Result<Option<String>> {
    let text = std::fs::read_to_string(file)?;
    let id = text.trim();
    let fits = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    Ok(fits.then(|| id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_keeps_its_identity_through_a_move() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a");
        std::fs::create_dir(&data).unwrap();
        let first = file_identity(&data, &data.join("metrics.json"), 7);
        assert_eq!(first, file_identity(&data, &data.join("metrics.json"), 7));
        let moved = dir.path().join("b");
        std::fs::rename(&data, &moved).unwrap();
        assert_eq!(first, file_identity(&moved, &moved.join("metrics.json"), 7));
        assert!(first.ends_with("/metrics.json#0000000000000007"), "{first}");
    }

    #[test]
    fn folders_made_apart_have_different_identities() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        assert_ne!(
            file_identity(&a, &a.join("metrics.json"), 7),
            file_identity(&b, &b.join("metrics.json"), 7)
        );
    }

    #[test]
    fn a_read_only_folder_is_not_written_and_files_are_known_by_their_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("ro");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).unwrap();
        let id = file_identity(&data, &data.join("metrics.json"), 7);
        assert_eq!(
            id,
            format!("{}#0000000000000007", data.join("metrics.json").display())
        );
        assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
    }

    #[test]
    fn an_identity_saved_by_an_older_millrace_is_the_same_content() {
        let old = "/data/metrics.json#00000000000000ab";
        assert!(same_content(old, "0b5c-9e/metrics.json#00000000000000ab"));
        assert!(!same_content(old, "0b5c-9e/metrics.json#00000000000000ac"));
    }
}
