//! millrace ingests machine data in real time and tells a plant which machine parameters drive
//! each product's output.
//!
//! # The pipeline
//!
//! In the order data flows through it:
//!
//! - [`sender`]: reads the data files and sends what the webhook has not acknowledged yet.
//! - [`webhook`]: validates each batch and publishes it to the queue, answering 2xx only
//!   once the queue holds it durably.
//! - [`mqtt`]: a second way in beside the webhook, feeding the same queue.
//! - [`queue`]: holds batches durably between the edges and the consumer, embedded (SQLite)
//!   or on RabbitMQ.
//! - [`consumer`]: stores each batch, then acknowledges it.
//! - [`store`]: the records, in SQLite or PostgreSQL.
//! - [`report`]: per product, the machine parameters that best explain its output.
//! - [`live`] and [`dashboard`]: the report kept up to date as rows are stored, and the page
//!   that shows it.
//!
//! Beside them: [`record`], [`codec`] and [`auth`] hold what the edges share (the validated
//! records, the body layouts, the credentials and header names); [`metrics`] exports what
//! every stage did; [`generate`] makes sample data; [`app`] starts the stages (every one of them in one
//! process for `run`) and [`cli`] parses the command line and `millrace.toml` into what
//! [`app`] runs; [`support`] holds utilities that know nothing of the pipeline.
//!
//! # Layers
//!
//! Imports point one way, down this order: a module imports only from modules before it and
//! from files of its own folder, and no file reaches itself again through its imports.
//!
//! support → record → codec → auth → queue → store → metrics → sender → webhook → mqtt → consumer → report → live → dashboard → generate → app → cli
//!
//! `support` comes first, knowing nothing of the pipeline; then the types both edges share.
//! The two back ends come before the stages that use them: the webhook and MQTT publish to
//! the queue, the consumer reads it and writes the store, the report reads the store.
//! `metrics` sits above the queue (it watches the queue's backlog) and below every stage
//! that records into it. The stages follow in data order, the live analysis and the
//! dashboard after the report they are built on. Last comes the wiring: `app` (which may use anything but `cli`), then `cli`, the only
//! module that may import `app`.
//! When an import does not fit, the shared type moves down to where both sides can see it,
//! as the credentials did into [`auth`]. `tests/it/architecture.rs` declares this order and
//! checks every `crate::`, `super::` and `self::` path against it.

pub mod app;
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
pub mod sender;
pub mod store;
pub mod support;
pub mod webhook;
