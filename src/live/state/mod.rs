//! The live analysis's state: everything the report is made from, kept in memory and brought
//! up to date from the rows stored since the last update.
//!
//! The report is a pure function of the stored rows, and so is every piece it is built from:
//! a product's intervals depend only on its work orders; a parameter's [`Profile`] (glitches,
//! kind, reading gap) only on its readings; its summaries and tests for one product only on
//! those two. So an update recomputes only the pieces whose inputs changed — the parameters
//! that got readings, the products whose intervals changed — reuses the rest, and then draws
//! the same conclusions the batch report draws. The result is the batch answer exactly, and a
//! new work order costs one pass over the readings in memory, never a scan of the store.

use crate::record::{Metric, WorkOrder};
use crate::report::analysis::{Options, Outcomes, Tested, conclude, test_product};
use crate::report::intervals::{ProductIntervals, intervals};
use crate::report::prepared::{Prepared, prepare};
use crate::report::summaries::{ParameterSummary, ProductSummaries, Profile};
use crate::report::{Report, TESTERS};
use crate::store::{Seq, Store, StoreError};
use std::collections::{BTreeMap, HashMap, HashSet};

mod rebuild;

/// What changed in one update.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    /// Metric rows read.
    pub metrics: u64,
    /// Work-order rows read.
    pub work_orders: u64,
}

impl Changes {
    /// Whether anything new was stored.
    pub fn any(&self) -> bool {
        self.metrics > 0 || self.work_orders > 0
    }
}

/// The live analysis of one store.
pub struct LiveState {
    source: String,
    options: Options,
    metrics_seq: Seq,
    orders_seq: Seq,
    /// Every work order, in stored order (as [`Store::work_orders`] gives them).
    orders: Vec<WorkOrder>,
    products: Vec<ProductIntervals>,
    parameters: BTreeMap<i64, Parameter>,
    metrics: u64,
    newest_metric: Option<i64>,
    /// On a pruned store, the batch report itself, made again after every change (see
    /// [`LiveState::update`]).
    pruned: Option<Report>,
}

/// One parameter: its readings, what they say, and what was worked out per product.
struct Parameter {
    id: i64,
    /// In time order, readings of the same second by value: the batch report's order.
    times: Vec<i64>,
    values: Vec<f64>,
    /// What the readings say; made again (on a tester thread) after new readings.
    profile: Option<Profile>,
    /// By product number; dropped whenever the readings or the product's intervals change.
    per_product: HashMap<i64, PerProduct>,
}

/// What one parameter and one product's intervals give.
struct PerProduct {
    /// The parameter's summaries over the product's intervals.
    summaries: ProductSummaries,
    /// Its tests against the product's output; `None` until they have run.
    tested: Option<Result<Tested, String>>,
}

impl LiveState {
    /// An empty state: the first [`LiveState::update`] reads the whole store.
    pub fn new(source: String, options: Options) -> Self {
        LiveState {
            source,
            options,
            metrics_seq: 0,
            orders_seq: 0,
            orders: Vec::new(),
            products: Vec::new(),
            parameters: BTreeMap::new(),
            metrics: 0,
            newest_metric: None,
            pruned: None,
        }
    }

    /// Reads the rows stored since the last update and brings the analysis up to date.
    pub fn update(&mut self, store: &mut dyn Store) -> Result<Changes, StoreError> {
        // A pruned store's older minutes are known only by their rollups, which the
        // incremental state does not hold: there the live analysis is the batch report,
        // made again whenever something new is stored or the store is pruned again. Slower
        // per change, but the same answer as `millrace report`.
        if let Some(raw_from) = store.raw_from()? {
            return self.update_pruned(store, raw_from);
        }
        if self.metrics_seq == 0 && self.orders_seq == 0 {
            return self.rebuild(store);
        }
        let new_orders = store.work_orders_after(self.orders_seq)?;
        let mut new_metrics: HashMap<i64, Vec<(i64, f64)>> = HashMap::new();
        let mut read = 0u64;
        self.metrics_seq = store.metrics_after(self.metrics_seq, &mut |m: Metric| {
            new_metrics.entry(m.id).or_default().push((m.time, m.val));
            read += 1;
        })?;
        let changes = Changes {
            metrics: read,
            work_orders: new_orders.len() as u64,
        };
        if let Some(&(seq, _)) = new_orders.last() {
            self.orders_seq = seq;
        }
        self.orders.extend(new_orders.into_iter().map(|(_, w)| w));
        let changed_products = if changes.work_orders > 0 {
            self.replace_products()
        } else {
            HashSet::new()
        };
        self.metrics += read;
        for (id, readings) in new_metrics {
            self.add_readings(id, readings);
        }
        for parameter in self.parameters.values_mut() {
            parameter
                .per_product
                .retain(|product, _| !changed_products.contains(product));
        }
        Ok(changes)
    }

    /// Intervals again from every work order; returns the products whose intervals (or
    /// counts) are not what they were.
    fn replace_products(&mut self) -> HashSet<i64> {
        let products = intervals(&self.orders);
        let before: HashMap<i64, &ProductIntervals> =
            self.products.iter().map(|p| (p.product, p)).collect();
        let changed = products
            .iter()
            .filter(|p| before.get(&p.product).is_none_or(|old| *old != *p))
            .map(|p| p.product)
            .collect();
        self.products = products;
        changed
    }

    fn add_readings(&mut self, id: i64, mut readings: Vec<(i64, f64)>) {
        self.newest_metric = readings.iter().map(|r| r.0).chain(self.newest_metric).max();
        let parameter = match self.parameters.remove(&id) {
            Some(old) => {
                readings.sort_by(batch_order);
                let (times, values) = merge(&old.times, &old.values, &readings);
                Parameter::sorted(id, times, values)
            }
            None => Parameter::new(id, readings),
        };
        self.parameters.insert(id, parameter);
    }

    /// [`LiveState::update`] on a pruned store whose raw readings begin at `raw_from`.
    fn update_pruned(
        &mut self,
        store: &mut dyn Store,
        raw_from: i64,
    ) -> Result<Changes, StoreError> {
        let new_orders = store.work_orders_after(self.orders_seq)?;
        let mut read = 0u64;
        let mut newest = self.newest_metric;
        self.metrics_seq = store.metrics_after(self.metrics_seq, &mut |m: Metric| {
            read += 1;
            newest = newest.max(Some(m.time));
        })?;
        if let Some(&(seq, _)) = new_orders.last() {
            self.orders_seq = seq;
        }
        let pruned_again = self.pruned.as_ref().and_then(|r| r.raw_from) != Some(raw_from);
        let changes = Changes {
            metrics: read,
            work_orders: new_orders.len() as u64,
        };
        if changes.any() || pruned_again {
            let report = crate::report::build(store, &self.source, self.options)?;
            self.metrics = report.metrics;
            self.newest_metric = newest;
            self.orders = store.work_orders()?;
            self.products = report.products.clone();
            self.parameters.clear();
            self.pruned = Some(report);
        }
        Ok(Changes {
            metrics: read.max(u64::from(pruned_again)),
            ..changes
        })
    }

    /// The report on everything read so far: what `report::build` gives on the same rows.
    /// Parameters are brought up to date on as many threads as the batch report tests on.
    pub fn report(&mut self) -> Report {
        if let Some(report) = &self.pruned {
            return report.clone();
        }
        let prepared = prepare(&self.products);
        let (products, options) = (&self.products, self.options);
        let work = std::sync::Mutex::new(self.parameters.values_mut().enumerate());
        let mut done: Vec<(usize, ParameterSummary, Outcomes)> = std::thread::scope(|scope| {
            let testers: Vec<_> = (0..TESTERS)
                .map(|_| {
                    let (work, prepared) = (&work, &prepared);
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        // A poisoned lock means another tester panicked: `join` says so.
                        while let Some((index, parameter)) =
                            work.lock().ok().and_then(|mut w| w.next())
                        {
                            let (summary, outcomes) =
                                parameter.analyse(products, prepared, options);
                            done.push((index, summary, outcomes));
                        }
                        done
                    })
                })
                .collect();
            testers
                .into_iter()
                .flat_map(|t| t.join().expect("a live tester panicked"))
                .collect()
        });
        done.sort_by_key(|d| d.0);
        let (parameters, outcomes): (Vec<_>, Vec<_>) =
            done.into_iter().map(|(_, s, o)| (s, o)).unzip();
        let findings = conclude(&prepared, &parameters, outcomes);
        Report {
            source: self.source.clone(),
            metrics: self.metrics,
            work_orders: self.orders.len() as u64,
            products: self.products.clone(),
            parameters,
            findings,
            options: self.options,
            raw_from: None,
        }
    }

    /// How many metrics were read, and the newest reading's time.
    pub fn metrics(&self) -> (u64, Option<i64>) {
        (self.metrics, self.newest_metric)
    }

    /// How many work orders were read, and the newest one's time.
    pub fn work_orders(&self) -> (u64, Option<i64>) {
        (
            self.orders.len() as u64,
            self.orders.iter().map(|w| w.time).max(),
        )
    }
}

/// The batch report's order of one parameter's readings: by time, then by value.
fn batch_order(a: &(i64, f64), b: &(i64, f64)) -> std::cmp::Ordering {
    a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
}

impl Parameter {
    /// A parameter from its readings in any order, nothing worked out yet.
    fn new(id: i64, mut readings: Vec<(i64, f64)>) -> Parameter {
        readings.sort_by(batch_order);
        let (times, values) = readings.into_iter().unzip();
        Parameter::sorted(id, times, values)
    }

    /// A parameter from readings already in [`batch_order`].
    fn sorted(id: i64, times: Vec<i64>, values: Vec<f64>) -> Parameter {
        Parameter {
            id,
            times,
            values,
            profile: None,
            per_product: HashMap::new(),
        }
    }

    /// The parameter's summary and its tests against every product, reusing what is still
    /// good.
    fn analyse(
        &mut self,
        products: &[ProductIntervals],
        prepared: &[Prepared<'_>],
        options: Options,
    ) -> (ParameterSummary, Outcomes) {
        let summary = self.bring_up_to_date(products);
        let outcomes = products
            .iter()
            .enumerate()
            .map(|(p, product)| {
                let cached = self.per_product.get_mut(&product.product);
                let entry = cached.expect("summaries were just made for every product");
                entry
                    .tested
                    .get_or_insert_with(|| test_product(&prepared[p], p, &summary, options))
                    .clone()
            })
            .collect();
        (summary, outcomes)
    }

    /// Summaries for every product that has none (their tests still to run), and the
    /// parameter's summary over all products, in product order.
    fn bring_up_to_date(&mut self, products: &[ProductIntervals]) -> ParameterSummary {
        let mut fresh = None;
        if self.profile.is_none() {
            let (profile, clean) = Profile::of(self.id, &self.times, &self.values);
            self.profile = Some(profile);
            fresh = Some(clean);
        }
        let profile = self.profile.as_ref().expect("made just above");
        let missing: Vec<&ProductIntervals> = products
            .iter()
            .filter(|p| !self.per_product.contains_key(&p.product))
            .collect();
        if !missing.is_empty() {
            let clean = fresh.unwrap_or_else(|| profile.clean(&self.times, &self.values));
            let readings = clean.readings(profile);
            for product in missing {
                let summaries = readings.summaries(product, profile.kind());
                self.per_product.insert(
                    product.product,
                    PerProduct {
                        summaries,
                        tested: None,
                    },
                );
            }
        }
        profile.summary(
            products
                .iter()
                .map(|p| self.per_product[&p.product].summaries.clone())
                .collect(),
        )
    }
}

/// Two runs in the batch report's order merged into one.
fn merge(times: &[i64], values: &[f64], new: &[(i64, f64)]) -> (Vec<i64>, Vec<f64>) {
    let before = |a: (i64, f64), b: (i64, f64)| batch_order(&a, &b).is_le();
    let mut out_t = Vec::with_capacity(times.len() + new.len());
    let mut out_v = Vec::with_capacity(times.len() + new.len());
    // Readings arrive mostly in time order: everything old before the first new one is
    // copied as it stands.
    let keep = new
        .first()
        .map_or(times.len(), |first| times.partition_point(|&t| t < first.0));
    out_t.extend_from_slice(&times[..keep]);
    out_v.extend_from_slice(&values[..keep]);
    let (mut i, mut j) = (keep, 0);
    while i < times.len() || j < new.len() {
        let take_old = j == new.len() || (i < times.len() && before((times[i], values[i]), new[j]));
        if take_old {
            out_t.push(times[i]);
            out_v.push(values[i]);
            i += 1;
        } else {
            out_t.push(new[j].0);
            out_v.push(new[j].1);
            j += 1;
        }
    }
    (out_t, out_v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Merging new readings into old ones gives the order the batch report sorts them
        /// into, whatever the times and values (ties, -0.0 and +0.0 included).
        #[test]
        fn merging_equals_sorting_everything(
            old in prop::collection::vec((0i64..20, prop::sample::select(vec![-0.0, 0.0, 1.0, 2.5])), 0..40),
            new in prop::collection::vec((0i64..20, prop::sample::select(vec![-0.0, 0.0, 1.0, 2.5])), 0..40),
        ) {
            let order = |a: &(i64, f64), b: &(i64, f64)| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1));
            let (mut old, mut new) = (old, new);
            old.sort_by(order);
            new.sort_by(order);
            let (times, values): (Vec<i64>, Vec<f64>) = old.iter().copied().unzip();
            let (t, v) = merge(&times, &values, &new);
            let mut all: Vec<(i64, f64)> = old.into_iter().chain(new).collect();
            all.sort_by(order);
            let merged: Vec<(i64, u64)> = t.into_iter().zip(v).map(|(t, v)| (t, v.to_bits())).collect();
            let sorted: Vec<(i64, u64)> = all.into_iter().map(|(t, v)| (t, v.to_bits())).collect();
            prop_assert_eq!(merged, sorted);
        }
    }
}
