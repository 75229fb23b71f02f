//! The PostgreSQL store (SQLite is the store of every other module's tests), and retention
//! on both.

mod postgres;
mod retention;
