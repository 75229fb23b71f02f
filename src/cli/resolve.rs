//! From what was parsed to what runs: each command's options, already defaulted and
//! range-checked by clap, become the typed configs of a [`Job`], with the checks that span
//! several options (a certificate needs its key, the two queues must differ) and the files
//! that hold secrets read here. This happens once, before any work; nothing downstream reads
//! an option or patches a config.

use super::args::{
    AnalysisArgs, AuthArgs, BatchLimitArgs, Command, ConsumeArgs, DashboardArgs, DeadLetterAction,
    DeadLettersArgs, GenerateArgs, MqttArgs, MqttOpts, QueueArgs, ReportArgs, RetentionArgs,
    RollupArgs, RunArgs, SendOpts, ServeArgs, StatusArgs, StoreArgs, StreamArgs, Streams, TlsArgs,
    TokenArgs, WebhookArgs,
};
use super::data_folder::{self, Needs};
use crate::app::{
    ConsumeJob, DashboardJob, DeadLetterWork, DeadLettersJob, Decoding, Job, MqttJob, PruneJob,
    Pruning, ReportJob, RollupJob, RunJob, Sending, ServeJob, StatusJob, StreamJob, UsageError,
};
use crate::auth::Credentials;
use crate::generate::GenerateConfig;
use crate::mqtt::payload::Limits;
use crate::mqtt::{MqttConfig, Subscription};
use crate::queue::{AmqpConfig, Broker, EmbeddedQueueConfig, Which};
use crate::record::StreamKind;
use crate::store::StoreLocation;
use crate::support::tls::TlsFiles;
use crate::webhook::WebhookConfig;
use std::path::Path;
use std::time::Duration;

/// The job `command` describes; `generate`, `completions` and `man` are not jobs.
pub fn job(command: Command) -> Result<Job, UsageError> {
    Ok(match command {
        Command::Run(args) => Job::Run(Box::new(run(args)?)),
        Command::Stream(args) => Job::Stream(stream(args)?),
        Command::Serve(args) => Job::Serve(Box::new(serve(args)?)),
        Command::Mqtt(args) => Job::Mqtt(mqtt_job(args)?),
        Command::Consume(args) => Job::Consume(consume(args)?),
        Command::Report(args) => Job::Report(report(args)),
        Command::Dashboard(args) => Job::Dashboard(dashboard(args)?),
        Command::Status(args) => Job::Status(status(args)?),
        Command::Rollup(args) => Job::Rollup(rollup(args)?),
        Command::Prune(args) => Job::Prune(PruneJob {
            db: db(&args.store),
            age: args.raw_older_than,
        }),
        Command::DeadLetters(args) => Job::DeadLetters(dead_letters(args)?),
        Command::Generate(_) | Command::Completions(_) | Command::Man(_) => {
            return Err(UsageError::new("this command runs no job"));
        }
    })
}

/// `millrace generate`'s dataset.
pub fn generate(args: GenerateArgs) -> GenerateConfig {
    GenerateConfig {
        out: args.out,
        seed: args.seed,
        scale: args.scale,
        products: args.products,
        schedule: args.schedule,
        plant: !args.no_plant,
    }
}

fn run(args: RunArgs) -> Result<RunJob, UsageError> {
    let limits = queue_limits(&args.queue)?;
    let mqtt = match &args.mqtt {
        Some(url) => Some(mqtt(
            url,
            &args.mqtt_opts,
            &args.webhook.limits,
            &args.queue,
        )?),
        None => None,
    };
    let following = mqtt.is_some() || args.follow.follow;
    if let Some(dir) = &args.data {
        let needs = if following {
            Needs::Folder
        } else {
            Needs::Both
        };
        data_folder::check(dir, needs)?;
    }
    let report = ReportJob {
        db: db(&args.store),
        out: args.report.report_dir,
        options: analysis(&args.analysis),
    };
    Ok(RunJob {
        sending: sending(&args.send),
        data: args.data,
        following,
        mqtt,
        dashboard_listen: args.dashboard_listen,
        broker: broker(&args.queue, limits)?,
        webhook: webhook(&args.webhook, &args.queue, Credentials::default()),
        report,
        pruning: match (pruning(&args.retention), following) {
            (Some(_), false) => {
                return Err(UsageError::new(
                    "--prune-raw-older-than prunes on a schedule, so it needs --follow (or --mqtt); to prune once, run `millrace prune --raw-older-than AGE`",
                ));
            }
            (pruning, _) => pruning,
        },
    })
}

/// Pruning on a schedule, when asked.
fn pruning(args: &RetentionArgs) -> Option<Pruning> {
    args.prune_raw_older_than.map(|age| Pruning {
        age,
        every: args.prune_every,
    })
}

fn stream(args: StreamArgs) -> Result<StreamJob, UsageError> {
    let following = args.follow.follow;
    let needs = if following {
        Needs::Folder
    } else {
        Needs::Either
    };
    data_folder::check(&args.data, needs)?;
    Ok(StreamJob {
        sender: sending(&args.send).config(
            args.data,
            args.webhook,
            credentials(&args.auth)?,
            args.ca_cert,
        ),
        following,
    })
}

fn serve(args: ServeArgs) -> Result<ServeJob, UsageError> {
    Ok(ServeJob {
        insecure: args.insecure,
        tls: tls(&args.tls)?,
        webhook: webhook(&args.webhook, &args.queue, credentials(&args.auth)?),
        broker: broker(&args.queue, queue_limits(&args.queue)?)?,
        listen: args.listen,
    })
}

fn mqtt_job(args: MqttArgs) -> Result<MqttJob, UsageError> {
    Ok(MqttJob {
        mqtt: mqtt(&args.url, &args.mqtt, &args.limits, &args.queue)?,
        broker: broker(&args.queue, queue_limits(&args.queue)?)?,
        metrics_listen: args.metrics.metrics_listen,
    })
}

fn consume(args: ConsumeArgs) -> Result<ConsumeJob, UsageError> {
    Ok(ConsumeJob {
        kinds: streams(args.stream),
        db: db(&args.store),
        broker: broker(&args.queue, queue_limits(&args.queue)?)?,
        metrics_listen: args.metrics.metrics_listen,
        pruning: pruning(&args.retention),
    })
}

fn report(args: ReportArgs) -> ReportJob {
    ReportJob {
        db: db(&args.store),
        out: args.report.report_dir,
        options: analysis(&args.analysis),
    }
}

fn dashboard(args: DashboardArgs) -> Result<DashboardJob, UsageError> {
    Ok(DashboardJob {
        insecure: args.insecure,
        tls: tls(&args.tls)?,
        credentials: Credentials::new(tokens(&args.tokens)?, Vec::new()),
        options: analysis(&args.analysis),
        db: db(&args.store),
        listen: args.listen,
    })
}

fn status(args: StatusArgs) -> Result<StatusJob, UsageError> {
    Ok(StatusJob {
        db: db(&args.store),
        broker: broker(&args.queue, queue_limits(&args.queue)?)?,
        json: args.json,
    })
}

fn rollup(args: RollupArgs) -> Result<RollupJob, UsageError> {
    if !args.rebuild {
        return Err(UsageError::new(
            "`millrace rollup` needs --rebuild: rollups are kept as readings are stored, so the one thing to ask of it is to make them again from the readings",
        ));
    }
    Ok(RollupJob {
        db: db(&args.store),
    })
}

fn dead_letters(args: DeadLettersArgs) -> Result<DeadLettersJob, UsageError> {
    if args.all && !args.ids.is_empty() {
        return Err(UsageError::new(
            "--all and --id exclude each other: give one or the other",
        ));
    }
    if args.json && args.action != DeadLetterAction::List {
        return Err(UsageError::new("--json goes with `dead-letters list` only"));
    }
    if args.action == DeadLetterAction::Drop && !args.all && args.ids.is_empty() {
        return Err(UsageError::new(
            "`dead-letters drop` deletes for good: name them with --id (as `millrace dead-letters list` shows them), or pass --all to drop every one (of --stream, when given)",
        ));
    }
    let action = match args.action {
        DeadLetterAction::List => DeadLetterWork::List { json: args.json },
        DeadLetterAction::Requeue => DeadLetterWork::Requeue(Decoding {
            limits: Limits {
                records: args.limits.max_batch_records,
                bytes: args.limits.max_body_bytes,
            },
            format: args.queue.queue_format,
        }),
        DeadLetterAction::Drop => DeadLetterWork::Drop,
    };
    let streams = match &args.stream {
        Some(one) => vec![one.parse().map_err(UsageError::new)?],
        None => StreamKind::ALL.to_vec(),
    };
    Ok(DeadLettersJob {
        broker: broker(&args.queue, queue_limits(&args.queue)?)?,
        streams,
        which: if args.ids.is_empty() {
            Which::All
        } else {
            Which::Ids(args.ids)
        },
        action,
    })
}

/// The streams `consume` takes.
fn streams(which: Streams) -> Vec<StreamKind> {
    match which {
        Streams::Metrics => vec![StreamKind::Metrics],
        Streams::Workorder => vec![StreamKind::Workorder],
        Streams::All => StreamKind::ALL.to_vec(),
    }
}

/// How data files are read and sent.
fn sending(opts: &SendOpts) -> Sending {
    Sending {
        initial: opts.initial,
        batch_size: opts.batch_size,
        offsets: opts.offsets.clone(),
        retry_for: Duration::from_secs(opts.retry_for),
        progress: !opts.no_progress,
    }
}

/// The embedded queue's file and limits.
fn queue_limits(args: &QueueArgs) -> Result<EmbeddedQueueConfig, UsageError> {
    Ok(EmbeddedQueueConfig {
        path: args.queue.clone(),
        redeliver_after: Duration::from_secs(args.redeliver_after),
        max_backlog: args.max_queue_backlog,
    })
}

/// The queue to run on: the embedded one unless a RabbitMQ URL is given.
fn broker(args: &QueueArgs, embedded: EmbeddedQueueConfig) -> Result<Broker, UsageError> {
    if args.broker == "embedded" {
        return Ok(Broker::Embedded(embedded));
    }
    if args.metrics_queue == args.workorder_queue {
        return Err(UsageError::new(
            "--metrics-queue and --workorder-queue must differ",
        ));
    }
    Ok(Broker::Amqp(AmqpConfig {
        metrics_queue: args.metrics_queue.clone(),
        workorder_queue: args.workorder_queue.clone(),
        ..AmqpConfig::new(args.broker.clone())
    }))
}

/// The store: a SQLite file, or a `postgres://` URL.
fn db(args: &StoreArgs) -> StoreLocation {
    StoreLocation::parse(&args.db.to_string_lossy())
}

/// How the report analyses the data.
fn analysis(args: &AnalysisArgs) -> crate::report::Options {
    crate::report::Options {
        max_lag: args.max_lag,
    }
}

/// The webhook's limits, credentials and the queue's body format, whole.
fn webhook(args: &WebhookArgs, queue: &QueueArgs, credentials: Credentials) -> WebhookConfig {
    WebhookConfig {
        max_body_bytes: args.limits.max_body_bytes,
        max_batch_records: args.limits.max_batch_records,
        max_header_bytes: args.max_header_bytes,
        max_concurrent: args.max_concurrent_requests,
        request_timeout: Duration::from_secs(args.request_timeout),
        publish_timeout: Duration::from_secs(args.publish_timeout),
        credentials,
        body_format: queue.queue_format,
    }
}

/// The certificate and key a server uses for HTTPS: both or neither.
fn tls(args: &TlsArgs) -> Result<Option<TlsFiles>, UsageError> {
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        })),
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

/// The MQTT subscription to broker `url`: a user name or password given apart wins over the
/// URL's. Messages name the broker without its password.
fn mqtt(
    url: &str,
    args: &MqttOpts,
    limits: &BatchLimitArgs,
    queue: &QueueArgs,
) -> Result<MqttConfig, UsageError> {
    let from_url = MqttConfig::from_url(url, args.client_id.clone())
        .map_err(|e| UsageError::new(e.to_string()))?;
    if args.topics.is_empty() {
        return Err(UsageError::new(
            "give at least one --topic, e.g. --topic metrics=plant/+/metrics --topic workorder=plant/+/workorder",
        ));
    }
    let topics = args
        .topics
        .iter()
        .map(|t| Subscription::parse(t))
        .collect::<Result<_, _>>()
        .map_err(|e| UsageError::new(e.to_string()))?;
    if args.ca_cert.is_some() && !from_url.tls {
        return Err(UsageError::new(
            "--ca-cert is for an mqtts:// broker, but --url is mqtt://",
        ));
    }
    Ok(MqttConfig {
        topics,
        username: args.username.clone().or(from_url.username.clone()),
        password: args.password.clone().or(from_url.password.clone()),
        ca_cert: args.ca_cert.clone(),
        max_batch_records: limits.max_batch_records,
        max_payload_bytes: limits.max_body_bytes,
        body_format: queue.queue_format,
        ..from_url
    })
}

/// The credentials from flags, environment, files and settings. Messages about them name
/// files, never secrets.
fn credentials(args: &AuthArgs) -> Result<Credentials, UsageError> {
    let mut keys: Vec<Vec<u8>> = args
        .hmac_key
        .clone()
        .map(String::into_bytes)
        .into_iter()
        .collect();
    if let Some(file) = &args.hmac_key_file {
        keys.extend(
            secret_lines(file, "HMAC key")?
                .into_iter()
                .map(String::into_bytes),
        );
    }
    Ok(Credentials::new(tokens(&args.tokens)?, keys))
}

/// The tokens alone: what the dashboard checks, since a browser can send a password but
/// cannot sign a body.
fn tokens(args: &TokenArgs) -> Result<Vec<String>, UsageError> {
    let mut tokens = args.auth_tokens.clone();
    if let Some(file) = &args.auth_token_file {
        tokens.extend(secret_lines(file, "token")?);
    }
    Ok(tokens)
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::PathBuf;

    fn parsed(args: &[&str]) -> Command {
        let line = std::iter::once("millrace").chain(args.iter().copied());
        super::super::args::Cli::try_parse_from(line)
            .unwrap()
            .command
    }

    fn resolved(args: &[&str]) -> Result<Job, UsageError> {
        job(parsed(args))
    }

    #[test]
    fn the_defaults_resolve_to_the_embedded_queue_and_a_sqlite_store() {
        let Ok(Job::Serve(serve)) = resolved(&["serve"]) else {
            panic!("serve resolves")
        };
        let Broker::Embedded(queue) = &serve.broker else {
            panic!("the default broker is the embedded queue")
        };
        assert_eq!(queue.path, PathBuf::from(".millrace/queue.db"));
        assert_eq!(
            serve.webhook.max_body_bytes,
            WebhookConfig::default().max_body_bytes
        );
        let Ok(Job::Report(report)) = resolved(&["report"]) else {
            panic!("report resolves")
        };
        assert_eq!(report.db, StoreLocation::Sqlite("millrace.db".into()));
        let Ok(Job::Report(pg)) = resolved(&["report", "--db", "postgres://u@h/d"]) else {
            panic!("report resolves")
        };
        assert_eq!(pg.db, StoreLocation::Postgres("postgres://u@h/d".into()));
    }

    #[test]
    fn checks_across_options_are_usage_errors() {
        let Err(err) = resolved(&[
            "serve",
            "--broker",
            "amqp://h",
            "--metrics-queue",
            "q",
            "--workorder-queue",
            "q",
        ]) else {
            panic!("two streams on one queue are refused")
        };
        assert!(err.to_string().contains("must differ"), "{err}");
        let Err(err) = resolved(&["serve", "--tls-key", "k.pem"]) else {
            panic!("a key without a certificate is refused")
        };
        assert!(
            err.to_string()
                .contains("--tls-key is set but --tls-cert is not")
        );
        let Err(err) = resolved(&["mqtt"]) else {
            panic!("mqtt without a topic is refused")
        };
        assert!(err.to_string().contains("--topic"), "{err}");
        let Err(err) = resolved(&["mqtt", "--topic", "metrics=m", "--ca-cert", "x"]) else {
            panic!("a CA for mqtt:// is refused")
        };
        assert!(
            err.to_string().contains("--ca-cert is for an mqtts://"),
            "{err}"
        );
        let Err(err) = resolved(&["dead-letters", "drop"]) else {
            panic!("drop without a choice is refused")
        };
        assert!(err.to_string().contains("deletes for good"), "{err}");
    }

    #[test]
    fn mqtt_takes_flags_over_the_url_and_the_webhooks_limits() {
        let Ok(Job::Mqtt(job)) = resolved(&[
            "mqtt",
            "--url",
            "mqtts://u:secret@broker:8884",
            "--topic",
            "workorder=w/#",
            "--topic",
            "metrics=m/#",
            "--mqtt-password",
            "other",
            "--max-batch-records",
            "10",
        ]) else {
            panic!("mqtt resolves")
        };
        let c = job.mqtt;
        assert_eq!((c.host.as_str(), c.port, c.tls), ("broker", 8884, true));
        assert_eq!(c.topics.len(), 2);
        assert_eq!(c.password.as_deref(), Some("other"));
        assert_eq!(c.max_batch_records, 10);
        let Ok(Job::Run(run)) = resolved(&["run"]) else {
            panic!("run resolves")
        };
        assert!(run.mqtt.is_none() && !run.following);
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
