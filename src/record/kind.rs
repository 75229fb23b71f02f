//! The two record streams, metrics and work orders, and the names each goes by in URLs,
//! queues, tables and data files.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which of the two record streams a batch belongs to.
///
/// Each stream has its own webhook path, queue, consumer and table; this enum is the one place
/// that maps a stream to those names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    /// Machine parameter readings ([`Metric`](super::Metric)).
    Metrics,
    /// Production counters ([`WorkOrder`](super::WorkOrder)).
    Workorder,
}

impl StreamKind {
    /// Both streams, in the order they are reported.
    pub const ALL: [StreamKind; 2] = [StreamKind::Metrics, StreamKind::Workorder];

    /// The stream's name: queue name, table name and data file stem.
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::Metrics => "metrics",
            StreamKind::Workorder => "workorder",
        }
    }

    /// The webhook path, as in the original pipeline.
    pub fn webhook_path(self) -> &'static str {
        match self {
            StreamKind::Metrics => "/metrics_webhook",
            StreamKind::Workorder => "/workorder_webhook",
        }
    }

    /// The data file a `stream` run reads for this stream.
    pub fn file_name(self) -> &'static str {
        match self {
            StreamKind::Metrics => "metrics.json",
            StreamKind::Workorder => "workorder.json",
        }
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StreamKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "metrics" => Ok(StreamKind::Metrics),
            "workorder" => Ok(StreamKind::Workorder),
            other => Err(format!(
                "unknown stream `{other}`: expected `metrics` or `workorder`"
            )),
        }
    }
}
