//! The live analysis gives exactly the batch report, however the rows arrive (SQLite here;
//! tests/it/store/postgres.rs runs the same scenario on PostgreSQL).

use crate::common;

use millrace::store::SqliteStore;

#[test]
fn the_live_analysis_equals_the_batch_report_after_every_append() {
    for seed in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("live.db")).unwrap();
        let (metrics, orders) = common::live::shuffled_sample(seed);
        let compared = common::live::live_equals_batch(&mut store, &metrics, &orders, 7);
        assert_eq!(compared, 14);
    }
}

/// On a pruned store the live analysis is the batch report too: after the prune, after a
/// reading that arrives late (before the cut-off, known to the rollups only) and after new
/// work orders.
#[test]
fn the_live_analysis_equals_the_batch_report_on_a_pruned_store() {
    use millrace::live::LiveState;
    use millrace::record::{Metric, Records};
    use millrace::report::{self, Options};
    use millrace::store::{Incoming, Store};
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("live.db")).unwrap();
    let (metrics, orders) = common::live::shuffled_sample(3);
    let half = orders.len() / 2;
    for (origin, records) in [
        ("m", Records::Metrics(metrics.clone())),
        ("w", Records::Workorder(orders[..half].to_vec())),
    ] {
        store
            .write(&[Incoming {
                origin,
                first_seq: 0,
                records: &records,
            }])
            .unwrap();
    }
    let options = Options::default();
    let mut live = LiveState::new("the store".into(), options);
    live.update(&mut store).unwrap();
    let pruned = store.prune_raw(8 * 86_400, &mut |_| {}).unwrap();
    let raw_from = pruned.raw_from.unwrap();
    assert!(pruned.deleted > 1_000, "{pruned:?}");
    let compare = |store: &mut SqliteStore, live: &mut LiveState, step: usize| {
        let changes = live.update(store).unwrap();
        assert!(changes.any(), "step {step}: the change was seen");
        let batch = report::build(store, "the store", options).unwrap();
        assert_eq!(batch.raw_from, Some(raw_from));
        common::live::assert_same(&live.report(), &batch, step);
    };
    compare(&mut store, &mut live, 0);
    let late = Records::Metrics(vec![Metric {
        time: raw_from - 3_600,
        ..metrics[0]
    }]);
    store
        .write(&[Incoming {
            origin: "late",
            first_seq: 0,
            records: &late,
        }])
        .unwrap();
    compare(&mut store, &mut live, 1);
    let rest = Records::Workorder(orders[half..].to_vec());
    store
        .write(&[Incoming {
            origin: "w",
            first_seq: half as u64,
            records: &rest,
        }])
        .unwrap();
    compare(&mut store, &mut live, 2);
}
