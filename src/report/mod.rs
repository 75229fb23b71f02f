//! The report: per product, the machine parameters that best explain how fast it is made.

pub mod stats;
