//! `top3.json`: the answer, for programs.

use super::super::Report;
use super::super::analysis::{ALPHA, Finding};
use super::super::quality::DataQuality;
use serde::Serialize;

/// `top3.json`'s document, for callers that add to it (the live dashboard's `/api/report`).
#[derive(Serialize)]
pub struct Top3<'a> {
    generated_by: String,
    source: &'a str,
    /// The coefficient the ranking uses.
    primary: &'static str,
    alpha: f64,
    max_lag: usize,
    products: Vec<Product<'a>>,
    /// Why `products` is empty, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Serialize)]
struct Product<'a> {
    product: i64,
    intervals: usize,
    runs: usize,
    /// Whether any parameter shows a reliable relationship (q below `alpha`).
    any_reliable: bool,
    /// The plain sentence an engineer can act on.
    verdict: &'a str,
    /// Exactly the best three distinct drivers (fewer only if fewer parameters could be
    /// tested), strongest first.
    top: Vec<&'a Finding>,
    /// Every parameter tested, in rank order.
    ranking: &'a [Finding],
    data_quality: &'a DataQuality,
}

/// Each product's top three drivers, full ranking and data-quality notes as JSON, for other
/// programs to read.
pub fn render(report: &Report) -> String {
    serde_json::to_string_pretty(&document(report)).expect("report serializes") + "\n"
}

/// The document [`render`] writes.
pub fn document(report: &Report) -> Top3<'_> {
    Top3 {
        generated_by: format!("millrace {}", env!("CARGO_PKG_VERSION")),
        source: &report.source,
        primary: "spearman",
        alpha: ALPHA,
        max_lag: report.options.max_lag,
        products: report
            .products
            .iter()
            .zip(&report.findings)
            .map(|(p, f)| Product {
                product: p.product,
                intervals: p.intervals.len(),
                runs: p.runs,
                any_reliable: f.any_reliable(),
                verdict: &f.verdict,
                top: f.top(),
                ranking: &f.ranking,
                data_quality: &f.data_quality,
            })
            .collect(),
        note: super::super::verdict::nothing_to_report(report),
    }
}
