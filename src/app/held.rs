//! What the store already holds of each data file, told when `run` starts.
//!
//! A data folder copied whole (`cp -a`) keeps its `.millrace-id`, so the copy is the same
//! data set and the store rightly takes nothing new from it; without this, the only sign
//! was a consumer's log line `stored=0 duplicates=27509`.

use crate::record::StreamKind;
use crate::store::StoreLocation;
use std::path::Path;

/// Where the docs explain copies and `.millrace-id`.
const COPIES_DOC: &str =
    "\"A copied data folder stores nothing new\" under Common mistakes in docs/usage.md";

/// Prints one line per data file in `data`: its records and how many the store in `db`
/// already holds; a whole file already held is said so, with where the docs explain it.
pub async fn tell(
    db: &StoreLocation,
    data: &Path,
    following: bool,
) -> Result<(), super::pipeline_error::PipelineError> {
    let (db, data) = (db.clone(), data.to_path_buf());
    let lines = tokio::task::spawn_blocking(
        move || -> Result<Vec<String>, super::pipeline_error::PipelineError> {
            let mut store = None;
            let mut lines = Vec::new();
            for kind in StreamKind::ALL {
                let path = data.join(kind.file_name());
                let Some((source, records)) = crate::sender::census(&path, kind, following)? else {
                    continue;
                };
                let store = match &mut store {
                    Some(store) => store,
                    None => store.insert(db.open()?),
                };
                let held = store.held(kind, &source)?;
                lines.push(line(&path, records, held));
            }
            Ok(lines)
        },
    )
    .await??;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// What the store holds of the file at `path`, of its `records`.
fn line(path: &Path, records: u64, held: u64) -> String {
    let file = path.display();
    match held {
        0 => format!("{file}: {records} records, none of them stored yet"),
        held if held >= records => format!(
            "{file}: the store already holds all {records} records of this file, so it stores nothing new from it: the folder is a data set streamed before, under this or another path (a copy keeps its .millrace-id); see {COPIES_DOC}"
        ),
        held => format!("{file}: {records} records, {held} of them already stored"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_file_held_points_to_the_docs() {
        let path = Path::new("data/metrics.json");
        assert!(line(path, 10, 0).ends_with("none of them stored yet"));
        assert!(line(path, 10, 4).ends_with("4 of them already stored"));
        let whole = line(path, 10, 10);
        assert!(
            whole.contains("all 10 records") && whole.contains(COPIES_DOC),
            "{whole}"
        );
    }
}
