use super::*;
use crate::queue::{EmbeddedQueue, EmbeddedQueueConfig, Envelope, Queue, dead_letter_reason};
use crate::record::Metric;
use crate::store::SqliteStore;
use crate::support::shutdown;

/// A store opened by a [`StoreHandles`], counting how often it was asked to open one.
async fn handed(
    handles: &mut StoreHandles,
    dir: &std::path::Path,
    opened: &mut u32,
) -> SharedStore {
    let open = || {
        *opened += 1;
        let store: Box<dyn Store + Send> =
            Box::new(SqliteStore::open(&dir.join("millrace.db")).unwrap());
        std::future::ready(Ok::<_, StoreError>(Some(store)))
    };
    handles.next(open).await.unwrap().unwrap()
}

#[tokio::test]
async fn sqlite_consumers_share_one_connection_and_postgres_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut opened = 0;
    let mut sqlite = StoreHandles::new(&StoreLocation::parse("millrace.db"));
    let a = handed(&mut sqlite, dir.path(), &mut opened).await;
    let b = handed(&mut sqlite, dir.path(), &mut opened).await;
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(opened, 1);
    let mut postgres = StoreHandles::new(&StoreLocation::parse("postgres://h/db"));
    let c = handed(&mut postgres, dir.path(), &mut opened).await;
    let d = handed(&mut postgres, dir.path(), &mut opened).await;
    assert!(!Arc::ptr_eq(&c, &d));
    assert_eq!(opened, 3);
}

fn envelope(id: &str, source: &str, first_seq: u64, body: Vec<u8>, count: u64) -> Envelope {
    Envelope {
        id: id.into(),
        stream: StreamKind::Metrics,
        source: Some(source.into()),
        first_seq,
        count,
        body,
    }
}

fn metrics(n: usize) -> Records {
    Records::Metrics(
        (0..n)
            .map(|i| Metric {
                id: 1,
                val: i as f64,
                time: 1_600_000_000 + i as i64,
            })
            .collect(),
    )
}

/// Runs a consumer until the queue is empty, then stops it.
async fn drain(queue: &EmbeddedQueue, db: &std::path::Path) -> Arc<ConsumerStats> {
    let store = Arc::new(Mutex::new(SqliteStore::open(db).unwrap()));
    drain_into(queue, store, ConsumerConfig::default()).await
}

async fn drain_into<S: Store + Send + 'static>(
    queue: &EmbeddedQueue,
    store: Arc<Mutex<S>>,
    config: ConsumerConfig,
) -> Arc<ConsumerStats> {
    let stats = Arc::new(ConsumerStats::default());
    let (trigger, stop) = shutdown::channel();
    let task = tokio::spawn(consume(
        StreamKind::Metrics,
        queue.consumer(StreamKind::Metrics).await.unwrap(),
        store,
        config,
        stats.clone(),
        stop,
    ));
    while queue.pending(StreamKind::Metrics).await.unwrap() > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    trigger.fire();
    task.await.unwrap().unwrap();
    assert_eq!(
        stats.in_hand.load(Ordering::Relaxed),
        0,
        "every message taken was settled"
    );
    stats
}

#[tokio::test]
async fn batches_taken_ahead_are_each_stored_once_through_a_failing_store() {
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(dir.path().join("queue.db"))).unwrap();
    let all = metrics(24);
    for (i, from) in (0..24).step_by(3).enumerate() {
        let body = all.slice(from..from + 3).to_json();
        queue
            .publish(envelope(&format!("m{i}"), "f", from as u64, body, 3))
            .await
            .unwrap();
    }
    let store = Arc::new(Mutex::new(FlakyStore {
        inner: SqliteStore::open(&dir.path().join("s.db")).unwrap(),
        failures_left: 2,
        broken: false,
    }));
    // One message per fetch: every write has a batch taken ahead while it runs, and
    // the first write, failing, holds one through the retries.
    let config = ConsumerConfig {
        max_messages: 1,
        ahead_after_bytes: 0,
        ..ConsumerConfig::default()
    };
    let stats = drain_into(&queue, store.clone(), config).await;
    assert_eq!(store.lock().unwrap().failures_left, 0, "it was retried");
    assert!(
        stats.taken_ahead.load(Ordering::Relaxed) > 0,
        "batches were taken ahead"
    );
    assert_eq!(stats.inserted.load(Ordering::Relaxed), 24);
    assert_eq!(
        stats.duplicates.load(Ordering::Relaxed),
        0,
        "no message was handed out twice"
    );
    assert_eq!(stats.dead_letters.load(Ordering::Relaxed), 0);
    let mut rows = Vec::new();
    store
        .lock()
        .unwrap()
        .scan_metrics(&mut |m| rows.push(m.val))
        .unwrap();
    assert_eq!(rows, (0..24).map(f64::from).collect::<Vec<_>>());
}

#[tokio::test]
async fn poison_messages_become_dead_letters_and_the_rest_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(path.clone())).unwrap();
    let good = metrics(5);
    queue
        .publish(envelope("good", "f", 0, good.to_json(), 5))
        .await
        .unwrap();
    queue
        .publish(envelope("garbage", "f", 5, b"{oops".to_vec(), 1))
        .await
        .unwrap();
    queue
        .publish(envelope("miscounted", "f", 5, metrics(2).to_json(), 3))
        .await
        .unwrap();
    let stats = drain(&queue, &dir.path().join("s.db")).await;
    assert_eq!(stats.inserted.load(Ordering::Relaxed), 5);
    assert_eq!(stats.dead_letters.load(Ordering::Relaxed), 2);
    assert_eq!(queue.dead_letters(StreamKind::Metrics).await.unwrap(), 2);
    let reason = dead_letter_reason(&path, 2).unwrap();
    assert!(reason.contains("not a valid metrics batch"), "{reason}");
    let reason = dead_letter_reason(&path, 3).unwrap();
    assert!(
        reason.contains("holds 2 records but the message says 3"),
        "{reason}"
    );
}

#[tokio::test]
async fn redelivered_and_overlapping_batches_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(dir.path().join("queue.db"))).unwrap();
    let all = metrics(10);
    queue
        .publish(envelope("a", "f", 0, all.slice(0..6).to_json(), 6))
        .await
        .unwrap();
    queue
        .publish(envelope("b", "f", 0, all.slice(0..6).to_json(), 6))
        .await
        .unwrap();
    queue
        .publish(envelope("c", "f", 4, all.slice(4..10).to_json(), 6))
        .await
        .unwrap();
    let stats = drain(&queue, &dir.path().join("s.db")).await;
    assert_eq!(stats.inserted.load(Ordering::Relaxed), 10);
    assert_eq!(stats.duplicates.load(Ordering::Relaxed), 8);
    let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
    assert_eq!(store.count(StreamKind::Metrics).unwrap(), 10);
}

/// A store that fails its first writes, as a full disk or a lost database would.
struct FlakyStore {
    inner: SqliteStore,
    failures_left: u32,
    /// Fails every write as tables of other types would: no retry can help.
    broken: bool,
}

impl Store for FlakyStore {
    fn write(&mut self, batches: &[Incoming<'_>]) -> Result<WriteStats, StoreError> {
        if self.broken {
            return Err(StoreError::Broken {
                table: "metrics",
                column: "val".into(),
                source: "cannot convert between the Rust type `f64` and the Postgres type `text`"
                    .into(),
            });
        }
        if self.failures_left > 0 {
            self.failures_left -= 1;
            return Err(StoreError::Failed("database or disk is full".into()));
        }
        self.inner.write(batches)
    }
    fn count(&mut self, stream: StreamKind) -> Result<u64, StoreError> {
        self.inner.count(stream)
    }
    fn work_orders(&mut self) -> Result<Vec<crate::record::WorkOrder>, StoreError> {
        self.inner.work_orders()
    }
    fn scan_metrics(&mut self, visit: &mut dyn FnMut(Metric)) -> Result<u64, StoreError> {
        self.inner.scan_metrics(visit)
    }
    fn metrics_after(
        &mut self,
        after: crate::store::Seq,
        visit: &mut dyn FnMut(Metric),
    ) -> Result<crate::store::Seq, StoreError> {
        self.inner.metrics_after(after, visit)
    }
    fn work_orders_after(
        &mut self,
        after: crate::store::Seq,
    ) -> Result<Vec<(crate::store::Seq, crate::record::WorkOrder)>, StoreError> {
        self.inner.work_orders_after(after)
    }
    fn snapshot_metrics(
        &mut self,
        visit: &mut dyn FnMut(Metric),
    ) -> Result<crate::store::Seq, StoreError> {
        self.inner.snapshot_metrics(visit)
    }
    fn stream_status(
        &mut self,
        stream: StreamKind,
    ) -> Result<crate::store::StreamStatus, StoreError> {
        self.inner.stream_status(stream)
    }
    fn held(&mut self, stream: StreamKind, origin: &str) -> Result<u64, StoreError> {
        self.inner.held(stream, origin)
    }
    fn rollup_status(&mut self) -> Result<Option<crate::store::RollupStatus>, StoreError> {
        self.inner.rollup_status()
    }
    fn scan_rollups(
        &mut self,
        before: i64,
        visit: &mut dyn FnMut(crate::store::Bucket),
    ) -> Result<u64, StoreError> {
        self.inner.scan_rollups(before, visit)
    }
    fn raw_from(&mut self) -> Result<Option<i64>, StoreError> {
        self.inner.raw_from()
    }
    fn parameters(&mut self) -> Result<Vec<i64>, StoreError> {
        self.inner.parameters()
    }
    fn scan_history(
        &mut self,
        id: i64,
        raw_from: i64,
        visit: &mut dyn FnMut(crate::store::HistoryRow),
    ) -> Result<u64, StoreError> {
        self.inner.scan_history(id, raw_from, visit)
    }
    fn prune_raw(
        &mut self,
        age: i64,
        progress: &mut dyn FnMut(u64),
    ) -> Result<crate::store::Pruned, StoreError> {
        self.inner.prune_raw(age, progress)
    }
    fn rebuild_rollups(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, StoreError> {
        self.inner.rebuild_rollups(progress)
    }
    fn fold_rollups(&mut self, limit: u64) -> Result<u64, StoreError> {
        self.inner.fold_rollups(limit)
    }
    fn unfolded(&mut self) -> Result<u64, StoreError> {
        self.inner.unfolded()
    }
}

#[tokio::test]
async fn a_failing_store_is_retried_without_acknowledging_or_dead_lettering() {
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(dir.path().join("queue.db"))).unwrap();
    queue
        .publish(envelope("a", "f", 0, metrics(4).to_json(), 4))
        .await
        .unwrap();
    // Fails until the test lets it recover, so that the checks below run while it fails.
    let store = Arc::new(Mutex::new(FlakyStore {
        inner: SqliteStore::open(&dir.path().join("s.db")).unwrap(),
        failures_left: u32::MAX,
        broken: false,
    }));
    let stats = Arc::new(ConsumerStats::default());
    let (trigger, stop) = shutdown::channel();
    let task = tokio::spawn(consume(
        StreamKind::Metrics,
        queue.consumer(StreamKind::Metrics).await.unwrap(),
        store.clone(),
        ConsumerConfig::default(),
        stats.clone(),
        stop,
    ));
    // The first write and two retries fail...
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.lock().unwrap().failures_left > u32::MAX - 3 {
        assert!(std::time::Instant::now() < deadline, "it was not retried");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // ...and meanwhile the message stays in the queue, neither acknowledged nor set aside.
    assert_eq!(queue.pending(StreamKind::Metrics).await.unwrap(), 1);
    assert_eq!(queue.dead_letters(StreamKind::Metrics).await.unwrap(), 0);
    store.lock().unwrap().failures_left = 0;
    while queue.pending(StreamKind::Metrics).await.unwrap() > 0 {
        assert!(std::time::Instant::now() < deadline, "never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    trigger.fire();
    task.await.unwrap().unwrap();
    assert_eq!(stats.inserted.load(Ordering::Relaxed), 4);
    assert_eq!(stats.dead_letters.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn a_message_that_never_gets_stored_is_eventually_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig {
        redeliver_after: Duration::from_millis(1),
        ..EmbeddedQueueConfig::new(dir.path().join("queue.db"))
    })
    .unwrap();
    queue
        .publish(envelope("a", "f", 0, metrics(1).to_json(), 1))
        .await
        .unwrap();
    // Simulate consumers that crash before acknowledging, again and again.
    let mut crashing = queue.consumer(StreamKind::Metrics).await.unwrap();
    for _ in 0..5 {
        assert_eq!(
            crashing
                .fetch(1, Duration::from_secs(1))
                .await
                .unwrap()
                .len(),
            1
        );
    }
    let stats = drain(&queue, &dir.path().join("s.db")).await;
    assert_eq!(stats.dead_letters.load(Ordering::Relaxed), 1);
    assert_eq!(stats.inserted.load(Ordering::Relaxed), 0);
}

/// Runs a consumer without ever shutting it down: it must stop by itself, with an error,
/// rather than retry a fault that cannot heal.
async fn stopped_by_itself<C: QueueConsumer, S: Store>(
    consumer: C,
    store: Arc<Mutex<S>>,
) -> ConsumerError {
    let (_trigger, stop) = shutdown::channel();
    let run = consume(
        StreamKind::Metrics,
        consumer,
        store,
        ConsumerConfig::default(),
        Arc::new(ConsumerStats::default()),
        stop,
    );
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the consumer retried a fault that cannot heal")
        .expect_err("the consumer stops with the fault")
}

#[tokio::test]
async fn a_store_that_cannot_heal_stops_the_consumer_without_acknowledging() {
    let dir = tempfile::tempdir().unwrap();
    let queue = EmbeddedQueue::open(EmbeddedQueueConfig::new(dir.path().join("queue.db"))).unwrap();
    queue
        .publish(envelope("a", "f", 0, metrics(4).to_json(), 4))
        .await
        .unwrap();
    let store = Arc::new(Mutex::new(FlakyStore {
        inner: SqliteStore::open(&dir.path().join("s.db")).unwrap(),
        failures_left: 0,
        broken: true,
    }));
    let consumer = queue.consumer(StreamKind::Metrics).await.unwrap();
    let err = stopped_by_itself(consumer, store).await;
    assert!(matches!(
        err,
        ConsumerError::Store {
            source: StoreError::Broken { .. },
            ..
        }
    ));
    assert_eq!(
        queue.pending(StreamKind::Metrics).await.unwrap(),
        1,
        "not acknowledged"
    );
    assert_eq!(queue.dead_letters(StreamKind::Metrics).await.unwrap(), 0);
}

/// A queue whose every fetch finds it broken, as a poisoned lock leaves the embedded one.
struct BrokenQueue;

impl QueueConsumer for BrokenQueue {
    async fn fetch(&mut self, _: usize, _: Duration) -> Result<Vec<Delivery>, QueueError> {
        Err(QueueError::Broken {
            what: "a thread panicked while holding one of its locks",
            source: None,
        })
    }
    async fn ack(&mut self, _: Vec<u64>) -> Result<(), QueueError> {
        unreachable!("nothing was fetched")
    }
    async fn extend(&mut self, _: Vec<u64>) -> Result<(), QueueError> {
        unreachable!("nothing was fetched")
    }
    async fn dead_letter(&mut self, _: &Delivery, _: String) -> Result<(), QueueError> {
        unreachable!("nothing was fetched")
    }
}

#[tokio::test]
async fn a_queue_that_cannot_heal_stops_the_consumer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(
        SqliteStore::open(&dir.path().join("s.db")).unwrap(),
    ));
    let err = stopped_by_itself(BrokenQueue, store).await;
    assert!(matches!(
        err,
        ConsumerError::Queue {
            source: QueueError::Broken { .. },
            ..
        }
    ));
    assert!(format!("{:#}", anyhow::Error::from(err)).contains("restart millrace"));
}
