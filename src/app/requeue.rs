//! `millrace dead-letters requeue`: each dead letter goes back through the decoding that set
//! it aside the first time, so it is refused again for the same reason or stored.
//!
//! Two kinds of dead letters share the dead-letter place. The consumers set aside queue
//! messages, whose bodies they decode: those go back on the queue as they are. The MQTT
//! subscriber sets aside payloads as they came, undecoded, because it could not decode
//! them: those are decoded again as the subscriber does ([`payload::decode_again`], with the
//! limits now in force), and only a payload that decodes goes on the queue, as the batch
//! the subscriber would have published; one still refused stays where it is, with its
//! reason. Handing an undecoded payload to the consumers instead would have them set it
//! aside again for a reason that is not its own ("expected `[`").

use crate::mqtt::payload::{self, Limits, Outcome};
use crate::queue::{
    BodyFormat, ChosenQueue, DeadLetter, Queue, Settle, Which, counted_dead_letters,
};
use crate::record::StreamKind;

/// How requeued letters are decoded and written: as `millrace mqtt` does with the same
/// settings.
pub struct Decoding {
    /// The webhook's limits (`max_batch_records`, `max_body_bytes` in millrace.toml).
    pub limits: Limits,
    /// How a decoded batch is written on the queue (`--queue-format`).
    pub format: BodyFormat,
}

/// A dead letter left where it was, because its decoding refuses it still.
struct Refused {
    id: String,
    reason: String,
}

/// What became of one stream's chosen letters.
#[derive(Default)]
struct Sorted {
    /// Queue messages, to go back as they are.
    as_they_are: Vec<String>,
    /// Payloads decoded into batches (already published) or holding no records: removed.
    done: Vec<String>,
    /// Decoded into batches and published.
    decoded: u64,
    /// Decoded into no records at all: nothing to store.
    empty: u64,
    refused: Vec<Refused>,
}

/// Requeues the chosen dead letters of `streams`; an error names each one still refused
/// and what to do about it.
pub async fn requeue(
    queue: &ChosenQueue,
    streams: &[StreamKind],
    which: &Which,
    decoding: &Decoding,
) -> anyhow::Result<()> {
    let mut total = 0;
    let mut refused = Vec::new();
    for &stream in streams {
        let letters = queue.list_dead_letters(stream).await?;
        let chosen: Vec<&DeadLetter> = letters
            .iter()
            .filter(|d| which.picks(&d.envelope.id))
            .collect();
        let sorted = sort(queue, &chosen, decoding).await?;
        // Published first, removed after: a crash in between leaves a copy that the store
        // skips, never a loss.
        let mut back = sorted.decoded;
        if !sorted.as_they_are.is_empty() {
            back += queue
                .settle_dead_letters(stream, Which::Ids(sorted.as_they_are), Settle::Requeue)
                .await?;
        }
        if !sorted.done.is_empty() {
            queue
                .settle_dead_letters(stream, Which::Ids(sorted.done), Settle::Drop)
                .await?;
        }
        if back > 0 {
            println!(
                "{stream}: {} put back on the queue",
                counted_dead_letters(back)
            );
        }
        if sorted.empty > 0 {
            println!(
                "{stream}: {} dropped: decoded again, they hold no records",
                counted_dead_letters(sorted.empty)
            );
        }
        total += back + sorted.empty + sorted.refused.len() as u64;
        refused.extend(sorted.refused);
    }
    if total == 0 {
        if let Which::Ids(ids) = which {
            anyhow::bail!(
                "no dead letter has the id {}: see `millrace dead-letters list`",
                ids.join(" or ")
            );
        }
        println!("no dead letters");
    }
    match refused.as_slice() {
        [] => Ok(()),
        refused => Err(still_refused(refused)),
    }
}

/// Decodes again the payloads among `letters` and publishes those that now decode.
async fn sort(
    queue: &ChosenQueue,
    letters: &[&DeadLetter],
    decoding: &Decoding,
) -> anyhow::Result<Sorted> {
    let mut sorted = Sorted::default();
    for letter in letters {
        let id = letter.envelope.id.clone();
        // RabbitMQ may hold two copies of one letter (see `queue::amqp::dead_letters`).
        if sorted.done.contains(&id) || sorted.refused.iter().any(|r| r.id == id) {
            continue;
        }
        match payload::decode_again(&letter.envelope, decoding.limits, decoding.format) {
            None => sorted.as_they_are.push(id),
            Some(Outcome::Batch(batch)) => {
                queue.publish(batch).await?;
                sorted.decoded += 1;
                sorted.done.push(id);
            }
            Some(Outcome::Empty) => {
                sorted.empty += 1;
                sorted.done.push(id);
            }
            Some(Outcome::Dead { reason, .. }) => sorted.refused.push(Refused {
                id,
                // The reason it was set aside with: the same, unless the limits changed.
                reason: letter.reason.clone().unwrap_or(reason),
            }),
        }
    }
    Ok(sorted)
}

/// The error for letters left where they were: each with its reason, and what to do.
fn still_refused(refused: &[Refused]) -> anyhow::Error {
    let each: Vec<String> = refused
        .iter()
        .map(|r| format!("{}: {}", r.id, r.reason))
        .collect();
    let (is, reasons, it, was) = if refused.len() == 1 {
        ("is", "the reason", "it", "was")
    } else {
        ("are", "the reasons", "they", "were")
    };
    anyhow::anyhow!(
        "{} {is} refused again for {reasons} {it} {was} set aside with, and left where {it} {was} ({}): fix the payload at its sender and publish it again, or drop the letter with `millrace dead-letters drop --id ID`",
        counted_dead_letters(refused.len() as u64),
        each.join("; ")
    )
}
