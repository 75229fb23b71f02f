//! An error told in one line with its causes: "what failed: why: the root cause".
//!
//! Library errors keep their causes as sources (`#[source]`) instead of pasting them into
//! their own message, so that the cause stays a value a caller can inspect. Whoever shows an
//! error to a person — the CLI's last word, a log line, a 503 body — prints it through
//! [`Chain`], so every edge tells the whole story the same way.

use std::error::Error;
use std::fmt;

/// Displays an error followed by each of its sources, joined by ": " as anyhow's `{:#}`
/// does, without saying anything twice: several libraries repeat their source in their own
/// message ("IO error: connection refused", then "connection refused"), or the other way
/// round (SQLite's "file is not a database", then "Error code 26: file is not a database").
/// A cause the line already holds is left out; a cause that holds the message before it
/// takes that message's place.
#[derive(Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut told = vec![self.0.to_string()];
        let mut cause = self.0.source();
        while let Some(e) = cause {
            let said = e.to_string();
            let last = told.last_mut().expect("the error itself is told first");
            if said.contains(last.as_str()) {
                *last = said;
            } else if !told.iter().any(|t| t.contains(&said)) {
                told.push(said);
            }
            cause = e.source();
        }
        f.write_str(&told.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot save the batch")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("IO error: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn each_cause_follows_its_effect() {
        let e = Outer(std::io::Error::other("disk full"));
        assert_eq!(Chain(&e).to_string(), "cannot save the batch: disk full");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the store")]
    struct Restated(#[source] rusqlite::Error);

    #[test]
    fn a_cause_already_told_is_not_told_again() {
        let e = Repeats(std::io::Error::other("connection refused"));
        assert_eq!(Chain(&e).to_string(), "IO error: connection refused");
    }

    #[test]
    fn a_cause_that_restates_its_effect_takes_its_place() {
        let code = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_NOTADB);
        let e = Restated(rusqlite::Error::SqliteFailure(
            code,
            Some("file is not a database".into()),
        ));
        assert_eq!(
            Chain(&e).to_string(),
            "cannot open the store: Error code 26: file is not a database"
        );
    }
}
