//! The services some end-to-end tests need — the machine's RabbitMQ and PostgreSQL on
//! loopback — and the RabbitMQ queues and PostgreSQL schema a test keeps to itself, on those
//! or on a broker or server of the test's own (`own_rabbitmq`, `own_postgres`).

use super::rows::{MetricRow, WorkOrderRow};
use super::{assert_store_matches, counts};
use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use postgres::{Client as PgClient, NoTls};
use std::path::Path;
use std::time::{Duration, Instant};

pub const BROKER: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// The database of the machine's PostgreSQL that the tests make their schemas in.
pub const PG_SERVER: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Whether a test needing `what` on `addr` can run: yes if it answers. Outside CI a missing
/// service skips the test, saying why and how to start it; under CI=true it fails the run,
/// since `.ci/run` should have started it.
pub fn service_up(test: &str, what: &str, addr: &str, start_with: &str) -> bool {
    let up = std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2))
        .is_ok();
    if !up {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true but no {what} answers on {addr}: .ci/run should have started it"
        );
        println!("skipping {test}: no {what} on {addr} (start one with `{start_with}`)");
    }
    up
}

pub fn broker_up(test: &str) -> bool {
    service_up(
        test,
        "RabbitMQ broker",
        "127.0.0.1:5672",
        "rabbitmq-server -detached",
    )
}

/// Whether a test that starts `what` of its own can: yes if it is `present`. Outside CI a
/// missing one skips the test, saying why and how to install it; under CI=true it fails the
/// run, since `.ci/run` installs it.
pub fn installed(test: &str, what: &str, present: bool, install_with: &str) -> bool {
    if !present {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true but {what} is missing: .ci/run should have installed it"
        );
        println!("skipping {test}: {what} is missing (install with `{install_with}`)");
    }
    present
}

/// Waits until the store in `dir` holds at least `want`, `queues` are empty and nothing more
/// has arrived for a while (redelivered duplicates would), then checks the store against
/// `data` exactly.
pub fn settle_on_broker(dir: &Path, data: &Path, want: (u64, u64), queues: &Queues) {
    let db = dir.join("millrace.db");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut stable_since = Instant::now();
    let mut last = counts(&db);
    loop {
        let now = counts(&db);
        if now != last {
            last = now;
            stable_since = Instant::now();
        }
        if now.0 >= want.0
            && now.1 >= want.1
            && stable_since.elapsed() > Duration::from_secs(2)
            && queues.ready() == 0
        {
            break;
        }
        assert!(Instant::now() < deadline, "store holds {now:?} of {want:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_store_matches(&db, data);
}

/// Runs `work` with a fresh connection to the machine's broker on a runtime of its own.
pub fn amqp<F, Fut, T>(work: F) -> T
where
    F: FnOnce(Connection) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    amqp_on(BROKER, work)
}

/// [`amqp`] on the broker at `broker` (an `amqp://` URL).
pub fn amqp_on<F, Fut, T>(broker: &str, work: F) -> T
where
    F: FnOnce(Connection) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conn = Connection::connect(broker, ConnectionProperties::default())
            .await
            .unwrap();
        work(conn).await
    })
}

/// Queue names of their own for one test, on one broker, deleted (with their dead-letter
/// queues) when it ends.
pub struct Queues {
    prefix: String,
    broker: String,
}

impl Queues {
    /// Queues on the machine's broker.
    pub fn new() -> Queues {
        Queues::on(BROKER)
    }

    /// Queues on the broker at `broker` (an `amqp://` URL): a test's own.
    pub fn on(broker: &str) -> Queues {
        let prefix = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        Queues {
            prefix,
            broker: broker.to_owned(),
        }
    }

    pub fn metrics(&self) -> String {
        format!("{}-metrics", self.prefix)
    }

    pub fn workorder(&self) -> String {
        format!("{}-workorder", self.prefix)
    }

    /// The flags that point a millrace stage at these queues.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--broker".into(),
            self.broker.clone(),
            "--metrics-queue".into(),
            self.metrics(),
            "--workorder-queue".into(),
            self.workorder(),
        ]
    }

    /// Messages ready in each of our queues.
    pub fn ready(&self) -> u64 {
        let names = [self.metrics(), self.workorder()];
        amqp_on(&self.broker, |conn| async move {
            let mut total = 0;
            for name in names {
                let ch = conn.create_channel().await.unwrap();
                let options = QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                };
                if let Ok(q) = ch
                    .queue_declare(name.as_str().into(), options, FieldTable::default())
                    .await
                {
                    total += q.message_count() as u64;
                }
            }
            total
        })
    }
}

impl Drop for Queues {
    fn drop(&mut self) {
        let names = [
            self.metrics(),
            self.workorder(),
            format!("{}.dead", self.metrics()),
            format!("{}.dead", self.workorder()),
        ];
        let _ = std::panic::catch_unwind(|| {
            amqp_on(&self.broker, |conn| async move {
                for name in names {
                    let ch = conn.create_channel().await.unwrap();
                    let _ = ch
                        .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
                        .await;
                }
            })
        });
    }
}

/// A PostgreSQL schema of its own for one test, dropped at the end.
pub struct Schema {
    name: String,
    /// The database it is in, a `postgres://` URL.
    server: String,
}

impl Schema {
    /// A new schema, or `None` (the test skips, saying why) when no server answers outside CI.
    pub fn create(test: &str) -> Option<Schema> {
        let start = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
        if !service_up(test, "PostgreSQL", "127.0.0.1:5432", start) {
            return None;
        }
        Some(Schema::on(PG_SERVER))
    }

    /// A new schema in the database at `server` (a `postgres://` URL): a test's own server.
    pub fn on(server: &str) -> Schema {
        let name = format!("t_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let mut client = PgClient::connect(server, NoTls)
            .unwrap_or_else(|e| panic!("connect to PostgreSQL at {server}: {e}"));
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap();
        Schema {
            name,
            server: server.to_owned(),
        }
    }

    /// The `--db` URL that puts millrace's tables in this schema.
    pub fn url(&self) -> String {
        format!("{}?options=-c%20search_path%3D{}", self.server, self.name)
    }

    /// A connection working in this schema.
    pub fn client(&self) -> PgClient {
        let mut c = PgClient::connect(&self.server, NoTls).unwrap();
        c.batch_execute(&format!("SET search_path = {}", self.name))
            .unwrap();
        c
    }

    /// How many metric rows are stored; `None` while the server is down or the consumer
    /// has not yet created its tables (it does so on its first batch).
    pub fn stored_metrics(&self) -> Option<usize> {
        let mut c = PgClient::connect(&self.server, NoTls).ok()?;
        let sql = format!("SELECT count(*) FROM {}.metrics", self.name);
        let n: i64 = c.query_one(&sql, &[]).ok()?.get(0);
        Some(n as usize)
    }

    /// Every stored metric, sorted.
    pub fn metrics(&self) -> Vec<MetricRow> {
        let mut rows: Vec<MetricRow> = self
            .client()
            .query("SELECT id, val, time FROM metrics", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get::<_, f64>(1).to_bits(), r.get(2)))
            .collect();
        rows.sort();
        rows
    }

    /// Every stored work order, sorted.
    pub fn workorders(&self) -> Vec<WorkOrderRow> {
        let mut rows: Vec<WorkOrderRow> = self
            .client()
            .query("SELECT time, product, production FROM workorder", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, f64>(2).to_bits()))
            .collect();
        rows.sort();
        rows
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = PgClient::connect(&self.server, NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}
