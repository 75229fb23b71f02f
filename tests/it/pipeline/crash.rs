//! Separate processes, killed with SIGKILL mid-stream and restarted: the store ends up
//! holding exactly the source records. The scenario, shared with RabbitMQ, is in
//! tests/it/common/scenarios.rs. They run alone ([`serial::alone`]): the kills land at
//! moments chosen by how far the store has got.

use crate::common;

use common::scenarios::{Backend, Victim, survives_kills_of};
use common::serial;

#[test]
fn a_consumer_killed_mid_stream_loses_and_doubles_nothing() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    survives_kills_of(dir.path(), Backend::Embedded, Victim::Consumer);
}

#[test]
fn a_webhook_killed_mid_stream_loses_and_doubles_nothing() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    survives_kills_of(dir.path(), Backend::Embedded, Victim::Webhook);
}

#[test]
fn a_streamer_killed_mid_stream_resumes_without_doubling() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    survives_kills_of(dir.path(), Backend::Embedded, Victim::Streamer);
}
