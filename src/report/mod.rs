//! The report: per product, the machine parameters that best explain how fast it is made.

pub mod analysis;
pub mod intervals;
pub mod stats;
pub mod summaries;
