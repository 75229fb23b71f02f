//! Retention: raw readings older than a cut-off are deleted, their rollups kept.
//!
//! The cut-off is measured back from the newest stored reading, not from the wall clock, so
//! replaying old data never wipes it. It is a whole minute, so every rollup bucket is either
//! wholly raw or wholly rolled up. It is recorded (`raw_from`) before anything is deleted, in
//! its own transaction, and every reader of readings ignores those before it: a prune cut
//! short by a crash leaves rows behind that no report sees and the next prune deletes, and a
//! reader never sees a half-deleted minute. Deletion goes one parameter and at most
//! [`BATCH`] rows per transaction, so ingest goes on between them. Work orders and the
//! `ingested` ranges are kept: a resent record is still known as stored.

use super::rollup::start_of;

/// Rows deleted per transaction.
pub const BATCH: i64 = 10_000;

/// The cut-off for keeping `age` seconds of raw readings before the newest one, at `newest`.
pub fn cutoff(newest: i64, age: i64) -> i64 {
    start_of(newest.saturating_sub(age))
}

/// What a prune did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Where raw readings now begin (Unix seconds); `None` when the store holds no reading.
    pub raw_from: Option<i64>,
    /// Raw readings deleted.
    pub deleted: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cut_off_is_a_whole_minute_back_from_the_newest_reading() {
        assert_eq!(cutoff(1_000_000, 3_600), 996_360);
        assert_eq!(cutoff(1_000_030, 30), 999_960);
        assert_eq!(cutoff(100, 1_000), -900);
    }
}
