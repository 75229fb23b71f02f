//! MQTT as a way in, beside the webhook: `millrace mqtt` subscribes to a broker's topics and
//! publishes each message's records to the same queue the webhook feeds, decoded and
//! validated by the same code ([`crate::codec::decode_body`]), so consumers and store do not
//! know where a batch came from.
//!
//! Nothing is lost and nothing is stored twice: the subscription is QoS 1 on a persistent
//! session (a fixed client id, `clean_session = false`), a message is acknowledged only once
//! the queue durably holds it (or holds it as a dead letter), and each message's records get
//! the identity "topic + hash of the payload", so the redeliveries MQTT makes after a
//! reconnect or a crash are recognised by the store (see [`payload`]).

mod config;
mod connection;
mod error;
pub mod payload;
mod subscriber;

pub use config::{MqttConfig, MqttConfigError, Subscription};
pub use error::MqttError;
pub use subscriber::subscribe;
