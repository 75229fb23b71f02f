//! Why a body was refused: the error both decoders return, in a file of its own so that the
//! JSON decoder (`body`) and the packed one (`packed`) share it without importing each other.

use crate::record::in_field;

/// The broad class of a refused body, which decides the HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// Not well-formed JSON, or not a layout millrace reads (400).
    Syntax,
    /// Well-formed, but a record is wrong (422).
    Invalid,
    /// A content type millrace does not read (415).
    UnsupportedType,
    /// More records than one batch may hold (413).
    TooManyRecords,
}

/// Why a whole batch was refused, naming the record (by position in the batch) and the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}", at_record(.record), in_field(.field), .message)]
pub struct DecodeError {
    /// The class of mistake, which picks the HTTP status the webhook answers with.
    pub kind: DecodeErrorKind,
    /// Zero-based position of the offending record in the batch (the message counts from 1,
    /// as people do).
    pub record: Option<usize>,
    /// The offending field's name, when one field is to blame.
    pub field: Option<String>,
    /// What is wrong, in words for whoever sent the batch.
    pub message: String,
}

/// "record N: " before a message about the batch's record N (counting from 1), or nothing.
fn at_record(record: &Option<usize>) -> String {
    record.map_or_else(String::new, |r| format!("record {}: ", r + 1))
}
