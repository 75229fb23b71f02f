//! millrace ingests machine data in real time and tells a plant which machine parameters drive
//! each product's output.
//!
//! The pipeline, in the order data flows through it:
//! [`sender`] (data files → HTTP) → [`webhook`] (validate, publish) → [`queue`] (durable,
//! embedded or RabbitMQ) → [`consumer`] (store, then acknowledge) → [`store`] (SQLite or
//! PostgreSQL); [`mqtt`] is a second way in beside the webhook, feeding the same queue.
//! [`record`] and [`codec`] hold the validated record types and the JSON layouts
//! shared by both edges; [`run`] wires every stage together in one process.

pub mod auth;
pub mod cli;
pub mod codec;
pub mod consumer;
pub mod dashboard;
pub mod generate;
pub mod live;
pub mod metrics;
pub mod mqtt;
pub mod queue;
pub mod record;
pub mod report;
pub mod run;
pub mod sender;
pub mod store;
pub mod support;
pub mod webhook;
