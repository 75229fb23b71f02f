//! Every option of every command, declared once: its flag, its `MILLRACE_*` variable, its
//! default, the range it must lie in, and its help. `millrace.toml` takes the same options
//! under their ids ([`super::file`]), `--help`, the man pages and `docs/usage.md`'s options
//! reference are rendered from here, and [`super::resolve`] turns the parsed values into the
//! typed configs the commands run on. Adding an option is adding a field here and using it
//! there.

use super::bounds::{between, positive_at_most};
use crate::queue::{AmqpConfig, BodyFormat, EmbeddedQueueConfig};
use crate::support::telemetry::LogFormat;
use crate::webhook::WebhookConfig;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Where a dashboard listens by default, `run --follow`'s (`--dashboard-listen`) and
/// `dashboard`'s (`--listen`) alike: one option under two flags, so one default.
const DASHBOARD_LISTEN: &str = "127.0.0.1:5080";

/// millrace: ingest machine data in real time and find the parameters that drive each
/// product's output.
#[derive(Debug, Parser)]
#[command(name = "millrace", version, about, long_about = None)]
pub struct Cli {
    /// Settings file [default: ./millrace.toml when it exists]
    #[arg(long, global = true, env = "MILLRACE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// How log lines on stderr are written: text, or one JSON object per line
    #[arg(
        long,
        global = true,
        env = "MILLRACE_LOG_FORMAT",
        value_name = "FORMAT",
        value_enum,
        default_value_t = LogFormat::default()
    )]
    pub log_format: LogFormat,

    /// What to do: run the whole pipeline, or one of its stages on its own.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands: `run` for the whole pipeline in one process; `stream`, `serve` and `consume`
/// for one stage each, so each stage can run, scale and restart as its own process.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline in one process: webhook, queue (embedded, or RabbitMQ with
    /// --broker), consumers and store (SQLite, or PostgreSQL with --db postgres://…), then
    /// stream the data through it, wait until every record is stored and write the report
    Run(RunArgs),
    /// Send what is new in the data files to the webhook
    Stream(StreamArgs),
    /// Serve the webhook: POST /metrics_webhook and /workorder_webhook
    Serve(ServeArgs),
    /// Subscribe to MQTT topics and queue their records, as the webhook does
    Mqtt(MqttArgs),
    /// Store queued batches of one stream (or both) in the database
    Consume(ConsumeArgs),
    /// Write the report: per product, the parameters that best explain its output
    Report(ReportArgs),
    /// Write a realistic demo dataset
    Generate(GenerateArgs),
    /// Serve the live dashboard: the report, kept current as records are stored, in a
    /// browser
    Dashboard(DashboardArgs),
    /// Show, per stream, what the store holds and what waits in the queue (read only)
    Status(StatusArgs),
    /// Delete raw readings older than an age before the newest reading, keeping their
    /// per-minute rollups (the report goes on covering the whole history)
    Prune(PruneArgs),
    /// Rebuild the store's per-minute rollups from its readings (they are kept at ingest;
    /// this is for a store whose rollups are in doubt)
    Rollup(RollupArgs),
    /// List dead letters, put them back on their queue once the cause is fixed, or drop them
    DeadLetters(DeadLettersArgs),
    /// Print a shell completion script to stdout
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout, every command with its options; or write one page
    /// per command into a folder with --out
    Man(ManArgs),
}

/// Which queue to use, and where it lives.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// `embedded`, or a RabbitMQ URL such as amqp://guest:guest@127.0.0.1:5672/%2f
    #[arg(
        long,
        env = "MILLRACE_BROKER",
        value_name = "URL",
        default_value = "embedded",
        value_parser = super::bounds::broker_url
    )]
    pub broker: String,
    /// RabbitMQ queue for metrics batches; dead letters go to `<name>.dead`
    #[arg(
        long,
        env = "MILLRACE_METRICS_QUEUE",
        value_name = "NAME",
        default_value_t = AmqpConfig::new("").metrics_queue,
        value_parser = super::bounds::queue_name
    )]
    pub metrics_queue: String,
    /// RabbitMQ queue for work-order batches
    #[arg(
        long,
        env = "MILLRACE_WORKORDER_QUEUE",
        value_name = "NAME",
        default_value_t = AmqpConfig::new("").workorder_queue,
        value_parser = super::bounds::queue_name
    )]
    pub workorder_queue: String,
    /// The embedded queue's file, shared by `serve` and `consume`
    #[arg(
        long,
        env = "MILLRACE_QUEUE",
        value_name = "FILE",
        default_value = ".millrace/queue.db"
    )]
    pub queue: PathBuf,
    /// Seconds before a message taken but not acknowledged is handed out again
    #[arg(
        long,
        env = "MILLRACE_REDELIVER_AFTER",
        value_name = "SECS",
        default_value_t = EmbeddedQueueConfig::new("").redeliver_after.as_secs(),
        value_parser = between(1..=86_400u64)
    )]
    pub redeliver_after: u64,
    /// Messages the embedded queue may hold for consumers before the webhook answers 503
    #[arg(
        long,
        env = "MILLRACE_MAX_QUEUE_BACKLOG",
        value_name = "N",
        default_value_t = EmbeddedQueueConfig::new("").max_backlog,
        value_parser = between(1..=1_000_000_000u64)
    )]
    pub max_queue_backlog: u64,
    /// How `serve`, `run` and `mqtt` write batches on the queue: `packed` (message schema 2)
    /// or `json` (schema 1, for other tools that read the queue); consumers read both
    #[arg(
        long,
        env = "MILLRACE_QUEUE_FORMAT",
        value_name = "FORMAT",
        value_enum,
        default_value_t = BodyFormat::default()
    )]
    pub queue_format: BodyFormat,
}

/// How the report analyses the data.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// Lags to try, in work-order intervals: output may follow a parameter up to this many
    /// intervals later
    #[arg(
        long,
        env = "MILLRACE_MAX_LAG",
        value_name = "N",
        default_value_t = crate::report::analysis::DEFAULT_MAX_LAG,
        value_parser = between(0..=48usize)
    )]
    pub max_lag: usize,
}

/// Where records are stored.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store: a SQLite file, or a postgres://user@host:port/database URL
    #[arg(
        long,
        env = "MILLRACE_DB",
        value_name = "FILE",
        default_value = "millrace.db"
    )]
    pub db: PathBuf,
}

/// The largest batch accepted: the webhook refuses more, and `mqtt` and a requeue of dead
/// letters hold every message to the same limits.
#[derive(Debug, Args)]
pub struct BatchLimitArgs {
    /// Largest request body (or MQTT message) in bytes
    #[arg(
        long,
        env = "MILLRACE_MAX_BODY_BYTES",
        value_name = "BYTES",
        default_value_t = WebhookConfig::default().max_body_bytes,
        value_parser = between(1024..=4usize << 30)
    )]
    pub max_body_bytes: usize,
    /// Most records in one batch
    #[arg(
        long,
        env = "MILLRACE_MAX_BATCH_RECORDS",
        value_name = "N",
        default_value_t = WebhookConfig::default().max_batch_records,
        value_parser = between(1..=10_000_000usize)
    )]
    pub max_batch_records: usize,
}

/// What the webhook server accepts besides batch sizes.
#[derive(Debug, Args)]
pub struct WebhookArgs {
    /// Batch size limits.
    #[command(flatten)]
    pub limits: BatchLimitArgs,
    /// Requests handled at once; beyond, 503 at once
    #[arg(
        long,
        env = "MILLRACE_MAX_CONCURRENT_REQUESTS",
        value_name = "N",
        default_value_t = WebhookConfig::default().max_concurrent,
        value_parser = between(1..=100_000usize)
    )]
    pub max_concurrent_requests: usize,
    /// Bytes of request line and headers allowed (431 beyond)
    #[arg(
        long,
        env = "MILLRACE_MAX_HEADER_BYTES",
        value_name = "BYTES",
        default_value_t = WebhookConfig::default().max_header_bytes,
        value_parser = between(8192..=16usize << 20)
    )]
    pub max_header_bytes: usize,
    /// Seconds a request may take, upload included
    #[arg(
        long,
        env = "MILLRACE_REQUEST_TIMEOUT",
        value_name = "SECS",
        default_value_t = WebhookConfig::default().request_timeout.as_secs(),
        value_parser = between(15..=3600u64)
    )]
    pub request_timeout: u64,
    /// Seconds a request waits for the queue to confirm its batch before answering 503
    #[arg(
        long,
        env = "MILLRACE_PUBLISH_TIMEOUT",
        value_name = "SECS",
        default_value_t = WebhookConfig::default().publish_timeout.as_secs(),
        value_parser = between(1..=600u64)
    )]
    pub publish_timeout: u64,
}

/// Credentials: the webhook accepts them, the streamer presents them.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// The tokens.
    #[command(flatten)]
    pub tokens: TokenArgs,
    /// Key for HMAC-SHA256 signatures of the body (header `X-Millrace-Signature: sha256=<hex>`)
    #[arg(
        long,
        env = "MILLRACE_HMAC_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub hmac_key: Option<String>,
    /// File holding the HMAC key
    #[arg(long, env = "MILLRACE_HMAC_KEY_FILE", value_name = "FILE")]
    pub hmac_key_file: Option<PathBuf>,
}

/// Tokens: the webhook accepts them as bearer tokens, the dashboard as a browser's password,
/// the streamer presents one.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Token (serve: a bearer token accepted, may repeat; dashboard: a password accepted;
    /// stream: the bearer token sent)
    #[arg(
        long = "auth-token",
        env = "MILLRACE_AUTH_TOKENS",
        value_name = "TOKEN",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub auth_tokens: Vec<String>,
    /// File with tokens, one per line (# starts a comment)
    #[arg(long, env = "MILLRACE_AUTH_TOKEN_FILE", value_name = "FILE")]
    pub auth_token_file: Option<PathBuf>,
}

/// How the streamer reads and sends.
#[derive(Debug, Args)]
pub struct SendOpts {
    /// Resend everything from the start of each file; the store skips what it already has
    #[arg(long)]
    pub initial: bool,
    /// Records per request
    #[arg(
        long,
        env = "MILLRACE_BATCH_SIZE",
        value_name = "N",
        default_value_t = 5000,
        value_parser = between(1..=1_000_000usize)
    )]
    pub batch_size: usize,
    /// Where acknowledged positions are kept
    #[arg(
        long,
        env = "MILLRACE_OFFSETS",
        value_name = "FILE",
        default_value = ".millrace/offsets.json"
    )]
    pub offsets: PathBuf,
    /// Seconds to keep retrying one batch while the webhook is unavailable
    #[arg(
        long,
        env = "MILLRACE_RETRY_FOR",
        value_name = "SECS",
        default_value_t = 300
    )]
    pub retry_for: u64,
    /// No progress bar, only log lines
    #[arg(long)]
    pub no_progress: bool,
}

/// Options of `millrace run`: every stage's options, since it runs them all.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Folder with metrics.json and workorder.json [default: a generated demo dataset]
    #[arg(long, env = "MILLRACE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Where the report goes.
    #[command(flatten)]
    pub report: ReportDirArg,
    /// How the report analyses the data.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Where records are stored.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Which queue carries batches from the webhook to the consumers.
    #[command(flatten)]
    pub queue: QueueArgs,
    /// How the data files are read and sent.
    #[command(flatten)]
    pub send: SendOpts,
    /// What the webhook accepts.
    #[command(flatten)]
    pub webhook: WebhookArgs,
    /// With --follow: keep running, follow the data files and serve the live dashboard.
    #[command(flatten)]
    pub follow: FollowArg,
    /// Raw readings pruned on a schedule (with --follow).
    #[command(flatten)]
    pub retention: RetentionArgs,
    /// Subscribe to this MQTT broker too (mqtt://… or mqtts://…, with --topic): keeps
    /// running as --follow does, beside the file streamer when --data is given, instead of it
    /// when not
    #[arg(
        long = "mqtt",
        id = "mqtt",
        env = "MILLRACE_MQTT",
        value_name = "URL",
        hide_env_values = true
    )]
    pub mqtt: Option<String>,
    /// With --mqtt: what to subscribe to, and how.
    #[command(flatten)]
    pub mqtt_opts: MqttOpts,
    /// With --follow: where the dashboard listens (loopback unless told otherwise)
    #[arg(
        long = "dashboard-listen",
        id = "dashboard_listen",
        env = "MILLRACE_DASHBOARD_LISTEN",
        value_name = "ADDR",
        default_value = DASHBOARD_LISTEN
    )]
    pub dashboard_listen: String,
}

/// `--report-dir`, shared by `run` and `report`.
#[derive(Debug, Args)]
pub struct ReportDirArg {
    /// Folder to write index.html, report.md, top3.csv and top3.json into (`--out` is the
    /// same)
    #[arg(
        long,
        visible_alias = "out",
        env = "MILLRACE_REPORT_DIR",
        value_name = "DIR",
        default_value = "report"
    )]
    pub report_dir: PathBuf,
}

/// `--follow`, shared by `stream` and `run`.
#[derive(Debug, Args)]
pub struct FollowArg {
    /// Keep running and send records as they are appended, following rotated files, until
    /// SIGTERM or Ctrl-C (`--follow=false` turns off a `follow = true` of millrace.toml)
    #[arg(
        long,
        env = "MILLRACE_FOLLOW",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = false,
        default_missing_value = "true",
        action = clap::ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub follow: bool,
}

/// Options of `millrace stream`: where the data files are and where to send them.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Folder with metrics.json and workorder.json
    #[arg(long, env = "MILLRACE_DATA", value_name = "DIR", default_value = ".")]
    pub data: PathBuf,
    /// Base URL of the webhook
    #[arg(
        long,
        env = "MILLRACE_WEBHOOK",
        value_name = "URL",
        default_value = "http://127.0.0.1:5000",
        value_parser = super::webhook_url::parse
    )]
    pub webhook: String,
    /// CA certificate (PEM) to trust for an https webhook with a private certificate
    #[arg(long, env = "MILLRACE_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Whether to keep following the files.
    #[command(flatten)]
    pub follow: FollowArg,
    /// Raw readings pruned on a schedule (with --follow).
    #[command(flatten)]
    pub retention: RetentionArgs,
    /// How the data files are read and sent.
    #[command(flatten)]
    pub send: SendOpts,
    /// The credentials the webhook checks and the streamer presents.
    #[command(flatten)]
    pub auth: AuthArgs,
}

/// Options of `millrace serve`: where the webhook listens, whom it lets in, and where it
/// queues what it accepts.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(
        long,
        env = "MILLRACE_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:5000"
    )]
    pub listen: String,
    /// Listen beyond loopback without authentication (only on a network you trust)
    #[arg(long)]
    pub insecure: bool,
    /// The certificate and key for HTTPS.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// The credentials the webhook checks and the streamer presents.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Which queue carries batches from the webhook to the consumers.
    #[command(flatten)]
    pub queue: QueueArgs,
    /// What the webhook accepts.
    #[command(flatten)]
    pub webhook: WebhookArgs,
}

/// Options of `millrace mqtt`: which broker and topics to read, and where to queue them.
#[derive(Debug, Args)]
pub struct MqttArgs {
    /// The MQTT broker: mqtt://[user[:password]@]host[:port], or mqtts://… for TLS
    #[arg(
        long = "url",
        id = "mqtt_url",
        env = "MILLRACE_MQTT_URL",
        value_name = "URL",
        hide_env_values = true,
        default_value = "mqtt://127.0.0.1:1883"
    )]
    pub url: String,
    /// What to subscribe to, and how.
    #[command(flatten)]
    pub mqtt: MqttOpts,
    /// Which queue carries batches to the consumers.
    #[command(flatten)]
    pub queue: QueueArgs,
    /// The largest message taken, as the webhook's largest batch.
    #[command(flatten)]
    pub limits: BatchLimitArgs,
    /// Where Prometheus metrics are served.
    #[command(flatten)]
    pub metrics: MetricsListenArg,
}

/// `--metrics-listen`, shared by `mqtt` and `consume`.
#[derive(Debug, Args)]
pub struct MetricsListenArg {
    /// Serve Prometheus metrics at http://ADDR/metrics (off unless given), e.g. 127.0.0.1:9464
    #[arg(long, env = "MILLRACE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
}

/// The subscription: topics, session and credentials (the broker's URL is apart, as `run`
/// names it `--mqtt`).
#[derive(Debug, Args)]
pub struct MqttOpts {
    /// STREAM=FILTER: messages on topics matching the MQTT filter feed the stream (metrics
    /// or workorder), e.g. metrics=plant/+/metrics; repeat for more
    #[arg(
        long = "topic",
        id = "mqtt_topics",
        env = "MILLRACE_MQTT_TOPICS",
        value_name = "STREAM=FILTER",
        value_delimiter = ','
    )]
    pub topics: Vec<String>,
    /// The client id the broker keeps the session under; keep it the same across restarts,
    /// so messages not yet acknowledged are delivered again
    #[arg(
        long = "client-id",
        id = "mqtt_client_id",
        env = "MILLRACE_MQTT_CLIENT_ID",
        value_name = "ID",
        default_value = "millrace",
        value_parser = super::bounds::client_id
    )]
    pub client_id: String,
    /// User name for the broker (instead of the one in the URL)
    #[arg(
        long = "mqtt-username",
        id = "mqtt_username",
        env = "MILLRACE_MQTT_USERNAME",
        value_name = "USER"
    )]
    pub username: Option<String>,
    /// Password for the broker (instead of the one in the URL)
    #[arg(
        long = "mqtt-password",
        id = "mqtt_password",
        env = "MILLRACE_MQTT_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// CA certificate (PEM) to trust for an mqtts:// broker with a private certificate
    #[arg(long, env = "MILLRACE_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

/// HTTPS for a server (`serve`, `dashboard`).
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
    #[arg(long, env = "MILLRACE_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert
    #[arg(long, env = "MILLRACE_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
}

/// Options of `millrace dashboard`: which store to watch, where to show it and to whom.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Address to listen on (its own setting: `serve`'s --listen is the webhook's)
    #[arg(
        long = "listen",
        id = "dashboard_listen",
        env = "MILLRACE_DASHBOARD_LISTEN",
        value_name = "ADDR",
        default_value = DASHBOARD_LISTEN
    )]
    pub listen: String,
    /// Listen beyond loopback without authentication (only on a network you trust)
    #[arg(long)]
    pub insecure: bool,
    /// The certificate and key for HTTPS.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Who may look: a browser gives any user name and one of the tokens as the password
    /// (HMAC keys do not apply: a browser cannot sign).
    #[command(flatten)]
    pub tokens: TokenArgs,
    /// How the analysis is made.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Where records are stored.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Which streams a command works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Streams {
    /// Metrics batches only.
    Metrics,
    /// Work-order batches only.
    Workorder,
    /// Both.
    All,
}

/// Options of `millrace consume`: which queue to empty into which store.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Which stream to consume: metrics, workorder or all
    #[arg(value_name = "STREAM", value_enum)]
    pub stream: Streams,
    /// Where records are stored.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Which queue carries batches from the webhook to the consumers.
    #[command(flatten)]
    pub queue: QueueArgs,
    /// Where Prometheus metrics are served.
    #[command(flatten)]
    pub metrics: MetricsListenArg,
    /// Raw readings pruned on a schedule.
    #[command(flatten)]
    pub retention: RetentionArgs,
}

/// Options of `millrace report`: which store to read and where to write the report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Where the report goes.
    #[command(flatten)]
    pub report: ReportDirArg,
    /// How the report analyses the data.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Where records are stored.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Options of `millrace generate`: how big and how shaped the demo dataset is.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Folder to write metrics.json, workorder.json and planted.json into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Random seed: the same seed gives the same files
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Size relative to the sample (1 = about 6,900 metrics and 580 work orders)
    #[arg(long, default_value_t = 1.0, value_parser = positive_at_most(100_000.0))]
    pub scale: f64,
    /// Number of products
    #[arg(long, default_value_t = 2, value_parser = between(1..=1000u32))]
    pub products: u32,
    /// Whether products run at the same time or take turns
    #[arg(long, value_enum, default_value_t = crate::generate::Schedule::Concurrent)]
    pub schedule: crate::generate::Schedule,
    /// Make output independent of every parameter (no planted relationships)
    #[arg(long)]
    pub no_plant: bool,
}

/// Options of `millrace status`: which store and queue to look at.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print one JSON document instead of the table
    #[arg(long)]
    pub json: bool,
    /// Where records are stored.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Which queue to look at.
    #[command(flatten)]
    pub queue: QueueArgs,
}

/// Options of `millrace prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Keep raw readings this much older than the newest one (30d, 12h, 90min, 1w); older
    /// ones are deleted, their rollups kept
    #[arg(long, value_name = "AGE", value_parser = super::bounds::age)]
    pub raw_older_than: i64,
    /// Which store to prune.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Pruning on a schedule, for the processes that write the store for a long time.
#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Prune raw readings older than this before the newest one (30d, 12h, …), at start and
    /// then every --prune-every, as `millrace prune` does [default: keep every reading]
    #[arg(
        long,
        env = "MILLRACE_PRUNE_RAW_OLDER_THAN",
        value_name = "AGE",
        value_parser = super::bounds::age
    )]
    pub prune_raw_older_than: Option<i64>,
    /// How often to prune when --prune-raw-older-than is set
    #[arg(
        long,
        env = "MILLRACE_PRUNE_EVERY",
        value_name = "PERIOD",
        default_value = "1h",
        value_parser = super::bounds::age
    )]
    pub prune_every: i64,
}

/// Options of `millrace rollup`.
#[derive(Debug, Args)]
pub struct RollupArgs {
    /// Replace every rollup with one made from the stored readings (required: the command
    /// does nothing else yet, and says so rather than guess)
    #[arg(long)]
    pub rebuild: bool,
    /// Which store to rebuild.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// What `millrace dead-letters` does with the dead letters it chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DeadLetterAction {
    /// Show each one: id, stream, reason, age, records and first bytes
    List,
    /// Put them back on their stream's queue (the store skips records it already holds)
    Requeue,
    /// Delete them for good (needs --id or --all)
    Drop,
}

/// Options of `millrace dead-letters`: what to do, to which dead letters, on which queue.
#[derive(Debug, Args)]
pub struct DeadLettersArgs {
    /// list, requeue or drop
    #[arg(value_enum, value_name = "ACTION")]
    pub action: DeadLetterAction,
    /// Only this stream's dead letters: metrics or workorder [default: both]
    #[arg(long = "stream", value_name = "STREAM", value_parser = ["metrics", "workorder"])]
    pub stream: Option<String>,
    /// Only the dead letter with this id, as `list` shows it (may repeat)
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,
    /// With drop: drop every dead letter chosen (of --stream, or of both streams)
    #[arg(long)]
    pub all: bool,
    /// With list: print one JSON document instead of text
    #[arg(long)]
    pub json: bool,
    /// Which queue holds the dead letters.
    #[command(flatten)]
    pub queue: QueueArgs,
    /// A requeued batch is held to the webhook's limits again.
    #[command(flatten)]
    pub limits: BatchLimitArgs,
}

/// Options of `millrace man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write millrace.1 and a page per command (millrace-run.1, …) into this folder, made if
    /// missing, instead of printing one page
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Options of `millrace completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}
