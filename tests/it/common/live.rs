//! The live analysis against the batch report: the sample stored in shuffled chunks — late
//! readings inside old intervals, late work orders that split them, records of the same
//! second — and after every chunk the live state must give exactly what `report` gives.

use millrace::live::LiveState;
use millrace::record::{Metric, Records, WorkOrder};
use millrace::report::{self, Options, Report};
use millrace::store::{Incoming, Store};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// The sample's records, shuffled (seeded) so that chunks arrive out of order, plus records
/// that tie with others: a second reading in the same second, a work order of the same
/// second as another.
pub fn shuffled_sample(seed: u64) -> (Vec<Metric>, Vec<WorkOrder>) {
    let dir = super::data_dir();
    let read = |name: &str| std::fs::read(dir.join(name)).expect("the sample data");
    let mut metrics: Vec<Metric> = serde_json::from_slice(&read("metrics.json")).unwrap();
    let mut orders: Vec<WorkOrder> = serde_json::from_slice(&read("workorder.json")).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for i in (0..metrics.len()).step_by(97) {
        let tie = Metric {
            val: metrics[i].val + 1.5,
            ..metrics[i]
        };
        metrics.push(tie);
    }
    for i in (5..orders.len()).step_by(101) {
        let tie = WorkOrder {
            production: orders[i].production + 0.25,
            ..orders[i]
        };
        orders.push(tie);
    }
    // Mostly in time order, as a plant sends them, with a fifth of the records moved to a
    // random later place: late and out-of-order arrivals.
    metrics.sort_by_key(|m| m.time);
    orders.sort_by_key(|w| w.time);
    for _ in 0..metrics.len() / 5 {
        let (a, b) = (
            rng.random_range(0..metrics.len()),
            rng.random_range(0..metrics.len()),
        );
        metrics.swap(a.min(b), a.max(b));
    }
    for _ in 0..orders.len() / 5 {
        let (a, b) = (
            rng.random_range(0..orders.len()),
            rng.random_range(0..orders.len()),
        );
        orders.swap(a.min(b), a.max(b));
    }
    orders[..8].shuffle(&mut rng);
    (metrics, orders)
}

/// Stores the records in `chunks` steps, each in two halves — its work orders, then its
/// readings — so that updates with only one stream's rows come up too; after each half the
/// live state is updated and must equal a batch report made from the store. Returns how
/// many updates were compared.
pub fn live_equals_batch(
    store: &mut dyn Store,
    metrics: &[Metric],
    orders: &[WorkOrder],
    chunks: usize,
) -> usize {
    let options = Options::default();
    let mut live = LiveState::new("the store".into(), options);
    let mut compared = 0;
    let steps = [
        (
            "w",
            orders.len().div_ceil(chunks),
            Records::Workorder(orders.to_vec()),
        ),
        (
            "m",
            metrics.len().div_ceil(chunks),
            Records::Metrics(metrics.to_vec()),
        ),
    ];
    for chunk in 0..chunks {
        for (origin, step, all) in &steps {
            let range = chunk * step..((chunk + 1) * step).min(all.len());
            if range.is_empty() {
                continue;
            }
            let records = match all {
                Records::Metrics(v) => Records::Metrics(v[range.clone()].to_vec()),
                Records::Workorder(v) => Records::Workorder(v[range.clone()].to_vec()),
            };
            store
                .write(&[Incoming {
                    origin,
                    first_seq: range.start as u64,
                    records: &records,
                }])
                .unwrap();
            let changes = live.update(store).unwrap();
            assert_eq!(
                changes.metrics + changes.work_orders,
                range.len() as u64,
                "chunk {chunk}: the update read exactly the rows stored since the last"
            );
            let batch = report::build(store, "the store", options).unwrap();
            assert_same(&live.report(), &batch, chunk);
            compared += 1;
        }
    }
    // A restarted dashboard: one pass over everything, the same answer.
    let mut fresh = LiveState::new("the store".into(), options);
    fresh.update(store).unwrap();
    let batch = report::build(store, "the store", options).unwrap();
    assert_same(&fresh.report(), &batch, chunks);
    compared
}

pub fn assert_same(live: &Report, batch: &Report, chunk: usize) {
    assert_eq!(live.metrics, batch.metrics, "chunk {chunk}: metrics read");
    assert_eq!(
        live.work_orders, batch.work_orders,
        "chunk {chunk}: work orders read"
    );
    assert_eq!(
        format!("{:?}", live.products),
        format!("{:?}", batch.products),
        "chunk {chunk}: intervals"
    );
    assert_eq!(
        format!("{:?}", live.parameters),
        format!("{:?}", batch.parameters),
        "chunk {chunk}: summaries"
    );
    let json = |r: &Report| millrace::report::render::json::render(r);
    assert_eq!(json(live), json(batch), "chunk {chunk}: top3.json");
}
