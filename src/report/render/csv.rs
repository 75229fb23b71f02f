//! `top3.csv`: the answer, for spreadsheets. Every field is a number or a plain word, so no
//! quoting is needed.

use super::super::Report;

pub fn render(report: &Report) -> String {
    let mut out = String::from(
        "product,rank,parameter,summary,n,spearman,pearson,p_value,pearson_p,q_value,reliable\n",
    );
    for findings in &report.findings {
        for (rank, f) in findings.top().iter().enumerate() {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                findings.product,
                rank + 1,
                f.parameter,
                f.summary,
                f.n,
                f.spearman,
                f.pearson,
                f.p_value,
                f.pearson_p,
                f.q_value,
                f.reliable
            ));
        }
    }
    out
}
