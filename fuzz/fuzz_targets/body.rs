//! Any bytes, under any of the content types, as a webhook body: decoding must never panic,
//! and whatever it accepts must survive the queue's encoding unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use millrace::codec::{decode_body, decode_queued};
use millrace::record::StreamKind;

const TYPES: [Option<&str>; 4] = [None, Some("application/json"), Some("application/x-ndjson"), Some("text/plain")];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let kind = if selector & 1 == 0 { StreamKind::Metrics } else { StreamKind::Workorder };
    let content_type = TYPES[(selector as usize >> 1) % TYPES.len()];
    if let Ok(records) = decode_body(kind, content_type, body, 10_000) {
        let again = decode_queued(kind, &records.to_json()).expect("what was accepted decodes again");
        assert_eq!(again, records);
    }
});
