//! The PostgreSQL store, for scaling out: consumers on several machines write to one database
//! and still store each record once. Same tables and columns as the SQLite store.

use super::rollup::{Bucket, HistoryRow, RollupStatus};
use super::{Incoming, Seq, Store, StoreError, StreamStatus, WriteStats, cover};
use super::{Pruned, postgres_retention, postgres_rollup};
use crate::record::{Metric, Records, StreamKind, WorkOrder};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Transaction};

/// The schema: the original tables with the same columns as in SQLite, the covering index
/// the report reads through, and the ranges table that makes storage exactly-once.
const SCHEMA: &str = r#"
    SELECT pg_advisory_xact_lock(7316027001);
    CREATE TABLE IF NOT EXISTS metrics (
        id BIGINT NOT NULL,
        val DOUBLE PRECISION NOT NULL,
        time BIGINT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS metrics_by_series ON metrics (id, time) INCLUDE (val);
    CREATE TABLE IF NOT EXISTS workorder (
        time BIGINT NOT NULL,
        product BIGINT NOT NULL,
        production DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX IF NOT EXISTS workorder_by_product ON workorder (product, time);
    CREATE TABLE IF NOT EXISTS ingested (
        stream TEXT NOT NULL,
        origin TEXT NOT NULL,
        start BIGINT NOT NULL,
        "end" BIGINT NOT NULL,
        PRIMARY KEY (stream, origin, start)
    );
    -- The ingest sequence (see `Seq`), added in place to tables an older millrace made:
    -- existing rows are numbered as they lie. Checked first, because ALTER TABLE locks the
    -- table even when it changes nothing, and would wait for every running report.
    DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema =
                current_schema() AND table_name = 'metrics' AND column_name = 'seq') THEN
            ALTER TABLE metrics ADD COLUMN seq BIGSERIAL;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema =
                current_schema() AND table_name = 'workorder' AND column_name = 'seq') THEN
            ALTER TABLE workorder ADD COLUMN seq BIGSERIAL;
        END IF;
    END $$;
    -- BRIN: tiny, nearly free to keep up, and enough to find the newest rows.
    CREATE INDEX IF NOT EXISTS metrics_by_seq ON metrics USING brin (seq);
    CREATE INDEX IF NOT EXISTS workorder_by_seq ON workorder USING brin (seq);
"#;

/// Advisory locks that make each table's `seq` count up in commit order: a writer holds its
/// table's lock from taking its first number until it commits, so no reader can see a
/// higher number while a lower one is still to come.
const METRICS_SEQ_LOCK: i64 = 7_316_027_002;
const WORKORDER_SEQ_LOCK: i64 = 7_316_027_003;

/// The store deployments that outgrow one machine use: PostgreSQL, with the same semantics
/// as [`super::SqliteStore`] — one transaction per write, rows and ranges together, so
/// several consumers on several machines store each record once.
///
/// Rows go in through binary `COPY`, the fastest way into PostgreSQL. Writers of the same
/// origin are serialised by a transaction-scoped advisory lock on it, so two consumers never
/// both find a range missing.
pub struct PostgresStore {
    url: String,
    client: Client,
}

impl PostgresStore {
    /// Connects and creates the schema if needed. Must not be called on an async task: the
    /// synchronous client runs its own small runtime.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let client = open(url)?;
        Ok(PostgresStore {
            url: url.to_string(),
            client,
        })
    }

    /// The live client, reconnecting first if the connection was lost (PostgreSQL
    /// restarted, say): the consumer's retry then succeeds by itself.
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.is_closed() {
            self.client = open(&self.url)?;
        }
        Ok(&mut self.client)
    }
}

fn open(url: &str) -> Result<Client, StoreError> {
    let fail = |e: postgres::Error| StoreError::Open {
        path: crate::support::redact::redact(url),
        source: e.into(),
    };
    let mut client = Client::connect(url, NoTls).map_err(fail)?;
    let mut tx = client.transaction().map_err(fail)?;
    tx.batch_execute(SCHEMA).map_err(fail)?;
    tx.batch_execute(postgres_rollup::TABLES).map_err(fail)?;
    tx.commit().map_err(fail)?;
    Ok(client)
}

/// Column `index` of a row of `table`, or [`StoreError::Broken`] when its type is not the one
/// millrace gives it (`Row::get` would panic, and a panic in a consumer is retried forever).
fn column<'a, T: postgres::types::FromSql<'a>>(
    row: &'a postgres::Row,
    index: usize,
    table: &'static str,
) -> Result<T, StoreError> {
    row.try_get(index).map_err(|e| StoreError::Broken {
        table,
        column: row
            .columns()
            .get(index)
            .map_or("?", |c| c.name())
            .to_string(),
        source: e.into(),
    })
}

/// A failed statement, as the transient [`StoreError::Failed`]. `postgres::Error` displays
/// only its kind ("db error"): the server's own message — "the database system is shutting
/// down", say — is its source, which printing the error with its chain shows.
fn failed(e: postgres::Error) -> StoreError {
    StoreError::Failed(e.into())
}

impl Store for PostgresStore {
    fn write(&mut self, batches: &[Incoming<'_>]) -> Result<WriteStats, StoreError> {
        let mut tx = self.client()?.transaction().map_err(failed)?;
        let mut stats = WriteStats::default();
        let mut metrics: Vec<&Metric> = Vec::new();
        let mut orders: Vec<&WorkOrder> = Vec::new();
        for batch in batches {
            let count = batch.records.len() as u64;
            if count == 0 {
                continue;
            }
            let stream = batch.records.kind().name();
            let new = (batch.first_seq, batch.first_seq + count);
            let missing = claim(&mut tx, stream, batch.origin, new)?;
            let mut inserted = 0;
            for (s, e) in missing {
                let range = (s - batch.first_seq) as usize..(e - batch.first_seq) as usize;
                inserted += range.len() as u64;
                match batch.records {
                    Records::Metrics(v) => metrics.extend(&v[range]),
                    Records::Workorder(v) => orders.extend(&v[range]),
                }
            }
            stats += WriteStats {
                inserted,
                duplicates: count - inserted,
            };
        }
        for (lock, rows) in [
            (METRICS_SEQ_LOCK, metrics.len()),
            (WORKORDER_SEQ_LOCK, orders.len()),
        ] {
            if rows > 0 {
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
                    .map_err(failed)?;
            }
        }
        copy(
            &mut tx,
            "COPY metrics (id, val, time) FROM STDIN BINARY",
            &[Type::INT8, Type::FLOAT8, Type::INT8],
            &metrics,
            |m| [&m.id as &(dyn ToSql + Sync), &m.val, &m.time],
        )
        .map_err(failed)?;
        copy(
            &mut tx,
            "COPY workorder (time, product, production) FROM STDIN BINARY",
            &[Type::INT8, Type::INT8, Type::FLOAT8],
            &orders,
            |w| [&w.time as &(dyn ToSql + Sync), &w.product, &w.production],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(stats)
    }

    fn count(&mut self, stream: StreamKind) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {}", stream.name());
        let row = self
            .client()?
            .query_one(sql.as_str(), &[])
            .map_err(failed)?;
        Ok(column::<i64>(&row, 0, stream.name())? as u64)
    }

    fn work_orders(&mut self) -> Result<Vec<WorkOrder>, StoreError> {
        let rows = self
            .client()?
            .query(
                "SELECT time, product, production FROM workorder ORDER BY seq",
                &[],
            )
            .map_err(failed)?;
        rows.iter()
            .map(|r| {
                Ok(WorkOrder {
                    time: column(r, 0, "workorder")?,
                    product: column(r, 1, "workorder")?,
                    production: column(r, 2, "workorder")?,
                })
            })
            .collect()
    }

    fn scan_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<u64, StoreError> {
        let mut tx = self.client()?.transaction().map_err(failed)?;
        let n = scan(&mut tx, visit)?;
        tx.commit().map_err(failed)?;
        Ok(n)
    }

    fn snapshot_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<Seq, StoreError> {
        // REPEATABLE READ: every statement of the transaction sees the same snapshot.
        let mut tx = self
            .client()?
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(failed)?;
        let row = tx
            .query_one("SELECT coalesce(max(seq), 0) FROM metrics", &[])
            .map_err(failed)?;
        let newest = column(&row, 0, "metrics")?;
        scan(&mut tx, visit)?;
        tx.commit().map_err(failed)?;
        Ok(newest)
    }

    fn metrics_after(
        &mut self,
        after: Seq,
        visit: &mut dyn FnMut(Metric),
    ) -> Result<Seq, StoreError> {
        let client = self.client()?;
        let mut rows = client
            .query_raw(
                "SELECT seq, id, val, time FROM metrics WHERE seq > $1",
                [&after as &(dyn ToSql + Sync)],
            )
            .map_err(failed)?;
        let mut newest = after;
        while let Some(row) = rows.next().map_err(failed)? {
            visit(Metric {
                id: column(&row, 1, "metrics")?,
                val: column(&row, 2, "metrics")?,
                time: column(&row, 3, "metrics")?,
            });
            newest = newest.max(column(&row, 0, "metrics")?);
        }
        Ok(newest)
    }

    fn work_orders_after(&mut self, after: Seq) -> Result<Vec<(Seq, WorkOrder)>, StoreError> {
        let rows = self
            .client()?
            .query(
                "SELECT seq, time, product, production FROM workorder WHERE seq > $1 ORDER BY seq",
                &[&after],
            )
            .map_err(failed)?;
        rows.iter()
            .map(|r| {
                Ok((
                    column(r, 0, "workorder")?,
                    WorkOrder {
                        time: column(r, 1, "workorder")?,
                        product: column(r, 2, "workorder")?,
                        production: column(r, 3, "workorder")?,
                    },
                ))
            })
            .collect()
    }

    fn stream_status(&mut self, stream: StreamKind) -> Result<StreamStatus, StoreError> {
        let sql = format!(
            "SELECT COUNT(*), MIN(time), MAX(time) FROM {}",
            stream.name()
        );
        let row = self
            .client()?
            .query_one(sql.as_str(), &[])
            .map_err(failed)?;
        Ok(StreamStatus {
            rows: column::<i64>(&row, 0, stream.name())? as u64,
            oldest: column::<Option<i64>>(&row, 1, stream.name())?,
            newest: column::<Option<i64>>(&row, 2, stream.name())?,
        })
    }

    fn rollup_status(&mut self) -> Result<Option<RollupStatus>, StoreError> {
        postgres_rollup::status(self.client()?)
            .map(Some)
            .map_err(failed)
    }

    fn scan_rollups(
        &mut self,
        before: i64,
        visit: &mut dyn FnMut(Bucket),
    ) -> Result<u64, StoreError> {
        postgres_rollup::scan(self.client()?, before, visit).map_err(failed)
    }

    fn raw_from(&mut self) -> Result<Option<i64>, StoreError> {
        postgres_rollup::raw_from(self.client()?).map_err(failed)
    }

    fn parameters(&mut self) -> Result<Vec<i64>, StoreError> {
        postgres_rollup::parameters(self.client()?).map_err(failed)
    }

    fn scan_history(
        &mut self,
        id: i64,
        raw_from: i64,
        visit: &mut dyn FnMut(HistoryRow),
    ) -> Result<u64, StoreError> {
        postgres_rollup::history(self.client()?, id, raw_from, visit).map_err(failed)
    }

    fn prune_raw(&mut self, age: i64, progress: &mut dyn FnMut(u64)) -> Result<Pruned, StoreError> {
        postgres_retention::prune(self.client()?, age, progress)
            .map_err(failed)?
            .ok_or(StoreError::Pruning)
    }

    fn fold_rollups(&mut self, limit: u64) -> Result<u64, StoreError> {
        let mut tx = self.client()?.transaction().map_err(failed)?;
        let folded = postgres_rollup::fold(&mut tx, limit).map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(folded)
    }

    fn unfolded(&mut self) -> Result<u64, StoreError> {
        postgres_rollup::unfolded(self.client()?).map_err(failed)
    }

    fn rebuild_rollups(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, StoreError> {
        let mut tx = self.client()?.transaction().map_err(failed)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&METRICS_SEQ_LOCK])
            .map_err(failed)?;
        let folded = postgres_rollup::rebuild(&mut tx, progress).map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(folded)
    }

    fn held(&mut self, stream: StreamKind, origin: &str) -> Result<u64, StoreError> {
        let row = self
            .client()?
            .query_one(
                r#"SELECT COALESCE(SUM("end" - start), 0)::BIGINT FROM ingested WHERE stream = $1 AND origin = $2"#,
                &[&stream.name(), &origin],
            )
            .map_err(failed)?;
        Ok(column::<i64>(&row, 0, "ingested")? as u64)
    }
}

/// Every metric from where raw readings begin, ordered by parameter and then time; returns
/// how many there were.
fn scan(tx: &mut Transaction<'_>, visit: &mut dyn FnMut(Metric)) -> Result<u64, StoreError> {
    let from = postgres_rollup::raw_from(tx)
        .map_err(failed)?
        .unwrap_or(i64::MIN);
    let mut rows = tx
        .query_raw(
            "SELECT id, val, time FROM metrics WHERE time >= $1 ORDER BY id, time",
            [&from as &(dyn ToSql + Sync)],
        )
        .map_err(failed)?;
    let mut n = 0;
    while let Some(row) = rows.next().map_err(failed)? {
        visit(Metric {
            id: column(&row, 0, "metrics")?,
            val: column(&row, 1, "metrics")?,
            time: column(&row, 2, "metrics")?,
        });
        n += 1;
    }
    Ok(n)
}

/// Records `new` as stored for `origin` and returns the parts of it not stored before.
fn claim(
    tx: &mut Transaction<'_>,
    stream: &str,
    origin: &str,
    new: (u64, u64),
) -> Result<Vec<(u64, u64)>, StoreError> {
    let key = format!("{stream}\u{1}{origin}");
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&key],
    )
    .map_err(failed)?;
    let (a, b) = (new.0 as i64, new.1 as i64);
    let stored: Vec<(u64, u64)> = tx
        .query(
            r#"SELECT start, "end" FROM ingested
               WHERE stream = $1 AND origin = $2 AND start <= $4 AND "end" >= $3
               ORDER BY start"#,
            &[&stream, &origin, &a, &b],
        )
        .map_err(failed)?
        .iter()
        .map(|r| {
            let start: i64 = column(r, 0, "ingested")?;
            let end: i64 = column(r, 1, "ingested")?;
            Ok((start as u64, end as u64))
        })
        .collect::<Result<_, StoreError>>()?;
    let coverage = cover(&stored, new);
    for (start, _) in &stored {
        tx.execute(
            "DELETE FROM ingested WHERE stream = $1 AND origin = $2 AND start = $3",
            &[&stream, &origin, &(*start as i64)],
        )
        .map_err(failed)?;
    }
    tx.execute(
        r#"INSERT INTO ingested (stream, origin, start, "end") VALUES ($1, $2, $3, $4)"#,
        &[
            &stream,
            &origin,
            &(coverage.merged.0 as i64),
            &(coverage.merged.1 as i64),
        ],
    )
    .map_err(failed)?;
    Ok(coverage.missing)
}

/// Streams `rows` into one binary COPY.
fn copy<T>(
    tx: &mut Transaction<'_>,
    statement: &str,
    types: &[Type],
    rows: &[&T],
    fields: impl Fn(&T) -> [&(dyn ToSql + Sync); 3],
) -> Result<(), postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let sink = tx.copy_in(statement)?;
    let mut writer = BinaryCopyInWriter::new(sink, types);
    for row in rows {
        writer.write(&fields(row))?;
    }
    writer.finish()?;
    Ok(())
}
