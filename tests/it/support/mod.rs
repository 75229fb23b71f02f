//! Statistics models shared with `examples/`, which run them over many more datasets than
//! the seeded tests of `report::calibration` and `report::power` do.

pub mod generated_null;
pub mod null_model;
pub mod power_model;
