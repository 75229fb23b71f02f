//! Chaos on the embedded queue; the scenario, shared with RabbitMQ, is in
//! tests/it/common/scenarios.rs. It runs alone ([`serial::alone`]): dozens of processes killed
//! and restarted, on a deadline.

use crate::common;

use common::scenarios::{Backend, chaos};
use common::serial;

#[test]
fn random_kills_of_every_stage_lose_and_double_nothing() {
    let _alone = serial::alone();
    let dir = tempfile::tempdir().unwrap();
    chaos(dir.path(), Backend::Embedded, None);
}
