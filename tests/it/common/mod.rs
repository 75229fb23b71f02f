//! Helpers shared by the end-to-end tests: the real binary, real files, real HTTP. The most
//! used are re-exported here, so that a test module says `use crate::common::*`.

pub mod data;
pub mod http;
pub mod live;
pub mod mqtt;
pub mod own_postgres;
pub mod own_rabbitmq;
pub mod process;
pub mod rows;
pub mod scenarios;
pub mod serial;
pub mod services;
pub mod stage;
pub mod wait;

pub use data::{
    DATA, DATA_METRICS, DATA_WORK_ORDERS, append_to_array, copy_data, data_dir, large_data_dir,
};
pub use http::{Webhook, get_json, post_json, spawn_webhook, spawn_webhook_on, wait_healthy};
pub use process::{OutputWithin, Proc, bin, free_port, millrace, run_ok};
pub use rows::{
    MetricRow, assert_store_matches, counts, metric_rows, queued, settle_and_check, source_metrics,
    source_workorders, stored_metrics, stored_workorders, wait_for_counts, workorder_rows,
};
pub use stage::Stage;
pub use wait::{join_within, wait_for_log, wait_until};
