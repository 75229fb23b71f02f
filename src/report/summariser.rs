//! Summaries made as the store's scan goes by: readings come ordered by parameter, then
//! time (on a pruned store, each parameter's rolled-up minutes first), and each parameter
//! is summarised once its rows have all gone by — from its readings
//! ([`super::summaries`]), or from its minutes and readings ([`super::rolled`]).

use super::intervals::ProductIntervals;
use super::summaries::{ParameterSummary, summarise};
use crate::store::rollup::Bucket;

/// Builds [`ParameterSummary`]s from readings given in (parameter, time) order.
pub struct Summariser<'a> {
    products: &'a [ProductIntervals],
    current: Option<i64>,
    /// The current parameter's rolled-up minutes, on a pruned store (see [`super::rolled`]).
    minutes: Vec<Bucket>,
    times: Vec<i64>,
    values: Vec<f64>,
    done: Vec<ParameterSummary>,
}

impl<'a> Summariser<'a> {
    /// A summariser for the intervals of these products, before any reading is given.
    pub fn new(products: &'a [ProductIntervals]) -> Self {
        Summariser {
            products,
            current: None,
            minutes: Vec::new(),
            times: Vec::new(),
            values: Vec::new(),
            done: Vec::new(),
        }
    }

    /// Takes the next reading; readings must come ordered by parameter, then time.
    pub fn push(&mut self, id: i64, val: f64, time: i64) {
        if self.current.is_some_and(|c| c != id) {
            self.finish_current();
        }
        self.current = Some(id);
        self.times.push(time);
        self.values.push(val);
    }

    /// Takes the next rolled-up minute of a pruned store: a parameter's minutes come before
    /// its readings, parameters in order as for [`Summariser::push`].
    pub fn push_minute(&mut self, minute: Bucket) {
        if self.current.is_some_and(|c| c != minute.id) {
            self.finish_current();
        }
        self.current = Some(minute.id);
        self.minutes.push(minute);
    }

    /// The summaries of the parameters whose readings have all gone by, in parameter order;
    /// each is returned once.
    pub fn take_finished(&mut self) -> Vec<ParameterSummary> {
        std::mem::take(&mut self.done)
    }

    /// Every parameter's summary not taken yet, in parameter order.
    pub fn finish(mut self) -> Vec<ParameterSummary> {
        self.finish_current();
        self.done
    }

    fn finish_current(&mut self) {
        let Some(id) = self.current.take() else {
            return;
        };
        let (mut times, mut values) = (
            std::mem::take(&mut self.times),
            std::mem::take(&mut self.values),
        );
        // Stores return readings of the same second in no set order: order them by value
        // too, so that the report is the same from SQLite and PostgreSQL.
        let mut pairs: Vec<(i64, f64)> =
            times.iter().copied().zip(values.iter().copied()).collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        for (i, (t, v)) in pairs.into_iter().enumerate() {
            times[i] = t;
            values[i] = v;
        }
        self.done.push(if self.minutes.is_empty() {
            summarise(id, &times, &values, self.products)
        } else {
            super::rolled::summarise(id, &self.minutes, &times, &values, self.products)
        });
        self.minutes.clear();
        // Keep the buffers' capacity for the next parameter.
        self.times = times;
        self.values = values;
        self.times.clear();
        self.values.clear();
    }
}
