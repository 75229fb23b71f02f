//! One production counter reading, the `workorder` stream's record.

use serde::{Deserialize, Serialize};

/// A production counter reading: `product` had produced `production` units by Unix second
/// `time`. The counter is cumulative and restarts when a new run of the product begins.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkOrder {
    /// When the counter was read, in Unix seconds (within [`TIME_RANGE`](super::TIME_RANGE)).
    pub time: i64,
    /// The product's number (an integer >= 0).
    pub product: i64,
    /// Units produced so far in the current run, always a finite number.
    pub production: f64,
}
