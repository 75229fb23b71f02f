//! Why the subscriber stopped, in a file of its own: both the connection's settings
//! (`connection`) and the subscriber's loop (`subscriber`) fail with it.

use crate::queue::QueueError;
use std::path::PathBuf;

/// Why the subscriber stopped.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    /// The CA certificate of `--ca-cert` cannot be used.
    #[error("cannot use the CA certificate {}", path.display())]
    CaCert {
        /// The file given.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// TLS cannot be set up.
    #[error("cannot set up TLS for the MQTT broker")]
    Tls(#[source] rustls::Error),
    /// The queue cannot go on in this process.
    #[error("the queue cannot take MQTT messages")]
    Queue(#[source] QueueError),
}
