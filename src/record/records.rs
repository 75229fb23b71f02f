//! A batch of records of one stream, the unit the webhook, queue, consumer and store pass on.

use super::{Metric, StreamKind, WorkOrder};

/// A batch of validated records of one stream, in the order they arrived.
#[derive(Clone, Debug, PartialEq)]
pub enum Records {
    /// A batch of the `metrics` stream.
    Metrics(Vec<Metric>),
    /// A batch of the `workorder` stream.
    Workorder(Vec<WorkOrder>),
}

impl Records {
    /// An empty batch of the given stream, with room for `capacity` records.
    pub fn with_capacity(kind: StreamKind, capacity: usize) -> Self {
        match kind {
            StreamKind::Metrics => Records::Metrics(Vec::with_capacity(capacity)),
            StreamKind::Workorder => Records::Workorder(Vec::with_capacity(capacity)),
        }
    }

    /// The stream the batch belongs to, which decides its queue and table.
    pub fn kind(&self) -> StreamKind {
        match self {
            Records::Metrics(_) => StreamKind::Metrics,
            Records::Workorder(_) => StreamKind::Workorder,
        }
    }

    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        match self {
            Records::Metrics(v) => v.len(),
            Records::Workorder(v) => v.len(),
        }
    }

    /// Whether the batch holds no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the batch, keeping its stream and its allocation.
    pub fn clear(&mut self) {
        match self {
            Records::Metrics(v) => v.clear(),
            Records::Workorder(v) => v.clear(),
        }
    }

    /// The records in `range` (by position), as a new batch.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Records {
        match self {
            Records::Metrics(v) => Records::Metrics(v[range].to_vec()),
            Records::Workorder(v) => Records::Workorder(v[range].to_vec()),
        }
    }

    /// The batch as a compact JSON array: the queue's message body.
    ///
    /// Floats are written in their shortest round-trip form, so decoding gives back the
    /// exact same bits.
    pub fn to_json(&self) -> Vec<u8> {
        let out = match self {
            Records::Metrics(v) => serde_json::to_vec(v),
            Records::Workorder(v) => serde_json::to_vec(v),
        };
        out.expect("records of plain numbers always serialize")
    }
}
