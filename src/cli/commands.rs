//! Wires each command's settings to the library and runs it.

use super::data_folder::{self, Needs};
use super::settings::UsageError;
use super::{
    Cli, Command, ConsumeArgs, DashboardArgs, FileSettings, GenerateArgs, RunArgs, ServeArgs,
    StreamArgs, StreamOpts,
};
use crate::auth::Credentials;
use crate::generate::{GenerateConfig, generate};
use crate::queue::Queue;
use crate::record::StreamKind;
use crate::sender::{OffsetsLock, SenderConfig, follow, send_files};
use crate::store::{Store, StoreLocation};
use crate::support::shutdown::{self, Shutdown};
use crate::support::tls::TlsFiles;
use crate::webhook::{AppState, WebhookConfig, serve};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Where `run` puts its demo dataset when no `--data` is given.
const DEMO_DIR: &str = ".millrace/demo";

/// How long `run` waits for RabbitMQ to answer before it gives up.
const BROKER_PROBE: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs the parsed command line to completion.
pub async fn execute(cli: Cli) -> anyhow::Result<()> {
    // `generate` reads no settings, so a broken millrace.toml must not stop it; and it has
    // nothing to finish gracefully, so Ctrl-C keeps its default effect there.
    let command = match cli.command {
        Command::Generate(args) => return generate_data(args),
        command => command,
    };
    let settings = FileSettings::load(cli.config.as_deref())?;
    let (trigger, shutdown) = shutdown::channel();
    shutdown::on_signals(trigger);
    match command {
        Command::Run(args) => run(&settings, args, shutdown).await,
        Command::Stream(args) => stream_files(&settings, args, shutdown).await,
        Command::Serve(args) => serve_webhook(&settings, args, shutdown).await,
        Command::Mqtt(args) => {
            let mut config = settings.mqtt(args.url.as_ref(), &args.mqtt)?;
            config.body_format = settings.queue_format(&args.queue);
            let queue = settings.broker(&args.queue)?.open().await?;
            let listen = settings.metrics_listen(args.metrics_listen.as_ref());
            crate::metrics::server::expose(listen, &queue, &shutdown).await?;
            crate::mqtt::subscribe(config, queue, shutdown).await?;
            Ok(())
        }
        Command::Consume(args) => consume_queue(&settings, args, shutdown).await,
        Command::Report(args) => {
            let out = settings.report_dir(args.report_dir.as_ref());
            write_report(
                &settings.db(&args.store),
                &out,
                settings.analysis(&args.analysis)?,
            )
            .await
        }
        Command::Generate(args) => generate_data(args),
        Command::Dashboard(args) => serve_dashboard(&settings, args, shutdown).await,
        Command::Status(args) => super::status::show(&settings, args).await,
        Command::DeadLetters(args) => super::dead_letters::handle(&settings, args).await,
        Command::Completions(args) => super::docs::completions(args.shell),
        Command::Man(args) => super::docs::man(args.out.as_deref()),
    }
}

fn stream_config(
    settings: &FileSettings,
    opts: &StreamOpts,
    data: PathBuf,
    webhook: String,
) -> Result<SenderConfig, UsageError> {
    Ok(SenderConfig {
        data,
        webhook,
        initial: opts.initial,
        batch_size: settings.batch_size(opts)?,
        offsets: settings.offsets(opts),
        retry_for: settings.retry_for(opts),
        progress: !opts.no_progress,
        credentials: Credentials::default(),
        ca_cert: None,
    })
}

async fn run(settings: &FileSettings, args: RunArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let analysis = settings.analysis(&args.analysis)?;
    let mut mqtt = settings.run_mqtt(args.mqtt.as_ref(), &args.mqtt_opts)?;
    let given = settings.data(args.data.as_ref());
    let db = settings.db(&args.store);
    let summary_db = db.clone();
    let mut webhook = settings.webhook(&args.webhook)?;
    webhook.body_format = settings.queue_format(&args.queue);
    if let Some(mqtt) = &mut mqtt {
        mqtt.body_format = webhook.body_format;
    }
    let broker = settings.broker(&args.queue)?;
    let following = mqtt.is_some() || settings.follow(args.follow.follow);
    if let Some(dir) = &given {
        let needs = if following {
            Needs::Folder
        } else {
            Needs::Both
        };
        data_folder::check(dir, needs)?;
    }
    // Before anything is created or started: a second `run` in this folder stops here.
    let command = if following { "run --follow" } else { "run" };
    let _only_run = OffsetsLock::take(&settings.offsets(&args.stream), command)?;
    // A one-shot run has nobody waiting for a broker to come back: say so at once.
    broker.check_reachable(BROKER_PROBE).await?;
    if following {
        // The port first: a busy one stops the run before the demo data, the queue or the
        // store is made.
        let listen = settings.dashboard_listen(args.dashboard_listen.as_ref());
        guard_exposure(&listen, false, Exposure::RUN_DASHBOARD).await?;
        let dashboard = tokio::net::TcpListener::bind(&listen).await.with_context(|| {
            format!("cannot listen on {listen} (is another dashboard using it? choose another address with --dashboard-listen)")
        })?;
        // With MQTT the files are optional: no --data, no demo data, only MQTT.
        let data = match given {
            Some(dir) => Some(dir),
            None if mqtt.is_some() => None,
            None => Some(demo_data()?),
        };
        let config = data
            .map(|dir| stream_config(settings, &args.stream, dir, String::new()))
            .transpose()?;
        let queue = broker.open().await?;
        let live = crate::run::Live {
            dashboard,
            options: analysis,
            mqtt,
        };
        crate::run::follow(db, queue, webhook, config, live, shutdown).await?;
        let out = settings.report_dir(args.report_dir.as_ref());
        return write_report(&summary_db, &out, analysis).await;
    }
    let data = match given {
        Some(dir) => dir,
        None => demo_data()?,
    };
    let config = stream_config(settings, &args.stream, data, String::new())?;
    let queue = broker.open().await?;
    let summary = crate::run::run(db, queue, webhook, config, shutdown).await?;
    println!("{summary}");
    if let Some(signal) = summary.interrupted {
        // No report of part of the data: one would read like the whole answer.
        return Err(crate::support::shutdown::Interrupted {
            what: "millrace run".into(),
            signal,
        }
        .into());
    }
    let out = settings.report_dir(args.report_dir.as_ref());
    // What the ingest freed goes back before the report allocates (`crate::support::allocator`).
    crate::support::allocator::give_back_freed();
    write_report(&summary_db, &out, analysis).await?;
    set_aside(summary.dead_letters(), &broker)
}

/// Fails the run if it set `dead` messages aside, saying where they are and what to do.
fn set_aside(dead: u64, broker: &crate::queue::Broker) -> anyhow::Result<()> {
    if dead == 0 {
        return Ok(());
    }
    let place = broker.dead_letter_place();
    let (what, them) = match dead {
        1 => (
            "1 message could not be stored and was set aside as a dead letter, with its reason"
                .to_string(),
            "it",
        ),
        n => (
            format!(
                "{n} messages could not be stored and were set aside as dead letters, with their reasons"
            ),
            "them",
        ),
    };
    anyhow::bail!(
        "{what}, {place}: `millrace dead-letters list` shows {them}, `millrace dead-letters requeue` puts {them} back once the cause is fixed"
    );
}

/// The demo dataset, generated on first use; the same seed gives the same files each time.
fn demo_data() -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(DEMO_DIR);
    if !dir.join("metrics.json").exists() || !dir.join("workorder.json").exists() {
        tracing::info!(dir = %dir.display(), "no --data given: generating a demo dataset");
        generate(&GenerateConfig {
            out: dir.clone(),
            seed: 1,
            // Four times the sample: enough intervals for the report to find every planted
            // driver, still under a second end to end.
            scale: 4.0,
            products: 2,
            schedule: crate::generate::Schedule::Concurrent,
            plant: true,
        })
        .with_context(|| format!("cannot write the demo dataset to {}", dir.display()))?;
    }
    Ok(dir)
}

async fn stream_files(
    settings: &FileSettings,
    args: StreamArgs,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let data = settings.stream_data(args.data.as_ref());
    let webhook = settings.webhook_url(args.webhook.as_ref())?;
    let following = settings.follow(args.follow.follow);
    let needs = if following {
        Needs::Folder
    } else {
        Needs::Either
    };
    data_folder::check(&data, needs)?;
    let mut config = stream_config(settings, &args.stream, data, webhook)?;
    let command = if following {
        "stream --follow"
    } else {
        "stream"
    };
    let _only_streamer = OffsetsLock::take(&config.offsets, command)?;
    config.credentials = settings.credentials(&args.auth)?;
    config.ca_cert = settings.ca_cert(args.ca_cert.as_ref());
    let summary = if following {
        follow(config, shutdown).await?
    } else {
        send_files(config, shutdown).await?
    };
    for (kind, sent) in &summary.sent {
        println!("{kind}: {sent} records sent");
    }
    Ok(())
}

async fn serve_webhook(
    settings: &FileSettings,
    args: ServeArgs,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let listen = settings.listen(args.listen.as_ref());
    let mut config = settings.webhook(&args.webhook)?;
    config.credentials = settings.credentials(&args.auth)?;
    config.body_format = settings.queue_format(&args.queue);
    let protected = !config.credentials.is_empty() || args.insecure;
    guard_exposure(&listen, protected, Exposure::WEBHOOK).await?;
    let tls = settings.tls(&args.tls)?;
    let queue = settings.broker(&args.queue)?.open().await?;
    serve_on(queue, &listen, config, tls, shutdown).await
}

/// What a server would give away if it listened beyond loopback without credentials, and
/// how to protect it: the words of [`guard_exposure`]'s refusal.
struct Exposure {
    risk: &'static str,
    advice: &'static str,
}

impl Exposure {
    const WEBHOOK: Exposure = Exposure {
        risk: "anyone who can reach it could write data",
        advice: "Set --auth-token or --hmac-key (the streamer sends the same)",
    };
    const RUN_DASHBOARD: Exposure = Exposure {
        risk: "anyone who can reach it could read the analysis",
        advice: "Keep `run --follow`'s dashboard on loopback, or run `millrace dashboard` with --auth-token (and --tls-cert, --tls-key) to show it to others",
    };
    const DASHBOARD: Exposure = Exposure {
        risk: "anyone who can reach it could read the analysis",
        advice: "Set --auth-token (the browser asks for it as the password; use --tls-cert and --tls-key too)",
    };
}

/// Refuses to listen beyond this machine unless `protected` (credentials are configured, or
/// `--insecure` was given).
async fn guard_exposure(listen: &str, protected: bool, exposure: Exposure) -> anyhow::Result<()> {
    if protected {
        return Ok(());
    }
    let addresses = tokio::net::lookup_host(listen).await.map_err(|e| {
        UsageError::because(
            format!("--listen {listen} is not an address to listen on"),
            e,
        )
    })?;
    for address in addresses {
        if !address.ip().is_loopback() {
            let Exposure { risk, advice } = exposure;
            return Err(UsageError::new(format!(
                "refusing to listen on {listen} without authentication: {risk}. \
                 {advice}, or pass --insecure on a network you trust"
            ))
            .into());
        }
    }
    Ok(())
}

/// `millrace dashboard`: the live analysis of the store, served to browsers.
async fn serve_dashboard(
    settings: &FileSettings,
    args: DashboardArgs,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let listen = settings.dashboard_listen(args.listen.as_ref());
    let credentials = settings.token_credentials(&args.tokens)?;
    let protected = credentials.has_tokens() || args.insecure;
    guard_exposure(&listen, protected, Exposure::DASHBOARD).await?;
    let tls = settings.tls(&args.tls)?;
    let options = settings.analysis(&args.analysis)?;
    let db = settings.db(&args.store);
    if !db.exists() {
        return Err(UsageError::new(format!(
            "there is no database at {db}: run `millrace run` (or stream and consume) first, or point --db at one"
        ))
        .into());
    }
    let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| {
        format!("cannot listen on {listen} (is another server using it? choose another address with --listen)")
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!("dashboard on {scheme}://{}/", listener.local_addr()?);
    let (feed, analyst) = crate::live::spawn(db, options, shutdown.clone());
    crate::dashboard::serve(listener, tls, credentials, feed, shutdown).await?;
    analyst.closed().await;
    tracing::info!("dashboard stopped");
    Ok(())
}

async fn serve_on<Q: Queue>(
    queue: Q,
    listen: &str,
    config: WebhookConfig,
    tls: Option<TlsFiles>,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen} (is another server using it? choose another address with --listen)")
    })?;
    crate::metrics::server::watch_backlog(queue.clone(), shutdown.clone());
    let state = AppState { queue, config };
    match tls {
        Some(files) => {
            tracing::info!("webhook listening on https://{}", listener.local_addr()?);
            crate::webhook::serve_tls(listener, state, &files, shutdown).await?;
        }
        None => {
            tracing::info!("webhook listening on http://{}", listener.local_addr()?);
            serve(listener, state, shutdown).await?;
        }
    }
    tracing::info!("webhook stopped");
    Ok(())
}

async fn consume_queue(
    settings: &FileSettings,
    args: ConsumeArgs,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let kinds: Vec<StreamKind> = match args.stream.as_str() {
        "all" => StreamKind::ALL.to_vec(),
        one => vec![one.parse().map_err(UsageError::new)?],
    };
    let db = settings.db(&args.store);
    let queue = settings.broker(&args.queue)?.open().await?;
    let listen = settings.metrics_listen(args.metrics_listen.as_ref());
    crate::metrics::server::expose(listen, &queue, &shutdown).await?;
    let mut running = Vec::new();
    let mut stores = crate::consumer::StoreHandles::new(&db);
    for &kind in &kinds {
        let opened = stores.next(|| open_store_patiently(&db, &shutdown)).await?;
        let Some(store) = opened else {
            return Ok(());
        };
        let consumer = crate::consumer::spawn(&queue, kind, store, shutdown.clone()).await?;
        crate::consumer::progress::spawn(kind, consumer.stats.clone(), shutdown.clone());
        running.push(consumer);
    }
    for consumer in running {
        consumer.task.await??;
    }
    Ok(())
}

/// Builds the report from `db` into `out` and prints where it is and what it found.
async fn write_report(
    db: &StoreLocation,
    out: &Path,
    options: crate::report::Options,
) -> anyhow::Result<()> {
    if !db.exists() {
        return Err(UsageError::new(format!(
            "there is no database at {db}: run `millrace run` (or stream and consume) first, or point --db at one"
        ))
        .into());
    }
    let (location, target) = (db.clone(), out.to_path_buf());
    // The whole report runs on a blocking thread: it reads the store synchronously.
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<crate::report::Report> {
        let mut store = location.open()?;
        let report = crate::report::build(&mut store, &location.to_string(), options)?;
        crate::report::write_all(&report, &target)
            .with_context(|| format!("cannot write the report to {}", target.display()))?;
        Ok(report)
    })
    .await??;
    for findings in &report.findings {
        let top: Vec<String> = findings
            .top()
            .iter()
            .map(|f| {
                let lag = if f.lag > 0 {
                    format!(", lag {}", f.lag)
                } else {
                    String::new()
                };
                format!("{} ({} ρ={:+.2}{lag})", f.parameter, f.summary, f.spearman)
            })
            .collect();
        let verdict = if findings.any_reliable() {
            ""
        } else {
            "  [none reliable]"
        };
        println!(
            "  product {}: top parameters {}{verdict}",
            findings.product,
            top.join(", ")
        );
    }
    if let Some(reason) = crate::report::nothing_to_report(&report) {
        println!("  {reason}");
    }
    println!("report written to {}", out.join("index.html").display());
    Ok(())
}

/// Opens the store, waiting (with backoff, until shutdown) while another process holds its
/// lock; `None` if shutdown came first.
async fn open_store_patiently(
    db: &StoreLocation,
    shutdown: &Shutdown,
) -> anyhow::Result<Option<Box<dyn Store + Send>>> {
    let mut backoff = crate::support::backoff::Backoff::default();
    loop {
        match db.open_async().await {
            Ok(store) => return Ok(Some(store)),
            Err(e @ crate::store::StoreError::Busy(_)) => {
                tracing::warn!(error = %crate::support::chain::Chain(&e), "waiting for the store");
                if !backoff.wait(shutdown).await {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn generate_data(args: GenerateArgs) -> anyhow::Result<()> {
    if !(1..=1000).contains(&args.products) {
        return Err(UsageError::new(format!(
            "--products must be between 1 and 1000, got {}",
            args.products
        ))
        .into());
    }
    if !(args.scale > 0.0 && args.scale <= 100_000.0) {
        return Err(UsageError::new(format!(
            "--scale must be a number above 0 (and at most 100000), got {}",
            args.scale
        ))
        .into());
    }
    let written = generate(&GenerateConfig {
        out: args.out.clone(),
        seed: args.seed,
        scale: args.scale,
        products: args.products,
        schedule: args.schedule.parse()?,
        plant: !args.no_plant,
    })
    .with_context(|| format!("cannot write to {}", args.out.display()))?;
    println!(
        "wrote {} metrics and {} work orders to {}",
        written.metrics,
        written.workorders,
        args.out.display()
    );
    Ok(())
}
