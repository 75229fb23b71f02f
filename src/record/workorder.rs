use serde::{Deserialize, Serialize};

/// A production counter reading: `product` had produced `production` units by Unix second
/// `time`. The counter is cumulative and restarts when a new run of the product begins.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkOrder {
    pub time: i64,
    pub product: i64,
    pub production: f64,
}
