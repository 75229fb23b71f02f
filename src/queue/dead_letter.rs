//! What an operator handles in the dead-letter place: a dead letter as read back, which of
//! them to act on, and what to do with them. Apart from the trait so that both back ends and
//! the `dead-letters` command share the words.

use super::Envelope;
use std::time::SystemTime;

/// A message set aside as a dead letter, read back for an operator.
#[derive(Clone, Debug)]
pub struct DeadLetter {
    /// The batch, with the identity it was published with.
    pub envelope: Envelope,
    /// Why it was set aside, when the queue recorded it.
    pub reason: Option<String>,
    /// When it was set aside (the embedded queue: when it was first queued), when known.
    pub since: Option<SystemTime>,
}

/// "1 dead letter", "3 dead letters": a count of them as every message words it.
pub fn counted_dead_letters(n: u64) -> String {
    match n {
        1 => "1 dead letter".to_string(),
        n => format!("{n} dead letters"),
    }
}

/// Which dead letters of a stream to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Which {
    /// Every one.
    All,
    /// Those whose envelope id is one of these.
    Ids(Vec<String>),
}

impl Which {
    /// Whether the dead letter with envelope id `id` is chosen.
    pub fn picks(&self, id: &str) -> bool {
        match self {
            Which::All => true,
            Which::Ids(ids) => ids.iter().any(|i| i == id),
        }
    }
}

/// What to do with chosen dead letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settle {
    /// Back onto the stream's queue, once the cause is fixed, for the consumers to store.
    Requeue,
    /// Gone for good.
    Drop,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_a_dead_letter_and_more_are_dead_letters() {
        assert_eq!(counted_dead_letters(1), "1 dead letter");
        assert_eq!(counted_dead_letters(0), "0 dead letters");
        assert_eq!(counted_dead_letters(2), "2 dead letters");
    }

    #[test]
    fn all_picks_everything_and_ids_only_theirs() {
        assert!(Which::All.picks("x"));
        let some = Which::Ids(vec!["a".into(), "b".into()]);
        assert!(some.picks("b"));
        assert!(!some.picks("c"));
    }
}
