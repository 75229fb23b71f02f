//! One machine parameter reading, the `metrics` stream's record.

use serde::{Deserialize, Serialize};

/// One machine parameter reading: parameter `id` had value `val` at Unix second `time`.
///
/// Two readings of one parameter in the same second are legitimate (real machines emit them)
/// and are both kept, so a metric has no natural key of its own.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// The parameter's number (an integer >= 0); it names the sensor or setting read.
    pub id: i64,
    /// The reading, always a finite number.
    pub val: f64,
    /// When it was read, in Unix seconds (within [`TIME_RANGE`](super::TIME_RANGE)).
    pub time: i64,
}
