//! `top3.csv`: the answer, for spreadsheets. Every field is a number or a plain word, so no
//! quoting is needed; p- and q-values are in scientific notation, which every spreadsheet
//! reads.

use super::super::Report;

/// The top three drivers of every product as CSV, one row per driver, with a header row.
pub fn render(report: &Report) -> String {
    let mut out = String::from(
        "product,rank,parameter,summary,lag,n,n_effective,spearman,pearson,p_value,pearson_p,q_value,reliable,slope,slope_ci_low,slope_ci_high\n",
    );
    for findings in &report.findings {
        for (rank, f) in findings.top().iter().enumerate() {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{:.6},{:.6},{:.3e},{:.3e},{:.3e},{},{},{},{}\n",
                findings.product,
                rank + 1,
                f.parameter,
                f.summary,
                f.lag,
                f.n,
                f.n_effective,
                f.spearman,
                f.pearson,
                f.p_value,
                f.pearson_p,
                f.q_value,
                f.reliable,
                sig(f.slope),
                sig(f.slope_ci[0]),
                sig(f.slope_ci[1]),
            ));
        }
    }
    out
}

/// Six significant digits; empty when there is no value.
fn sig(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.5e}")
    } else {
        String::new()
    }
}
