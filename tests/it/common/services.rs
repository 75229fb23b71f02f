//! The services some end-to-end tests need — RabbitMQ and PostgreSQL on loopback — and the
//! RabbitMQ queues a test keeps to itself.

use super::process::OutputWithin;
use super::{assert_store_matches, counts};
use lapin::options::{QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub const BROKER: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

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

/// Runs `rabbitmqctl` (on the broker of this machine) and asserts it succeeded.
pub fn rabbitmqctl(args: &[&str]) {
    let out = Command::new("rabbitmqctl")
        .args(args)
        .output_bounded();
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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

/// Runs `work` with a fresh broker connection on a runtime of its own.
pub fn amqp<F, Fut, T>(work: F) -> T
where
    F: FnOnce(Connection) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conn = Connection::connect(BROKER, ConnectionProperties::default())
            .await
            .unwrap();
        work(conn).await
    })
}

/// Queue names of their own for one test, deleted (with their dead-letter queues) when it
/// ends.
pub struct Queues {
    prefix: String,
}

impl Queues {
    pub fn new() -> Queues {
        let prefix = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        Queues { prefix }
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
            BROKER.into(),
            "--metrics-queue".into(),
            self.metrics(),
            "--workorder-queue".into(),
            self.workorder(),
        ]
    }

    /// Messages ready in each of our queues.
    pub fn ready(&self) -> u64 {
        let names = [self.metrics(), self.workorder()];
        amqp(|conn| async move {
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
            amqp(|conn| async move {
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
