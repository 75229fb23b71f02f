//! The PostgreSQL store (`--db postgres://…`), against the machine's server on 127.0.0.1:5432
//! (database `test`, trust authentication): the same exactly-once semantics and the same
//! report as SQLite. Each test works in a schema of its own. Outside CI these tests skip,
//! saying why, when no server answers; with CI=true they run.
//!
//! The outage test stops and starts a server, so it makes a cluster of its own
//! ([`own_postgres`]) and never touches the machine's; it shares nothing and takes no lock.
//! The crash tests time a crash by the store's progress: those run alone ([`serial::alone`]);
//! the others beside the other service tests ([`serial::services`]).

use crate::common;

use common::own_postgres::own_postgres;
use common::scenarios::Backend;
use common::services::{Queues, Schema, broker_up};
use common::*;
use std::path::Path;
use std::time::Duration;

#[test]
fn the_sample_is_stored_exactly_and_resending_stores_nothing_twice() {
    let _serial = serial::services();
    let Some(schema) =
        Schema::create("the_sample_is_stored_exactly_and_resending_stores_nothing_twice")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        run_ok(
            millrace(dir.path())
                .args([
                    "run",
                    "--no-progress",
                    "--report-dir",
                    "out",
                    "--db",
                    &schema.url(),
                ])
                .args(extra)
                .arg("--data")
                .arg(data_dir()),
        )
    };
    run(&[]);
    let data = data_dir();
    assert!(
        schema.metrics() == source_metrics(&data.join("metrics.json")),
        "metrics bit-identical"
    );
    assert!(
        schema.workorders() == source_workorders(&data.join("workorder.json")),
        "work orders bit-identical"
    );
    let out = run(&["--initial"]);
    assert!(
        out.contains(&format!("{DATA_METRICS} already held")),
        "{out}"
    );
    assert_eq!(schema.metrics().len() as u64, DATA_METRICS);

    // The report reads PostgreSQL as it reads SQLite: same top three.
    let from_pg = std::fs::read_to_string(dir.path().join("out/top3.json")).unwrap();
    run_ok(
        millrace(dir.path())
            .args([
                "run",
                "--no-progress",
                "--report-dir",
                "sqlite-out",
                "--db",
                "s.db",
                "--offsets",
                "o.json",
                "--data",
            ])
            .arg(data_dir()),
    );
    let from_sqlite = std::fs::read_to_string(dir.path().join("sqlite-out/top3.json")).unwrap();
    let top = |text: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        v.as_object_mut().unwrap().remove("source");
        v
    };
    assert_eq!(top(&from_pg), top(&from_sqlite));
}

/// Two consumers compete for the queue of `backend` and write to one PostgreSQL schema; one
/// of them crashes right after a commit (before its acknowledgement) and comes back. Every
/// record of `data` is stored exactly once.
fn competing_consumers_crash_after_commit(
    schema: &Schema,
    dir: &Path,
    backend: Backend,
    data: &Path,
) {
    let (metrics, orders) = (
        source_metrics(&data.join("metrics.json")),
        source_workorders(&data.join("workorder.json")),
    );
    let stage = backend.stage(dir);
    let consumer = || {
        let mut cmd = stage.consume_cmd();
        cmd.env("MILLRACE_DB", schema.url());
        cmd
    };
    let _serve = stage.serve();
    let mut crashing = Proc::spawn(consumer().env("MILLRACE_CRASH_AT", "consume.committed:2"));
    let _steady = Proc::spawn(&mut consumer());
    run_ok(&mut stage.stream(data));
    crashing.wait_crash(Duration::from_secs(60));
    let _again = Proc::spawn(&mut consumer());
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let stored = schema.stored_metrics().unwrap_or(0);
        if stored >= metrics.len() && backend.drained(dir) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stored {stored} of {} metrics",
            metrics.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A redelivered batch stored twice would show now or within the next moments.
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        schema.metrics() == metrics,
        "every metric exactly once, bit-identical"
    );
    assert!(
        schema.workorders() == orders,
        "every work order exactly once"
    );
    rollups_agree_with_readings(schema);
}

/// The rollups the consumers kept equal those of the stored readings.
fn rollups_agree_with_readings(schema: &Schema) {
    use millrace::store::{PostgresStore, Store, rollup};
    let mut store = PostgresStore::connect(&schema.url()).unwrap();
    rollup::fold_all(&mut store).unwrap();
    let (mut kept, mut readings) = (Vec::new(), Vec::new());
    store.scan_rollups(i64::MAX, &mut |b| kept.push(b)).unwrap();
    store.scan_metrics(&mut |m| readings.push(m)).unwrap();
    assert!(!kept.is_empty());
    assert_eq!(rollup::difference(&kept, &rollup::buckets(&readings)), None);
}

/// Two writers at once, on the same parameters and minutes under two origins (two sources
/// of the same readings), one of them resending, and two folders folding meanwhile: every
/// reading is folded once, none lost to the other's.
#[test]
fn two_writers_at_once_lose_no_rollup_update() {
    use millrace::record::{Metric, Records};
    use millrace::store::{Incoming, PostgresStore, Store};
    let _serial = serial::services();
    let Some(schema) = Schema::create("two_writers_at_once_lose_no_rollup_update") else {
        return;
    };
    let readings: Vec<Metric> = (0..6_000i64)
        .map(|i| Metric {
            id: i % 4,
            val: ((i * 7919) % 1009) as f64 / 3.0,
            time: 1_700_000_000 + (i * 37) % 1_800,
        })
        .collect();
    let records = Records::Metrics(readings);
    let url = schema.url();
    std::thread::scope(|scope| {
        for origin in ["a", "b"] {
            let (url, records) = (&url, &records);
            scope.spawn(move || {
                let mut store = PostgresStore::connect(url).unwrap();
                for from in (0..6_000).step_by(250) {
                    let part = records.slice(from..from + 250);
                    let batch = Incoming {
                        origin,
                        first_seq: from as u64,
                        records: &part,
                    };
                    store.write(&[batch]).unwrap();
                    if origin == "b" {
                        assert_eq!(store.write(&[batch]).unwrap().inserted, 0);
                    }
                    store.fold_rollups(333).unwrap();
                }
            });
        }
    });
    assert_eq!(schema.stored_metrics(), Some(12_000));
    rollups_agree_with_readings(&schema);
}

#[test]
fn competing_consumers_crashing_after_commit_store_each_record_once() {
    let _alone = serial::alone();
    let Some(schema) =
        Schema::create("competing_consumers_crashing_after_commit_store_each_record_once")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    competing_consumers_crash_after_commit(&schema, dir.path(), Backend::Embedded, &data_dir());
}

#[test]
fn a_database_outage_is_waited_out() {
    let Some(server) = own_postgres("a_database_outage_is_waited_out") else {
        return;
    };
    let schema = Schema::on(&server.url());
    let dir = tempfile::tempdir().unwrap();
    let stage = Stage::new(dir.path());
    let _serve = stage.serve();
    let log = dir.path().join("consume.log");
    let _consume = Proc::spawn(
        stage
            .consume_cmd()
            .env("MILLRACE_DB", schema.url())
            .stderr(std::fs::File::create(&log).unwrap()),
    );
    // A first record proves the consumer writes; then the server goes away.
    stage.stream_one_record();
    wait_until(Duration::from_secs(30), "the first record stored", || {
        schema.stored_metrics().unwrap_or(0) >= 1
    });
    server.stop();
    let streamed = stage.stream(data_dir()).output_bounded();
    // The outage itself: the consumer meets the stopped server.
    wait_for_log(&log, "cannot store the batch", Duration::from_secs(30));
    server.start();
    assert!(
        streamed.status.success(),
        "the webhook took the data while the database was down"
    );
    // The sample plus the first record.
    let want = DATA_METRICS as usize + 1;
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let stored = schema.stored_metrics().unwrap_or(0);
        if stored >= want && queued(dir.path()) == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stored {stored} of {want} after the outage"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(schema.metrics().len(), want, "each record once");
    assert_eq!(schema.workorders().len() as u64, DATA_WORK_ORDERS);
}

#[test]
fn a_missing_database_is_named_in_the_error() {
    let _serial = serial::services();
    let Some(_schema) = Schema::create("a_missing_database_is_named_in_the_error") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = millrace(dir.path())
        .args([
            "consume",
            "all",
            "--db",
            "postgres://postgres@127.0.0.1:5432/millrace_no_such_db",
        ])
        .output_bounded();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "consume must fail: {stderr}");
    assert!(
        stderr.contains("millrace_no_such_db") && stderr.contains("does not exist"),
        "the server's reason reaches the user: {stderr}"
    );
}

/// `postgres::Error` says only "db error"; the server's own words are its source, and the
/// store's errors keep them, whether connecting or running a statement fails.
#[test]
fn the_servers_reason_is_in_the_error_chain() {
    use millrace::store::{PostgresStore, Store, StoreError};
    use millrace::support::chain::Chain;
    let _serial = serial::services();
    let Some(schema) = Schema::create("the_servers_reason_is_in_the_error_chain") else {
        return;
    };
    let Err(err) = PostgresStore::connect("postgres://postgres@127.0.0.1:5432/millrace_no_such_db")
    else {
        panic!("connected to a database that does not exist");
    };
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
    let told = Chain(&err).to_string();
    assert!(
        told.contains(r#"database "millrace_no_such_db" does not exist"#),
        "{told}"
    );

    let mut store = PostgresStore::connect(&schema.url()).unwrap();
    schema.client().batch_execute("DROP TABLE metrics").unwrap();
    let err = store
        .count(millrace::record::StreamKind::Metrics)
        .unwrap_err();
    assert!(matches!(err, StoreError::Failed(_)), "{err}");
    let told = Chain(&err).to_string();
    assert!(
        told.contains(r#"the store failed: db error: ERROR: relation "metrics" does not exist"#),
        "{told}"
    );
}

/// The scale-out deployment in small: a webhook publishing to RabbitMQ, consumers competing
/// for each queue and writing to one PostgreSQL database.
#[test]
fn competing_consumers_on_rabbitmq_write_each_record_once_to_postgres() {
    let _alone = serial::alone();
    let test = "competing_consumers_on_rabbitmq_write_each_record_once_to_postgres";
    let Some(schema) = Schema::create(test) else {
        return;
    };
    if !broker_up(test) {
        return;
    }
    let queues = Queues::new();
    let dir = tempfile::tempdir().unwrap();
    run_ok(millrace(dir.path()).args(["generate", "--out", "data", "--scale", "5", "--seed", "7"]));
    let data = dir.path().join("data");
    competing_consumers_crash_after_commit(&schema, dir.path(), Backend::RabbitMq(&queues), &data);
}

/// Tables that are not as millrace makes them cannot heal by retrying: the report says what
/// is wrong and what to do, and exits 1 — no panic (`Row::get` used to panic on them).
#[test]
fn a_table_of_other_types_is_a_clear_error_not_a_panic() {
    let _serial = serial::services();
    let test = "a_table_of_other_types_is_a_clear_error_not_a_panic";
    let Some(schema) = Schema::create(test) else {
        return;
    };
    schema
        .client()
        .batch_execute(
            "CREATE TABLE metrics (id bigint, val text, time bigint);
             INSERT INTO metrics VALUES (1, 'hot', 1624377478);
             CREATE TABLE workorder (time bigint, product bigint, production double precision);
             INSERT INTO workorder VALUES (1624378574, 0, 15.68), (1624378600, 0, 16.0);",
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = millrace(dir.path())
        .args(["report", "--db", &schema.url()])
        .output_bounded();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("tables are not as millrace makes them (column val of table metrics"),
        "{err}"
    );
    // PostgreSQL's reason is the error's source, told after the advice.
    assert!(err.contains("the Postgres type `text`"), "{err}");
}

/// A store the previous release made (no `seq` column) opens, gains its ingest sequence in
/// place with every row kept, and then finds exactly the rows stored since a cursor.
#[test]
fn a_store_of_the_previous_release_is_upgraded_in_place() {
    use millrace::record::{Metric, Records};
    use millrace::store::{Incoming, PostgresStore, Store};
    let _serial = serial::services();
    let test = "a_store_of_the_previous_release_is_upgraded_in_place";
    let Some(schema) = Schema::create(test) else {
        return;
    };
    schema
        .client()
        .batch_execute(
            "CREATE TABLE metrics (id BIGINT NOT NULL, val DOUBLE PRECISION NOT NULL,
                 time BIGINT NOT NULL);
             CREATE INDEX metrics_by_series ON metrics (id, time) INCLUDE (val);
             CREATE TABLE workorder (time BIGINT NOT NULL, product BIGINT NOT NULL,
                 production DOUBLE PRECISION NOT NULL);
             CREATE TABLE ingested (stream TEXT NOT NULL, origin TEXT NOT NULL,
                 start BIGINT NOT NULL, \"end\" BIGINT NOT NULL,
                 PRIMARY KEY (stream, origin, start));
             INSERT INTO metrics VALUES (2, 5.5, 20), (1, 7.25, 5);
             INSERT INTO workorder VALUES (30, 0, 2.0), (10, 0, 1.0), (30, 0, 1.5);",
        )
        .unwrap();
    let mut store = PostgresStore::connect(&schema.url()).unwrap();
    let mut old = Vec::new();
    let cursor = store.metrics_after(0, &mut |m| old.push(m.time)).unwrap();
    old.sort_unstable();
    assert_eq!(old, [5, 20]);
    assert_eq!(cursor, 2);
    let productions: Vec<f64> = store
        .work_orders()
        .unwrap()
        .iter()
        .map(|w| w.production)
        .collect();
    assert_eq!(productions, [2.0, 1.0, 1.5], "stored order, ties included");
    let late = Records::Metrics(vec![Metric {
        id: 1,
        val: 3.0,
        time: 1,
    }]);
    store
        .write(&[Incoming {
            origin: "f",
            first_seq: 0,
            records: &late,
        }])
        .unwrap();
    let mut new = Vec::new();
    let newest = store
        .metrics_after(cursor, &mut |m| new.push(m.time))
        .unwrap();
    assert_eq!(new, [1]);
    assert!(newest > cursor);
    // Connecting again (another consumer) leaves the upgraded tables as they are.
    let mut again = PostgresStore::connect(&schema.url()).unwrap();
    assert_eq!(again.metrics_after(0, &mut |_| {}).unwrap(), newest);
    // The old rows and the late one are folded like any others.
    millrace::store::rollup::fold_all(&mut again).unwrap();
    let mut kept = Vec::new();
    again
        .scan_rollups(i64::MAX, &mut |b| kept.push((b.id, b.start, b.count)))
        .unwrap();
    assert_eq!(kept, [(1, 0, 2), (2, 0, 1)]);
    rollups_agree_with_readings(&schema);
}

/// The live analysis equals the batch report on PostgreSQL too, where work orders of the
/// same second come back in stored order only because of the ingest sequence.
#[test]
fn the_live_analysis_equals_the_batch_report_after_every_append() {
    use millrace::store::PostgresStore;
    let _serial = serial::services();
    let test = "the_live_analysis_equals_the_batch_report_after_every_append";
    let Some(schema) = Schema::create(test) else {
        return;
    };
    let mut store = PostgresStore::connect(&schema.url()).unwrap();
    let (metrics, orders) = common::live::shuffled_sample(3);
    assert_eq!(
        common::live::live_equals_batch(&mut store, &metrics, &orders, 5),
        10
    );
}
