//! Whether a parameter is a gauge (its level matters: summarised by its mean over an
//! interval) or a counter (it counts up, so only its speed says anything: summarised by its
//! rate), told from the shape of its readings once glitches are set aside.

/// A parameter counts up if everything it loses in ordinary falling steps is at most this
/// share of what it gains in rising ones: a counter's falls are reading noise.
pub const COUNTER_FALL_SHARE: f64 = 0.1;
/// A parameter whose ordinary falls exceed this share of its rises goes up and down: a
/// gauge, whatever else it does. Between this and [`COUNTER_FALL_SHARE`] the shape is
/// ambiguous. (A wandering gauge loses about what it gains; a gauge that climbs over the
/// data's span still gives back far more than a quarter of its rises in its wiggles.)
pub const GAUGE_FALL_SHARE: f64 = 0.25;
/// Counters wrap at these widths (16 and 32 bits): from the upper half of the range back
/// into the lower half, by less than half the range, is a wrap, not an ordinary fall.
pub const WRAP_WIDTHS: [f64; 2] = [65_536.0, 4_294_967_296.0];
/// A fall to half or less of a positive value is a drop (a reset, a maintenance), not an
/// ordinary step, and is left out of the falls.
pub const DROP_TO: f64 = 0.5;
/// A counter's reset lands near zero: at most this share of the value before it.
pub const RESET_TO: f64 = 0.1;
/// A counter is reset rarely: at most this share of its steps (at least one reset allowed).
pub const MAX_RESET_SHARE: f64 = 0.01;
/// Fewer steps than this cannot tell a counter from a gauge: such a parameter is a gauge.
pub const MIN_STEPS: usize = 5;

/// How a parameter behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Goes up and down: its level matters.
    Gauge,
    /// Counts up, with noise and rare resets to near zero: its speed matters.
    Counter,
    /// Rises almost only, with falls of 10–25 % of its rises, or drops often or not to zero
    /// (a filter's pressure between cleanings, a counter reset to a preset): both its level
    /// and its rate are tested, and both share the parameter's false-discovery budget.
    Either,
}

/// What a parameter is summarised by over an interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Summary {
    /// The mean of its readings inside the interval.
    Mean,
    /// Its increase over the interval per hour, from its value interpolated at both ends.
    Rate,
}

impl Summary {
    /// The name the report uses.
    pub fn name(self) -> &'static str {
        match self {
            Summary::Mean => "mean",
            Summary::Rate => "rate",
        }
    }
}

impl Kind {
    /// The summaries tested for a parameter of this kind.
    pub fn summaries(self) -> &'static [Summary] {
        match self {
            Kind::Gauge => &[Summary::Mean],
            Kind::Counter => &[Summary::Rate],
            Kind::Either => &[Summary::Mean, Summary::Rate],
        }
    }

    /// How the report names the kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Either => "counter or gauge",
        }
    }
}

/// The facts about a parameter's steps that decide its kind.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Steps {
    /// Steps between consecutive readings counted.
    pub steps: usize,
    /// Sum of rising steps.
    pub rises: f64,
    /// Sum of falling steps that are not drops, as a positive number.
    pub falls: f64,
    /// Falls to half or less of a positive value.
    pub drops: usize,
    /// Drops landing near zero, as a counter's reset does.
    pub resets: usize,
    /// Falls that are a counter wrapping round: neither falls nor drops.
    pub wraps: usize,
    /// The lowest value: a series that ever goes below zero is a gauge.
    pub lowest: f64,
}

impl Steps {
    /// Reads the steps of values in time order.
    pub fn of(values: &[f64]) -> Steps {
        let mut s = Steps {
            lowest: values.iter().copied().fold(f64::INFINITY, f64::min),
            ..Steps::default()
        };
        for w in values.windows(2) {
            let (before, after) = (w[0], w[1]);
            s.steps += 1;
            let step = after - before;
            if step >= 0.0 {
                s.rises += step;
            } else if is_wrap(before, after) {
                s.wraps += 1;
            } else if is_drop(before, after) {
                s.drops += 1;
                if after <= before * RESET_TO {
                    s.resets += 1;
                }
            } else {
                s.falls -= step;
            }
        }
        s
    }

    /// Ordinary falls as a share of rises (infinite for a parameter that never rose).
    pub fn fall_share(&self) -> f64 {
        if self.rises > 0.0 {
            self.falls / self.rises
        } else {
            f64::INFINITY
        }
    }

    /// The kind these steps show, by the rule the report's method states.
    pub fn kind(&self) -> Kind {
        let share = self.fall_share();
        if self.steps < MIN_STEPS || share > GAUGE_FALL_SHARE || self.lowest < 0.0 {
            return Kind::Gauge;
        }
        let rare = self.drops as f64 <= (self.steps as f64 * MAX_RESET_SHARE).max(1.0);
        if share <= COUNTER_FALL_SHARE && rare && self.resets == self.drops {
            Kind::Counter
        } else {
            Kind::Either
        }
    }
}

/// Whether a step from `before` to `after` is a drop (a wrap is one too).
pub fn is_drop(before: f64, after: f64) -> bool {
    (before > 0.0 && after <= before * DROP_TO) || is_wrap(before, after)
}

/// Whether a step from `before` to `after` is a 16- or 32-bit counter wrapping round.
pub fn is_wrap(before: f64, after: f64) -> bool {
    after >= 0.0
        && WRAP_WIDTHS.iter().any(|&w| {
            before < w && before >= w / 2.0 && after < w / 2.0 && after + w - before < w / 2.0
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noisy_counter_with_a_rare_reset_is_a_counter() {
        let mut v: Vec<f64> = (0..400)
            .map(|i| 100.0 + 2.0 * i as f64 + if i % 3 == 0 { -1.5 } else { 0.0 })
            .collect();
        for x in &mut v[200..] {
            *x -= 480.0;
        }
        assert_eq!(Steps::of(&v).kind(), Kind::Counter);
    }

    #[test]
    fn a_gauge_is_a_gauge_even_when_it_drifts() {
        let v: Vec<f64> = (0..400)
            .map(|i| i as f64 * 0.1 + ((i * 7919) % 13) as f64)
            .collect();
        assert_eq!(Steps::of(&v).kind(), Kind::Gauge);
    }

    #[test]
    fn a_creeping_pressure_cleaned_now_and_then_is_tested_both_ways() {
        // Creeps from 1.0 to about 2.5 bar over 100 readings, then back to 1.0.
        let v: Vec<f64> = (0..1000)
            .map(|i| 1.0 + (i % 100) as f64 * 0.015 + ((i * 31) % 7) as f64 * 0.001)
            .collect();
        let s = Steps::of(&v);
        assert_eq!(s.drops, 9);
        assert_eq!(s.resets, 0, "drops to 1.0, not to zero");
        assert_eq!(s.kind(), Kind::Either);
    }

    #[test]
    fn the_rule_follows_the_stated_thresholds() {
        let steps = |falls: f64, drops: usize, resets: usize| Steps {
            steps: 1000,
            rises: 100.0,
            falls,
            drops,
            resets,
            wraps: 0,
            lowest: 0.0,
        };
        assert_eq!(
            steps(9.7, 0, 0).kind(),
            Kind::Counter,
            "9.7 % is up to 10 %"
        );
        assert_eq!(steps(6.5, 0, 0).kind(), Kind::Counter);
        assert_eq!(steps(10.5, 0, 0).kind(), Kind::Either);
        assert_eq!(steps(6.5, 40, 40).kind(), Kind::Either, "frequent resets");
        assert_eq!(
            steps(25.0, 0, 0).kind(),
            Kind::Either,
            "up to 25 % is ambiguous"
        );
        assert_eq!(
            steps(25.5, 0, 0).kind(),
            Kind::Gauge,
            "over 25 % is a gauge"
        );
        assert_eq!(steps(35.0, 3, 0).kind(), Kind::Gauge);
        let below_zero = Steps {
            lowest: -0.1,
            ..steps(2.0, 0, 0)
        };
        assert_eq!(
            below_zero.kind(),
            Kind::Gauge,
            "a counter never goes below zero"
        );
    }

    #[test]
    fn a_gauge_that_wanders_or_crosses_zero_is_no_counter() {
        // Climbs over the whole span, giving back 35 % of its rises in its wiggles.
        let v: Vec<f64> = (0..600)
            .map(|i| 50.0 + i as f64 * 0.1 + if i % 2 == 0 { 0.0 } else { 0.26 })
            .collect();
        let s = Steps::of(&v);
        assert!(s.fall_share() > 0.25 && s.fall_share() < 0.5, "{s:?}");
        assert_eq!(s.kind(), Kind::Gauge);
        // Rises almost only, but around zero.
        let v: Vec<f64> = (0..600).map(|i| -3.0 + i as f64 * 0.01).collect();
        assert_eq!(Steps::of(&v).kind(), Kind::Gauge);
    }

    #[test]
    fn a_sixteen_bit_counter_wrapping_is_a_counter() {
        // 700 per reading, wrapping at 65,536 many times, landing anywhere in the low half.
        let v: Vec<f64> = (0..2000)
            .map(|i| ((1000 + 700 * i) % 65_536) as f64)
            .collect();
        let s = Steps::of(&v);
        assert!(s.wraps > 15 && s.drops == 0 && s.falls == 0.0, "{s:?}");
        assert_eq!(s.kind(), Kind::Counter);
        assert!(is_wrap(65_000.0, 200.0) && is_wrap(40_000.0, 1_000.0));
        assert!(
            !is_wrap(20_000.0, 100.0),
            "a drop from the low half is no wrap"
        );
        assert!(is_drop(65_000.0, 200.0), "no rate is taken across a wrap");
    }
}
