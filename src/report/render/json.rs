//! `top3.json`: the answer, for programs.

use super::super::Report;
use super::super::analysis::{ALPHA, Finding};
use serde::Serialize;

#[derive(Serialize)]
struct Top3<'a> {
    generated_by: String,
    source: &'a str,
    /// The coefficient the ranking uses.
    primary: &'static str,
    alpha: f64,
    products: Vec<Product<'a>>,
}

#[derive(Serialize)]
struct Product<'a> {
    product: i64,
    intervals: usize,
    runs: usize,
    /// Whether any parameter shows a reliable relationship (q below `alpha`).
    any_reliable: bool,
    /// Exactly the best three (fewer only if fewer parameters could be tested), strongest
    /// first.
    top: &'a [Finding],
}

pub fn render(report: &Report) -> String {
    let top = Top3 {
        generated_by: format!("millrace {}", env!("CARGO_PKG_VERSION")),
        source: &report.source,
        primary: "spearman",
        alpha: ALPHA,
        products: report
            .products
            .iter()
            .zip(&report.findings)
            .map(|(p, f)| Product {
                product: p.product,
                intervals: p.intervals.len(),
                runs: p.runs,
                any_reliable: f.any_reliable(),
                top: f.top(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&top).expect("report serializes") + "\n"
}
