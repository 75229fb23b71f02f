//! How every format writes an effect and its interval: three significant figures, in plain
//! decimals.
//!
//! One rule for the HTML report, `report.md`, the verdict sentence and the dashboard (whose
//! `assets/format.js` follows the same rule, and `tests/it/dashboard/browser.rs` checks the
//! two agree), so that "+0.0234 (0.0201 to 0.0267)" never sits beside "-0.0025", and a number
//! that moves a little between two updates does not jump from one rounding to another.
//! Trailing zeros are kept ("4.00"): three figures are always three figures. Plain decimals run from 0.0001 to
//! just under a million ("0.000412", "1230", "412000"); beyond, where zeros would have to be
//! counted, the exponent is written ("4.12e-5", "1.23e6").

/// Decimal exponents within which a number is written without an exponent.
const PLAIN: std::ops::RangeInclusive<i32> = -4..=5;

/// `x` to three significant figures; "—" when there is no number.
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    // Rounded once, in scientific form, so that 9.995 becomes "10.0" and not "9.99" or "10.00".
    let scientific = format!("{x:.2e}");
    let (_, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    if !PLAIN.contains(&exponent) {
        return scientific;
    }
    let rounded: f64 = scientific.parse().expect("a number Rust just wrote");
    let decimals = (2 - exponent).max(0) as usize;
    format!("{rounded:.decimals$}")
}

/// [`sig3`] with a "+" on positive numbers, for an effect whose direction is the point.
pub fn signed(x: f64) -> String {
    let text = sig3(x);
    if x > 0.0 { format!("+{text}") } else { text }
}

/// A 95 % interval, "0.412 to 0.688".
pub fn interval([low, high]: [f64; 2]) -> String {
    format!("{} to {}", sig3(low), sig3(high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_significant_figures_in_plain_decimals() {
        assert_eq!(sig3(0.00412), "0.00412");
        assert_eq!(sig3(0.0025), "0.00250");
        assert_eq!(sig3(0.02), "0.0200");
        assert_eq!(sig3(4.0), "4.00");
        assert_eq!(sig3(4.234), "4.23");
        assert_eq!(sig3(-42.0), "-42.0");
        assert_eq!(sig3(1234.5), "1230");
        assert_eq!(sig3(412_345.0), "412000");
        assert_eq!(sig3(0.000_412_3), "0.000412");
    }

    #[test]
    fn rounding_up_carries_into_the_next_figure() {
        assert_eq!(sig3(9.9951), "10.0");
        assert_eq!(sig3(9.995), "9.99", "9.995 is stored as 9.99499…");
        assert_eq!(sig3(0.099_96), "0.100");
        assert_eq!(sig3(999_999.0), "1.00e6");
    }

    #[test]
    fn the_exponent_is_written_only_far_from_one() {
        assert_eq!(sig3(0.000_041_23), "4.12e-5");
        assert_eq!(sig3(1_234_567.0), "1.23e6");
        assert_eq!(sig3(-2e-9), "-2.00e-9");
    }

    #[test]
    fn nothing_is_a_dash_and_zero_is_zero() {
        assert_eq!(sig3(f64::NAN), "—");
        assert_eq!(sig3(f64::INFINITY), "—");
        assert_eq!(sig3(0.0), "0");
        assert_eq!(sig3(-0.0), "0");
    }

    #[test]
    fn effects_carry_their_sign() {
        assert_eq!(signed(0.412), "+0.412");
        assert_eq!(signed(-0.412), "-0.412");
        assert_eq!(signed(0.0), "0");
        assert_eq!(signed(f64::NAN), "—");
        assert_eq!(interval([-0.0074, 0.00412]), "-0.00740 to 0.00412");
    }
}
