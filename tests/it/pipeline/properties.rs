//! Property tests of the two invariants exactly-once rests on: the streamer's offsets (every
//! record sent, in order, with a stable position, across appends and crashes) and the store's
//! deduplication (every position stored once, whatever arrives how often and in what order).

use millrace::record::{Metric, Records, StreamKind};
use millrace::sender::{FileReader, Offset};
use millrace::store::{Incoming, SqliteStore, Store};
use proptest::prelude::*;

fn metric_json(i: u64) -> String {
    format!(
        r#"{{"id": {}, "val": {}.25, "time": {}}}"#,
        i % 20,
        i,
        1_600_000_000 + i
    )
}

/// Reads everything new after `resume`; returns each batch's (first position, count, end).
fn read_new(
    path: &std::path::Path,
    resume: Option<&Offset>,
    batch: usize,
) -> Vec<(u64, u64, Offset)> {
    let mut reader = FileReader::open(path, StreamKind::Metrics, resume)
        .unwrap()
        .unwrap();
    let mut out = Vec::new();
    while let Some(b) = reader.next_batch(batch).unwrap() {
        out.push((b.first_seq, b.count, b.end));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Appends in any sizes, read in any batch sizes, with offsets sometimes lost (a crash
    /// between the 2xx and saving): every record is sent, the positions are consecutive, and
    /// anything sent twice is sent under the same positions.
    #[test]
    fn offsets_send_everything_with_stable_positions(
        appends in proptest::collection::vec(1u64..40, 1..6),
        batch in 1usize..17,
        lose_last_offset in proptest::collection::vec(any::<bool>(), 6),
        ndjson in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.json");
        let mut total = 0u64;
        let mut offset: Option<Offset> = None;
        let mut sent_positions = std::collections::BTreeMap::<u64, u32>::new();
        for (round, n) in appends.iter().enumerate() {
            total += n;
            let records: Vec<String> = (0..total).map(metric_json).collect();
            let text = if ndjson { records.join("\n") + "\n" } else { format!("[{}]", records.join(",\n ")) };
            std::fs::write(&path, text).unwrap();
            let batches = read_new(&path, offset.as_ref(), batch);
            let mut expected_start = offset.as_ref().map_or(0, |o| o.seq);
            for (first, count, _) in &batches {
                prop_assert_eq!(*first, expected_start);
                expected_start += count;
                for p in *first..first + count {
                    *sent_positions.entry(p).or_default() += 1;
                }
            }
            prop_assert_eq!(expected_start, total);
            let lose = lose_last_offset[round] && batches.len() > 1;
            let kept = if lose { batches.len() - 1 } else { batches.len() };
            if kept > 0 {
                offset = Some(batches[kept - 1].2.clone());
            }
        }
        // A final run picks up anything whose offset was lost.
        if offset.as_ref().map_or(0, |o| o.seq) < total {
            for (first, count, _) in read_new(&path, offset.as_ref(), batch) {
                for p in first..first + count {
                    *sent_positions.entry(p).or_default() += 1;
                }
            }
        }
        prop_assert_eq!(sent_positions.len() as u64, total, "every position sent");
        prop_assert_eq!(sent_positions.keys().copied().collect::<Vec<_>>(), (0..total).collect::<Vec<_>>());
    }

    /// Batches covering random ranges of one source, delivered in any order and any number
    /// of times, store each position exactly once.
    #[test]
    fn the_store_keeps_each_position_once(
        ranges in proptest::collection::vec((0u64..60, 1u64..20), 1..25),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let all: Vec<Metric> = (0..80).map(|i| Metric { id: 1, val: i as f64, time: 1_600_000_000 + i }).collect();
        let mut covered = std::collections::BTreeSet::new();
        for (start, len) in ranges {
            let end = (start + len).min(80);
            let records = Records::Metrics(all[start as usize..end as usize].to_vec());
            store.write(&[Incoming { origin: "f", first_seq: start, records: &records }]).unwrap();
            covered.extend(start..end);
        }
        prop_assert_eq!(store.count(StreamKind::Metrics).unwrap(), covered.len() as u64);
        let conn = store.connection();
        let mut stmt = conn.prepare("SELECT val FROM metrics ORDER BY val").unwrap();
        let vals: Vec<f64> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        let want: Vec<f64> = covered.iter().map(|&p| p as f64).collect();
        prop_assert_eq!(vals, want, "exactly the covered positions, once each");
    }
}
