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
