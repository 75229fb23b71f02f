//! One lock for the tests that must not run beside certain others. `cargo test` runs the tests
//! of this binary on parallel threads, and most share nothing but the machine; these do:
//!
//! Alone ([`alone`], the lock exclusively), because what they assert depends on time that a
//! busy neighbour would steal:
//!
//! - processes killed or crashed at chosen moments, the store checked after: `pipeline::crash`,
//!   `pipeline::crash_points`, `pipeline::chaos`, `pipeline::run_lock`'s SIGKILL, the killed
//!   and crashing consumers and the chaos run of `queue::rabbitmq`, those of `store::postgres`,
//!   and `mqtt`'s kill -9 and broker restarts;
//! - shutdown by signal, which must finish within a bound: `pipeline::shutdown`,
//!   `pipeline::run_follow`'s Ctrl-C, `sender::follow`'s SIGTERM, `mqtt`'s `run` and
//!   `metrics`' totals on exit;
//! - time asserted: "sent within a second" (`sender::follow`), "on the dashboard within 2 s"
//!   (`pipeline::run_follow`), "refused at once" (`pipeline::run_lock`, `webhook::limits`),
//!   "told at once, then every 10 s" (`cli::usage`), a lock held past SQLite's busy timeout
//!   (`pipeline::shutdown`), a full queue holding messages back (`mqtt`).
//!
//! Beside each other ([`services`], the lock shared): every other test that uses the
//! machine's RabbitMQ or PostgreSQL. They keep to queues and schemas of their own, so they
//! may run together, but not beside a test above, whose timing they would disturb.
//!
//! No test stops, restarts or reconfigures the machine's RabbitMQ or PostgreSQL. One that must
//! take its broker or database away starts its own (`own_rabbitmq`, `own_postgres`), which
//! nobody else uses: `queue::rabbitmq`'s broker restart and `store::postgres`'s outage test
//! take no lock; the chaos run on RabbitMQ is alone for its kills.
//!
//! The lock is taken first thing in the test and held to its end (declared before anything
//! that uses the service, so that it is dropped last); an async test awaits it
//! ([`alone_async`], [`services_async`]). It is tokio's lock, which cannot be poisoned: a test
//! that fails while holding it releases it like any other, so one failure does not fail the
//! rest; and it may be held across an await. Waiting tests get it in the order they asked.
//!
//! Under nextest, which runs each test in a process of its own, `.config/nextest.toml` keeps
//! the same tests apart.

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

static LOCK: RwLock<()> = RwLock::const_new(());

/// Waits until no other test holds the lock, and holds it alone until dropped.
pub fn alone() -> RwLockWriteGuard<'static, ()> {
    LOCK.blocking_write()
}

/// [`alone`], for an async test.
pub async fn alone_async() -> RwLockWriteGuard<'static, ()> {
    LOCK.write().await
}

/// Waits until no test holds the lock alone, and holds it beside the other tests of shared
/// services until dropped.
pub fn services() -> RwLockReadGuard<'static, ()> {
    LOCK.blocking_read()
}

/// [`services`], for an async test.
pub async fn services_async() -> RwLockReadGuard<'static, ()> {
    LOCK.read().await
}
