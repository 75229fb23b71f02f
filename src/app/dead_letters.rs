//! `millrace dead-letters list|requeue|drop`: what an operator does with the messages the
//! consumers set aside. `requeue` is for after the cause is fixed; running it twice, or
//! again after a crash, stores nothing twice, because a requeued batch keeps its identity
//! and the store skips records it holds. `drop` deletes for good, so it wants `--id` or
//! `--all`.

use super::requeue::{Decoding, requeue};
use crate::codec::{decode_queued, is_packed};
use crate::queue::{
    Broker, ChosenQueue, DeadLetter, Envelope, Queue, Settle, Which, counted_dead_letters,
};
use crate::record::StreamKind;
use crate::support::timefmt::iso8601;
use anyhow::Context;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How much of a dead letter's body `list` shows.
const FIRST_CHARS: usize = 80;

/// What to do with the dead letters chosen.
pub enum Action {
    /// Show them, as text or (`json`) one document.
    List {
        /// One JSON document instead of text.
        json: bool,
    },
    /// Put them back on their queue, decoded again as the webhook would.
    Requeue(Decoding),
    /// Delete them for good.
    Drop,
}

/// `millrace dead-letters`, resolved.
pub struct DeadLettersJob {
    /// The queue holding them.
    pub broker: Broker,
    /// The streams whose dead letters are chosen.
    pub streams: Vec<StreamKind>,
    /// Which of them.
    pub which: Which,
    /// What to do.
    pub action: Action,
}

/// `millrace dead-letters`.
pub async fn handle(job: DeadLettersJob) -> anyhow::Result<()> {
    let DeadLettersJob {
        broker,
        streams,
        which,
        action,
    } = job;
    if let Broker::Embedded(c) = &broker
        && !c.path.exists()
    {
        println!(
            "no queue at {} yet: nothing has been queued, so there are no dead letters",
            c.path.display()
        );
        return Ok(());
    }
    let queue = broker.open().await?;
    queue
        .ready()
        .await
        .with_context(|| format!("cannot reach the queue {}", broker.dead_letter_place()))?;
    match action {
        Action::List { json } => list(&queue, &streams, &which, json).await,
        Action::Requeue(decoding) => requeue(&queue, &streams, &which, &decoding).await,
        Action::Drop => drop_chosen(&queue, &streams, which).await,
    }
}

async fn list(
    queue: &ChosenQueue,
    streams: &[StreamKind],
    which: &Which,
    as_json: bool,
) -> anyhow::Result<()> {
    let mut letters = Vec::new();
    for &stream in streams {
        letters.extend(
            queue
                .list_dead_letters(stream)
                .await?
                .into_iter()
                .filter(|d| which.picks(&d.envelope.id)),
        );
    }
    let now = SystemTime::now();
    if as_json {
        let all: Vec<_> = letters.iter().map(|d| to_json(d, now)).collect();
        println!("{:#}", serde_json::Value::Array(all));
        return Ok(());
    }
    for d in &letters {
        let e = &d.envelope;
        println!(
            "{}  {}  {}  {} records  reason: {}",
            e.id,
            e.stream,
            d.since
                .map_or_else(|| "age unknown".to_string(), |t| ago(now, t)),
            e.count,
            d.reason.as_deref().unwrap_or("(none recorded)")
        );
        let body = Shown::of(e);
        match (body.json, body.cut_short) {
            (true, _) => println!("    {}", body.text),
            (false, false) => println!("    text: {}", body.text),
            (false, true) => println!(
                "    text, cut short at {} bytes: {}",
                e.body.len(),
                body.text
            ),
        }
    }
    match letters.len() {
        0 => println!("no dead letters"),
        n => println!("{}", counted_dead_letters(n as u64)),
    }
    Ok(())
}

async fn drop_chosen(
    queue: &ChosenQueue,
    streams: &[StreamKind],
    which: Which,
) -> anyhow::Result<()> {
    let mut total = 0;
    for &stream in streams {
        let n = queue
            .settle_dead_letters(stream, which.clone(), Settle::Drop)
            .await?;
        if n > 0 {
            println!("{stream}: {} dropped", counted_dead_letters(n));
        }
        total += n;
    }
    if total == 0 {
        if let Which::Ids(ids) = &which {
            anyhow::bail!(
                "no dead letter has the id {}: see `millrace dead-letters list`",
                ids.join(" or ")
            );
        }
        println!("no dead letters");
    }
    Ok(())
}

/// One dead letter in `list --json` (its fields are documented in docs/operating.md).
fn to_json(d: &DeadLetter, now: SystemTime) -> serde_json::Value {
    let e = &d.envelope;
    let body = Shown::of(e);
    let since = d
        .since
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|s| s.as_secs() as i64);
    json!({
        "id": e.id,
        "stream": e.stream.name(),
        "reason": d.reason,
        "dead_since": since.map(iso8601),
        "dead_since_unix": since,
        "age_seconds": d.since.and_then(|t| now.duration_since(t).ok()).map(|a| a.as_secs()),
        "records": e.count,
        "source": e.source,
        "first_seq": e.first_seq,
        "first_bytes": body.text,
        "first_bytes_format": if body.json { "json" } else { "text" },
        "cut_short": body.cut_short,
    })
}

/// "3 h ago": how long ago `then` was, in the largest unit that fits.
fn ago(now: SystemTime, then: SystemTime) -> String {
    let secs = now.duration_since(then).unwrap_or(Duration::ZERO).as_secs();
    match secs {
        0..60 => format!("{secs} s ago"),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// A body as text: a packed body (schema 2) is shown as the JSON of its first records, so
/// `list` reads the same whichever schema the letter was written in.
fn readable(stream: StreamKind, body: &[u8]) -> Vec<u8> {
    if !is_packed(body) {
        return body.to_vec();
    }
    match decode_queued(stream, body) {
        Ok(records) => records.slice(0..records.len().min(4)).to_json(),
        Err(e) => format!(
            "(a packed body of {} bytes that does not read: {e})",
            body.len()
        )
        .into_bytes(),
    }
}

/// How `list` shows a letter's body: its start, as JSON where the body is JSON (a packed
/// body is shown as the JSON of its first records), as text where it is not.
struct Shown {
    /// The first [`FIRST_CHARS`] characters, and `…` when there are more.
    text: String,
    /// Whether the body is valid JSON (then `text` is JSON cut at most at its end).
    json: bool,
    /// Whether only the start of the payload was kept (an MQTT payload over the byte
    /// limit), which is why it is not valid JSON.
    cut_short: bool,
}

impl Shown {
    fn of(e: &Envelope) -> Shown {
        let body = readable(e.stream, &e.body);
        let json = serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok();
        Shown {
            text: first_chars(&body, json),
            json,
            cut_short: crate::mqtt::payload::cut_short(e),
        }
    }
}

/// The start of a body on one line, as a terminal shows it safely: JSON with its line breaks
/// and indents as single spaces (they can only stand between values), text with control
/// characters escaped. Quotes are shown as they are.
fn first_chars(body: &[u8], json: bool) -> String {
    let window = &body[..body.len().min(4 * FIRST_CHARS)];
    let text = String::from_utf8_lossy(window);
    let mut line = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if json && matches!(c, '\n' | '\r' | '\t') {
            while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
            if !line.ends_with(' ') {
                line.push(' ');
            }
        } else if c.is_control() {
            line.extend(c.escape_debug());
        } else {
            line.push(c);
        }
    }
    let mut shown: String = line.chars().take(FIRST_CHARS).collect();
    if line.chars().count() > FIRST_CHARS || body.len() > window.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_bodies_read_as_json() {
        use crate::codec::encode_packed;
        use crate::record::{Metric, Records};
        let records = Records::Metrics(
            (0..10)
                .map(|i| Metric {
                    id: i,
                    val: 1.5,
                    time: 1_624_377_478,
                })
                .collect(),
        );
        let shown = readable(StreamKind::Metrics, &encode_packed(&records));
        let shown = String::from_utf8(shown).unwrap();
        assert!(
            shown.starts_with(r#"[{"id":0,"val":1.5,"time":1624377478},{"id":1,"#),
            "{shown}"
        );
        assert_eq!(
            shown.matches("\"id\"").count(),
            4,
            "the first four records: {shown}"
        );
        let cut = &encode_packed(&records)[..30];
        let shown = first_chars(&readable(StreamKind::Metrics, cut), false);
        assert!(shown.contains("packed body of 30 bytes"), "{shown}");
        assert_eq!(readable(StreamKind::Metrics, b"[1]"), b"[1]");
    }

    #[test]
    fn ages_read_in_the_largest_unit() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let before = |s| now - Duration::from_secs(s);
        assert_eq!(ago(now, before(5)), "5 s ago");
        assert_eq!(ago(now, before(150)), "2 min ago");
        assert_eq!(ago(now, before(3 * 3600 + 5)), "3 h ago");
        assert_eq!(ago(now, before(2 * 86_400)), "2 d ago");
        assert_eq!(ago(now, now + Duration::from_secs(9)), "0 s ago");
    }

    #[test]
    fn json_is_shown_as_json_and_text_as_text() {
        let pretty = b"[{\n    \"id\": 3,\n    \"val\": \"a  b\"\n}]";
        assert_eq!(first_chars(pretty, true), r#"[{ "id": 3, "val": "a  b" }]"#);
        assert_eq!(first_chars(b"[1,\n2", false), "[1,\\n2");
        assert_eq!(first_chars(b"\"x\"\x1b", false), "\"x\"\\u{1b}");
        let long = vec![b'x'; 500];
        let shown = first_chars(&long, false);
        assert!(shown.ends_with('…') && shown.chars().count() == FIRST_CHARS + 1);
    }
}
