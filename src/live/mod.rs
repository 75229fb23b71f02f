//! The live analysis: the report kept current while data arrives, for the dashboard.
//!
//! An analyst thread watches the store and publishes each new analysis on a
//! [`tokio::sync::watch`] channel: whoever serves it (the dashboard's `/api/report` and
//! `/api/events`) reads the latest one and is woken when it changes, without ever waiting
//! on the store itself.

mod arrivals;
mod feed;
pub mod json;
mod state;

pub use state::{Changes, LiveState};

pub use feed::{Analyst, Feed, Update, spawn};
