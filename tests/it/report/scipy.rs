//! The report's statistics agree with scipy's (fixtures made by tests/fixtures/make_stats.py).

use millrace::report::stats::{bh_q_values, p_value, pearson, spearman};
use serde_json::Value;

fn fixtures() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stats.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Relative closeness, with an absolute floor for values near zero.
fn close(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= tolerance * want.abs().max(1e-300) || (got - want).abs() < 1e-15
}

#[test]
fn correlations_and_p_values_match_scipy() {
    let all = fixtures();
    for case in all["correlations"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (x, y) = (floats(&case["x"]), floats(&case["y"]));
        let r = pearson(&x, &y).unwrap();
        let rho = spearman(&x, &y).unwrap();
        let want = |k: &str| case[k].as_f64().unwrap();
        assert!(
            close(r, want("pearson"), 1e-10),
            "{name}: pearson {r} vs {}",
            want("pearson")
        );
        assert!(
            close(rho, want("spearman"), 1e-10),
            "{name}: spearman {rho} vs {}",
            want("spearman")
        );
        let (pr, ps) = (p_value(r, x.len()).unwrap(), p_value(rho, x.len()).unwrap());
        assert!(
            close(pr, want("pearson_p"), 1e-6),
            "{name}: pearson p {pr} vs {}",
            want("pearson_p")
        );
        assert!(
            close(ps, want("spearman_p"), 1e-6),
            "{name}: spearman p {ps} vs {}",
            want("spearman_p")
        );
    }
}

#[test]
fn benjamini_hochberg_matches_scipy() {
    let all = fixtures();
    let p = floats(&all["bh"]["p"]);
    let want = floats(&all["bh"]["q"]);
    for (i, (got, want)) in bh_q_values(&p).iter().zip(&want).enumerate() {
        assert!(close(*got, *want, 1e-12), "q[{i}]: {got} vs {want}");
    }
}
