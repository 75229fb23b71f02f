//! Any bytes as a data file, read in batches of any size: the reader must never panic, and
//! every batch it sends must be a valid JSON array of exactly the records it counts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use millrace::codec::decode_queued;
use millrace::record::StreamKind;
use millrace::sender::FileReader;

fuzz_target!(|data: &[u8]| {
    let Some((&batch, content)) = data.split_first() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.json");
    std::fs::write(&path, content).unwrap();
    let Ok(Some(mut reader)) = FileReader::open(&path, StreamKind::Metrics, None) else { return };
    let mut seq = 0;
    while let Ok(Some(b)) = reader.next_batch(batch as usize % 7 + 1) {
        assert_eq!(b.first_seq, seq);
        let records = decode_queued(StreamKind::Metrics, &b.body).expect("a sent batch decodes");
        assert_eq!(records.len() as u64, b.count);
        seq += b.count;
        assert_eq!(b.end.seq, seq);
    }
});
