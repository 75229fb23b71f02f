use serde::{Deserialize, Serialize};

/// One machine parameter reading: parameter `id` had value `val` at Unix second `time`.
///
/// Two readings of one parameter in the same second are legitimate (real machines emit them)
/// and are both kept, so a metric has no natural key of its own.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub id: i64,
    pub val: f64,
    pub time: i64,
}
