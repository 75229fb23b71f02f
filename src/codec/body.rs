//! Webhook and queue bodies: a whole batch decoded at once, all or nothing, with an error
//! precise enough (record, field, HTTP status) for the sender to fix the data.

use super::error::{DecodeError, DecodeErrorKind};
use super::packed::{decode_packed, is_packed};
use super::scan::{Layout, Scanner, Step};
use crate::record::{Records, StreamKind, parse_record};

fn syntax(message: impl Into<String>) -> DecodeError {
    DecodeError {
        kind: DecodeErrorKind::Syntax,
        record: None,
        field: None,
        message: message.into(),
    }
}

const LAYOUT_HINT: &str = "send a JSON array of records, one record object, NDJSON (Content-Type: application/x-ndjson), or a JSON string holding an array";

/// Decodes a webhook body into one batch, all or nothing: any bad record refuses the batch.
///
/// `content_type` is the request's Content-Type header, if any. Accepted bodies are a JSON
/// array, a single object, NDJSON, and a JSON string whose content is an array or object —
/// the original Python streamer double-encodes its batches that way.
pub fn decode_body(
    kind: StreamKind,
    content_type: Option<&str>,
    body: &[u8],
    max_records: usize,
) -> Result<Records, DecodeError> {
    let ndjson = match content_type.map(essence) {
        None => false,
        Some(ct) => match ct.as_str() {
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/jsonlines" => true,
            "application/json" | "text/json" | "text/plain" => false,
            t if t.starts_with("application/") && t.ends_with("+json") => false,
            other => {
                return Err(DecodeError {
                    kind: DecodeErrorKind::UnsupportedType,
                    record: None,
                    field: None,
                    message: format!(
                        "Content-Type `{other}` is not supported: use application/json or application/x-ndjson"
                    ),
                });
            }
        },
    };
    let first = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .ok_or_else(|| syntax(format!("empty body: {LAYOUT_HINT}")))?;
    if ndjson {
        if *first != b'{' {
            return Err(syntax(
                "the Content-Type says NDJSON, but the body does not start with a record object: send a JSON array as application/json",
            ));
        }
        return decode_layout(kind, Layout::Lines, body, max_records, Shape::Many);
    }
    match first {
        b'[' => decode_layout(kind, Layout::Array, body, max_records, Shape::Many),
        b'{' => decode_layout(kind, Layout::Lines, body, max_records, Shape::One),
        b'"' => {
            let inner: String = serde_json::from_slice(body)
                .map_err(|e| syntax(format!("the body is not a valid JSON string: {e}")))?;
            let layout = match inner.bytes().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') => Layout::Array,
                Some(b'{') => Layout::Lines,
                _ => {
                    return Err(syntax(
                        "the body is a JSON string, but its content is not a JSON array or object of records",
                    ));
                }
            };
            decode_layout(kind, layout, inner.as_bytes(), max_records, Shape::Inner)
        }
        _ => Err(syntax(format!(
            "the body is not a record batch: {LAYOUT_HINT}"
        ))),
    }
}

/// Decodes a queued message body: the packed form millrace's producers write (schema 2), or
/// a compact JSON array (schema 1: what earlier releases wrote and other tools may publish).
pub fn decode_queued(kind: StreamKind, body: &[u8]) -> Result<Records, DecodeError> {
    if is_packed(body) {
        return decode_packed(kind, body);
    }
    decode_layout(kind, Layout::Array, body, usize::MAX, Shape::Many)
}

/// What the decoded text is, for limits and error positions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The body, holding any number of records.
    Many,
    /// The body, holding one record object.
    One,
    /// The content of a double-encoded JSON string.
    Inner,
}

fn decode_layout(
    kind: StreamKind,
    layout: Layout,
    body: &[u8],
    max_records: usize,
    shape: Shape,
) -> Result<Records, DecodeError> {
    let mut scanner = Scanner::new(layout);
    let mut records = Records::with_capacity(kind, 0);
    let mut pos = 0;
    let within = if shape == Shape::Inner {
        " of the string's content"
    } else {
        ""
    };
    loop {
        let step = scanner
            .next(body, &mut pos, true)
            .map_err(|e| DecodeError {
                kind: DecodeErrorKind::Syntax,
                record: None,
                field: None,
                message: format!("{} (byte {}{within})", e.message, e.pos),
            })?;
        let range = match step {
            Step::Item(range) => range,
            Step::End | Step::NeedMore => return Ok(records),
        };
        let index = records.len();
        if shape == Shape::One && index == 1 {
            return Err(syntax(
                "a JSON body holds one value: send several records as a JSON array, or as NDJSON with Content-Type: application/x-ndjson",
            ));
        }
        if index == max_records {
            return Err(DecodeError {
                kind: DecodeErrorKind::TooManyRecords,
                record: None,
                field: None,
                message: format!(
                    "the batch holds more than {max_records} records: split it into smaller batches"
                ),
            });
        }
        parse_record(&mut records, &body[range]).map_err(|e| DecodeError {
            kind: if e.syntax {
                DecodeErrorKind::Syntax
            } else {
                DecodeErrorKind::Invalid
            },
            record: Some(index),
            field: e.field,
            message: e.message,
        })?;
    }
}

/// The media type without parameters, lower-cased.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Metric;

    const M: StreamKind = StreamKind::Metrics;

    fn metrics(r: Records) -> Vec<Metric> {
        match r {
            Records::Metrics(v) => v,
            _ => panic!("not metrics"),
        }
    }

    #[test]
    fn reads_every_accepted_layout() {
        let array = br#"[{"id": 1, "val": 2.5, "time": 10}, {"id": 2, "val": 3, "time": 11}]"#;
        let lines =
            b"{\"id\": 1, \"val\": 2.5, \"time\": 10}\n{\"id\": 2, \"val\": 3, \"time\": 11}\n";
        let double = serde_json::to_vec(std::str::from_utf8(array).unwrap()).unwrap();
        let want = metrics(decode_body(M, None, array, 100).unwrap());
        assert_eq!(want.len(), 2);
        assert_eq!(
            metrics(decode_body(M, Some("application/x-ndjson"), lines, 100).unwrap()),
            want
        );
        assert_eq!(
            metrics(decode_body(M, Some("application/json"), &double, 100).unwrap()),
            want
        );
        let one = decode_body(
            M,
            Some("application/json; charset=utf-8"),
            br#"{"id": 1, "val": 2.5, "time": 10}"#,
            100,
        );
        assert_eq!(metrics(one.unwrap()), want[..1]);
    }

    #[test]
    fn names_the_bad_record_and_field() {
        let body = br#"[{"id": 1, "val": 2.5, "time": 10}, {"id": 2, "val": "x", "time": 11}]"#;
        let e = decode_body(M, None, body, 100).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Invalid);
        assert_eq!(e.record, Some(1));
        assert_eq!(e.field.as_deref(), Some("val"));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let cases: [(Option<&str>, &[u8], DecodeErrorKind); 6] = [
            (None, b"", DecodeErrorKind::Syntax),
            (
                None,
                b"[{\"id\": 1, \"val\": 2.5, \"time\": 10}",
                DecodeErrorKind::Syntax,
            ),
            (
                None,
                b"{\"id\":1,\"val\":1,\"time\":1}{\"id\":1,\"val\":1,\"time\":1}",
                DecodeErrorKind::Syntax,
            ),
            (
                Some("application/xml"),
                b"[]",
                DecodeErrorKind::UnsupportedType,
            ),
            (None, b"\"not an array\"", DecodeErrorKind::Syntax),
            (None, b"42", DecodeErrorKind::Syntax),
        ];
        let cases = cases.into_iter().chain([
            (
                Some("application/x-ndjson"),
                &b"  "[..],
                DecodeErrorKind::Syntax,
            ),
            (
                Some("application/x-ndjson"),
                &b"[{\"id\": 1, \"val\": 2.5, \"time\": 10}]"[..],
                DecodeErrorKind::Syntax,
            ),
        ]);
        for (ct, body, kind) in cases {
            let e = decode_body(M, ct, body, 100).unwrap_err();
            assert_eq!(e.kind, kind, "{:?}: {e}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn caps_the_records_per_batch() {
        let body = br#"[{"id": 1, "val": 2.5, "time": 10}, {"id": 2, "val": 3, "time": 11}]"#;
        assert_eq!(
            decode_body(M, None, body, 1).unwrap_err().kind,
            DecodeErrorKind::TooManyRecords
        );
    }

    #[test]
    fn queued_bodies_round_trip_bit_for_bit() {
        let r = Records::Metrics(vec![Metric {
            id: 3,
            val: 0.1 + 0.2,
            time: 7,
        }]);
        assert_eq!(decode_queued(M, &r.to_json()).unwrap(), r);
        assert_eq!(
            decode_queued(M, &super::super::encode_packed(&r)).unwrap(),
            r
        );
    }
}
