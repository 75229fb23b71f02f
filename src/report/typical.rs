//! The change of a parameter that every effect is stated for.
//!
//! A slope per one unit says little when one parameter is a pressure that moves by thousands
//! and another a flow that moves by thousandths: "+0.0034 units/hour per unit" hides how much
//! the parameter ever moves. So the report, `report.md`, the verdict sentence, `top3.json` and
//! the dashboard all state the effect of a *typical change*: the interquartile range of the
//! parameter's summaries over the product's intervals (how far apart its ordinary values
//! are, blind to a few odd intervals), rounded down to a 1-2-5 step so that it reads as a
//! round number. This module is the one place that rule lives.

use super::finding::Finding;
use super::series::EMPTY;
use super::shape::Summary;
use super::summaries::ParameterSummary;

/// A finding's effect for a typical change of its parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect {
    /// The typical change of the parameter's summary (a 1-2-5 step), in its own units (per
    /// hour for a rate).
    pub change: f64,
    /// Output, in units per hour, when the summary is `change` higher: the slope × `change`.
    pub effect: f64,
    /// 95 % interval of `effect`, from the slope's.
    pub interval: [f64; 2],
}

impl Effect {
    /// The effect of `finding`, a finding for the product at `product` (its index in the
    /// report), for the typical change of the summary it rests on.
    pub fn of(finding: &Finding, parameters: &[ParameterSummary], product: usize) -> Effect {
        if finding.typical_change.is_finite() {
            return Effect::for_change(finding, finding.typical_change);
        }
        let values: Vec<f64> = parameters
            .iter()
            .find(|p| p.id == finding.parameter)
            .map(|p| p.values(finding.which, product))
            .unwrap_or(&EMPTY)
            .iter()
            .flatten()
            .collect();
        Effect::for_change(finding, change(&values))
    }

    /// The effect of `finding` for a change of `change` in its summary.
    fn for_change(finding: &Finding, change: f64) -> Effect {
        Effect {
            change,
            effect: finding.slope * change,
            interval: finding.slope_ci.map(|c| c * change),
        }
    }
}

/// The typical change of a summary with these values: their interquartile range, rounded
/// down to a 1-2-5 step. When the quartiles meet (most intervals share one value, as a
/// setpoint that rarely moves), the range is the change that does happen; when every value is
/// the same, or there are fewer than two, one unit — the slope as it stands.
pub fn change(values: &[f64]) -> f64 {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let range = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    let spread = [
        quantile(&mut finite, 0.75) - quantile(&mut finite, 0.25),
        range.1 - range.0,
    ];
    spread
        .into_iter()
        .find(|s| *s > 0.0 && s.is_finite())
        .map_or(1.0, step_below)
}

/// How a typical change reads after "is … higher": "5", or "5/hour" for a rate.
pub fn amount(which: Summary, change: f64) -> String {
    let number = step_text(change);
    match which {
        Summary::Mean => number,
        Summary::Rate => format!("{number}/hour"),
    }
}

/// The `q`-quantile of the values, interpolating between neighbours in sorted order (NaN
/// when empty). Found by selection rather than a sort: the report asks it of every finding,
/// over up to hundreds of thousands of intervals. Reorders `values`.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    let Some(last) = values.len().checked_sub(1) else {
        return f64::NAN;
    };
    let at = q * last as f64;
    let (below, above) = (at.floor() as usize, at.ceil() as usize);
    let (_, &mut low, rest) = values.select_nth_unstable_by(below, f64::total_cmp);
    // The next value up is the smallest of those above it.
    let high = if above == below {
        low
    } else {
        rest.iter().copied().fold(f64::INFINITY, f64::min)
    };
    low + (high - low) * (at - below as f64)
}

/// The largest 1, 2 or 5 times a power of ten that is not above `x` (which is positive).
fn step_below(x: f64) -> f64 {
    // A step is made from its decimal text, so that 0.001 is the double nearest 0.001, and
    // compared with a little tolerance, so that an IQR of exactly 0.3 gives 0.2, not 0.1.
    let make = |m: u32, k: i32| -> f64 { format!("{m}e{k}").parse().expect("a number") };
    let fits = |step: f64| step <= x * (1.0 + 1e-12);
    let mut k = x.log10().floor() as i32;
    if fits(make(1, k + 1)) {
        k += 1;
    } else if !fits(make(1, k)) {
        k -= 1;
    }
    [5, 2, 1]
        .into_iter()
        .map(|m| make(m, k))
        .find(|step| fits(*step))
        .unwrap_or_else(|| make(1, k))
}

/// A 1-2-5 step in plain decimals ("5", "0.02", "1000"), with an exponent only far from one
/// ("5e-7"), where [`super::sigfig::sig3`] writes one too.
fn step_text(step: f64) -> String {
    // One figure is exact for a 1-2-5 step, and its exponent is the step's decimal place.
    let scientific = format!("{step:.0e}");
    let k: i32 = scientific
        .split_once('e')
        .and_then(|(_, k)| k.parse().ok())
        .unwrap_or(0);
    if (-4..=5).contains(&k) {
        let decimals = (-k).max(0) as usize;
        format!("{step:.decimals$}")
    } else {
        scientific
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_change_is_the_interquartile_range_rounded_down_to_1_2_5() {
        // Quartiles 25.75 and 75.25: an IQR of 49.5 gives 20.
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(change(&values), 20.0);
        // One wild value moves the standard deviation, not the quartiles.
        let mut steady: Vec<f64> = (0..40).map(|i| 100.0 + (i % 4) as f64).collect();
        steady.push(1e6);
        assert_eq!(change(&steady), 2.0);
        assert_eq!(change(&[0.001, 0.004, 0.002, 0.003]), 0.001);
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        for (x, step) in [
            (1.0, 1.0),
            (1.99, 1.0),
            (2.0, 2.0),
            (4.99, 2.0),
            (5.0, 5.0),
            (9.99, 5.0),
            (10.0, 10.0),
            (0.3, 0.2),
            (0.001, 0.001),
            (0.000_73, 0.000_5),
            (1234.0, 1000.0),
            (7e8, 5e8),
        ] {
            assert_eq!(step_below(x), step, "{x}");
        }
    }

    #[test]
    fn without_a_spread_of_the_quartiles_the_range_then_one_unit_serve() {
        let mostly_still = [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.5];
        assert_eq!(change(&mostly_still), 0.5, "the range");
        assert_eq!(change(&[3.0, 3.0]), 1.0);
        assert_eq!(change(&[3.0]), 1.0);
        assert_eq!(change(&[]), 1.0);
        assert_eq!(change(&[f64::NAN, 2.0, f64::INFINITY]), 1.0);
    }

    #[test]
    fn the_change_reads_as_a_round_number() {
        assert_eq!(amount(Summary::Mean, 5.0), "5");
        assert_eq!(amount(Summary::Mean, 1000.0), "1000");
        assert_eq!(amount(Summary::Mean, 0.02), "0.02");
        assert_eq!(amount(Summary::Mean, 0.001), "0.001");
        assert_eq!(amount(Summary::Rate, 5.0), "5/hour");
        assert_eq!(amount(Summary::Mean, 5e-7), "5e-7");
        assert_eq!(amount(Summary::Mean, 2e6), "2e6");
    }

    #[test]
    fn the_effect_is_the_slope_times_the_change() {
        let finding = Finding {
            parameter: 3,
            slope: 0.004,
            slope_ci: [0.002, 0.006],
            ..Finding::example()
        };
        let parameter =
            ParameterSummary::example(3, Summary::Mean, (0..=100).map(|i| f64::from(i) * 10.0));
        let effect = Effect::of(&finding, &[parameter], 0);
        assert_eq!(effect.change, 500.0, "quartiles 250 and 750");
        assert!((effect.effect - 2.0).abs() < 1e-12);
        assert!((effect.interval[0] - 1.0).abs() < 1e-12);
        assert!((effect.interval[1] - 3.0).abs() < 1e-12);
        let unknown = Effect::of(&finding, &[], 0);
        assert_eq!((unknown.change, unknown.effect), (1.0, 0.004));
    }
}
