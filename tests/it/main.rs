//! millrace's integration tests, built into one binary: one link of the crate instead of one
//! per file. Each module is an area of the pipeline, from the files a plant writes to the
//! report; `common` holds the helpers they share and `support` the statistics models that
//! `examples/` run at scale.
//!
//! Tests run on parallel threads. The few that must be alone — they kill processes at chosen
//! moments, send signals or assert how long something takes — take the lock in
//! [`common::serial`], which says which and why. No test stops the machine's RabbitMQ or
//! PostgreSQL: one that takes its broker or database away starts its own.

mod architecture;
mod cli;
mod common;
mod dashboard;
mod docs;
mod metrics;
mod mqtt;
mod pipeline;
mod queue;
mod report;
mod sender;
mod store;
mod support;
mod webhook;
