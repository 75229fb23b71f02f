//! The command line: every option can be given as a flag, as a `MILLRACE_*` environment
//! variable, or in `millrace.toml`, in that order of precedence.

mod commands;
mod data_folder;
mod dead_letters;
pub mod defaults;
mod docs;
mod requeue;
mod settings;
mod status;
mod webhook_url;

pub use commands::execute;
pub(crate) use settings::FileSettings;
pub use settings::{SettingsFileError, UsageError};

/// The exit code for an error that ended a command: 2 for a mistake in how millrace was
/// called or configured (a `--db` or `--queue` path the file system refuses, and a second
/// `run` or `stream` on an offsets file another one holds, included), 1 for a failure while
/// working, and 130 or 143 for a `run` that SIGINT or SIGTERM stopped before its end.
/// Decided here only.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if let Some(stopped) = error.downcast_ref::<crate::support::shutdown::Interrupted>() {
        return stopped.signal.exit_code();
    }
    let usage = error.downcast_ref::<UsageError>().is_some()
        || error.downcast_ref::<SettingsFileError>().is_some()
        || error
            .chain()
            .any(|e| e.is::<crate::support::sqlite_file::PathProblem>())
        || error.chain().any(|e| {
            matches!(
                e.downcast_ref::<crate::sender::LockError>(),
                Some(crate::sender::LockError::Held { .. })
            )
        });
    if usage { 2 } else { 1 }
}

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;

/// Parses the command line, with each option's default shown in its help.
pub fn parse() -> Cli {
    Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit())
}

/// The log format: `--log-format` or `MILLRACE_LOG_FORMAT`, else `log_format` in the
/// settings file, else text. A settings file that cannot be read leaves text here; the
/// command reports it once it starts.
pub fn log_format(cli: &Cli) -> crate::support::telemetry::LogFormat {
    cli.log_format
        .or_else(|| {
            FileSettings::load(cli.config.as_deref())
                .ok()
                .and_then(|s| s.log_format)
        })
        .unwrap_or_default()
}

/// The command line with each option's default written into its help from
/// [`defaults::shown`], the values the settings resolve to: the help cannot drift from what
/// millrace does. (A clap default would hide whether the flag was given, and a flag must win
/// over `millrace.toml` only when it is.)
pub fn command() -> clap::Command {
    let shown = defaults::shown();
    let mut cli = Cli::command();
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        cli = cli.mut_subcommand(&name, |mut sub| {
            let ids: Vec<String> = sub
                .get_arguments()
                .filter(|a| !a.is_required_set() && a.get_default_values().is_empty())
                .map(|a| a.get_id().to_string())
                .collect();
            for (id, text) in &shown {
                // An option whose default is not a value says so in its own words (`run`
                // generates demo data when no `--data` is given).
                let described = |sub: &clap::Command| {
                    sub.get_arguments()
                        .filter(|a| a.get_id() == id)
                        .filter_map(|a| a.get_help())
                        .any(|h| h.to_string().contains("[default:"))
                };
                if ids.iter().any(|i| i == id) && !described(&sub) {
                    sub = sub.mut_arg(id, |arg| with_default(arg, text));
                }
            }
            sub
        });
    }
    cli
}

/// `arg` with "[default: text]" after its help (short and long).
fn with_default(arg: clap::Arg, text: &str) -> clap::Arg {
    let short = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    let long = arg.get_long_help().map(|h| h.to_string());
    let arg = arg.help(format!("{short} [default: {text}]"));
    match long {
        Some(long) => arg.long_help(format!("{long} [default: {text}]")),
        None => arg,
    }
}

/// millrace: ingest machine data in real time and find the parameters that drive each
/// product's output.
#[derive(Debug, Parser)]
#[command(name = "millrace", version, about, long_about = None)]
pub struct Cli {
    /// Settings file [default: ./millrace.toml when it exists]
    #[arg(long, global = true, env = "MILLRACE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// How log lines on stderr are written: text, or one JSON object per line [default: text]
    #[arg(
        long,
        global = true,
        env = "MILLRACE_LOG_FORMAT",
        value_name = "FORMAT",
        value_enum
    )]
    pub log_format: Option<crate::support::telemetry::LogFormat>,

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
    #[arg(long, env = "MILLRACE_BROKER", value_name = "URL")]
    pub broker: Option<String>,
    /// RabbitMQ queue for metrics batches; dead letters go to `<name>.dead`
    #[arg(long, env = "MILLRACE_METRICS_QUEUE", value_name = "NAME")]
    pub metrics_queue: Option<String>,
    /// RabbitMQ queue for work-order batches
    #[arg(long, env = "MILLRACE_WORKORDER_QUEUE", value_name = "NAME")]
    pub workorder_queue: Option<String>,
    /// The embedded queue's file, shared by `serve` and `consume`
    #[arg(long, env = "MILLRACE_QUEUE", value_name = "FILE")]
    pub queue: Option<PathBuf>,
    /// Seconds before a message taken but not acknowledged is handed out again
    #[arg(long, env = "MILLRACE_REDELIVER_AFTER", value_name = "SECS")]
    pub redeliver_after: Option<u64>,
    /// Messages the embedded queue may hold for consumers before the webhook answers 503
    #[arg(long, env = "MILLRACE_MAX_QUEUE_BACKLOG", value_name = "N")]
    pub max_queue_backlog: Option<u64>,
    /// How `serve`, `run` and `mqtt` write batches on the queue: `packed` (message schema 2)
    /// or `json` (schema 1, for other tools that read the queue); consumers read both
    #[arg(long, env = "MILLRACE_QUEUE_FORMAT", value_name = "FORMAT")]
    pub queue_format: Option<crate::queue::BodyFormat>,
}

/// How the report analyses the data.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// Lags to try, in work-order intervals: output may follow a parameter up to this many
    /// intervals later
    #[arg(long, env = "MILLRACE_MAX_LAG", value_name = "N")]
    pub max_lag: Option<usize>,
}

/// Where records are stored.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store: a SQLite file, or a postgres://user@host:port/database URL
    #[arg(long, env = "MILLRACE_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
}

/// What the webhook accepts.
#[derive(Debug, Default, Args)]
pub struct WebhookArgs {
    /// Largest request body in bytes
    #[arg(long, env = "MILLRACE_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Most records in one batch
    #[arg(long, env = "MILLRACE_MAX_BATCH_RECORDS", value_name = "N")]
    pub max_batch_records: Option<usize>,
    /// Requests handled at once; beyond, 503 at once
    #[arg(long, env = "MILLRACE_MAX_CONCURRENT_REQUESTS", value_name = "N")]
    pub max_concurrent_requests: Option<usize>,
    /// Bytes of request line and headers allowed (431 beyond)
    #[arg(long, env = "MILLRACE_MAX_HEADER_BYTES", value_name = "BYTES")]
    pub max_header_bytes: Option<usize>,
    /// Seconds a request may take, upload included
    #[arg(long, env = "MILLRACE_REQUEST_TIMEOUT", value_name = "SECS")]
    pub request_timeout: Option<u64>,
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
pub struct StreamOpts {
    /// Resend everything from the start of each file; the store skips what it already has
    #[arg(long)]
    pub initial: bool,
    /// Records per request
    #[arg(long, env = "MILLRACE_BATCH_SIZE", value_name = "N")]
    pub batch_size: Option<usize>,
    /// Where acknowledged positions are kept
    #[arg(long, env = "MILLRACE_OFFSETS", value_name = "FILE")]
    pub offsets: Option<PathBuf>,
    /// Seconds to keep retrying one batch while the webhook is unavailable
    #[arg(long, env = "MILLRACE_RETRY_FOR", value_name = "SECS")]
    pub retry_for: Option<u64>,
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
    /// Folder for the report
    #[arg(long, env = "MILLRACE_REPORT_DIR", value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
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
    pub stream: StreamOpts,
    /// What the webhook accepts.
    #[command(flatten)]
    pub webhook: WebhookArgs,
    /// With --follow: keep running, follow the data files and serve the live dashboard.
    #[command(flatten)]
    pub follow: FollowArg,
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
        value_name = "ADDR"
    )]
    pub dashboard_listen: Option<String>,
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
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub follow: Option<bool>,
}

/// Options of `millrace stream`: where the data files are and where to send them.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Folder with metrics.json and workorder.json
    #[arg(long, env = "MILLRACE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Base URL of the webhook
    #[arg(long, env = "MILLRACE_WEBHOOK", value_name = "URL")]
    pub webhook: Option<String>,
    /// CA certificate (PEM) to trust for an https webhook with a private certificate
    #[arg(long, env = "MILLRACE_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Whether to keep following the files.
    #[command(flatten)]
    pub follow: FollowArg,
    /// How the data files are read and sent.
    #[command(flatten)]
    pub stream: StreamOpts,
    /// The credentials the webhook checks and the streamer presents.
    #[command(flatten)]
    pub auth: AuthArgs,
}

/// Options of `millrace serve`: where the webhook listens, whom it lets in, and where it
/// queues what it accepts.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "MILLRACE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
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
        hide_env_values = true
    )]
    pub url: Option<String>,
    /// What to subscribe to, and how.
    #[command(flatten)]
    pub mqtt: MqttOpts,
    /// Which queue carries batches to the consumers.
    #[command(flatten)]
    pub queue: QueueArgs,
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
        value_name = "ID"
    )]
    pub client_id: Option<String>,
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
        value_name = "ADDR"
    )]
    pub listen: Option<String>,
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

/// Options of `millrace consume`: which queue to empty into which store.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Which stream to consume: metrics, workorder or all
    #[arg(value_name = "STREAM", value_parser = ["metrics", "workorder", "all"])]
    pub stream: String,
    /// Where records are stored.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Which queue carries batches from the webhook to the consumers.
    #[command(flatten)]
    pub queue: QueueArgs,
    /// Serve Prometheus metrics at http://ADDR/metrics (off unless given), e.g. 127.0.0.1:9464
    #[arg(long, env = "MILLRACE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
}

/// Options of `millrace report`: which store to read and where to write the report.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Folder to write index.html, report.md, top3.csv and top3.json into (`--out` is
    /// the same)
    #[arg(
        long,
        visible_alias = "out",
        env = "MILLRACE_REPORT_DIR",
        value_name = "DIR"
    )]
    pub report_dir: Option<PathBuf>,
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
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Number of products
    #[arg(long, default_value_t = 2)]
    pub products: u32,
    /// Whether products run at the same time or take turns
    #[arg(long, default_value = "concurrent", value_parser = ["concurrent", "turns"])]
    pub schedule: String,
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
