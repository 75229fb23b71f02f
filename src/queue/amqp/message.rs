//! The message format on RabbitMQ: the body is the batch, packed (schema 2) or as a JSON
//! array (schema 1); properties and headers say which, so other tools can read and publish
//! millrace messages.

use crate::codec::{decode_queued, is_packed};
use crate::queue::Envelope;
use crate::record::StreamKind;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, ShortString};
use std::time::{SystemTime, UNIX_EPOCH};
use xxhash_rust::xxh3::xxh3_64;

/// Version of the message format millrace publishes, in the `millrace-schema` header: 2, the
/// packed body. Version 1, a JSON array body, is still read.
pub const SCHEMA_VERSION: i32 = 2;

/// The content type of a packed body (schema 2).
pub const PACKED_CONTENT_TYPE: &str = "application/vnd.millrace.batch";

/// Properties of a published batch: persistent, identified by the batch id, with the schema
/// and content type its body is in.
pub fn properties(envelope: &Envelope) -> BasicProperties {
    let (schema, content_type) = if is_packed(&envelope.body) {
        (SCHEMA_VERSION, PACKED_CONTENT_TYPE)
    } else {
        (1, "application/json")
    };
    let mut headers = FieldTable::default();
    headers.insert(
        "millrace-stream".into(),
        AMQPValue::LongString(envelope.stream.name().into()),
    );
    headers.insert(
        "millrace-count".into(),
        AMQPValue::LongLongInt(envelope.count as i64),
    );
    headers.insert("millrace-schema".into(), AMQPValue::LongInt(schema));
    if let Some(source) = &envelope.source {
        headers.insert(
            "millrace-source".into(),
            AMQPValue::LongString(source.as_str().into()),
        );
        headers.insert(
            "millrace-seq".into(),
            AMQPValue::LongLongInt(envelope.first_seq as i64),
        );
    }
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type(content_type.into())
        .with_message_id(ShortString::from(envelope.id.as_str()))
        .with_headers(headers)
}

/// The envelope of a delivered message, and how many times it was delivered.
///
/// Messages published by other tools may lack millrace's headers: a missing count is taken
/// from the body, a missing message id from a hash of the body (stable across redeliveries,
/// so a redelivered message is still recognised).
pub fn envelope(
    stream: StreamKind,
    properties: &BasicProperties,
    body: &[u8],
    redelivered: bool,
) -> (Envelope, u32) {
    let headers = properties.headers().as_ref();
    let text = |key: &str| {
        headers.and_then(|h| match h.inner().get(key)? {
            AMQPValue::LongString(s) => Some(s.to_string()),
            AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
            _ => None,
        })
    };
    let number = |key: &str| headers.and_then(|h| integer(h.inner().get(key)?));
    let id = properties
        .message_id()
        .as_ref()
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| format!("body-{:016x}", xxh3_64(body)));
    let count = number("millrace-count")
        .map(|n| n.max(0) as u64)
        .unwrap_or_else(|| {
            decode_queued(stream, body)
                .map(|r| r.len() as u64)
                .unwrap_or(0)
        });
    let source = text("millrace-source");
    let first_seq = number("millrace-seq").unwrap_or(0).max(0) as u64;
    // Quorum queues count earlier deliveries in `x-delivery-count`.
    let attempts = match number("x-delivery-count") {
        Some(n) => n.max(0) as u32 + 1,
        None if redelivered => 2,
        None => 1,
    };
    (
        Envelope {
            id,
            stream,
            source,
            first_seq,
            count,
            body: body.to_vec(),
        },
        attempts,
    )
}

/// An integer header, whichever width its publisher chose.
fn integer(value: &AMQPValue) -> Option<i64> {
    match value {
        AMQPValue::ShortShortInt(n) => Some(*n as i64),
        AMQPValue::ShortShortUInt(n) => Some(*n as i64),
        AMQPValue::ShortInt(n) => Some(*n as i64),
        AMQPValue::ShortUInt(n) => Some(*n as i64),
        AMQPValue::LongInt(n) => Some(*n as i64),
        AMQPValue::LongUInt(n) => Some(*n as i64),
        AMQPValue::LongLongInt(n) => Some(*n),
        _ => None,
    }
}

/// Properties of a dead letter: the original's, plus why it was set aside.
pub fn dead_letter_properties(original: &BasicProperties, reason: &str) -> BasicProperties {
    let mut headers = original.headers().clone().unwrap_or_default();
    headers.insert(
        "millrace-reason".into(),
        AMQPValue::LongString(reason.into()),
    );
    headers.insert(
        "millrace-dead-at".into(),
        AMQPValue::LongLongInt(now_millis()),
    );
    original.clone().with_delivery_mode(2).with_headers(headers)
}

/// Now, as the `millrace-dead-at` header holds it: milliseconds since the Unix epoch.
fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_survives_the_trip() {
        let sent = Envelope {
            id: "batch-1".into(),
            stream: StreamKind::Metrics,
            source: Some("/data/metrics.json#ab".into()),
            first_seq: 42,
            count: 3,
            body: b"[1]".to_vec(),
        };
        let (got, attempts) = envelope(StreamKind::Metrics, &properties(&sent), &sent.body, false);
        assert_eq!(got, sent);
        assert_eq!(attempts, 1);
    }

    #[test]
    fn the_properties_say_which_schema_the_body_is_in() {
        use crate::queue::BodyFormat;
        use crate::record::{Metric, Records};
        let records = Records::Metrics(vec![Metric {
            id: 1,
            val: 2.5,
            time: 3,
        }]);
        let packed = Envelope::batch(&records, None, 0, BodyFormat::Packed);
        let json = Envelope::batch(&records, None, 0, BodyFormat::Json);
        for (sent, schema, content_type) in [
            (&packed, 2, PACKED_CONTENT_TYPE),
            (&json, 1, "application/json"),
        ] {
            let props = properties(sent);
            let headers = props.headers().as_ref().unwrap().inner();
            assert_eq!(
                headers.get("millrace-schema").and_then(integer),
                Some(schema)
            );
            assert_eq!(
                props.content_type().as_ref().unwrap().as_str(),
                content_type
            );
            let (got, _) = envelope(StreamKind::Metrics, &props, &sent.body, false);
            assert_eq!(
                decode_queued(StreamKind::Metrics, &got.body).unwrap(),
                records
            );
        }
    }

    #[test]
    fn a_foreign_message_gets_a_stable_identity() {
        let body = br#"[{"id": 1, "val": 2.0, "time": 3}]"#;
        let (a, _) = envelope(
            StreamKind::Metrics,
            &BasicProperties::default(),
            body,
            false,
        );
        let (b, attempts) = envelope(StreamKind::Metrics, &BasicProperties::default(), body, true);
        assert_eq!(a.id, b.id);
        assert_eq!(a.count, 1);
        assert_eq!(a.source, None);
        assert_eq!(attempts, 2);
    }
}
