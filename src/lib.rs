//! millrace ingests machine data in real time and tells a plant which machine parameters drive
//! each product's output.
//!
//! The pipeline, in the order data flows through it:
//! [`stream`] (data files → HTTP) → [`webhook`] (validate, publish) → [`queue`] (durable,
//! embedded or RabbitMQ) → [`consumer`] (store, then acknowledge) → [`store`] (SQLite or
//! PostgreSQL); [`mqtt`] is a second way in beside the webhook, feeding the same queue.
//! [`record`] and [`codec`] hold the validated record types and the JSON layouts
//! shared by both edges; [`run`] wires every stage together in one process.

pub mod allocator;
pub mod backoff;
pub mod chain;
pub mod cli;
pub mod codec;
pub mod consumer;
pub mod dashboard;
pub mod fault;
pub mod generate;
pub mod live;
pub mod metrics;
pub mod mqtt;
pub mod offload;
pub mod queue;
pub mod record;
pub mod redact;
pub mod report;
pub mod run;
pub mod shutdown;
pub mod sqlite_file;
pub mod store;
pub mod stream;
pub mod telemetry;
pub mod tls;
pub mod webhook;
