//! Echoes: a parameter that only copies a stronger one (a downstream sensor reading the
//! same flow) correlates with output as well, but says nothing of its own. It is named as
//! redundant with the stronger parameter and takes no top-three place, so that the top
//! three are three distinct drivers.
//!
//! A parameter echoes the stronger ones when it moves with one of them and its partial
//! association with output, given all of them, is nil: once they are accounted for, it
//! explains nothing more.

use super::finding::{ALPHA, Finding};
use super::prepared::{ACF_LAGS, MIN_INTERVALS, Prepared, dense};
use super::prewhiten::Filter;
use super::series::EMPTY;
use super::stats::{autocorrelations, effective_n_multi, p_value_effective, pearson};
use super::summaries::ParameterSummary;

/// A parameter echoes a stronger one only if their prewhitened series correlate at least
/// this much: a weak parameter unrelated to the drivers is just weak, not redundant.
pub const ECHO: f64 = 0.5;
/// Stronger drivers a candidate is checked against, at most.
const MAX_STRONGER: usize = 5;

/// Sets `redundant_with` in a product's ranking (sorted, strongest first): each parameter
/// is checked against the reliable distinct drivers ranked above it, until three distinct
/// parameters lead and no reliable one is left.
pub fn mark(
    prepared: &Prepared<'_>,
    parameters: &[ParameterSummary],
    product: usize,
    ranking: &mut [Finding],
) {
    let mut stronger: Vec<usize> = Vec::new();
    let mut distinct = 0;
    for i in 0..ranking.len() {
        if !ranking[i].reliable && distinct >= 3 {
            break;
        }
        let drivers: Vec<&Finding> = stronger.iter().map(|&s| &ranking[s]).collect();
        match echo_of(prepared, parameters, product, &ranking[i], &drivers) {
            Some(of) => ranking[i].redundant_with = Some(of),
            None => {
                distinct += 1;
                if ranking[i].reliable && stronger.len() < MAX_STRONGER {
                    stronger.push(i);
                }
            }
        }
    }
}

fn series(parameters: &[ParameterSummary], f: &Finding, product: usize, len: usize) -> Vec<f64> {
    let values = parameters
        .iter()
        .find(|p| p.id == f.parameter)
        .map_or(&EMPTY, |p| p.values(f.which, product));
    dense(values, len)
}

/// The stronger driver `candidate` echoes, if it echoes one.
fn echo_of(
    prepared: &Prepared<'_>,
    parameters: &[ParameterSummary],
    product: usize,
    candidate: &Finding,
    stronger: &[&Finding],
) -> Option<i64> {
    if stronger.is_empty() {
        return None;
    }
    let len = prepared.rate.len();
    let segment = &prepared.segment;
    let x = series(parameters, candidate, product, len);
    // Everything through the candidate's filter, which makes the candidate white.
    let filter = Filter::fit(&x, segment);
    let whiten = |v: &[f64]| filter.whiten(v, &prepared.steps).values;
    let xw = whiten(&x);
    let yw = whiten(&prepared.rate);
    let others: Vec<Vec<f64>> = stronger
        .iter()
        .map(|s| whiten(&series(parameters, s, product, len)))
        .collect();
    let at = |t: usize, lag: usize, v: &[f64]| -> Option<f64> {
        (t >= lag && segment[t - lag] == segment[t])
            .then(|| v[t - lag])
            .filter(|v| v.is_finite())
    };
    let mut rows: Vec<usize> = Vec::new();
    let (mut cx, mut cy) = (Vec::new(), Vec::new());
    let mut co: Vec<Vec<f64>> = vec![Vec::new(); stronger.len()];
    'rows: for t in 0..len {
        let (Some(a), Some(b)) = (at(t, candidate.lag, &xw), at(t, 0, &yw)) else {
            continue;
        };
        let mut values = Vec::with_capacity(stronger.len());
        for (s, o) in stronger.iter().zip(&others) {
            match at(t, s.lag, o) {
                Some(v) => values.push(v),
                None => continue 'rows,
            }
        }
        rows.push(t);
        cx.push(a);
        cy.push(b);
        for (column, v) in co.iter_mut().zip(values) {
            column.push(v);
        }
    }
    if rows.len() < MIN_INTERVALS + stronger.len() {
        return None;
    }
    let (closest, likeness) = co
        .iter()
        .enumerate()
        .map(|(i, column)| (i, pearson(&cx, column).unwrap_or(0.0).abs()))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    if likeness < ECHO {
        return None;
    }
    let (rx, ry) = (residuals(&cx, &co), residuals(&cy, &co));
    let partial = pearson(&rx, &ry).unwrap_or(0.0);
    let spread = |v: &[f64]| -> Vec<f64> {
        let mut out = vec![f64::NAN; len];
        for (&t, &value) in rows.iter().zip(v) {
            out[t] = value;
        }
        out
    };
    let lags = ACF_LAGS.min(rows.len() / 5).max(1);
    let n = effective_n_multi(
        rows.len(),
        &autocorrelations(&spread(&rx), segment, lags),
        &autocorrelations(&spread(&ry), segment, lags),
    ) - stronger.len() as f64;
    let p = p_value_effective(partial, n).unwrap_or(1.0);
    (p >= ALPHA).then(|| stronger[closest].parameter)
}

/// What is left of `target` after least squares on `predictors` (with an intercept), by
/// Gram–Schmidt: the predictors are few, the rows many.
fn residuals(target: &[f64], predictors: &[Vec<f64>]) -> Vec<f64> {
    let centre = |v: &[f64]| -> Vec<f64> {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| x - mean).collect()
    };
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for p in predictors {
        let mut v = centre(p);
        for b in &basis {
            project_out(&mut v, b);
        }
        if v.iter().map(|x| x * x).sum::<f64>() > 0.0 {
            basis.push(v);
        }
    }
    let mut out = centre(target);
    for b in &basis {
        project_out(&mut out, b);
    }
    out
}

fn project_out(v: &mut [f64], basis: &[f64]) {
    let dot: f64 = v.iter().zip(basis).map(|(a, b)| a * b).sum();
    let norm: f64 = basis.iter().map(|b| b * b).sum();
    if norm > 0.0 {
        for (a, b) in v.iter_mut().zip(basis) {
            *a -= dot / norm * b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residuals_are_uncorrelated_with_the_predictors() {
        let a: Vec<f64> = (0..50).map(|i| ((i * 7) % 13) as f64).collect();
        let b: Vec<f64> = (0..50).map(|i| ((i * 5) % 11) as f64).collect();
        let y: Vec<f64> = (0..50)
            .map(|i| 2.0 * a[i] - b[i] + ((i * 3) % 7) as f64)
            .collect();
        let r = residuals(&y, &[a.clone(), b.clone()]);
        for p in [&a, &b] {
            let dot: f64 = r.iter().zip(p.iter()).map(|(x, y)| x * y).sum();
            assert!(dot.abs() < 1e-8, "{dot}");
        }
    }
}
