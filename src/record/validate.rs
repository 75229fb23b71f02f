//! Parsing and checking one record: the single gate every record passes, so a bad value is
//! refused at the edge with a message saying what to send instead.

use super::{Metric, Records, TIME_RANGE, WorkOrder};
use serde::de::DeserializeOwned;

/// Why one record was refused, precise enough for a producer to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", in_field(.field), .message)]
pub struct RecordError {
    /// The field at fault, when the fault lies in one field.
    pub field: Option<String>,
    /// What is wrong and, where it helps, what to send instead.
    pub message: String,
    /// True when the text is not well-formed JSON (HTTP 400) rather than a well-formed record
    /// with wrong content (HTTP 422).
    pub syntax: bool,
}

/// "field `name`: " before a message about one field, or nothing: how every refusal names
/// the field at fault.
pub fn in_field(field: &Option<String>) -> String {
    field
        .as_deref()
        .map_or_else(String::new, |f| format!("field `{f}`: "))
}

/// Parses one JSON record of the batch's stream and appends it to `records`.
///
/// This is the single gate every record passes, from a file or over HTTP.
pub fn parse_record(records: &mut Records, json: &[u8]) -> Result<(), RecordError> {
    // serde would also read a record from an array of its values (`[1, 2.5, 1624377478]`);
    // that form is too easy to get wrong silently, so only objects are records.
    if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let found = serde_json::from_slice::<serde_json::Value>(json)
            .map(|v| match v {
                serde_json::Value::Array(_) => "sequence",
                serde_json::Value::String(_) => "string",
                serde_json::Value::Number(_) => "number",
                serde_json::Value::Bool(_) => "boolean",
                serde_json::Value::Null => "null",
                serde_json::Value::Object(_) => "map",
            })
            .map_err(|e| RecordError {
                field: None,
                message: describe(&e),
                syntax: true,
            })?;
        return Err(RecordError {
            field: None,
            message: format!(
                "invalid type: {found}, expected a record object such as {}",
                match records {
                    Records::Metrics(_) => r#"{"id": 19, "val": 797.38, "time": 1624377478}"#,
                    Records::Workorder(_) =>
                        r#"{"time": 1624378574, "product": 0, "production": 15.68}"#,
                }
            ),
            syntax: false,
        });
    }
    match records {
        Records::Metrics(v) => v.push(parse_metric(json)?),
        Records::Workorder(v) => v.push(parse_workorder(json)?),
    }
    Ok(())
}

fn parse_metric(json: &[u8]) -> Result<Metric, RecordError> {
    let m: Metric = decode(json)?;
    check_metric(&m)?;
    Ok(m)
}

/// The checks a metric's values must pass, whatever form it arrived in (JSON or a packed
/// queue body).
pub fn check_metric(m: &Metric) -> Result<(), RecordError> {
    if m.id < 0 {
        return Err(invalid(
            "id",
            format!("must be a parameter number (an integer >= 0), got {}", m.id),
        ));
    }
    check_finite("val", m.val)?;
    check_time(m.time)
}

fn parse_workorder(json: &[u8]) -> Result<WorkOrder, RecordError> {
    let w: WorkOrder = decode(json)?;
    check_workorder(&w)?;
    Ok(w)
}

/// The checks a work order's values must pass, whatever form it arrived in.
pub fn check_workorder(w: &WorkOrder) -> Result<(), RecordError> {
    if w.product < 0 {
        return Err(invalid(
            "product",
            format!(
                "must be a product number (an integer >= 0), got {}",
                w.product
            ),
        ));
    }
    check_finite("production", w.production)?;
    check_time(w.time)
}

/// Decodes with the fast plain path; only a failed record pays for a second, slower pass that
/// finds the field at fault.
fn decode<T: DeserializeOwned>(json: &[u8]) -> Result<T, RecordError> {
    let first = match serde_json::from_slice(json) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    let (field, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            let message = describe(e.inner());
            let field = (path != "." && !path.is_empty())
                .then_some(path)
                .or_else(|| named_field(&message));
            (field, message)
        }
        Ok(_) => (None, describe(&first)),
    };
    // serde_json files "number out of range" as a syntax error, but the JSON is fine: the
    // value is what is wrong.
    let out_of_range = message.contains("out of range");
    Err(RecordError {
        field,
        message,
        syntax: (first.is_syntax() || first.is_eof()) && !out_of_range,
    })
}

/// The field a whole-record message names, as in "missing field `val`".
fn named_field(message: &str) -> Option<String> {
    ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .map(str::to_string)
}

/// serde_json's message without its "at line 1 column 12" suffix, which points into the
/// record rather than into what the user sent, and so misleads.
fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

fn check_finite(field: &str, value: f64) -> Result<(), RecordError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be a finite number, got {value}"),
        ))
    }
}

fn check_time(time: i64) -> Result<(), RecordError> {
    if TIME_RANGE.contains(&time) {
        return Ok(());
    }
    let hint = if TIME_RANGE.contains(&(time / 1000)) {
        " (this looks like milliseconds: send whole seconds)"
    } else {
        ""
    };
    Err(invalid(
        "time",
        format!(
            "must be Unix seconds between {} and {}, got {time}{hint}",
            TIME_RANGE.start(),
            TIME_RANGE.end()
        ),
    ))
}

fn invalid(field: &str, message: String) -> RecordError {
    RecordError {
        field: Some(field.to_string()),
        message,
        syntax: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::StreamKind;

    fn metric(json: &str) -> Result<Metric, RecordError> {
        let mut r = Records::with_capacity(StreamKind::Metrics, 1);
        parse_record(&mut r, json.as_bytes())?;
        match r {
            Records::Metrics(v) => Ok(v[0]),
            _ => unreachable!(),
        }
    }

    fn workorder(json: &str) -> Result<WorkOrder, RecordError> {
        let mut r = Records::with_capacity(StreamKind::Workorder, 1);
        parse_record(&mut r, json.as_bytes())?;
        match r {
            Records::Workorder(v) => Ok(v[0]),
            _ => unreachable!(),
        }
    }

    #[test]
    fn accepts_a_metric_with_full_precision() {
        let m = metric(r#"{"id": 19, "val": 797.3838872696809, "time": 1624377478}"#).unwrap();
        assert_eq!(m.id, 19);
        assert_eq!(m.val.to_bits(), 797.3838872696809f64.to_bits());
        assert_eq!(m.time, 1624377478);
    }

    #[test]
    fn accepts_integer_production() {
        let w = workorder(r#"{"time": 1624378574, "product": 0, "production": 0}"#).unwrap();
        assert_eq!(w.production, 0.0);
    }

    #[test]
    fn names_the_field_of_a_wrong_type() {
        let e = metric(r#"{"id": 1, "val": "high", "time": 5}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("val"));
        assert!(!e.syntax);
        assert!(e.message.contains("expected f64"), "{e}");
    }

    #[test]
    fn names_a_missing_field() {
        let e = workorder(r#"{"time": 5, "product": 1}"#).unwrap_err();
        assert!(e.message.contains("missing field `production`"), "{e}");
        assert_eq!(e.field.as_deref(), Some("production"));
    }

    #[test]
    fn refuses_unknown_fields() {
        let e = metric(r#"{"id": 1, "value": 2.0, "time": 5}"#).unwrap_err();
        assert!(e.message.contains("unknown field `value`"), "{e}");
    }

    #[test]
    fn refuses_negative_ids_and_products() {
        assert_eq!(
            metric(r#"{"id": -1, "val": 2.0, "time": 5}"#)
                .unwrap_err()
                .field
                .as_deref(),
            Some("id")
        );
        assert_eq!(
            workorder(r#"{"time": 5, "product": -3, "production": 1}"#)
                .unwrap_err()
                .field
                .as_deref(),
            Some("product")
        );
    }

    #[test]
    fn refuses_fractional_ids() {
        let e = metric(r#"{"id": 1.5, "val": 2.0, "time": 5}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("id"));
    }

    #[test]
    fn explains_millisecond_timestamps() {
        let e = metric(r#"{"id": 1, "val": 2.0, "time": 1624377478000}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("time"));
        assert!(e.message.contains("milliseconds"), "{e}");
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        let e = metric(r#"{"id": 1, "val": 1e400, "time": 5}"#).unwrap_err();
        assert!(e.to_string().contains("out of range"), "{e}");
        assert!(!e.syntax);
        assert_eq!(e.field.as_deref(), Some("val"));
    }

    #[test]
    fn malformed_json_is_a_syntax_error() {
        let e = metric(r#"{"id": 1, "val": 2.0, "time": "#).unwrap_err();
        assert!(e.syntax);
        let e = metric(r#"{"id": 1, "val": NaN, "time": 5}"#).unwrap_err();
        assert!(e.syntax);
    }

    #[test]
    fn only_objects_are_records() {
        let e = metric("[1, 2.5, 1624377478]").unwrap_err();
        assert!(
            e.message
                .contains("invalid type: sequence, expected a record object"),
            "{e}"
        );
        assert!(!e.syntax);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let e = metric(r#"{"id": 1, "id": 2, "val": 2.0, "time": 5}"#).unwrap_err();
        assert!(e.message.contains("duplicate field"), "{e}");
    }
}
