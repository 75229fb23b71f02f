//! The report: what it finds in generated and simulated plants, how well calibrated and
//! powerful its statistics are, and the live analysis that must equal it.

mod calibration;
mod end_to_end;
mod families;
mod live;
mod power;
mod scipy;
