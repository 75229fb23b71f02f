//! Why the pipeline in one process (`run`, `run --follow`) could not start or finish.

use crate::consumer::ConsumerError;
use crate::mqtt::MqttError;
use crate::queue::QueueError;
use crate::sender::{ReadError, SenderError};
use crate::store::StoreError;

/// A failure of the in-process pipeline, by the part that failed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A consumer stopped with a fault that retrying cannot heal.
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
    /// The streamer could not send the data files.
    #[error(transparent)]
    Send(#[from] SenderError),
    /// A data file could not be read to count what the store holds of it.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The MQTT subscriber stopped.
    #[error(transparent)]
    Mqtt(#[from] MqttError),
    /// A server could not take its address.
    #[error("cannot listen on {listen}{hint}")]
    Listen {
        /// The address.
        listen: String,
        /// What to do about it, with a leading separator, or nothing.
        hint: &'static str,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The webhook or the dashboard stopped serving.
    #[error("the {what} stopped")]
    Server {
        /// `webhook` or `dashboard`.
        what: &'static str,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A task of the pipeline panicked or was cancelled.
    #[error("a task of the pipeline ended abnormally")]
    Task(#[from] tokio::task::JoinError),
}
