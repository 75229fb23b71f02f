//! Chaos on the embedded queue; the scenario, shared with RabbitMQ, is in
//! tests/it/common/scenarios.rs.

use crate::common;

use common::scenarios::{Backend, chaos};

#[test]
fn random_kills_of_every_stage_lose_and_double_nothing() {
    let dir = tempfile::tempdir().unwrap();
    chaos(dir.path(), Backend::Embedded);
}
