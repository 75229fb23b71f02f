//! Prometheus metrics: what each stage has done and how long it took, for an operator's
//! scraper. Every metric is named in [`names`] and recorded through the typed functions of
//! [`record`], so call sites never spell a metric; [`exporter`] renders them and [`server`]
//! serves them, on a command's own listener or as a route of its HTTP server.

pub mod exporter;
pub mod http;
pub mod names;
pub mod record;
pub mod server;

pub use exporter::install;
pub use server::{PATH, route};
