//! The dead-letter rows of the queue file, read and settled for an operator. A dead letter is
//! a row of the `messages` table whose queue is `<stream>.dead`: requeueing moves it back to
//! its stream's queue in one statement, so a crash can neither lose it nor queue it twice.

use super::blocking::unavailable;
use super::schema::{UNLEASED, dead_queue};
use crate::queue::{DeadLetter, Envelope, QueueError, Settle, Which};
use crate::record::StreamKind;
use rusqlite::{Connection, TransactionBehavior, params};
use std::time::{Duration, UNIX_EPOCH};

/// The stream's dead letters, oldest first.
pub(super) fn list(conn: &Connection, stream: StreamKind) -> Result<Vec<DeadLetter>, QueueError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, source, first_seq, count, body, reason, enqueued_at
             FROM messages WHERE queue = ?1 ORDER BY tag",
        )
        .map_err(unavailable)?;
    let rows = stmt
        .query_map([dead_queue(stream)], |row| {
            let since: i64 = row.get(6)?;
            Ok(DeadLetter {
                envelope: Envelope {
                    id: row.get(0)?,
                    stream,
                    source: row.get(1)?,
                    first_seq: row.get::<_, i64>(2)? as u64,
                    count: row.get::<_, i64>(3)? as u64,
                    body: row.get(4)?,
                },
                reason: row.get(5)?,
                since: Some(UNIX_EPOCH + Duration::from_millis(since.max(0) as u64)),
            })
        })
        .map_err(unavailable)?;
    rows.collect::<Result<_, _>>().map_err(unavailable)
}

/// Requeues or deletes the chosen dead letters of the stream in one transaction; returns how
/// many. A requeued message starts afresh: no reason, no attempts, no lease.
pub(super) fn settle(
    conn: &mut Connection,
    stream: StreamKind,
    which: &Which,
    settle: Settle,
) -> Result<u64, QueueError> {
    let ids: Vec<Option<&str>> = match which {
        Which::All => vec![None],
        Which::Ids(ids) => ids.iter().map(|id| Some(id.as_str())).collect(),
    };
    let dead = dead_queue(stream);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let mut settled = 0;
    for id in ids {
        settled += match settle {
            Settle::Requeue => tx.execute(
                "UPDATE messages SET queue = ?3, reason = NULL, attempts = 0, lease_until = ?4
                 WHERE queue = ?1 AND (?2 IS NULL OR id = ?2)",
                params![dead, id, stream.name(), UNLEASED],
            ),
            Settle::Drop => tx.execute(
                "DELETE FROM messages WHERE queue = ?1 AND (?2 IS NULL OR id = ?2)",
                params![dead, id],
            ),
        }
        .map_err(unavailable)? as u64;
    }
    tx.commit().map_err(unavailable)?;
    Ok(settled)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{envelope, open};
    use crate::queue::{Queue, QueueConsumer, Settle, Which};
    use crate::record::StreamKind;
    use std::time::Duration;

    #[tokio::test]
    async fn requeued_dead_letters_come_back_with_their_identity_and_dropped_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let q = open(dir.path(), Duration::from_secs(30));
        for id in ["a", "b"] {
            q.publish_dead_letter(envelope(id, StreamKind::Metrics), format!("bad {id}"))
                .await
                .unwrap();
        }
        let listed = q.list_dead_letters(StreamKind::Metrics).await.unwrap();
        let seen: Vec<_> = listed
            .iter()
            .map(|d| (d.envelope.id.as_str(), d.reason.as_deref()))
            .collect();
        assert_eq!(seen, [("a", Some("bad a")), ("b", Some("bad b"))]);
        let ids = Which::Ids(vec!["a".into()]);
        let moved = q
            .settle_dead_letters(StreamKind::Metrics, ids.clone(), Settle::Requeue)
            .await
            .unwrap();
        assert_eq!(moved, 1);
        let again = q
            .settle_dead_letters(StreamKind::Metrics, ids, Settle::Requeue)
            .await
            .unwrap();
        assert_eq!(again, 0, "a requeued letter is no longer dead");
        let mut c = q.consumer(StreamKind::Metrics).await.unwrap();
        let got = c.fetch(10, Duration::ZERO).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].envelope, envelope("a", StreamKind::Metrics));
        assert_eq!(got[0].attempts, 1);
        let dropped = q
            .settle_dead_letters(StreamKind::Metrics, Which::All, Settle::Drop)
            .await
            .unwrap();
        assert_eq!(dropped, 1);
        assert_eq!(q.dead_letters(StreamKind::Metrics).await.unwrap(), 0);
        assert_eq!(q.pending(StreamKind::Metrics).await.unwrap(), 1);
    }
}
