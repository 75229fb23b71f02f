//! Rollups: per parameter and per minute, what its readings add up to, kept by the store as
//! readings arrive.
//!
//! A plant's history grows with its readings (1,000 tags read once a second make 31.5 billion
//! a year), but the analysis needs each parameter per work-order interval. Historians answer
//! this with aggregates kept as data arrives; these are millrace's. Every field merges
//! whatever order the readings come in — counts and sums add, extremes and the first and last
//! reading compare — so a late reading updates its bucket with one upsert and no
//! read-modify-write.
//!
//! **Folded right after the write, not inside it.** Readings are folded in the order they
//! were stored (`seq`), and the cursor that says how far folding has come is moved in the same
//! transaction as the buckets, so each stored reading is folded exactly once — a reading the
//! store already held was never inserted, so it never reaches a bucket either. Writing the
//! buckets inside each consumer's write, the first design, cost half of the ingest rate
//! (SQLite 0.54×, PostgreSQL 0.31× of the build before, `bench/pipeline.sh`): on data read a
//! minute apart or less often every reading is a bucket, so every write wrote twice the rows.
//! Folded by a task of the long-running writers every second (and by whoever needs them
//! current: a prune, the report on a pruned store), in batches of [`FOLD_BATCH`], they cost
//! ingest nothing on the hot path and fold a dense minute's readings in memory first. A
//! one-off `run` leaves them pending: folding 1 M sparse readings at its end took 2.3 s,
//! more than half again the whole command, for rollups nothing had asked for yet.
//!
//! Why a minute ([`WIDTH`]): a bucket must be well under a work-order interval (minutes to
//! hours on the lines millrace serves), because wherever an interval's edge cuts a bucket the
//! analysis has to fall back on that bucket's readings. A minute keeps that share small for
//! intervals of ten minutes and more, is what plant historians roll up to first, and still
//! folds a parameter read every second 60 to 1. A sparser parameter (one reading a minute or
//! less) gets about one bucket per reading: its rollups cost what its readings do.

use crate::record::Metric;
use std::collections::HashMap;

/// Readings folded per transaction: a fold's memory and its hold on the write lock.
pub const FOLD_BATCH: u64 = 100_000;

/// Folds every reading stored so far into the rollups, [`FOLD_BATCH`] at a time; returns
/// how many.
pub fn fold_all(store: &mut dyn super::Store) -> Result<u64, super::StoreError> {
    let mut folded = 0;
    loop {
        let n = store.fold_rollups(FOLD_BATCH)?;
        folded += n;
        if n < FOLD_BATCH {
            return Ok(folded);
        }
    }
}

/// The width of a bucket in seconds; buckets start at whole multiples of it (Unix time).
pub const WIDTH: i64 = 60;

/// The start of the bucket holding a reading at `time`.
pub fn start_of(time: i64) -> i64 {
    time.div_euclid(WIDTH) * WIDTH
}

/// What one parameter's readings in one bucket add up to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// The parameter's number.
    pub id: i64,
    /// The bucket's start (Unix seconds, a multiple of [`WIDTH`]); it holds `[start, start + WIDTH)`.
    pub start: i64,
    /// Readings in the bucket.
    pub count: i64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sum_sq: f64,
    /// The lowest reading.
    pub min: f64,
    /// The highest reading.
    pub max: f64,
    /// The earliest reading, as (time, value); of readings of one second, the lowest value
    /// (the order the report reads ties in).
    pub first: (i64, f64),
    /// The latest reading, as (time, value); of readings of one second, the highest value.
    pub last: (i64, f64),
}

/// Whether reading `a` comes before reading `b` in the report's order: by time, then by
/// value. (The stores' upserts compare the same way, `-0.0` and `0.0` as equal.)
pub fn earlier(a: (i64, f64), b: (i64, f64)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
}

impl Bucket {
    /// The bucket of one reading.
    pub fn of(m: &Metric) -> Bucket {
        Bucket {
            id: m.id,
            start: start_of(m.time),
            count: 1,
            sum: m.val,
            sum_sq: m.val * m.val,
            min: m.val,
            max: m.val,
            first: (m.time, m.val),
            last: (m.time, m.val),
        }
    }

    /// Folds in `other`, a bucket of the same parameter and start, whatever the order.
    pub fn merge(&mut self, other: &Bucket) {
        debug_assert_eq!((self.id, self.start), (other.id, other.start));
        self.count += other.count;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        if earlier(other.first, self.first) {
            self.first = other.first;
        }
        if earlier(self.last, other.last) {
            self.last = other.last;
        }
    }

    /// The mean of the bucket's readings.
    pub fn mean(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// The buckets of `metrics`, sorted by parameter and start: what storing them adds to the
/// rollups.
pub fn buckets<'a>(metrics: impl IntoIterator<Item = &'a Metric>) -> Vec<Bucket> {
    let mut by_key: HashMap<(i64, i64), Bucket> = HashMap::new();
    for m in metrics {
        let b = Bucket::of(m);
        by_key
            .entry((b.id, b.start))
            .and_modify(|have| have.merge(&b))
            .or_insert(b);
    }
    let mut out: Vec<Bucket> = by_key.into_values().collect();
    out.sort_unstable_by_key(|b| (b.id, b.start));
    out
}

/// Folds readings given in (parameter, time) order into buckets, handing each finished one
/// on: how a store's rollups are rebuilt from its readings in bounded memory.
#[derive(Default)]
pub struct Folder {
    open: Option<Bucket>,
}

impl Folder {
    /// Takes the next reading; returns the bucket it closed, if it opened a new one.
    pub fn push(&mut self, m: &Metric) -> Option<Bucket> {
        let b = Bucket::of(m);
        match &mut self.open {
            Some(open) if (open.id, open.start) == (b.id, b.start) => {
                open.merge(&b);
                None
            }
            _ => self.open.replace(b),
        }
    }

    /// The last bucket, once every reading has been given.
    pub fn finish(self) -> Option<Bucket> {
        self.open
    }
}

/// Where two lists of buckets differ, or `None` when they hold the same buckets: counts,
/// extremes and ends exactly, sums to 1e-9 relative (floating-point addition depends on its
/// order, which differs between a bucket kept write by write and one rebuilt). For the
/// checks that compare a store's kept rollups with those of its readings.
pub fn difference(kept: &[Bucket], made: &[Bucket]) -> Option<String> {
    if kept.len() != made.len() {
        return Some(format!("{} buckets kept, {} made", kept.len(), made.len()));
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300);
    kept.iter().zip(made).find_map(|(k, m)| {
        let same = (k.id, k.start, k.count, k.first, k.last)
            == (m.id, m.start, m.count, m.first, m.last)
            && k.min == m.min
            && k.max == m.max
            && close(k.sum, m.sum)
            && close(k.sum_sq, m.sum_sq);
        (!same).then(|| format!("kept {k:?}, made {m:?}"))
    })
}

/// One row of a pruned store's history (see [`super::Store::scan_history`]).
#[derive(Clone, Copy, Debug)]
pub enum HistoryRow {
    /// A minute known only by its rollup.
    Minute(Bucket),
    /// A raw reading.
    Reading(Metric),
}

/// The time span a store's rollups cover, and how many buckets hold it (`millrace status`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RollupStatus {
    /// Buckets stored.
    pub buckets: u64,
    /// The first bucket's start, `None` when there is none.
    pub from: Option<i64>,
    /// The last bucket's end.
    pub to: Option<i64>,
    /// Readings stored but not folded into the rollups yet.
    pub unfolded: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: i64, val: f64, time: i64) -> Metric {
        Metric { id, val, time }
    }

    #[test]
    fn buckets_start_on_whole_minutes_before_1970_too() {
        assert_eq!(start_of(0), 0);
        assert_eq!(start_of(59), 0);
        assert_eq!(start_of(60), 60);
        assert_eq!(start_of(-1), -60);
        assert_eq!(start_of(1_624_377_478), 1_624_377_420);
    }

    #[test]
    fn a_bucket_sums_counts_and_keeps_extremes_and_ends() {
        let b = buckets(&[
            m(1, 4.0, 65),
            m(1, 2.0, 61),
            m(1, 9.0, 119),
            m(1, 1.0, 119),
            m(2, 5.0, 70),
            m(1, 3.0, 120),
        ]);
        assert_eq!(b.len(), 3);
        let first = b[0];
        assert_eq!((first.id, first.start, first.count), (1, 60, 4));
        assert_eq!(first.sum, 16.0);
        assert_eq!(first.sum_sq, 16.0 + 4.0 + 81.0 + 1.0);
        assert_eq!((first.min, first.max), (1.0, 9.0));
        assert_eq!(first.first, (61, 2.0));
        assert_eq!(
            first.last,
            (119, 9.0),
            "of one second, the highest value is last"
        );
        assert_eq!(first.mean(), 4.0);
        assert_eq!((b[1].id, b[1].start), (1, 120));
        assert_eq!((b[2].id, b[2].start), (2, 60));
    }

    #[test]
    fn merging_gives_the_same_bucket_in_any_order() {
        let readings: Vec<Metric> = (0..40)
            .map(|i| m(3, ((i * 7919) % 23) as f64 - 11.0, 600 + (i * 13) % 60))
            .collect();
        let whole = buckets(&readings);
        let mut reversed = readings.clone();
        reversed.reverse();
        let mut pieces = buckets(&reversed[..17]);
        for b in buckets(&reversed[17..]) {
            pieces[0].merge(&b);
        }
        assert_eq!(whole.len(), 1);
        let (a, b) = (whole[0], pieces[0]);
        assert_eq!(
            (a.count, a.min, a.max, a.first, a.last),
            (b.count, b.min, b.max, b.first, b.last)
        );
        assert!((a.sum - b.sum).abs() <= 1e-12 * a.sum.abs().max(1.0));
        assert!((a.sum_sq - b.sum_sq).abs() <= 1e-12 * a.sum_sq);
    }

    #[test]
    fn the_folder_gives_the_buckets_of_readings_in_order() {
        let mut readings: Vec<Metric> = (0..300)
            .map(|i| m(i % 3, (i as f64).sin(), 1_000 + i * 7))
            .collect();
        readings.sort_by_key(|r| (r.id, r.time));
        let mut folder = Folder::default();
        let mut got: Vec<Bucket> = readings.iter().filter_map(|r| folder.push(r)).collect();
        got.extend(folder.finish());
        assert_eq!(got, buckets(&readings));
    }
}
