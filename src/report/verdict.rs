//! The one sentence per product that an engineer can act on: how much faster or slower the
//! product is made when its strongest driver changes by a typical amount, with the
//! uncertainty said in plain words.

use super::finding::Finding;
use super::shape::Summary;
use super::sigfig::{interval, sig3};
use super::summaries::ParameterSummary;
use super::typical::{Effect, amount};

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
    let Effect {
        change,
        effect,
        interval: [low, high],
    } = Effect::of(f, parameters, index);
    let faster = effect >= 0.0;
    // The interval of the change, in the direction the sentence speaks of.
    let (lo, hi) = if faster { (low, high) } else { (-high, -low) };
    let later = match f.lag {
        0 => String::new(),
        1 => " one interval later".into(),
        k => format!(" {k} intervals later"),
    };
    let mut out = format!(
        "When {what} is {} higher, product {product} is made about {} units/hour {}{later}",
        amount(f.which, change),
        sig3(effect.abs()),
        if faster { "faster" } else { "slower" },
    );
    if lo.is_finite() && hi.is_finite() {
        out += &format!(" (95 % CI {}).", interval([lo, hi]));
        if lo <= 0.0 {
            out += " The size of this effect is uncertain: its interval reaches down to no effect at all.";
        }
    } else {
        out += ". How large the effect is cannot be said from these data.";
    }
    out
}

/// A q-value as a sentence gives it: two significant digits, no exponent unless tiny.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_effect_is_said_for_a_typical_change_to_three_figures() {
        let finding = Finding {
            parameter: 4,
            summary: "rate",
            which: Summary::Rate,
            lag: 1,
            slope: -0.004_123,
            slope_ci: [-0.006, -0.002],
            ..Finding::example()
        };
        // Rates 0 to 20 per hour: quartiles 5 and 15, a typical change of 10/hour.
        let parameters = [ParameterSummary::example(
            4,
            Summary::Rate,
            (0..=20).map(f64::from),
        )];
        assert_eq!(
            sentence(7, &[finding], &parameters, 0),
            "When parameter 4's rate is 10/hour higher, product 7 is made about 0.0412 \
             units/hour slower one interval later (95 % CI 0.0200 to 0.0600)."
        );
    }

    #[test]
    fn q_values_read_plainly() {
        assert_eq!(plain(4.234), "4.23");
        assert_eq!(plain(-42.0), "-42.0");
        assert_eq!(plain(1234.5), "1234");
        assert_eq!(plain(0.0004), "4.0e-4");
    }
}
