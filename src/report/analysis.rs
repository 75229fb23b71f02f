//! Which parameters go with each product's output rate: every (product, parameter) pair
//! tested, false discoveries controlled across all of them, and a ranking per product.

use super::intervals::ProductIntervals;
use super::stats::{
    ascending, bh_q_values, effective_n, lag1_autocorrelation_where, p_value_effective, pearson,
    ranks, ranks_of_sorted,
};
use super::summaries::{Kind, ParameterSummary};

/// Fewest intervals with a summary for a pair to be tested at all.
pub const MIN_INTERVALS: usize = 10;
/// The false discovery rate below which a relationship counts as reliable.
pub const ALPHA: f64 = 0.05;

/// One tested (product, parameter) pair. Spearman's ρ is the primary coefficient: it asks
/// only that output rises (or falls) with the parameter, not that it does so in a straight
/// line, and one odd interval cannot dominate it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    pub parameter: i64,
    pub summary: &'static str,
    pub n: usize,
    /// The number of independent pairs `n` is worth, given how alike neighbouring intervals
    /// are (the p-values use it).
    pub n_effective: f64,
    pub pearson: f64,
    pub spearman: f64,
    /// Two-sided p-value of ρ.
    pub p_value: f64,
    /// Two-sided p-value of r.
    pub pearson_p: f64,
    /// Benjamini–Hochberg q-value of `p_value`, across every pair tested in the report.
    pub q_value: f64,
    /// `q_value` below [`ALPHA`].
    pub reliable: bool,
}

/// A parameter that could not be tested for a product, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NotAssessable {
    pub parameter: i64,
    pub reason: String,
}

/// Everything found for one product.
#[derive(Clone, Debug)]
pub struct ProductFindings {
    pub product: i64,
    /// Reliable findings first, each group by |ρ|, strongest first.
    pub ranking: Vec<Finding>,
    pub not_assessable: Vec<NotAssessable>,
}

impl ProductFindings {
    /// The best three.
    pub fn top(&self) -> &[Finding] {
        &self.ranking[..self.ranking.len().min(3)]
    }

    /// Whether any parameter shows a reliable relationship with this product's output.
    pub fn any_reliable(&self) -> bool {
        self.ranking.first().is_some_and(|f| f.reliable)
    }
}

/// The paired (parameter summary, output rate) values of one product and parameter, with
/// the interval midpoints they belong to.
pub fn pairs(product: &ProductIntervals, values: &[Option<f64>]) -> Vec<(f64, f64, f64)> {
    product
        .intervals
        .iter()
        .zip(values)
        .filter_map(|(interval, x)| {
            let mid = (interval.start + interval.end) as f64 / 2.0;
            x.map(|x| (mid, x, interval.rate))
        })
        .collect()
}

/// For the pairs [`pairs`] gives, whether each pair and the next come from intervals that
/// follow each other without a gap.
pub fn adjacency(product: &ProductIntervals, values: &[Option<f64>]) -> Vec<bool> {
    let kept: Vec<usize> = values
        .iter()
        .enumerate()
        .take(product.intervals.len())
        .filter_map(|(i, x)| x.map(|_| i))
        .collect();
    kept.windows(2)
        .map(|w| w[1] == w[0] + 1 && product.intervals[w[0]].end == product.intervals[w[1]].start)
        .collect()
}

/// Tests every parameter against every product's output rate, all at once. (The report
/// itself tests each parameter as its readings go by: see `report::build`.)
pub fn analyse(
    products: &[ProductIntervals],
    parameters: &[ParameterSummary],
) -> Vec<ProductFindings> {
    let prepared = prepare(products);
    let outcomes = parameters
        .iter()
        .map(|parameter| test_parameter(&prepared, parameter))
        .collect();
    conclude(products, parameters, outcomes)
}

/// What every test against one product's output shares, worked out once.
pub struct Prepared<'a> {
    product: &'a ProductIntervals,
    /// The product's intervals from lowest to highest output rate: each test ranks a subset
    /// of these, which then needs no sort of its own.
    by_rate: Vec<u32>,
}

pub fn prepare(products: &[ProductIntervals]) -> Vec<Prepared<'_>> {
    products
        .iter()
        .map(|product| {
            let rates: Vec<f64> = product.intervals.iter().map(|i| i.rate).collect();
            Prepared {
                product,
                by_rate: ascending(&rates),
            }
        })
        .collect()
}

/// The test of one parameter against each product's output, indexed like the products:
/// a finding, or why the pair cannot be tested.
pub type Outcomes = Vec<Result<Finding, String>>;

pub fn test_parameter(prepared: &[Prepared<'_>], parameter: &ParameterSummary) -> Outcomes {
    prepared
        .iter()
        .enumerate()
        .map(|(p, prepared)| test(prepared, parameter, &parameter.values[p]))
        .collect()
}

/// The findings per product from every parameter's [`Outcomes`] (`outcomes[i]` of
/// `parameters[i]`): q-values across all tests, then each product's ranking.
pub fn conclude(
    products: &[ProductIntervals],
    parameters: &[ParameterSummary],
    outcomes: Vec<Outcomes>,
) -> Vec<ProductFindings> {
    assert_eq!(
        parameters.len(),
        outcomes.len(),
        "one outcome per parameter"
    );
    let mut by_parameter: Vec<_> = outcomes.into_iter().map(Vec::into_iter).collect();
    let mut results: Vec<ProductFindings> = Vec::new();
    for product in products {
        let mut ranking = Vec::new();
        let mut not_assessable = Vec::new();
        for (parameter, outcomes) in parameters.iter().zip(&mut by_parameter) {
            match outcomes.next().expect("one outcome per product") {
                Ok(finding) => ranking.push(finding),
                Err(reason) => not_assessable.push(NotAssessable {
                    parameter: parameter.id,
                    reason,
                }),
            }
        }
        results.push(ProductFindings {
            product: product.product,
            ranking,
            not_assessable,
        });
    }
    let p_values: Vec<f64> = results
        .iter()
        .flat_map(|r| r.ranking.iter().map(|f| f.p_value))
        .collect();
    let mut q_values = bh_q_values(&p_values).into_iter();
    for result in &mut results {
        for finding in &mut result.ranking {
            finding.q_value = q_values.next().expect("one q-value per test");
            finding.reliable = finding.q_value < ALPHA;
        }
        result.ranking.sort_by(|a, b| {
            b.reliable
                .cmp(&a.reliable)
                .then(b.spearman.abs().total_cmp(&a.spearman.abs()))
                .then(a.p_value.total_cmp(&b.p_value))
        });
    }
    results
}

fn test(
    prepared: &Prepared<'_>,
    parameter: &ParameterSummary,
    values: &[Option<f64>],
) -> Result<Finding, String> {
    let product = prepared.product;
    let pairs = pairs(product, values);
    let n = pairs.len();
    if n < MIN_INTERVALS {
        return Err(format!(
            "only {n} of {} intervals have {} readings to summarise (at least {MIN_INTERVALS} needed)",
            product.intervals.len(),
            match parameter.kind {
                Kind::Gauge => "its",
                Kind::Counter => "enough",
            }
        ));
    }
    let x: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let y: Vec<f64> = pairs.iter().map(|p| p.2).collect();
    let constant = |v: &[f64]| v.iter().all(|a| *a == v[0]);
    if constant(&x) {
        return Err(format!(
            "its {} is the same in every interval",
            parameter.kind.summary()
        ));
    }
    if constant(&y) {
        return Err("the product's output rate is the same in every interval".into());
    }
    // Spearman's ρ is Pearson's r of the ranks, which the effective n needs as well. The
    // output's ranks come from the product's intervals sorted once by rate: the pairs are
    // those intervals that have a value, in interval order.
    let mut position = vec![u32::MAX; product.intervals.len()];
    let mut next = 0;
    for (slot, value) in position.iter_mut().zip(values) {
        if value.is_some() {
            *slot = next;
            next += 1;
        }
    }
    let y_order: Vec<u32> = prepared
        .by_rate
        .iter()
        .map(|&i| position[i as usize])
        .filter(|&at| at != u32::MAX)
        .collect();
    let (rx, ry) = (ranks(&x), ranks_of_sorted(&y, &y_order));
    let (r, rho) = (
        pearson(&x, &y).ok_or("no variation to correlate")?,
        pearson(&rx, &ry).ok_or("no variation to correlate")?,
    );
    // Pairs are in time order; neighbours across a gap do not count as neighbours. The
    // autocorrelation of the ranks serves ρ, of the values r.
    let adjacent = adjacency(product, values);
    let lag1 = |v: &[f64]| lag1_autocorrelation_where(v, &adjacent);
    let n_rank = effective_n(n, lag1(&rx), lag1(&ry));
    let n_value = effective_n(n, lag1(&x), lag1(&y));
    Ok(Finding {
        parameter: parameter.id,
        summary: parameter.kind.summary(),
        n,
        n_effective: (n_rank * 10.0).round() / 10.0,
        pearson: r,
        spearman: rho,
        p_value: p_value_effective(rho, n_rank).unwrap_or(1.0),
        pearson_p: p_value_effective(r, n_value).unwrap_or(1.0),
        q_value: 1.0,
        reliable: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::report::intervals::Interval;

    fn product(rates: &[f64]) -> ProductIntervals {
        ProductIntervals {
            product: 0,
            intervals: rates
                .iter()
                .enumerate()
                .map(|(i, &rate)| Interval {
                    start: i as i64 * 100,
                    end: i as i64 * 100 + 100,
                    rate,
                })
                .collect(),
            typical_seconds: 100.0,
            ..ProductIntervals::default()
        }
    }

    fn parameter(id: i64, values: Vec<Option<f64>>) -> ParameterSummary {
        ParameterSummary {
            id,
            kind: Kind::Gauge,
            readings: values.len() as u64,
            fall_share: 1.0,
            first_time: 0,
            last_time: 0,
            values: vec![values],
        }
    }

    #[test]
    fn ranks_the_driver_first_and_explains_what_cannot_be_tested() {
        let rates: Vec<f64> = (0..40).map(|i| ((i * 7) % 11) as f64).collect();
        let driver: Vec<Option<f64>> = rates.iter().map(|r| Some(r * 2.0 + 1.0)).collect();
        let noise: Vec<Option<f64>> = (0..40).map(|i| Some(((i * 13) % 17) as f64)).collect();
        let sparse: Vec<Option<f64>> = (0..40).map(|i| (i < 4).then_some(i as f64)).collect();
        let constant: Vec<Option<f64>> = vec![Some(3.0); 40];
        let found = analyse(
            &[product(&rates)],
            &[
                parameter(1, noise),
                parameter(2, driver),
                parameter(3, sparse),
                parameter(4, constant),
            ],
        );
        let f = &found[0];
        assert_eq!(f.top()[0].parameter, 2);
        assert!((f.top()[0].spearman - 1.0).abs() < 1e-12);
        assert!(f.any_reliable());
        assert_eq!(f.not_assessable.len(), 2);
        assert!(
            f.not_assessable[0].reason.contains("only 4 of 40"),
            "{:?}",
            f.not_assessable
        );
        assert!(
            f.not_assessable[1]
                .reason
                .contains("same in every interval")
        );
    }

    #[test]
    fn nothing_reliable_is_said_plainly() {
        let rates: Vec<f64> = (0..30).map(|i| ((i * 7) % 11) as f64).collect();
        let noise: Vec<Option<f64>> = (0..30).map(|i| Some(((i * 13) % 17) as f64)).collect();
        let found = analyse(&[product(&rates)], &[parameter(1, noise)]);
        assert!(!found[0].any_reliable());
        assert_eq!(found[0].top().len(), 1);
    }
}
