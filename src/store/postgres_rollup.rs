//! The PostgreSQL store's rollups (see [`super::rollup`]): one upsert per write, safe with
//! several consumers writing at once, and the rebuild done by the server.

use super::rollup::{Bucket, HistoryRow, RollupStatus, WIDTH};
use postgres::Transaction;
use postgres::types::ToSql;

/// The rollups table, and the notes of how far they are folded and where raw readings begin.
pub const TABLES: &str = r#"
    CREATE TABLE IF NOT EXISTS rollups (
        id BIGINT NOT NULL,
        start BIGINT NOT NULL,
        readings BIGINT NOT NULL,
        sum_val DOUBLE PRECISION NOT NULL,
        sum_sq DOUBLE PRECISION NOT NULL,
        min_val DOUBLE PRECISION NOT NULL,
        max_val DOUBLE PRECISION NOT NULL,
        first_time BIGINT NOT NULL,
        first_val DOUBLE PRECISION NOT NULL,
        last_time BIGINT NOT NULL,
        last_val DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (id, start)
    );
    CREATE TABLE IF NOT EXISTS millrace_meta (
        key TEXT PRIMARY KEY,
        value BIGINT NOT NULL
    );
"#;

/// One folder at a time, across every process on the database.
const FOLD_LOCK: i64 = 7_316_027_005;

/// Where raw readings begin, when some were pruned (see [`super::retention`]).
pub fn raw_from(client: &mut impl postgres::GenericClient) -> Result<Option<i64>, postgres::Error> {
    client
        .query_opt(
            "SELECT value FROM millrace_meta WHERE key = 'raw_from'",
            &[],
        )?
        .map(|r| r.try_get(0))
        .transpose()
}

/// How far folding has come: readings up to this `seq` are in the rollups.
fn cursor(tx: &mut Transaction<'_>) -> Result<i64, postgres::Error> {
    Ok(tx
        .query_opt(
            "SELECT value FROM millrace_meta WHERE key = 'rolled_seq'",
            &[],
        )?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0))
}

fn set_cursor(tx: &mut Transaction<'_>, seq: i64) -> Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO millrace_meta (key, value) VALUES ('rolled_seq', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&seq],
    )?;
    Ok(())
}

/// Folds up to `limit` readings past the cursor, in `seq` order, and moves the cursor past
/// them, in the caller's transaction; returns how many. Writers of metrics hold a lock from
/// taking their `seq` numbers until they commit, so the rows past the cursor that this
/// transaction sees are every row up to the highest it reads: none is skipped for good.
pub fn fold(tx: &mut Transaction<'_>, limit: u64) -> Result<u64, postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FOLD_LOCK])?;
    let from = cursor(tx)?;
    let rows = tx.query(
        "SELECT seq, id, val, time FROM metrics WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[&from, &(limit.min(i64::MAX as u64) as i64)],
    )?;
    let mut readings = Vec::with_capacity(rows.len());
    let mut last = from;
    for r in &rows {
        last = r.try_get(0)?;
        readings.push(crate::record::Metric {
            id: r.try_get(1)?,
            val: r.try_get(2)?,
            time: r.try_get(3)?,
        });
    }
    if !readings.is_empty() {
        add(tx, &super::rollup::buckets(&readings))?;
        set_cursor(tx, last)?;
    }
    Ok(readings.len() as u64)
}

/// Readings stored but not folded yet.
pub fn unfolded(client: &mut postgres::Client) -> Result<u64, postgres::Error> {
    let from: i64 = client
        .query_opt(
            "SELECT value FROM millrace_meta WHERE key = 'rolled_seq'",
            &[],
        )?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let n: i64 = client
        .query_one("SELECT COUNT(*) FROM metrics WHERE seq > $1", &[&from])?
        .try_get(0)?;
    Ok(n as u64)
}

/// The buckets of a write, as arrays (one statement, whatever their number), folded into
/// the stored ones. Each right-hand side reads the row as it was, so the merge is the one of
/// [`Bucket::merge`]; a consumer writing the same bucket at the same moment waits for the
/// row's lock and then adds to what the other committed, so no update is lost.
const UPSERT: &str = "
    INSERT INTO rollups (id, start, readings, sum_val, sum_sq, min_val, max_val,
                         first_time, first_val, last_time, last_val)
    SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::FLOAT8[], $5::FLOAT8[],
                         $6::FLOAT8[], $7::FLOAT8[], $8::BIGINT[], $9::FLOAT8[], $10::BIGINT[],
                         $11::FLOAT8[])
    ON CONFLICT (id, start) DO UPDATE SET
        readings = rollups.readings + EXCLUDED.readings,
        sum_val = rollups.sum_val + EXCLUDED.sum_val,
        sum_sq = rollups.sum_sq + EXCLUDED.sum_sq,
        min_val = LEAST(rollups.min_val, EXCLUDED.min_val),
        max_val = GREATEST(rollups.max_val, EXCLUDED.max_val),
        first_val = CASE WHEN EXCLUDED.first_time < rollups.first_time
                          OR (EXCLUDED.first_time = rollups.first_time
                              AND EXCLUDED.first_val < rollups.first_val)
                         THEN EXCLUDED.first_val ELSE rollups.first_val END,
        first_time = LEAST(rollups.first_time, EXCLUDED.first_time),
        last_val = CASE WHEN EXCLUDED.last_time > rollups.last_time
                         OR (EXCLUDED.last_time = rollups.last_time
                             AND EXCLUDED.last_val > rollups.last_val)
                        THEN EXCLUDED.last_val ELSE rollups.last_val END,
        last_time = GREATEST(rollups.last_time, EXCLUDED.last_time)";

/// Folds `buckets` (sorted by parameter and start, as [`super::rollup::buckets`] gives
/// them, so that two writers lock shared rows in the same order) into the stored rollups.
pub fn add(tx: &mut Transaction<'_>, buckets: &[Bucket]) -> Result<(), postgres::Error> {
    if buckets.is_empty() {
        return Ok(());
    }
    let ints = |f: fn(&Bucket) -> i64| buckets.iter().map(f).collect::<Vec<i64>>();
    let floats = |f: fn(&Bucket) -> f64| buckets.iter().map(f).collect::<Vec<f64>>();
    let columns: (Vec<i64>, Vec<i64>, Vec<i64>) =
        (ints(|b| b.id), ints(|b| b.start), ints(|b| b.count));
    let sums = (floats(|b| b.sum), floats(|b| b.sum_sq));
    let extremes = (floats(|b| b.min), floats(|b| b.max));
    let ends = (
        ints(|b| b.first.0),
        floats(|b| b.first.1),
        ints(|b| b.last.0),
        floats(|b| b.last.1),
    );
    let params: [&(dyn ToSql + Sync); 11] = [
        &columns.0,
        &columns.1,
        &columns.2,
        &sums.0,
        &sums.1,
        &extremes.0,
        &extremes.1,
        &ends.0,
        &ends.1,
        &ends.2,
        &ends.3,
    ];
    tx.execute(UPSERT, &params)?;
    Ok(())
}

/// One parameter's buckets, made by the server from its readings; returns the readings
/// folded. `first_val` and `last_val` are the values at the ends of the (time, value) order.
const REBUILD_ONE: &str = "
    WITH made AS (
        INSERT INTO rollups (id, start, readings, sum_val, sum_sq, min_val, max_val,
                             first_time, first_val, last_time, last_val)
        SELECT id, start, COUNT(*), SUM(val), SUM(val * val), MIN(val), MAX(val),
               MIN(time), (array_agg(val ORDER BY time, val))[1],
               MAX(time), (array_agg(val ORDER BY time DESC, val DESC))[1]
        FROM (SELECT id, val, time, time - ((time % $2) + $2) % $2 AS start
              FROM metrics WHERE id = $1 AND time >= $3) AS m
        GROUP BY id, start
        RETURNING readings)
    SELECT COALESCE(SUM(readings), 0)::BIGINT FROM made";

/// Replaces the rollups with those of the stored readings (from the raw cut-off on, on a
/// pruned store), one parameter at a time (so the
/// server's memory is one parameter's minute at a time), calling `progress` with the
/// readings folded so far after each. The caller holds writers off.
pub fn rebuild(
    tx: &mut Transaction<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FOLD_LOCK])?;
    // On a pruned store the minutes before the cut-off have no readings left: kept.
    let from = raw_from(tx)?.unwrap_or(i64::MIN);
    tx.execute("DELETE FROM rollups WHERE start >= $1", &[&from])?;
    let ids: Vec<i64> = tx
        .query("SELECT DISTINCT id FROM metrics ORDER BY id", &[])?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    let mut done = 0u64;
    for id in ids {
        let row = tx.query_one(REBUILD_ONE, &[&id, &WIDTH, &from])?;
        done += row.try_get::<_, i64>(0)? as u64;
        progress(done);
    }
    let newest: i64 = tx
        .query_one("SELECT coalesce(max(seq), 0) FROM metrics", &[])?
        .try_get(0)?;
    set_cursor(tx, newest)?;
    Ok(done)
}

/// How many buckets are stored and the span they cover.
pub fn status(client: &mut postgres::Client) -> Result<RollupStatus, postgres::Error> {
    let row = client.query_one("SELECT COUNT(*), MIN(start), MAX(start) FROM rollups", &[])?;
    Ok(RollupStatus {
        buckets: row.try_get::<_, i64>(0)? as u64,
        from: row.try_get(1)?,
        to: row.try_get::<_, Option<i64>>(2)?.map(|s| s + WIDTH),
        unfolded: 0,
    })
}

/// Every parameter with a bucket, in order.
pub fn parameters(client: &mut postgres::Client) -> Result<Vec<i64>, postgres::Error> {
    client
        .query("SELECT DISTINCT id FROM rollups ORDER BY id", &[])?
        .iter()
        .map(|r| r.try_get(0))
        .collect()
}

/// One parameter's buckets that start before `raw_from`, then its readings from it on.
pub fn history(
    client: &mut postgres::Client,
    id: i64,
    raw_from: i64,
    visit: &mut dyn FnMut(HistoryRow),
) -> Result<u64, postgres::Error> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut rows = client.query_raw(
        "SELECT id, start, readings, sum_val, sum_sq, min_val, max_val,
                first_time, first_val, last_time, last_val
         FROM rollups WHERE id = $1 AND start < $2 ORDER BY start",
        [&id as &(dyn ToSql + Sync), &raw_from],
    )?;
    while let Some(r) = rows.next()? {
        visit(HistoryRow::Minute(bucket(&r)?));
    }
    drop(rows);
    let mut rows = client.query_raw(
        "SELECT val, time FROM metrics WHERE id = $1 AND time >= $2 ORDER BY time",
        [&id as &(dyn ToSql + Sync), &raw_from],
    )?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        visit(HistoryRow::Reading(crate::record::Metric {
            id,
            val: r.try_get(0)?,
            time: r.try_get(1)?,
        }));
        n += 1;
    }
    Ok(n)
}

fn bucket(r: &postgres::Row) -> Result<Bucket, postgres::Error> {
    Ok(Bucket {
        id: r.try_get(0)?,
        start: r.try_get(1)?,
        count: r.try_get(2)?,
        sum: r.try_get(3)?,
        sum_sq: r.try_get(4)?,
        min: r.try_get(5)?,
        max: r.try_get(6)?,
        first: (r.try_get(7)?, r.try_get(8)?),
        last: (r.try_get(9)?, r.try_get(10)?),
    })
}

/// Hands `visit` every stored bucket that starts before `before`, ordered by parameter and
/// start.
pub fn scan(
    client: &mut postgres::Client,
    before: i64,
    visit: &mut dyn FnMut(Bucket),
) -> Result<u64, postgres::Error> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut rows = client.query_raw(
        "SELECT id, start, readings, sum_val, sum_sq, min_val, max_val,
                first_time, first_val, last_time, last_val
         FROM rollups WHERE start < $1 ORDER BY id, start",
        [&before as &(dyn ToSql + Sync)],
    )?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        visit(bucket(&r)?);
        n += 1;
    }
    Ok(n)
}
