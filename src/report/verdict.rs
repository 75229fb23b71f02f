//! The one sentence per product that an engineer can act on: how much faster or slower the
//! product is made when its strongest driver changes by a typical amount, with the
//! uncertainty said in plain words.

use super::analysis::Finding;
use super::series::EMPTY;
use super::shape::Summary;
use super::summaries::ParameterSummary;

/// The verdict for one product, from its ranking (strongest first).
pub fn sentence(
    product: i64,
    ranking: &[Finding],
    parameters: &[ParameterSummary],
    index: usize,
) -> String {
    let Some(f) = ranking.iter().find(|f| f.redundant_with.is_none()) else {
        return format!(
            "No parameter could be tested against product {product}'s output: see the data-quality notes."
        );
    };
    let what = match f.which {
        Summary::Mean => format!("parameter {}'s mean", f.parameter),
        Summary::Rate => format!("parameter {}'s rate", f.parameter),
    };
    if !f.reliable {
        return format!(
            "No parameter reliably explains product {product}'s output: the strongest candidate, {what}, could well be chance (q = {}). Collect more data before acting on it.",
            plain(f.q_value)
        );
    }
    let values: Vec<f64> = parameters
        .iter()
        .find(|p| p.id == f.parameter)
        .map(|p| p.values(f.which, index))
        .unwrap_or(&EMPTY)
        .iter()
        .flatten()
        .collect();
    let step = typical_step(&values);
    let per = if f.which == Summary::Rate {
        " per hour"
    } else {
        ""
    };
    let effect = f.slope * step;
    let faster = effect >= 0.0;
    // The interval of the change, in the direction the sentence speaks of.
    let (mut lo, mut hi) = (f.slope_ci[0] * step, f.slope_ci[1] * step);
    if !faster {
        (lo, hi) = (-hi, -lo);
    }
    let later = match f.lag {
        0 => String::new(),
        1 => " one interval later".into(),
        k => format!(" {k} intervals later"),
    };
    let mut out = format!(
        "When {what} is {}{per} higher, product {product} is made about {} units/hour {}{later}",
        plain(step),
        plain(effect.abs()),
        if faster { "faster" } else { "slower" },
    );
    if lo.is_finite() && hi.is_finite() {
        out += &format!(" (95 % CI {} to {}).", plain(lo), plain(hi));
        if lo <= 0.0 {
            out += " The size of this effect is uncertain: its interval reaches down to no effect at all.";
        }
    } else {
        out += ". How large the effect is cannot be said from these data.";
    }
    out
}

/// A round change of about one standard deviation of the summary: 1, 2 or 5 times a power
/// of ten, so the sentence speaks of a change that happens and is easy to read.
pub fn typical_step(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if n < 2.0 {
        return 1.0;
    }
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    if !(sd > 0.0 && sd.is_finite()) {
        return 1.0;
    }
    let power = 10f64.powf(sd.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step <= sd)
        .unwrap_or(power)
}

/// A number as a sentence gives it: two significant digits, no exponent unless tiny.
pub fn plain(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 0.01 {
        format!("{x:.2}")
    } else {
        format!("{x:.1e}")
    }
}

/// Why the report names no product, said plainly in every format; `None` when it names
/// some. An empty report without a reason reads as "nothing drives output".
pub fn nothing_to_report(report: &super::Report) -> Option<String> {
    if !report.products.is_empty() {
        return None;
    }
    Some(if report.work_orders == 0 && report.metrics == 0 {
        "No products to report: the store holds no records yet. Stream data into it first \
         (`millrace run`, or `millrace stream` with `serve` and `consume`)."
            .to_string()
    } else if report.work_orders == 0 {
        "No products to report: no work orders stored. Output is measured between \
         consecutive work-order records, so stream workorder.json (or the workorder webhook \
         or MQTT topic) too."
            .to_string()
    } else {
        format!(
            "No products to report: the {} work-order records stored bound no interval of \
             output (a product needs two consecutive records in one run).",
            report.work_orders
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_near_one_standard_deviation() {
        let values: Vec<f64> = (0..100).map(|i| (i % 10) as f64 * 4.0).collect();
        assert_eq!(typical_step(&values), 10.0);
        assert_eq!(typical_step(&[0.001, 0.004, 0.002]), 0.001);
        assert_eq!(typical_step(&[3.0, 3.0]), 1.0);
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(plain(4.234), "4.23");
        assert_eq!(plain(-42.0), "-42.0");
        assert_eq!(plain(1234.5), "1234");
        assert_eq!(plain(0.0004), "4.0e-4");
    }
}
