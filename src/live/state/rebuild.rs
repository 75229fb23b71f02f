//! The first update: the whole store read in one pass, the way the batch report reads it.
//!
//! Metrics come ordered by parameter, then time, so each parameter is complete when the
//! next one begins; testers analyse it while the scan goes on. A restarted dashboard is
//! therefore ready about as soon as `millrace report` would be.

use super::{Changes, LiveState, Parameter};
use crate::record::Metric;
use crate::report::TESTERS;
use crate::report::intervals::intervals;
use crate::report::prepared::prepare;
use crate::store::{Store, StoreError};
use std::sync::{Mutex, mpsc};

impl LiveState {
    /// Reads everything stored, and analyses each parameter as its readings go by.
    pub(super) fn rebuild(&mut self, store: &mut dyn Store) -> Result<Changes, StoreError> {
        let orders = store.work_orders_after(0)?;
        if let Some(&(seq, _)) = orders.last() {
            self.orders_seq = seq;
        }
        self.orders = orders.into_iter().map(|(_, w)| w).collect();
        self.products = intervals(&self.orders);
        let prepared = prepare(&self.products);
        let (products, options) = (&self.products, self.options);
        let (complete, to_test) = mpsc::sync_channel::<Parameter>(4);
        let to_test = Mutex::new(to_test);
        let mut read = 0u64;
        let mut newest_metric = None;
        let (scanned, analysed) = std::thread::scope(|scope| {
            let testers: Vec<_> = (0..TESTERS)
                .map(|_| {
                    let (to_test, prepared) = (&to_test, &prepared);
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        // A poisoned lock means another tester panicked: `join` says so.
                        while let Some(mut parameter) =
                            to_test.lock().ok().and_then(|queue| queue.recv().ok())
                        {
                            parameter.analyse(products, prepared, options);
                            done.push(parameter);
                        }
                        done
                    })
                })
                .collect();
            let mut current: Option<(i64, Vec<(i64, f64)>)> = None;
            let scanned = store.snapshot_metrics(&mut |m: Metric| {
                read += 1;
                newest_metric = newest_metric.max(Some(m.time));
                match &mut current {
                    Some((id, readings)) if *id == m.id => readings.push((m.time, m.val)),
                    _ => {
                        if let Some((id, readings)) = current.replace((m.id, Vec::new())) {
                            // The testers only stop early by panicking, which `join` reports.
                            let _ = complete.send(Parameter::new(id, readings));
                        }
                        if let Some((_, readings)) = &mut current {
                            readings.push((m.time, m.val));
                        }
                    }
                }
            });
            if let Some((id, readings)) = current.take() {
                let _ = complete.send(Parameter::new(id, readings));
            }
            drop(complete);
            let analysed: Vec<Parameter> = testers
                .into_iter()
                .flat_map(|t| t.join().expect("a live tester panicked"))
                .collect();
            (scanned, analysed)
        });
        self.metrics_seq = scanned?;
        self.metrics = read;
        self.newest_metric = newest_metric;
        self.parameters = analysed.into_iter().map(|p| (p.id, p)).collect();
        Ok(Changes {
            metrics: read,
            work_orders: self.orders.len() as u64,
        })
    }
}
