//! A webhook that fails, as the person running `stream` is told of it: the first failure at
//! once, in one line that says what to check; then at most one short line every
//! [`RETELL_EVERY`] with the time left to retry; and one line when it answers again.
//!
//! Retries come fast at first (100 ms, doubling), and both files' senders retry at once: a
//! line per retry was 16 lines of 330 characters in 12 s, repeating the same error chain,
//! with the hint about `millrace serve` only at the very end. One [`Outage`] is shared by
//! the clones of a [`super::Sender`], so the two files' failures are told as one.

use super::attempt::Attempt;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The least time between two lines about the same outage.
pub const RETELL_EVERY: Duration = Duration::from_secs(10);

/// When the current outage was last told of, if one is going on; shared by a sender's clones.
#[derive(Clone, Debug, Default)]
pub struct Outage(Arc<Mutex<Option<Instant>>>);

impl Outage {
    /// What to say about a failed try at `url` with `left` to retry: the first of an outage
    /// in full, then a short reminder once per [`RETELL_EVERY`]; `None` in between.
    pub fn failed(&self, url: &str, problem: &Attempt, left: Duration) -> Option<String> {
        let mut told = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let line = match *told {
            None => first_line(url, problem, left),
            Some(at) if now.duration_since(at) >= RETELL_EVERY => again_line(url, problem, left),
            Some(_) => return None,
        };
        *told = Some(now);
        Some(line)
    }

    /// What to say when a try at `url` succeeded: that the outage is over, if there was one.
    pub fn answered(&self, url: &str) -> Option<String> {
        let mut told = self.0.lock().unwrap_or_else(|e| e.into_inner());
        told.take()
            .map(|_| format!("the webhook at {url} answers again; sending"))
    }
}

/// The first line of an outage: what failed, the likeliest cause, and for how long it will
/// be retried.
fn first_line(url: &str, problem: &Attempt, left: Duration) -> String {
    let retrying = format!("retrying for up to {} (--retry-for)", spoken(left));
    match problem {
        Attempt::Unreachable(e) => format!(
            "cannot reach the webhook at {url} ({}): check that `millrace serve` is running there and that --webhook gives its address; {retrying}",
            root_cause(e)
        ),
        Attempt::Answered { status, message } => {
            format!("the webhook at {url} answered {status}: {message}; {retrying}")
        }
    }
}

/// A reminder that the outage goes on, with the time left.
fn again_line(url: &str, problem: &Attempt, left: Duration) -> String {
    let left = format!("{} left (--retry-for)", spoken(left));
    match problem {
        Attempt::Unreachable(_) => format!("still cannot reach the webhook at {url}; {left}"),
        Attempt::Answered { status, .. } => {
            format!("the webhook at {url} still answers {status}; {left}")
        }
    }
}

/// The innermost cause of an error ("Connection refused (os error 111)"): what a person can
/// act on, without the HTTP client's layers around it.
fn root_cause(e: &(dyn Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// A duration as a person says it, to the nearest second from one second up: "350 ms",
/// "12 s", "4 min 50 s". (Left to retry, 11.98 s of 12 is "12 s".)
pub fn spoken(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{} ms", d.as_millis());
    }
    let secs = (d.as_millis() + 500) / 1000;
    match secs {
        1..=59 => format!("{secs} s"),
        _ if secs % 60 == 0 => format!("{} min", secs / 60),
        _ => format!("{} min {} s", secs / 60, secs % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn busy() -> Attempt {
        Attempt::Answered {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "the queue is full".into(),
        }
    }

    #[test]
    fn an_outage_is_told_at_once_then_at_most_every_ten_seconds() {
        let outage = Outage::default();
        let url = "http://h:1";
        let first = outage.failed(url, &busy(), Duration::from_secs(300));
        assert_eq!(
            first.as_deref(),
            Some(
                "the webhook at http://h:1 answered 503 Service Unavailable: the queue is full; retrying for up to 5 min (--retry-for)"
            )
        );
        assert_eq!(outage.failed(url, &busy(), Duration::from_secs(299)), None);
        // Ten seconds on, a short reminder.
        *outage.0.lock().unwrap() = Some(Instant::now() - RETELL_EVERY);
        assert_eq!(
            outage
                .failed(url, &busy(), Duration::from_secs(290))
                .as_deref(),
            Some(
                "the webhook at http://h:1 still answers 503 Service Unavailable; 4 min 50 s left (--retry-for)"
            )
        );
        assert_eq!(
            outage.answered(url).as_deref(),
            Some("the webhook at http://h:1 answers again; sending")
        );
        assert_eq!(outage.answered(url), None, "told once");
        assert!(
            outage
                .failed(url, &busy(), Duration::from_secs(300))
                .unwrap()
                .starts_with("the webhook at http://h:1 answered"),
            "a new outage is told in full"
        );
    }

    #[test]
    fn durations_are_spoken_in_the_largest_units() {
        let said: Vec<String> = [350, 11_980, 12_400, 290_000, 300_000]
            .map(|ms| spoken(Duration::from_millis(ms)))
            .into();
        assert_eq!(said, ["350 ms", "12 s", "12 s", "4 min 50 s", "5 min"]);
    }
}
