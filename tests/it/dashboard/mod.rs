//! The live dashboard: its HTTP API, and the page in a real browser.

mod api;
mod browser;
