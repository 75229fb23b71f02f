//! `top3.json`: the answer, for programs.

use super::super::Report;
use super::super::finding::{ALPHA, Finding};
use super::super::quality::DataQuality;
use super::super::typical::Effect;
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
    top: Vec<Shown<'a>>,
    /// Every parameter tested, in rank order.
    ranking: Vec<Shown<'a>>,
    data_quality: &'a DataQuality,
}

/// A finding as the analysis made it (the slope per unit, in full precision), with its
/// effect for a typical change of the parameter beside it: what the report's pages print,
/// so that a program (the dashboard) shows the same.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    /// The typical change of the summary (see `report::typical`), per hour for a rate.
    typical_change: f64,
    /// Output, in units per hour, when the summary is `typical_change` higher.
    effect: f64,
    /// 95 % interval of `effect`.
    effect_ci: [f64; 2],
}

impl<'a> Shown<'a> {
    fn new(finding: &'a Finding, report: &Report, product: usize) -> Self {
        let effect = Effect::of(finding, &report.parameters, product);
        Shown {
            finding,
            typical_change: effect.change,
            effect: effect.effect,
            effect_ci: effect.interval,
        }
    }
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
            .enumerate()
            .map(|(index, (p, f))| Product {
                product: p.product,
                intervals: p.intervals.len(),
                runs: p.runs,
                any_reliable: f.any_reliable(),
                verdict: &f.verdict,
                top: f
                    .top()
                    .into_iter()
                    .map(|t| Shown::new(t, report, index))
                    .collect(),
                ranking: f
                    .ranking
                    .iter()
                    .map(|t| Shown::new(t, report, index))
                    .collect(),
                data_quality: &f.data_quality,
            })
            .collect(),
        note: super::super::nothing_to_report(report),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::shape::Summary;
    use super::super::super::summaries::ParameterSummary;
    use super::*;

    #[test]
    fn findings_keep_the_slope_per_unit_and_add_the_effect_per_typical_change() {
        let finding = Finding {
            parameter: 3,
            slope: 0.004_123_456_789,
            slope_ci: [0.002, 0.006],
            ..Finding::example()
        };
        let parameter =
            ParameterSummary::example(3, Summary::Mean, (0..=100).map(|i| f64::from(i) * 0.2));
        let doc: serde_json::Value =
            serde_json::from_str(&render(&Report::example(vec![finding], vec![parameter])))
                .unwrap();
        for list in ["top", "ranking"] {
            let shown = &doc["products"][0][list][0];
            assert_eq!(shown["slope"], 0.004_123_456_789, "full precision");
            assert_eq!(shown["slope_ci"], serde_json::json!([0.002, 0.006]));
            assert_eq!(shown["typical_change"], 10.0);
            let effect = shown["effect"].as_f64().unwrap();
            assert!((effect - 0.041_234_567_89).abs() < 1e-12, "{shown}");
            let ci = shown["effect_ci"].as_array().unwrap();
            assert!((ci[0].as_f64().unwrap() - 0.02).abs() < 1e-12, "{shown}");
            assert_eq!(shown["parameter"], 3, "the finding's own fields stay");
        }
    }
}
