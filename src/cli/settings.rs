//! `millrace.toml`: the same options as the flags, under the same names with underscores.
//! A flag or `MILLRACE_*` variable wins over the file, the file over the built-in default.

use super::{AnalysisArgs, AuthArgs, QueueArgs, StoreArgs, StreamOpts, WebhookArgs};
use crate::queue::{AmqpConfig, Broker, EmbeddedQueueConfig};
use crate::store::StoreLocation;
use crate::webhook::Credentials;
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
    pub db: Option<PathBuf>,
    pub queue: Option<PathBuf>,
    pub broker: Option<String>,
    pub metrics_queue: Option<String>,
    pub workorder_queue: Option<String>,
    pub offsets: Option<PathBuf>,
    pub report_dir: Option<PathBuf>,
    pub max_lag: Option<usize>,
    pub batch_size: Option<usize>,
    pub retry_for: Option<u64>,
    pub redeliver_after: Option<u64>,
    pub max_queue_backlog: Option<u64>,
    pub max_body_bytes: Option<usize>,
    pub max_batch_records: Option<usize>,
    pub max_concurrent_requests: Option<usize>,
    pub request_timeout: Option<u64>,
    pub max_header_bytes: Option<usize>,
    pub auth_tokens: Option<Vec<String>>,
    pub auth_token_file: Option<PathBuf>,
    pub hmac_key: Option<String>,
    pub hmac_key_file: Option<PathBuf>,
}

impl FileSettings {
    /// Reads `explicit`, or `./millrace.toml` when it exists, or nothing.
    pub fn load(explicit: Option<&Path>) -> Result<Self, String> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None if Path::new("millrace.toml").exists() => PathBuf::from("millrace.toml"),
            None => return Ok(FileSettings::default()),
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the settings file {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| format!("the settings file {} is invalid: {e}", path.display()))
    }

    /// The queue to run on: the embedded one unless a RabbitMQ URL is given.
    pub fn broker(&self, args: &QueueArgs) -> Result<Broker, UsageError> {
        let url = pick(args.broker.clone(), self.broker.clone(), "embedded".into());
        if url == "embedded" {
            return Ok(Broker::Embedded(self.queue(args)?));
        }
        if !url.starts_with("amqp://") {
            return Err(UsageError(format!(
                "--broker must be `embedded` or an amqp:// URL, got `{}`",
                crate::queue::amqp::redact(&url)
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
                Err(UsageError(format!(
                    "--{option} must be 1 to 200 letters, digits or `._-:`, got `{name}`"
                )))
            }
        };
        config.metrics_queue = name(
            &args.metrics_queue,
            &self.metrics_queue,
            "metrics",
            "metrics-queue",
        )?;
        config.workorder_queue = name(
            &args.workorder_queue,
            &self.workorder_queue,
            "workorder",
            "workorder-queue",
        )?;
        if config.metrics_queue == config.workorder_queue {
            return Err(UsageError(
                "--metrics-queue and --workorder-queue must differ".into(),
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
                ".millrace/queue.db".into(),
            ),
            redeliver_after: Duration::from_secs(checked(
                "redeliver-after",
                pick(args.redeliver_after, self.redeliver_after, 30),
                1..=86_400,
            )?),
            max_backlog: checked(
                "max-queue-backlog",
                pick(args.max_queue_backlog, self.max_queue_backlog, 1_000_000),
                1..=1_000_000_000,
            )?,
        })
    }

    /// The store: a SQLite file, or a `postgres://` URL.
    pub fn db(&self, args: &StoreArgs) -> StoreLocation {
        let db: PathBuf = pick(args.db.clone(), self.db.clone(), "millrace.db".into());
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
            pick(opts.batch_size, self.batch_size, 5000),
            1..=1_000_000,
        )
    }

    /// How the report analyses the data.
    pub fn analysis(&self, args: &AnalysisArgs) -> Result<crate::report::Options, UsageError> {
        Ok(crate::report::Options {
            max_lag: checked(
                "max-lag",
                pick(
                    args.max_lag,
                    self.max_lag,
                    crate::report::analysis::DEFAULT_MAX_LAG,
                ),
                0..=48,
            )?,
        })
    }

    /// The file where the streamer keeps how far each data file has been sent.
    pub fn offsets(&self, opts: &StreamOpts) -> PathBuf {
        pick(
            opts.offsets.clone(),
            self.offsets.clone(),
            ".millrace/offsets.json".into(),
        )
    }

    /// How long the streamer keeps retrying one batch while the webhook is unavailable.
    pub fn retry_for(&self, opts: &StreamOpts) -> Duration {
        Duration::from_secs(pick(opts.retry_for, self.retry_for, 300))
    }
}

impl FileSettings {
    /// The credentials from flags, environment, files and settings. Messages about them name
    /// files, never secrets.
    pub fn credentials(&self, args: &AuthArgs) -> Result<Credentials, UsageError> {
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
}

/// The secrets in a file, one per line; blank lines and `#` comments are skipped.
fn secret_lines(path: &Path, what: &str) -> Result<Vec<String>, UsageError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })?;
    let secrets: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    if secrets.is_empty() {
        return Err(UsageError(format!(
            "the {what} file {} holds no {what}",
            path.display()
        )));
    }
    Ok(secrets)
}

/// A mistake in how millrace was called or configured (exit code 2), as opposed to a failure
/// while working (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `value` if it lies in `range`; otherwise a usage error naming the option.
fn checked<T>(name: &str, value: T, range: std::ops::RangeInclusive<T>) -> Result<T, UsageError>
where
    T: PartialOrd + std::fmt::Display,
{
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(UsageError(format!(
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
        };
        assert!(FileSettings::default().queue(&queue).is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<FileSettings>("dbb = \"x\"").unwrap_err();
        assert!(err.to_string().contains("unknown field `dbb`"), "{err}");
    }
}
