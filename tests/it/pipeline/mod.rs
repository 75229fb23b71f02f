//! The whole pipeline — stream, webhook, queue, consumer, store — as separate processes or
//! one `run`: exactly once through crashes, kills, signals, locks and start-up races.

mod chaos;
mod crash;
mod crash_points;
mod open_paths;
mod properties;
mod run_follow;
mod run_lock;
mod sample_ingest;
mod shutdown;
mod startup_race;
