//! Every option's default, declared once. The settings resolve to these values, and `--help`
//! shows them from here (see [`shown`]), so the help cannot say one thing while millrace
//! does another — as it once did for `--max-body-bytes` and `--max-concurrent-requests`.

use crate::webhook::WebhookConfig;

/// `stream --data`: the working directory.
pub const DATA: &str = ".";
/// `stream --webhook`.
pub const WEBHOOK: &str = "http://127.0.0.1:5000";
/// `serve --listen`: loopback only, so nothing is exposed by default.
pub const LISTEN: &str = "127.0.0.1:5000";
/// `dashboard --listen`: loopback only, and beside the webhook's port.
pub const DASHBOARD_LISTEN: &str = "127.0.0.1:5080";
/// `mqtt --url`: a broker on this machine.
pub const MQTT_URL: &str = "mqtt://127.0.0.1:1883";
/// `mqtt --client-id`: fixed, so the broker's session outlives a restart.
pub const MQTT_CLIENT_ID: &str = "millrace";
/// `--db`: a SQLite file in the working directory.
pub const DB: &str = "millrace.db";
/// `--broker`: the embedded queue, so one command runs everything.
pub const BROKER: &str = "embedded";
/// `--metrics-queue` (RabbitMQ).
pub const METRICS_QUEUE: &str = "metrics";
/// `--workorder-queue` (RabbitMQ).
pub const WORKORDER_QUEUE: &str = "workorder";
/// `--queue`: the embedded queue's file.
pub const QUEUE: &str = ".millrace/queue.db";
/// `--offsets`: where the streamer keeps acknowledged positions.
pub const OFFSETS: &str = ".millrace/offsets.json";
/// `--report-dir` (`report` also takes it as `--out`).
pub const REPORT_DIR: &str = "report";
/// `--batch-size`: records per request.
pub const BATCH_SIZE: usize = 5000;
/// `stream --follow`: off, so a plain `stream` sends what exists and exits.
pub const FOLLOW: bool = false;
/// `--retry-for`, seconds: long enough to ride out a webhook restart.
pub const RETRY_FOR: u64 = 300;
/// `--redeliver-after`, seconds.
pub const REDELIVER_AFTER: u64 = 30;
/// `--max-queue-backlog`, messages.
pub const MAX_QUEUE_BACKLOG: u64 = 1_000_000;
/// `--queue-format`: packed, which the consumer reads without parsing JSON again.
pub const QUEUE_FORMAT: crate::queue::BodyFormat = crate::queue::BodyFormat::Packed;
/// `--max-lag`, work-order intervals.
pub const MAX_LAG: usize = crate::report::analysis::DEFAULT_MAX_LAG;

/// The default each option's help shows, by clap argument id (the field's name): built from
/// the values above and from [`WebhookConfig::default`], which the settings use.
pub fn shown() -> Vec<(&'static str, String)> {
    let webhook = WebhookConfig::default();
    vec![
        ("data", DATA.into()),
        ("webhook", WEBHOOK.into()),
        ("listen", LISTEN.into()),
        ("dashboard_listen", DASHBOARD_LISTEN.into()),
        ("mqtt_url", MQTT_URL.into()),
        ("mqtt_client_id", MQTT_CLIENT_ID.into()),
        ("db", DB.into()),
        ("broker", BROKER.into()),
        ("metrics_queue", METRICS_QUEUE.into()),
        ("workorder_queue", WORKORDER_QUEUE.into()),
        ("queue", QUEUE.into()),
        ("offsets", OFFSETS.into()),
        ("report_dir", REPORT_DIR.into()),
        ("batch_size", BATCH_SIZE.to_string()),
        ("follow", FOLLOW.to_string()),
        ("retry_for", RETRY_FOR.to_string()),
        ("redeliver_after", REDELIVER_AFTER.to_string()),
        ("max_queue_backlog", MAX_QUEUE_BACKLOG.to_string()),
        ("queue_format", format!("{QUEUE_FORMAT:?}").to_lowercase()),
        ("max_lag", MAX_LAG.to_string()),
        ("max_body_bytes", webhook.max_body_bytes.to_string()),
        ("max_batch_records", webhook.max_batch_records.to_string()),
        (
            "max_concurrent_requests",
            webhook.max_concurrent.to_string(),
        ),
        ("max_header_bytes", webhook.max_header_bytes.to_string()),
        (
            "request_timeout",
            webhook.request_timeout.as_secs().to_string(),
        ),
    ]
}
