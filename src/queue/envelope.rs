//! The message format inside the queue: a batch of records with the identity the store
//! needs to recognise it when it is delivered twice.

use crate::codec::encode_packed;
use crate::record::{Records, StreamKind};

/// How a producer writes a batch's records into a message body (`--queue-format`).
/// Consumers read both, whichever they were told.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    /// Message schema 2: fixed-width numbers, which the consumer reads without parsing JSON.
    #[default]
    Packed,
    /// Message schema 1, a compact JSON array: for other tools that read millrace's queues
    /// and do not read packed bodies, or consumers of an earlier release still running.
    Json,
}

impl BodyFormat {
    /// The records as a body in this format.
    pub fn encode(self, records: &Records) -> Vec<u8> {
        match self {
            BodyFormat::Packed => encode_packed(records),
            BodyFormat::Json => records.to_json(),
        }
    }
}

/// One batch on its way through the queue: the records (packed, or a JSON array from another
/// producer or an earlier release), plus what the store needs to recognise the batch if it
/// comes again.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// Unique per accepted request; identifies the batch in logs and dead letters.
    pub id: String,
    /// Metrics or work orders: which queue, consumer and table the batch belongs to.
    pub stream: StreamKind,
    /// Where the records come from, e.g. a data file. Together with `first_seq` it gives each
    /// record a stable identity, so a batch resent by the streamer is stored once. Batches
    /// without a source are identified by `id` alone.
    pub source: Option<String>,
    /// Position of the first record within its source.
    pub first_seq: u64,
    /// Number of records in `body`.
    pub count: u64,
    /// The records: packed (schema 2, see `codec::encode_packed`) when millrace published
    /// them, or a compact JSON array (schema 1). `codec::decode_queued` reads both.
    pub body: Vec<u8>,
}

impl Envelope {
    /// A new batch of decoded records, with a fresh id, its body in `format`: what every
    /// producer (the webhook, the MQTT subscriber) publishes.
    pub fn batch(
        records: &Records,
        source: Option<String>,
        first_seq: u64,
        format: BodyFormat,
    ) -> Self {
        Envelope {
            id: uuid::Uuid::new_v4().to_string(),
            stream: records.kind(),
            source,
            first_seq,
            count: records.len() as u64,
            body: format.encode(records),
        }
    }

    /// The identity the store deduplicates on: the source, or the message itself.
    pub fn origin(&self) -> String {
        match &self.source {
            Some(source) => source.clone(),
            None => format!("message:{}", self.id),
        }
    }
}

/// A message handed to a consumer, to be acknowledged or dead-lettered by `tag`.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The queue's handle for this delivery, used to acknowledge it or set it aside.
    pub tag: u64,
    /// The batch itself.
    pub envelope: Envelope,
    /// How many times the message has been handed out, this time included.
    pub attempts: u32,
}
