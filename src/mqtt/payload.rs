//! One MQTT message turned into what the queue takes: a batch of validated records, or a dead
//! letter with the reason the webhook would have answered.
//!
//! Identity: MQTT redelivers a message it has no acknowledgement for (after a reconnect, or
//! when millrace was killed before acknowledging), and the redelivery cannot be told apart
//! from the first delivery. So a message's records are identified by what they are: the
//! source is `mqtt:<topic>#<xxh3 of the payload>` and the records are numbered from 0
//! within it, and the store keeps each (source, position) once — exactly as it does for the
//! streamer's `Millrace-Source` batches. The price: two byte-identical payloads on one topic
//! are one batch to millrace, and are stored once.
//!
//! A refused payload is set aside as it came, undecoded (its record count 0), so that
//! `millrace dead-letters requeue` can put it through [`decode`] again, with the limits then
//! in force, instead of handing the consumers a body they were never meant to read.

use crate::codec::decode_body;
use crate::queue::{BodyFormat, Envelope};
use crate::record::StreamKind;
use xxhash_rust::xxh3::xxh3_64;

/// What becomes of one message.
#[derive(Debug)]
pub enum Outcome {
    /// Valid records, to publish to the stream's queue.
    Batch(Envelope),
    /// No records at all (an empty array): nothing to store, acknowledge it.
    Empty,
    /// Not a batch millrace accepts: to be set aside as a dead letter with the reason.
    Dead {
        /// The payload as it came, for an operator to inspect.
        envelope: Envelope,
        /// Why it was refused, in the webhook's words.
        reason: String,
    },
}

/// The webhook's limits on one batch, applied to one message.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The most records (`--max-batch-records`).
    pub records: usize,
    /// The largest payload in bytes (`--max-body-bytes`).
    pub bytes: usize,
}

/// The identity of a message's records: its topic and the hash of its payload.
pub fn source(topic: &str, payload: &[u8]) -> String {
    format!("mqtt:{topic}#{:016x}", xxh3_64(payload))
}

/// Decodes a payload of any layout the webhook accepts (array, object, NDJSON, a JSON string
/// holding one of those), with the webhook's limits and messages.
///
/// A payload over the byte limit is a dead letter too (its first `limits.bytes` bytes kept):
/// the client takes messages up to MQTT's own maximum precisely so that one oversized
/// message is set aside, instead of dropping the connection and coming back for ever.
pub fn decode(
    stream: StreamKind,
    topic: &str,
    payload: &[u8],
    limits: Limits,
    format: BodyFormat,
) -> Outcome {
    let source = source(topic, payload);
    let dead = |body: &[u8], reason: String| Outcome::Dead {
        envelope: Envelope {
            id: uuid::Uuid::new_v4().to_string(),
            stream,
            source: Some(source.clone()),
            first_seq: 0,
            // Undecoded: what `decode_again` knows it by.
            count: 0,
            body: body.to_vec(),
        },
        reason: format!("MQTT topic {topic}: {reason}"),
    };
    if payload.len() > limits.bytes {
        return dead(
            &payload[..limits.bytes],
            format!(
                "the payload is {} bytes, more than the {} allowed (the webhook's limit, `max_body_bytes` in millrace.toml); split it into smaller messages",
                payload.len(),
                limits.bytes
            ),
        );
    }
    match decode_body(stream, content_type(payload), payload, limits.records) {
        Ok(records) if records.is_empty() => Outcome::Empty,
        Ok(records) => Outcome::Batch(Envelope::batch(&records, Some(source.clone()), 0, format)),
        Err(e) => dead(payload, e.to_string()),
    }
}

/// A dead letter this module set aside, decoded again as [`decode`] first did, with `limits`
/// as they are now (a payload refused for its number of records is a batch once
/// `max_batch_records` allows it); `None` for any other dead letter, whose body is a queue
/// message for the consumers to read again as they did. A batch keeps the letter's id and
/// source, so its records are stored once however often it is requeued.
///
/// A payload cut short (only its first bytes were kept because it was over the byte limit)
/// is refused again: what is missing cannot be decoded.
pub fn decode_again(letter: &Envelope, limits: Limits, format: BodyFormat) -> Option<Outcome> {
    let (topic, hash) = undecoded(letter)?;
    if xxh3_64(&letter.body) != hash {
        return Some(Outcome::Dead {
            envelope: letter.clone(),
            reason: format!(
                "MQTT topic {topic}: only the first {} bytes of the payload were kept, as it was over the byte limit; publish it again in smaller messages",
                letter.body.len()
            ),
        });
    }
    Some(
        match decode(letter.stream, topic, &letter.body, limits, format) {
            Outcome::Batch(batch) => Outcome::Batch(Envelope {
                id: letter.id.clone(),
                ..batch
            }),
            other => other,
        },
    )
}

/// Whether `letter` holds an MQTT payload as it came, only partly (over the byte limit).
pub fn cut_short(letter: &Envelope) -> bool {
    undecoded(letter).is_some_and(|(_, hash)| xxh3_64(&letter.body) != hash)
}

/// The topic and payload hash of a letter [`decode`] set aside undecoded; `None` for a
/// batch of decoded records (the consumers' dead letters, even of MQTT batches).
fn undecoded(letter: &Envelope) -> Option<(&str, u64)> {
    if letter.count != 0 {
        return None;
    }
    let (topic, hash) = letter
        .source
        .as_deref()?
        .strip_prefix("mqtt:")?
        .rsplit_once('#')?;
    Some((topic, u64::from_str_radix(hash, 16).ok()?))
}

/// MQTT 3.1.1 carries no content type, so the one the webhook would be told is read off the
/// payload: records one per line are NDJSON, anything else is left to the body's first byte.
fn content_type(payload: &[u8]) -> Option<&'static str> {
    let text = payload.trim_ascii();
    let lines = text.first() == Some(&b'{') && text.contains(&b'\n');
    lines.then_some("application/x-ndjson")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(records: usize) -> Limits {
        Limits {
            records,
            bytes: 1 << 20,
        }
    }

    #[test]
    fn a_payload_over_the_byte_limit_is_a_dead_letter_that_says_so() {
        let big = format!("[{}]", vec![ONE; 50].join(","));
        let small = Limits {
            records: 1000,
            bytes: 100,
        };
        let Outcome::Dead { envelope, reason } = metrics("plant/1/metrics", big.as_bytes(), small)
        else {
            panic!("an oversized payload must be set aside");
        };
        assert!(reason.contains("plant/1/metrics"), "{reason}");
        assert!(reason.contains(&format!("{} bytes", big.len())), "{reason}");
        assert!(reason.contains("max_body_bytes"), "{reason}");
        assert_eq!(envelope.body.len(), 100, "only the first bytes are kept");
        // The same payload within the limit is a batch.
        assert!(matches!(
            metrics("plant/1/metrics", big.as_bytes(), limits(1000)),
            Outcome::Batch(_)
        ));
    }

    const ONE: &str = r#"{"id": 1, "val": 0.5, "time": 1624377478}"#;

    /// A metrics payload on `topic`, decoded as the subscriber does.
    fn metrics(topic: &str, payload: &[u8], limits: Limits) -> Outcome {
        decode(
            StreamKind::Metrics,
            topic,
            payload,
            limits,
            BodyFormat::Packed,
        )
    }

    #[test]
    fn every_webhook_layout_decodes() {
        let array = format!("[{ONE},{ONE}]");
        let lines = format!("{ONE}\n{ONE}\n");
        let string = serde_json::to_string(&array).unwrap();
        for (body, n) in [(array.as_str(), 2), (ONE, 1), (&lines, 2), (&string, 2)] {
            match metrics("t", body.as_bytes(), limits(100)) {
                Outcome::Batch(e) => assert_eq!(e.count, n, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_same_payload_on_the_same_topic_is_the_same_batch() {
        let Outcome::Batch(a) = metrics("a", ONE.as_bytes(), limits(10)) else {
            panic!()
        };
        let Outcome::Batch(b) = metrics("a", ONE.as_bytes(), limits(10)) else {
            panic!()
        };
        let Outcome::Batch(c) = metrics("b", ONE.as_bytes(), limits(10)) else {
            panic!()
        };
        assert_eq!((a.origin(), a.first_seq), (b.origin(), b.first_seq));
        assert_ne!(a.origin(), c.origin());
    }

    /// The letter `decode` sets aside for `payload` under `limits`.
    fn set_aside(payload: &[u8], limits: Limits) -> (Envelope, String) {
        match metrics("p/1", payload, limits) {
            Outcome::Dead { envelope, reason } => (envelope, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_letter_is_decoded_again_as_it_first_was() {
        // Still refused, for the same reason.
        let (letter, reason) = set_aside(ONE.replace("0.5", "\"x\"").as_bytes(), limits(10));
        let Some(Outcome::Dead { reason: again, .. }) =
            decode_again(&letter, limits(10), BodyFormat::Packed)
        else {
            panic!("a bad payload stays refused");
        };
        assert_eq!(again, reason);
        // Refused for its size, then allowed: a batch with the letter's identity.
        let two = format!("{ONE}\n{ONE}\n");
        let (letter, _) = set_aside(two.as_bytes(), limits(1));
        let Some(Outcome::Batch(batch)) = decode_again(&letter, limits(2), BodyFormat::Packed)
        else {
            panic!("within the limit now");
        };
        assert_eq!(batch.count, 2);
        assert_eq!((&batch.id, &batch.source), (&letter.id, &letter.source));
        // A consumer's letter (decoded records) is no business of this module's.
        let Outcome::Batch(queued) = metrics("p/1", ONE.as_bytes(), limits(10)) else {
            panic!()
        };
        assert!(decode_again(&queued, limits(10), BodyFormat::Packed).is_none());
    }

    #[test]
    fn a_payload_cut_short_stays_refused() {
        let big = format!("[{}]", vec![ONE; 50].join(","));
        let small = Limits {
            records: 1000,
            bytes: 100,
        };
        let (letter, _) = set_aside(big.as_bytes(), small);
        assert!(cut_short(&letter));
        let Some(Outcome::Dead { reason, .. }) =
            decode_again(&letter, limits(1000), BodyFormat::Packed)
        else {
            panic!("the rest of the payload is gone");
        };
        assert!(reason.contains("first 100 bytes"), "{reason}");
    }

    #[test]
    fn a_bad_payload_is_dead_with_the_webhooks_reason() {
        let bad = br#"[{"id": 1, "val": "x", "time": 1}]"#;
        let Outcome::Dead { envelope, reason } = metrics("p/1", bad, limits(10)) else {
            panic!()
        };
        assert_eq!(envelope.body, bad);
        let webhook = decode_body(StreamKind::Metrics, None, bad, 10).unwrap_err();
        assert_eq!(reason, format!("MQTT topic p/1: {webhook}"));
        assert!(matches!(metrics("t", b"[]", limits(10)), Outcome::Empty));
    }
}
