//! The SQLite store's rollups (see [`super::rollup`]): the upsert a write ends with, the
//! rebuild from the readings, and what `status` shows of them.
//!
//! A row is kept small, because a store of parameters read a minute apart or less often
//! writes one rollup row per reading: the times are seconds into the minute, and a minute of
//! one reading stores only its value, the other columns NULL (each NULL costs one byte, a
//! float eight). Readers fill them in (`FULL`); the upsert does as well before it merges. On
//! the sparse 1 M-reading set of `bench/pipeline.sh` this cut the rollups' share of a write
//! by about half.

use super::rollup::{Bucket, Folder, HistoryRow, RollupStatus};
use rusqlite::{Connection, OptionalExtension, params};

/// A row's columns with the NULLs of a one-reading minute filled in, in [`Bucket`]'s order:
/// id, start, count, sum, sum of squares, min, max, first time and value, last time and value.
const FULL: &str = "id, start, readings, sum_val, coalesce(sum_sq, sum_val * sum_val),
    coalesce(min_val, sum_val), coalesce(max_val, sum_val), start + first_at,
    coalesce(first_val, sum_val), start + coalesce(last_at, first_at),
    coalesce(last_val, first_val, sum_val)";

/// What follows a bucket's values: it adds to the stored one of the same parameter and
/// minute, every column merged as [`Bucket::merge`] does, after the NULLs of a one-reading
/// minute are filled in on both sides. The right-hand sides read the row as it was.
const UPSERT: &str = "
    INSERT INTO rollups (id, start, readings, sum_val, first_at, sum_sq, min_val, max_val,
                         first_val, last_at, last_val)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
    ON CONFLICT (id, start) DO UPDATE SET
        readings = readings + excluded.readings,
        sum_val = sum_val + excluded.sum_val,
        sum_sq = coalesce(sum_sq, sum_val * sum_val)
            + coalesce(excluded.sum_sq, excluded.sum_val * excluded.sum_val),
        min_val = min(coalesce(min_val, sum_val), coalesce(excluded.min_val, excluded.sum_val)),
        max_val = max(coalesce(max_val, sum_val), coalesce(excluded.max_val, excluded.sum_val)),
        first_val = CASE
            WHEN excluded.first_at < first_at
              OR (excluded.first_at = first_at
                  AND coalesce(excluded.first_val, excluded.sum_val) < coalesce(first_val, sum_val))
            THEN coalesce(excluded.first_val, excluded.sum_val)
            ELSE coalesce(first_val, sum_val) END,
        first_at = min(first_at, excluded.first_at),
        last_val = CASE
            WHEN coalesce(excluded.last_at, excluded.first_at) > coalesce(last_at, first_at)
              OR (coalesce(excluded.last_at, excluded.first_at) = coalesce(last_at, first_at)
                  AND coalesce(excluded.last_val, excluded.first_val, excluded.sum_val)
                      > coalesce(last_val, first_val, sum_val))
            THEN coalesce(excluded.last_val, excluded.first_val, excluded.sum_val)
            ELSE coalesce(last_val, first_val, sum_val) END,
        last_at = max(coalesce(last_at, first_at), coalesce(excluded.last_at, excluded.first_at))";

/// Folds `buckets` into the stored rollups, inside the caller's transaction.
pub fn add(conn: &Connection, buckets: &[Bucket]) -> rusqlite::Result<()> {
    let mut upsert = conn.prepare_cached(UPSERT)?;
    for b in buckets {
        let first_at = b.first.0 - b.start;
        if b.count == 1 {
            upsert.execute(params![
                b.id,
                b.start,
                1,
                b.sum,
                first_at,
                None::<f64>,
                None::<f64>,
                None::<f64>,
                None::<f64>,
                None::<i64>,
                None::<f64>
            ])?;
        } else {
            upsert.execute(params![
                b.id,
                b.start,
                b.count,
                b.sum,
                first_at,
                b.sum_sq,
                b.min,
                b.max,
                b.first.1,
                b.last.0 - b.start,
                b.last.1
            ])?;
        }
    }
    Ok(())
}

/// Where raw readings begin, when some were pruned (see [`super::retention`]).
pub fn raw_from(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    // A file an older millrace wrote, opened read-only, has no `meta` table: nothing pruned.
    let has_meta: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(None);
    }
    conn.query_row("SELECT value FROM meta WHERE key = 'raw_from'", [], |r| {
        r.get(0)
    })
    .optional()
}

/// How far folding has come: readings up to this `seq` are in the rollups.
fn cursor(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = 'rolled_seq'", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or(0))
}

fn set_cursor(conn: &Connection, seq: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('rolled_seq', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [seq],
    )?;
    Ok(())
}

/// Folds up to `limit` readings past the cursor, in `seq` order, and moves the cursor past
/// them, inside the caller's write transaction; returns how many.
pub fn fold(conn: &Connection, limit: u64) -> rusqlite::Result<u64> {
    let from = cursor(conn)?;
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, val, time FROM metrics WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![from, limit.min(i64::MAX as u64) as i64])?;
    let (mut readings, mut last) = (Vec::new(), from);
    while let Some(r) = rows.next()? {
        last = r.get(0)?;
        readings.push(crate::record::Metric {
            id: r.get(1)?,
            val: r.get(2)?,
            time: r.get(3)?,
        });
    }
    if !readings.is_empty() {
        add(conn, &super::rollup::buckets(&readings))?;
        set_cursor(conn, last)?;
    }
    Ok(readings.len() as u64)
}

/// Readings stored but not folded yet.
pub fn unfolded(conn: &Connection) -> rusqlite::Result<u64> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let from = if version < super::sqlite_schema::ROLLUPS_SINCE {
        0
    } else {
        cursor(conn)?
    };
    conn.query_row("SELECT COUNT(*) FROM metrics WHERE seq > ?1", [from], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u64)
}

/// Readings folded between two calls of a rebuild's `progress`.
pub const PROGRESS_EVERY: u64 = 1_000_000;
/// Buckets written at a time by a rebuild: its memory, whatever the store's size.
const REBUILD_BATCH: usize = 10_000;

/// Replaces the rollups with those of the stored readings, inside the caller's transaction,
/// reading them once in (parameter, time) order; calls `progress` with the readings folded
/// so far every [`PROGRESS_EVERY`]. Returns the readings folded.
///
/// On a pruned store only the minutes from the raw cut-off on are made again: those before
/// it have no readings left to be made from, and are kept.
pub fn rebuild(conn: &Connection, progress: &mut dyn FnMut(u64)) -> rusqlite::Result<u64> {
    let from = raw_from(conn)?.unwrap_or(i64::MIN);
    conn.execute("DELETE FROM rollups WHERE start >= ?1", [from])?;
    let mut scan =
        conn.prepare("SELECT id, val, time FROM metrics WHERE time >= ?1 ORDER BY id, time")?;
    let mut rows = scan.query([from])?;
    let (mut folder, mut done, mut pending) = (Folder::default(), 0u64, Vec::new());
    while let Some(row) = rows.next()? {
        let m = crate::record::Metric {
            id: row.get(0)?,
            val: row.get(1)?,
            time: row.get(2)?,
        };
        pending.extend(folder.push(&m));
        if pending.len() == REBUILD_BATCH {
            add(conn, &pending)?;
            pending.clear();
        }
        done += 1;
        if done % PROGRESS_EVERY == 0 {
            progress(done);
        }
    }
    pending.extend(folder.finish());
    add(conn, &pending)?;
    let newest: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM metrics", [], |r| {
        r.get(0)
    })?;
    set_cursor(conn, newest)?;
    Ok(done)
}

/// How many buckets are stored and the span they cover; `None` when the file has no
/// rollups yet (an older millrace's, opened read-only).
pub fn status(conn: &Connection) -> rusqlite::Result<Option<RollupStatus>> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version < super::sqlite_schema::ROLLUPS_SINCE {
        return Ok(None);
    }
    conn.query_row(
        "SELECT COUNT(*), MIN(start), MAX(start) FROM rollups",
        [],
        |r| {
            Ok(RollupStatus {
                buckets: r.get::<_, i64>(0)? as u64,
                from: r.get(1)?,
                to: r
                    .get::<_, Option<i64>>(2)?
                    .map(|s| s + super::rollup::WIDTH),
                unfolded: 0,
            })
        },
    )
    .map(Some)
}

/// Every parameter with a bucket, in order.
pub fn parameters(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached("SELECT DISTINCT id FROM rollups ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect()
}

/// One parameter's buckets that start before `before`, then its readings from `from` on.
pub fn history(
    conn: &Connection,
    id: i64,
    raw_from: i64,
    visit: &mut dyn FnMut(HistoryRow),
) -> rusqlite::Result<u64> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FULL} FROM rollups WHERE id = ?1 AND start < ?2 ORDER BY start"
    ))?;
    let mut rows = stmt.query([id, raw_from])?;
    while let Some(r) = rows.next()? {
        visit(HistoryRow::Minute(bucket(r)?));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT val, time FROM metrics WHERE id = ?1 AND time >= ?2 ORDER BY time",
    )?;
    let mut rows = stmt.query([id, raw_from])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        visit(HistoryRow::Reading(crate::record::Metric {
            id,
            val: r.get(0)?,
            time: r.get(1)?,
        }));
        n += 1;
    }
    Ok(n)
}

fn bucket(r: &rusqlite::Row<'_>) -> rusqlite::Result<Bucket> {
    Ok(Bucket {
        id: r.get(0)?,
        start: r.get(1)?,
        count: r.get(2)?,
        sum: r.get(3)?,
        sum_sq: r.get(4)?,
        min: r.get(5)?,
        max: r.get(6)?,
        first: (r.get(7)?, r.get(8)?),
        last: (r.get(9)?, r.get(10)?),
    })
}

/// Hands `visit` every stored bucket that starts before `before`, ordered by parameter and
/// start.
pub fn scan(
    conn: &Connection,
    before: i64,
    visit: &mut dyn FnMut(Bucket),
) -> rusqlite::Result<u64> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FULL} FROM rollups WHERE start < ?1 ORDER BY id, start"
    ))?;
    let mut rows = stmt.query([before])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        visit(bucket(r)?);
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use crate::record::{Metric, Records};
    use crate::store::rollup::{Bucket, buckets, difference};
    use crate::store::{Incoming, SqliteStore, Store};

    fn kept_of(store: &mut SqliteStore) -> Vec<Bucket> {
        crate::store::rollup::fold_all(store).unwrap();
        let mut out = Vec::new();
        store.scan_rollups(i64::MAX, &mut |b| out.push(b)).unwrap();
        out
    }

    fn of_readings(store: &mut SqliteStore) -> Vec<Bucket> {
        let mut readings = Vec::new();
        store.scan_metrics(&mut |m| readings.push(m)).unwrap();
        buckets(&readings)
    }

    /// Readings of three parameters over a few minutes, in no order, some of one second.
    fn readings(n: usize, seed: u64) -> Vec<Metric> {
        (0..n as u64)
            .map(|i| {
                let x = (i + seed).wrapping_mul(6_364_136_223_846_793_005) >> 33;
                Metric {
                    id: (x % 3) as i64,
                    val: (x % 1000) as f64 / 8.0 - 40.0,
                    time: 1_700_000_000 + (x % 400) as i64,
                }
            })
            .collect()
    }

    #[test]
    fn rollups_follow_every_write_late_duplicate_or_overlapping() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let all = Records::Metrics(readings(600, 1));
        let write = |store: &mut SqliteStore, origin: &str, from: usize, to: usize| {
            let part = all.slice(from..to);
            store
                .write(&[Incoming {
                    origin,
                    first_seq: from as u64,
                    records: &part,
                }])
                .unwrap()
        };
        // Out of order within the origin, overlapping, resent whole, and the same records
        // again under another origin (which stores them twice, as two sources would).
        write(&mut store, "a", 300, 450);
        write(&mut store, "a", 0, 320);
        write(&mut store, "a", 400, 600);
        let again = write(&mut store, "a", 0, 600);
        assert_eq!(again.inserted, 0);
        write(&mut store, "b", 100, 130);
        assert_eq!(
            store.count(crate::record::StreamKind::Metrics).unwrap(),
            630
        );
        let (kept, made) = (kept_of(&mut store), of_readings(&mut store));
        assert!(kept.len() > 10, "{} buckets", kept.len());
        assert_eq!(difference(&kept, &made), None);
        // A reading minutes older than any stored lands in its own bucket, and one inside
        // a stored minute moves that minute's first reading.
        let late = Records::Metrics(vec![
            Metric {
                id: 1,
                val: 5.0,
                time: 1_600_000_000,
            },
            Metric {
                id: made[0].id,
                val: -1e9,
                time: made[0].first.0,
            },
        ]);
        store
            .write(&[Incoming {
                origin: "late",
                first_seq: 0,
                records: &late,
            }])
            .unwrap();
        let kept = kept_of(&mut store);
        assert_eq!(difference(&kept, &of_readings(&mut store)), None);
        assert_eq!(
            kept[0].first,
            (made[0].first.0, -1e9),
            "ties go to the lower value"
        );
        assert!(
            kept.iter()
                .any(|b| b.start == 1_599_999_960 && b.count == 1)
        );
    }

    #[test]
    fn a_rebuild_makes_the_rollups_kept_write_by_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let all = Records::Metrics(readings(2_000, 7));
        for from in (0..2_000).step_by(170) {
            let part = all.slice(from..(from + 170).min(2_000));
            store
                .write(&[Incoming {
                    origin: "f",
                    first_seq: from as u64,
                    records: &part,
                }])
                .unwrap();
        }
        let before = kept_of(&mut store);
        let mut progress = Vec::new();
        let folded = store.rebuild_rollups(&mut |n| progress.push(n)).unwrap();
        assert_eq!(folded, 2_000);
        assert_eq!(difference(&before, &kept_of(&mut store)), None);
    }

    #[test]
    fn each_reading_is_folded_once_however_the_folds_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let all = Records::Metrics(readings(1_000, 5));
        for from in (0..1_000).step_by(100) {
            let part = all.slice(from..from + 100);
            store
                .write(&[Incoming {
                    origin: "f",
                    first_seq: from as u64,
                    records: &part,
                }])
                .unwrap();
            // Folds of odd sizes, between writes and across them.
            assert!(store.fold_rollups(37).unwrap() <= 37);
        }
        assert!(store.unfolded().unwrap() > 0);
        let kept = kept_of(&mut store);
        assert_eq!(store.unfolded().unwrap(), 0);
        assert_eq!(store.fold_rollups(10).unwrap(), 0, "nothing left to fold");
        assert_eq!(difference(&kept, &of_readings(&mut store)), None);
    }

    #[test]
    fn an_older_store_gets_its_rollups_on_first_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let all = Records::Metrics(readings(500, 3));
        store
            .write(&[Incoming {
                origin: "f",
                first_seq: 0,
                records: &all,
            }])
            .unwrap();
        // As schema 2 left it: no rollups table.
        store
            .connection()
            .execute_batch("DROP TABLE rollups; PRAGMA user_version = 2;")
            .unwrap();
        drop(store);
        let mut read_only = SqliteStore::open_read_only(&path).unwrap();
        assert_eq!(
            read_only.rollup_status().unwrap(),
            None,
            "not built, not faked"
        );
        drop(read_only);
        let mut store = SqliteStore::open(&path).unwrap();
        let kept = kept_of(&mut store);
        assert_eq!(difference(&kept, &of_readings(&mut store)), None);
        let status = store.rollup_status().unwrap().unwrap();
        assert_eq!(status.buckets, kept.len() as u64);
        assert_eq!(
            status.from,
            Some(kept.iter().map(|b| b.start).min().unwrap())
        );
    }
}
