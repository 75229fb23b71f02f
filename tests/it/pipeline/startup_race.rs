//! Starting together: `serve` and `consume` started at the same moment on a new queue file,
//! as a service manager does at boot, both keep running; and many opens of one new queue or
//! store file at once all succeed. SQLite does not wait for every lock by itself (the switch
//! to WAL can fail at once on another connection's lock), so this is where a start-up race
//! would show.

use crate::common;

use common::*;
use millrace::queue::{EmbeddedQueue, EmbeddedQueueConfig};
use millrace::store::SqliteStore;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// Starts of both processes; the race lost 2 of 40 before the opens waited out locks.
const STARTS: usize = 20;
/// Threads opening one file at once.
const OPENERS: usize = 16;

#[test]
fn serve_and_consume_started_together_both_keep_running() {
    for start in 0..STARTS {
        let dir = tempfile::tempdir().unwrap();
        let stage = Stage::new(dir.path());
        let mut serve = Proc::spawn(&mut stage.serve_cmd());
        let mut consume = stage.consume();
        wait_healthy(stage.port);
        // A record stored proves `consume` opened the queue and the store and is working.
        stage.stream_one_record();
        wait_for_counts(
            &dir.path().join("millrace.db"),
            (1, 0),
            Duration::from_secs(30),
        );
        for (name, p) in [("serve", &mut serve), ("consume", &mut consume)] {
            assert!(
                p.0.try_wait().unwrap().is_none(),
                "start {start}: {name} exited"
            );
        }
    }
}

/// Runs `open` on [`OPENERS`] threads released at the same instant; every one must succeed.
fn open_at_once(open: impl Fn() -> Result<(), String> + Send + Sync + 'static) {
    let open = Arc::new(open);
    let gate = Arc::new(Barrier::new(OPENERS));
    let threads: Vec<_> = (0..OPENERS)
        .map(|_| {
            let (open, gate) = (open.clone(), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                open()
            })
        })
        .collect();
    for t in threads {
        join_within(t, Duration::from_secs(120), "an open of the new file").unwrap();
    }
}

#[test]
fn many_opens_of_one_new_queue_file_at_once_all_succeed() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/queue.db");
        open_at_once(move || {
            EmbeddedQueue::open(EmbeddedQueueConfig::new(&path))
                .map(drop)
                .map_err(|e| millrace::support::chain::Chain(&e).to_string())
        });
    }
}

#[test]
fn many_opens_of_one_new_store_file_at_once_all_succeed() {
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/millrace.db");
        let shared = path.clone();
        open_at_once(move || {
            SqliteStore::open(Path::new(&shared))
                .map(drop)
                .map_err(|e| millrace::support::chain::Chain(&e).to_string())
        });
        let conn = rusqlite::Connection::open(&path).unwrap();
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('metrics', 'workorder')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 2, "the store's tables exist");
    }
}
