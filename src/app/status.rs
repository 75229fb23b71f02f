//! `millrace status`: per stream, what the store holds (rows, newest record) and what waits
//! in the queue (backlog, dead letters), as a table or one JSON document. Read only: a store
//! or queue file that does not exist yet is reported, never created.

use crate::queue::{Broker, Queue};
use crate::record::StreamKind;
use crate::store::{PostgresStore, RollupStatus, SqliteStore, Store, StoreLocation, StreamStatus};
use crate::support::timefmt::iso8601;
use anyhow::Context;
use serde_json::{Value, json};

/// What was found in one place (the store or the queue): where it is, whether it exists, and
/// per stream the numbers (zero when it does not exist).
struct Place<T> {
    /// `sqlite`, `postgres`, `embedded` or `rabbitmq`.
    kind: &'static str,
    /// The file or URL, without a password.
    location: String,
    /// False when the file is not there yet: nothing was stored or queued.
    exists: bool,
    /// Per stream, in [`StreamKind::ALL`] order.
    streams: Vec<T>,
}

/// What the store holds: per stream, and its rollups (`None` when it has none yet).
struct Stored {
    place: Place<StreamStatus>,
    rollups: Option<RollupStatus>,
}

/// What waits in the queue for one stream.
#[derive(Clone, Copy, Default)]
struct Waiting {
    queued: u64,
    dead_letters: u64,
}

/// `millrace status`, resolved.
pub struct StatusJob {
    /// The store to look at.
    pub db: StoreLocation,
    /// The queue to look at.
    pub broker: Broker,
    /// One JSON document instead of the table.
    pub json: bool,
}

/// `millrace status`.
pub async fn show(job: StatusJob) -> anyhow::Result<()> {
    let store = look_at_store(job.db).await?;
    let queue = look_at_queue(&job.broker).await?;
    if job.json {
        println!("{:#}", document(&store, &queue));
    } else {
        print!("{}", table(&store, &queue));
    }
    Ok(())
}

async fn look_at_store(db: StoreLocation) -> anyhow::Result<Stored> {
    let (kind, exists) = match &db {
        StoreLocation::Sqlite(path) => ("sqlite", path.exists()),
        StoreLocation::Postgres(_) => ("postgres", true),
    };
    let location = db.to_string();
    let (streams, rollups) = if exists {
        let (db, named) = (db.clone(), location.clone());
        type Found = (Vec<StreamStatus>, Option<RollupStatus>);
        tokio::task::spawn_blocking(move || -> anyhow::Result<Found> {
            // An open error names the store already; a failed read does not.
            let mut store: Box<dyn Store + Send> = match &db {
                StoreLocation::Sqlite(path) => Box::new(SqliteStore::open_read_only(path)?),
                StoreLocation::Postgres(url) => Box::new(PostgresStore::connect(url)?),
            };
            let streams = StreamKind::ALL
                .iter()
                .map(|&kind| {
                    store
                        .stream_status(kind)
                        .with_context(|| format!("cannot read the store {named}"))
                })
                .collect::<anyhow::Result<_>>()?;
            let read = || format!("cannot read the store {named}");
            let rollups = match store.rollup_status().with_context(read)? {
                Some(status) => Some(RollupStatus {
                    unfolded: store.unfolded().with_context(read)?,
                    ..status
                }),
                None => None,
            };
            Ok((streams, rollups))
        })
        .await??
    } else {
        (vec![StreamStatus::default(); StreamKind::ALL.len()], None)
    };
    Ok(Stored {
        place: Place {
            kind,
            location,
            exists,
            streams,
        },
        rollups,
    })
}

async fn look_at_queue(broker: &Broker) -> anyhow::Result<Place<Waiting>> {
    let (kind, location, exists) = match broker {
        Broker::Embedded(c) => ("embedded", c.path.display().to_string(), c.path.exists()),
        Broker::Amqp(c) => ("rabbitmq", c.redacted_uri(), true),
    };
    let mut streams = vec![Waiting::default(); StreamKind::ALL.len()];
    if exists {
        let queue = broker.open().await?;
        queue
            .ready()
            .await
            .with_context(|| format!("cannot reach the queue at {location}"))?;
        for (waiting, &stream) in streams.iter_mut().zip(StreamKind::ALL.iter()) {
            waiting.queued = queue.pending(stream).await?;
            waiting.dead_letters = queue.dead_letters(stream).await?;
        }
    }
    Ok(Place {
        kind,
        location,
        exists,
        streams,
    })
}

/// The JSON document of `status --json` (its fields are documented in docs/operating.md).
fn document(stored: &Stored, queue: &Place<Waiting>) -> Value {
    let store = &stored.place;
    let place = |kind: &str, location: &str, exists: bool| json!({ "kind": kind, "location": location, "exists": exists });
    let mut streams = serde_json::Map::new();
    for (i, stream) in StreamKind::ALL.iter().enumerate() {
        let (stored, waiting) = (store.streams[i], queue.streams[i]);
        streams.insert(
            stream.name().to_string(),
            json!({
                "rows": stored.rows,
                "oldest_time": stored.oldest.map(iso8601),
                "oldest_unix": stored.oldest,
                "newest_time": stored.newest.map(iso8601),
                "newest_unix": stored.newest,
                "queued": waiting.queued,
                "dead_letters": waiting.dead_letters,
            }),
        );
    }
    json!({
        "store": place(store.kind, &store.location, store.exists),
        "queue": place(queue.kind, &queue.location, queue.exists),
        "streams": streams,
        "rollups": stored.rollups.map(|r| json!({
            "buckets": r.buckets,
            "from_time": r.from.map(iso8601),
            "from_unix": r.from,
            "to_time": r.to.map(iso8601),
            "to_unix": r.to,
            "unfolded": r.unfolded,
        })),
    })
}

/// The human table, with where it looked above it.
fn table(stored: &Stored, queue: &Place<Waiting>) -> String {
    let store = &stored.place;
    let mut out = String::new();
    let store_line = match (store.kind, store.exists) {
        (_, false) => format!(
            "no store at {} yet: nothing has been stored",
            store.location
        ),
        ("sqlite", true) => format!("SQLite file {}", store.location),
        _ => format!("PostgreSQL {}", store.location),
    };
    let queue_line = match (queue.kind, queue.exists) {
        (_, false) => format!(
            "no queue at {} yet: nothing has been queued",
            queue.location
        ),
        ("embedded", true) => format!("embedded queue file {}", queue.location),
        _ => format!("RabbitMQ {}", queue.location),
    };
    out.push_str(&format!("store: {store_line}\nqueue: {queue_line}\n\n"));
    out.push_str(&format!(
        "{:<10} {:>10}  {:<20}  {:<20}  {:>8}  {:>12}\n",
        "stream", "stored", "oldest record", "newest record", "queued", "dead letters"
    ));
    let mut dead = 0;
    for (i, stream) in StreamKind::ALL.iter().enumerate() {
        let (stored, waiting) = (store.streams[i], queue.streams[i]);
        dead += waiting.dead_letters;
        out.push_str(&format!(
            "{:<10} {:>10}  {:<20}  {:<20}  {:>8}  {:>12}\n",
            stream.name(),
            stored.rows,
            stored.oldest.map_or_else(|| "-".to_string(), iso8601),
            stored.newest.map_or_else(|| "-".to_string(), iso8601),
            waiting.queued,
            waiting.dead_letters
        ));
    }
    if store.exists {
        out.push_str(&match stored.rollups {
            Some(RollupStatus {
                buckets,
                from: Some(from),
                to: Some(to),
                unfolded,
            }) => format!(
                "\nrollups: {buckets} one-minute buckets from {} to {}{}\n",
                iso8601(from),
                iso8601(to),
                if unfolded > 0 {
                    format!(" ({unfolded} readings not folded yet)")
                } else {
                    String::new()
                }
            ),
            Some(RollupStatus { unfolded: 0, .. }) => {
                "\nrollups: none yet (no readings stored)\n".to_string()
            }
            Some(RollupStatus { unfolded, .. }) => format!(
                "\nrollups: none folded yet: {unfolded} readings wait (`consume` and `run --follow` fold them as they run; a prune, or `millrace rollup --rebuild`, at once)\n"
            ),
            None => "\nrollups: not built yet: the next millrace that writes to this store \
                     builds them (or run `millrace rollup --rebuild`)\n"
                .to_string(),
        });
    }
    if dead > 0 {
        out.push_str(&format!(
            "\n{}: see {} with `millrace dead-letters list`\n",
            crate::queue::counted_dead_letters(dead),
            if dead == 1 { "it" } else { "them" }
        ));
    }
    out
}
