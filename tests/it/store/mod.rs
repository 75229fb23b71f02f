//! The PostgreSQL store; SQLite is the store of every other module's tests.

mod postgres;
