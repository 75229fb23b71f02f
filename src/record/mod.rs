//! The two kinds of records millrace ingests, as typed values that can only hold valid data.
//!
//! Records are parsed and validated once, at the edge (the webhook and the file reader); every
//! stage after that works with these types and never checks them again.

mod kind;
mod metric;
mod records;
mod validate;
mod workorder;

pub use kind::StreamKind;
pub use metric::Metric;
pub use records::Records;
pub use validate::{RecordError, check_metric, check_workorder, in_field, parse_record};
pub use workorder::WorkOrder;

/// The earliest and latest `time` accepted: Unix seconds from 1970 to the end of year 9999.
///
/// Bounding time catches the most common producer mistake, milliseconds sent as seconds,
/// before such rows poison every time-based query downstream.
pub const TIME_RANGE: std::ops::RangeInclusive<i64> = 0..=253_402_300_799;
