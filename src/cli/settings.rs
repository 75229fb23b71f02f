//! `millrace.toml`: the same options as the flags, under the same names with underscores.
//! A flag or `MILLRACE_*` variable wins over the file, the file over the built-in default.

use super::defaults;
use super::{
    AnalysisArgs, AuthArgs, MqttOpts, QueueArgs, StoreArgs, StreamOpts, TlsArgs, TokenArgs,
    WebhookArgs,
};
use crate::auth::Credentials;
use crate::mqtt::{MqttConfig, Subscription};
use crate::queue::{AmqpConfig, Broker, EmbeddedQueueConfig};
use crate::store::StoreLocation;
use crate::support::tls::TlsFiles;
use crate::webhook::WebhookConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything `millrace.toml` may set; unknown keys are refused so a typo is not ignored.
///
/// Each field is the flag of the same name, documented there (`max_lag` is `--max-lag`;
/// `auth_tokens` is the list of `--auth-token`s); `None` when the file does not set it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub data: Option<PathBuf>,
    pub webhook: Option<String>,
    pub listen: Option<String>,
    pub dashboard_listen: Option<String>,
    pub db: Option<PathBuf>,
    pub queue: Option<PathBuf>,
    pub broker: Option<String>,
    pub metrics_queue: Option<String>,
    pub workorder_queue: Option<String>,
    pub offsets: Option<PathBuf>,
    pub report_dir: Option<PathBuf>,
    pub max_lag: Option<usize>,
    pub batch_size: Option<usize>,
    pub follow: Option<bool>,
    pub retry_for: Option<u64>,
    pub redeliver_after: Option<u64>,
    pub max_queue_backlog: Option<u64>,
    pub queue_format: Option<crate::queue::BodyFormat>,
    pub max_body_bytes: Option<usize>,
    pub max_batch_records: Option<usize>,
    pub max_concurrent_requests: Option<usize>,
    pub request_timeout: Option<u64>,
    pub max_header_bytes: Option<usize>,
    pub auth_tokens: Option<Vec<String>>,
    pub auth_token_file: Option<PathBuf>,
    pub hmac_key: Option<String>,
    pub hmac_key_file: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub ca_cert: Option<PathBuf>,
    pub mqtt: Option<String>,
    pub mqtt_url: Option<String>,
    pub mqtt_topics: Option<Vec<String>>,
    pub mqtt_client_id: Option<String>,
    pub mqtt_username: Option<String>,
    pub mqtt_password: Option<String>,
    pub log_format: Option<crate::support::telemetry::LogFormat>,
    pub metrics_listen: Option<String>,
}

impl FileSettings {
    /// Reads `explicit`, or `./millrace.toml` when it exists, or nothing.
    pub fn load(explicit: Option<&Path>) -> Result<Self, SettingsFileError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None if Path::new("millrace.toml").exists() => PathBuf::from("millrace.toml"),
            None => return Ok(FileSettings::default()),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| SettingsFileError::Read {
            path: path.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| SettingsFileError::Invalid { path, source })
    }

    /// How producers write batches on the queue: `--queue-format`, else `queue_format`,
    /// else packed.
    pub fn queue_format(&self, args: &QueueArgs) -> crate::queue::BodyFormat {
        pick(args.queue_format, self.queue_format, defaults::QUEUE_FORMAT)
    }

    /// The queue to run on: the embedded one unless a RabbitMQ URL is given.
    pub fn broker(&self, args: &QueueArgs) -> Result<Broker, UsageError> {
        let url = pick(
            args.broker.clone(),
            self.broker.clone(),
            defaults::BROKER.into(),
        );
        if url == defaults::BROKER {
            return Ok(Broker::Embedded(self.queue(args)?));
        }
        if !url.starts_with("amqp://") {
            return Err(UsageError::new(format!(
                "--broker must be `embedded` or an amqp:// URL, got `{}`",
                crate::support::redact::redact(&url)
            )));
        }
        let mut config = AmqpConfig::new(url);
        let name = |flag: &Option<String>, file: &Option<String>, default: &str, option: &str| {
            let name = pick(flag.clone(), file.clone(), default.to_string());
            let valid = !name.is_empty()
                && name.len() <= 200
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c));
            if valid {
                Ok(name)
            } else {
                Err(UsageError::new(format!(
                    "--{option} must be 1 to 200 letters, digits or `._-:`, got `{name}`"
                )))
            }
        };
        config.metrics_queue = name(
            &args.metrics_queue,
            &self.metrics_queue,
            defaults::METRICS_QUEUE,
            "metrics-queue",
        )?;
        config.workorder_queue = name(
            &args.workorder_queue,
            &self.workorder_queue,
            defaults::WORKORDER_QUEUE,
            "workorder-queue",
        )?;
        if config.metrics_queue == config.workorder_queue {
            return Err(UsageError::new(
                "--metrics-queue and --workorder-queue must differ",
            ));
        }
        Ok(Broker::Amqp(config))
    }

    /// The embedded queue's file and limits, each checked against its allowed range.
    pub fn queue(&self, args: &QueueArgs) -> Result<EmbeddedQueueConfig, UsageError> {
        Ok(EmbeddedQueueConfig {
            path: pick(
                args.queue.clone(),
                self.queue.clone(),
                defaults::QUEUE.into(),
            ),
            redeliver_after: Duration::from_secs(checked(
                "redeliver-after",
                pick(
                    args.redeliver_after,
                    self.redeliver_after,
                    defaults::REDELIVER_AFTER,
                ),
                1..=86_400,
            )?),
            max_backlog: checked(
                "max-queue-backlog",
                pick(
                    args.max_queue_backlog,
                    self.max_queue_backlog,
                    defaults::MAX_QUEUE_BACKLOG,
                ),
                1..=1_000_000_000,
            )?,
        })
    }

    /// The store: a SQLite file, or a `postgres://` URL.
    pub fn db(&self, args: &StoreArgs) -> StoreLocation {
        let db: PathBuf = pick(args.db.clone(), self.db.clone(), defaults::DB.into());
        StoreLocation::parse(&db.to_string_lossy())
    }

    /// The webhook's limits, each checked against its allowed range; credentials are set
    /// apart, by [`FileSettings::credentials`].
    pub fn webhook(&self, args: &WebhookArgs) -> Result<WebhookConfig, UsageError> {
        let default = WebhookConfig::default();
        Ok(WebhookConfig {
            max_body_bytes: checked(
                "max-body-bytes",
                pick(
                    args.max_body_bytes,
                    self.max_body_bytes,
                    default.max_body_bytes,
                ),
                1024..=4 << 30,
            )?,
            max_batch_records: checked(
                "max-batch-records",
                pick(
                    args.max_batch_records,
                    self.max_batch_records,
                    default.max_batch_records,
                ),
                1..=10_000_000,
            )?,
            max_header_bytes: checked(
                "max-header-bytes",
                pick(
                    args.max_header_bytes,
                    self.max_header_bytes,
                    default.max_header_bytes,
                ),
                8192..=16 << 20,
            )?,
            max_concurrent: checked(
                "max-concurrent-requests",
                pick(
                    args.max_concurrent_requests,
                    self.max_concurrent_requests,
                    default.max_concurrent,
                ),
                1..=100_000,
            )?,
            request_timeout: Duration::from_secs(checked(
                "request-timeout",
                pick(
                    args.request_timeout,
                    self.request_timeout,
                    default.request_timeout.as_secs(),
                ),
                15..=3600,
            )?),
            ..default
        })
    }

    /// Records the streamer sends per request.
    pub fn batch_size(&self, opts: &StreamOpts) -> Result<usize, UsageError> {
        checked(
            "batch-size",
            pick(opts.batch_size, self.batch_size, defaults::BATCH_SIZE),
            1..=1_000_000,
        )
    }

    /// How the report analyses the data.
    pub fn analysis(&self, args: &AnalysisArgs) -> Result<crate::report::Options, UsageError> {
        Ok(crate::report::Options {
            max_lag: checked(
                "max-lag",
                pick(args.max_lag, self.max_lag, defaults::MAX_LAG),
                0..=48,
            )?,
        })
    }

    /// The file where the streamer keeps how far each data file has been sent.
    pub fn offsets(&self, opts: &StreamOpts) -> PathBuf {
        pick(
            opts.offsets.clone(),
            self.offsets.clone(),
            defaults::OFFSETS.into(),
        )
    }

    /// Whether `stream` keeps following the data files instead of stopping at their end.
    pub fn follow(&self, flag: Option<bool>) -> bool {
        pick(flag, self.follow, defaults::FOLLOW)
    }

    /// How long the streamer keeps retrying one batch while the webhook is unavailable.
    pub fn retry_for(&self, opts: &StreamOpts) -> Duration {
        Duration::from_secs(pick(opts.retry_for, self.retry_for, defaults::RETRY_FOR))
    }

    /// Where the report is written (`--report-dir` of `run` and `report`).
    pub fn report_dir(&self, flag: Option<&PathBuf>) -> PathBuf {
        pick(
            flag.cloned(),
            self.report_dir.clone(),
            defaults::REPORT_DIR.into(),
        )
    }

    /// The data folder given, if any (`run` generates a demo dataset when none is).
    pub fn data(&self, flag: Option<&PathBuf>) -> Option<PathBuf> {
        flag.cloned().or(self.data.clone())
    }

    /// The folder `stream` reads.
    pub fn stream_data(&self, flag: Option<&PathBuf>) -> PathBuf {
        self.data(flag).unwrap_or_else(|| defaults::DATA.into())
    }

    /// The webhook `stream` sends to: its base URL, checked by [`super::webhook_url::check`].
    pub fn webhook_url(&self, flag: Option<&String>) -> Result<String, UsageError> {
        let url = pick(
            flag.cloned(),
            self.webhook.clone(),
            defaults::WEBHOOK.into(),
        );
        super::webhook_url::check(&url)?;
        Ok(url)
    }

    /// The address `serve` listens on.
    pub fn listen(&self, flag: Option<&String>) -> String {
        pick(flag.cloned(), self.listen.clone(), defaults::LISTEN.into())
    }

    /// The address `dashboard` listens on.
    pub fn dashboard_listen(&self, flag: Option<&String>) -> String {
        pick(
            flag.cloned(),
            self.dashboard_listen.clone(),
            defaults::DASHBOARD_LISTEN.into(),
        )
    }

    /// Where `consume` and `mqtt` serve their metrics; `None` (the default) serves none.
    pub fn metrics_listen(&self, flag: Option<&String>) -> Option<String> {
        flag.cloned().or_else(|| self.metrics_listen.clone())
    }

    /// The certificate and key a server uses for HTTPS: both or neither, from any layer.
    pub fn tls(&self, args: &TlsArgs) -> Result<Option<TlsFiles>, UsageError> {
        let cert = args.tls_cert.clone().or(self.tls_cert.clone());
        let key = args.tls_key.clone().or(self.tls_key.clone());
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (None, None) => Ok(None),
            (cert, _) => {
                let (given, missing) = if cert.is_some() {
                    ("--tls-cert", "--tls-key")
                } else {
                    ("--tls-key", "--tls-cert")
                };
                Err(UsageError::new(format!(
                    "{given} is set but {missing} is not: give both (as flags, \
                     MILLRACE_TLS_CERT/MILLRACE_TLS_KEY or tls_cert/tls_key in millrace.toml) \
                     to serve HTTPS, or neither for plain HTTP"
                )))
            }
        }
    }

    /// The MQTT subscription of `millrace mqtt` (broker `url`, from `--url`): a user name
    /// or password given apart wins over the URL's. Messages name the broker without its
    /// password.
    pub fn mqtt(&self, url: Option<&String>, args: &MqttOpts) -> Result<MqttConfig, UsageError> {
        let url = pick(
            url.cloned(),
            self.mqtt_url.clone(),
            defaults::MQTT_URL.into(),
        );
        let client_id = pick(
            args.client_id.clone(),
            self.mqtt_client_id.clone(),
            defaults::MQTT_CLIENT_ID.into(),
        );
        if client_id.is_empty() || client_id.len() > 65_535 {
            return Err(UsageError::new("--client-id must hold 1 to 65535 bytes"));
        }
        let mut config =
            MqttConfig::from_url(&url, client_id).map_err(|e| UsageError::new(e.to_string()))?;
        let topics = if args.topics.is_empty() {
            self.mqtt_topics.clone().unwrap_or_default()
        } else {
            args.topics.clone()
        };
        if topics.is_empty() {
            return Err(UsageError::new(
                "give at least one --topic, e.g. --topic metrics=plant/+/metrics --topic workorder=plant/+/workorder",
            ));
        }
        config.topics = topics
            .iter()
            .map(|t| Subscription::parse(t))
            .collect::<Result<_, _>>()
            .map_err(|e| UsageError::new(e.to_string()))?;
        if let Some(user) = args.username.clone().or(self.mqtt_username.clone()) {
            config.username = Some(user);
        }
        if let Some(password) = args.password.clone().or(self.mqtt_password.clone()) {
            config.password = Some(password);
        }
        config.ca_cert = self.ca_cert(args.ca_cert.as_ref());
        if config.ca_cert.is_some() && !config.tls {
            return Err(UsageError::new(
                "--ca-cert is for an mqtts:// broker, but --url is mqtt://",
            ));
        }
        // The webhook's limits, as millrace.toml sets them (`mqtt` has no flags for them).
        let webhook = self.webhook(&super::WebhookArgs::default())?;
        config.max_batch_records = webhook.max_batch_records;
        config.max_payload_bytes = webhook.max_body_bytes;
        Ok(config)
    }

    /// The MQTT subscription of `run`: only when `--mqtt` (or `mqtt` in the file) names a
    /// broker.
    pub fn run_mqtt(
        &self,
        url: Option<&String>,
        args: &MqttOpts,
    ) -> Result<Option<MqttConfig>, UsageError> {
        match url.cloned().or(self.mqtt.clone()) {
            Some(url) => self.mqtt(Some(&url), args).map(Some),
            None => Ok(None),
        }
    }

    /// The CA certificate `stream` trusts for an https webhook.
    pub fn ca_cert(&self, flag: Option<&PathBuf>) -> Option<PathBuf> {
        flag.cloned().or(self.ca_cert.clone())
    }
}

impl FileSettings {
    /// The credentials from flags, environment, files and settings. Messages about them name
    /// files, never secrets.
    pub fn credentials(&self, args: &AuthArgs) -> Result<Credentials, UsageError> {
        let tokens = self.tokens(&args.tokens)?;
        let mut keys: Vec<Vec<u8>> = args
            .hmac_key
            .clone()
            .or(self.hmac_key.clone())
            .map(String::into_bytes)
            .into_iter()
            .collect();
        if let Some(file) = args.hmac_key_file.as_ref().or(self.hmac_key_file.as_ref()) {
            keys.extend(
                secret_lines(file, "HMAC key")?
                    .into_iter()
                    .map(String::into_bytes),
            );
        }
        Ok(Credentials::new(tokens, keys))
    }

    /// The tokens alone, from flags, environment, files and settings: what the dashboard
    /// checks, since a browser can send a password but cannot sign a body.
    pub fn token_credentials(&self, args: &TokenArgs) -> Result<Credentials, UsageError> {
        Ok(Credentials::new(self.tokens(args)?, Vec::new()))
    }

    fn tokens(&self, args: &TokenArgs) -> Result<Vec<String>, UsageError> {
        let mut tokens = if args.auth_tokens.is_empty() {
            self.auth_tokens.clone().unwrap_or_default()
        } else {
            args.auth_tokens.clone()
        };
        if let Some(file) = args
            .auth_token_file
            .as_ref()
            .or(self.auth_token_file.as_ref())
        {
            tokens.extend(secret_lines(file, "token")?);
        }
        Ok(tokens)
    }
}

/// The secrets in a file, one per line; blank lines and `#` comments are skipped.
fn secret_lines(path: &Path, what: &str) -> Result<Vec<String>, UsageError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError::because(format!("cannot read the {what} file {}", path.display()), e)
    })?;
    let secrets: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    if secrets.is_empty() {
        return Err(UsageError::new(format!(
            "the {what} file {} holds no {what}",
            path.display()
        )));
    }
    Ok(secrets)
}

/// The settings file cannot be used: a mistake in how millrace was configured (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SettingsFileError {
    /// The file cannot be read.
    #[error("cannot read the settings file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or holds a key millrace does not know.
    #[error("the settings file {} is invalid", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What the parser said, with the line.
        #[source]
        source: toml::de::Error,
    },
}

/// A mistake in how millrace was called or configured (exit code 2), as opposed to a failure
/// while working (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    /// What is wrong and how to call millrace instead.
    message: String,
    /// The error behind it, when there is one (a file that cannot be read, say).
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl UsageError {
    /// A mistake that `message` tells whole.
    pub fn new(message: impl Into<String>) -> Self {
        UsageError {
            message: message.into(),
            source: None,
        }
    }

    /// A mistake that `message` tells, found because of `source`.
    pub fn because(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        UsageError {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// `value` if it lies in `range`; otherwise a usage error naming the option.
fn checked<T>(name: &str, value: T, range: std::ops::RangeInclusive<T>) -> Result<T, UsageError>
where
    T: PartialOrd + std::fmt::Display,
{
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(UsageError::new(format!(
            "--{name} must be between {} and {}, got {value}",
            range.start(),
            range.end()
        )))
    }
}

/// The first value given: flag or environment, then file, then default.
pub fn pick<T>(flag: Option<T>, file: Option<T>, default: T) -> T {
    flag.or(file).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file: FileSettings = toml::from_str("db = \"from-file.db\"\nbatch_size = 7").unwrap();
        let none = StoreArgs { db: None };
        let flag = StoreArgs {
            db: Some("flag.db".into()),
        };
        assert_eq!(file.db(&none), StoreLocation::Sqlite("from-file.db".into()));
        assert_eq!(file.db(&flag), StoreLocation::Sqlite("flag.db".into()));
        assert_eq!(
            FileSettings::default().db(&none),
            StoreLocation::Sqlite("millrace.db".into())
        );
        let pg = StoreArgs {
            db: Some("postgres://u@h/d".into()),
        };
        assert_eq!(
            file.db(&pg),
            StoreLocation::Postgres("postgres://u@h/d".into())
        );
    }

    #[test]
    fn out_of_range_values_are_usage_errors() {
        let file: FileSettings = toml::from_str("batch_size = 0").unwrap();
        let opts = StreamOpts {
            initial: false,
            batch_size: None,
            offsets: None,
            retry_for: None,
            no_progress: false,
        };
        let err = file.batch_size(&opts).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--batch-size must be between 1 and 1000000, got 0"
        );
        let queue = QueueArgs {
            broker: None,
            metrics_queue: None,
            workorder_queue: None,
            queue: None,
            redeliver_after: Some(u64::MAX),
            max_queue_backlog: None,
            queue_format: None,
        };
        assert!(FileSettings::default().queue(&queue).is_err());
    }

    fn parsed(args: &[&str]) -> super::super::Command {
        let line = std::iter::once("millrace").chain(args.iter().copied());
        super::super::Cli::try_parse_from(line).unwrap().command
    }

    /// What each option resolves to when nothing sets it, by clap argument id.
    fn effective_defaults() -> Vec<(&'static str, String)> {
        use super::super::Command;
        let none = FileSettings::default();
        let Command::Serve(serve) = parsed(&["serve"]) else {
            unreachable!()
        };
        let Command::Run(run) = parsed(&["run"]) else {
            unreachable!()
        };
        let Command::Serve(amqp) = parsed(&["serve", "--broker", "amqp://h"]) else {
            unreachable!()
        };
        let Ok(Broker::Amqp(amqp)) = none.broker(&amqp.queue) else {
            panic!("an amqp:// broker is RabbitMQ")
        };
        let webhook = none.webhook(&serve.webhook).unwrap();
        let queue = none.queue(&serve.queue).unwrap();
        let Broker::Embedded(_) = none.broker(&serve.queue).unwrap() else {
            panic!("the default broker is the embedded queue")
        };
        let StoreLocation::Sqlite(db) = none.db(&run.store) else {
            panic!("the default store is SQLite")
        };
        let Command::Mqtt(mqtt) = parsed(&["mqtt", "--topic", "metrics=a"]) else {
            unreachable!()
        };
        let subscription = none.mqtt(mqtt.url.as_ref(), &mqtt.mqtt).unwrap();
        let path = |p: PathBuf| p.display().to_string();
        vec![
            (
                "mqtt_url",
                format!("mqtt://{}:{}", subscription.host, subscription.port),
            ),
            ("mqtt_client_id", subscription.client_id),
            ("data", path(none.stream_data(None))),
            ("webhook", none.webhook_url(None).unwrap()),
            ("listen", none.listen(None)),
            ("dashboard_listen", none.dashboard_listen(None)),
            ("db", path(db)),
            ("broker", defaults::BROKER.to_string()),
            ("metrics_queue", amqp.metrics_queue),
            ("workorder_queue", amqp.workorder_queue),
            ("queue", path(queue.path)),
            ("offsets", path(none.offsets(&run.stream))),
            ("report_dir", path(none.report_dir(None))),
            (
                "batch_size",
                none.batch_size(&run.stream).unwrap().to_string(),
            ),
            ("follow", none.follow(None).to_string()),
            (
                "retry_for",
                none.retry_for(&run.stream).as_secs().to_string(),
            ),
            (
                "redeliver_after",
                queue.redeliver_after.as_secs().to_string(),
            ),
            ("max_queue_backlog", queue.max_backlog.to_string()),
            (
                "queue_format",
                format!("{:?}", none.queue_format(&serve.queue)).to_lowercase(),
            ),
            (
                "max_lag",
                none.analysis(&run.analysis).unwrap().max_lag.to_string(),
            ),
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

    #[test]
    fn the_help_shows_the_defaults_the_settings_resolve_to() {
        let effective = effective_defaults();
        let shown = defaults::shown();
        assert_eq!(
            shown.len(),
            effective.len(),
            "every shown default is checked"
        );
        for (id, text) in &shown {
            let resolved = effective.iter().find(|(e, _)| e == id).map(|(_, v)| v);
            assert_eq!(resolved, Some(text), "--{id}: help and behaviour differ");
        }
        // And the help of every command carries them, as clap renders it.
        let cli = super::super::command();
        for sub in cli.get_subcommands() {
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                let Some((_, text)) = shown.iter().find(|(s, _)| *s == id) else {
                    continue;
                };
                if arg.is_required_set() || !arg.get_default_values().is_empty() {
                    continue;
                }
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                let described = help.contains("[default: a generated demo dataset]");
                assert!(
                    described || help.ends_with(&format!("[default: {text}]")),
                    "{} --{id}: {help}",
                    sub.get_name()
                );
            }
        }
    }

    #[test]
    fn no_default_is_written_by_hand_in_the_help() {
        let shown = defaults::shown();
        for sub in super::super::Cli::command().get_subcommands() {
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                let descriptive = sub.get_name() == "run" && id == "data";
                if shown.iter().any(|(s, _)| *s == id) && !descriptive {
                    assert!(!help.contains("[default:"), "{}: --{id}", sub.get_name());
                }
            }
        }
    }

    #[test]
    fn mqtt_comes_from_flags_then_the_file() {
        use super::super::Command;
        let file: FileSettings = toml::from_str(
            "mqtt_url = \"mqtts://u:secret@broker:8884\"\nmqtt_topics = [\"metrics=a/+/m\"]\n\
             mqtt_client_id = \"line-7\"\nca_cert = \"ca.pem\"",
        )
        .unwrap();
        let Command::Mqtt(bare) = parsed(&["mqtt"]) else {
            unreachable!()
        };
        let c = file.mqtt(bare.url.as_ref(), &bare.mqtt).unwrap();
        assert_eq!((c.host.as_str(), c.port, c.tls), ("broker", 8884, true));
        assert_eq!(c.client_id, "line-7");
        assert_eq!(c.topics.len(), 1);
        assert_eq!(c.ca_cert, Some(PathBuf::from("ca.pem")));
        assert_eq!(c.password.as_deref(), Some("secret"));
        let Command::Mqtt(flags) = parsed(&[
            "mqtt",
            "--topic",
            "workorder=w/#",
            "--topic",
            "metrics=m/#",
            "--mqtt-password",
            "other",
        ]) else {
            unreachable!()
        };
        let c = file.mqtt(flags.url.as_ref(), &flags.mqtt).unwrap();
        assert_eq!(c.topics.len(), 2, "flags replace the file's topics");
        assert_eq!(c.password.as_deref(), Some("other"));
        let none = FileSettings::default();
        let err = none.mqtt(bare.url.as_ref(), &bare.mqtt).unwrap_err();
        assert!(err.to_string().contains("--topic"), "{err}");
        let Command::Mqtt(plain_ca) = parsed(&["mqtt", "--topic", "metrics=m", "--ca-cert", "x"])
        else {
            unreachable!()
        };
        assert!(none.mqtt(None, &plain_ca.mqtt).is_err(), "a CA for mqtt://");
        let Command::Run(run) = parsed(&["run"]) else {
            unreachable!()
        };
        assert!(none.run_mqtt(None, &run.mqtt_opts).unwrap().is_none());
    }

    #[test]
    fn tls_files_come_from_any_layer_and_only_in_pairs() {
        use super::super::Command;
        let file: FileSettings =
            toml::from_str("tls_cert = \"c.pem\"\nca_cert = \"ca.pem\"").unwrap();
        let Command::Serve(key_flag) = parsed(&["serve", "--tls-key", "k.pem"]) else {
            unreachable!()
        };
        let Command::Serve(nothing) = parsed(&["serve"]) else {
            unreachable!()
        };
        let tls = file
            .tls(&key_flag.tls)
            .unwrap()
            .expect("cert from the file, key from the flag");
        assert_eq!((tls.cert, tls.key), ("c.pem".into(), "k.pem".into()));
        let Err(err) = file.tls(&nothing.tls) else {
            panic!("a cert without a key is refused")
        };
        assert!(err.to_string().contains("--tls-key is not"), "{err}");
        assert!(FileSettings::default().tls(&nothing.tls).unwrap().is_none());
        assert_eq!(file.ca_cert(None), Some(PathBuf::from("ca.pem")));
    }

    #[test]
    fn follow_comes_from_the_flag_then_the_file() {
        use super::super::Command;
        let follow = |args: &[&str]| match parsed(args) {
            Command::Stream(stream) => stream.follow.follow,
            _ => unreachable!(),
        };
        assert_eq!(follow(&["stream"]), None);
        assert_eq!(follow(&["stream", "--follow"]), Some(true));
        assert_eq!(follow(&["stream", "--follow=false"]), Some(false));
        let file: FileSettings = toml::from_str("follow = true").unwrap();
        assert!(file.follow(None));
        assert!(!file.follow(Some(false)), "--follow=false beats the file");
        assert!(!FileSettings::default().follow(None));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<FileSettings>("dbb = \"x\"").unwrap_err();
        assert!(err.to_string().contains("unknown field `dbb`"), "{err}");
    }

    #[test]
    fn an_unreadable_secrets_file_keeps_the_systems_reason() {
        let dir = tempfile::tempdir().unwrap();
        let err = secret_lines(&dir.path().join("tokens"), "token").unwrap_err();
        let io = std::error::Error::source(&err)
            .and_then(|e| e.downcast_ref::<std::io::Error>())
            .expect("the io error is the source");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        let told = crate::support::chain::Chain(&err).to_string();
        assert!(told.starts_with("cannot read the token file "), "{told}");
        assert!(told.ends_with(&io.to_string()), "{told}");
    }
}
