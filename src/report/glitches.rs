//! Sensor glitches: single absurd readings (a temperature of 1e6 that reads about 180 the
//! rest of the time) found before anything else looks at a parameter, so that they neither
//! make a gauge look like a counter nor dominate its summary.
//!
//! A reading is a glitch when it stands far from the median of its neighbours (three before
//! and three after, a Hampel filter) *and* far outside the parameter's usual spread. The
//! neighbours' median follows steps, ramps and counter restarts, so only isolated readings
//! — one or two in a row — can be flagged; a real change of level never is.

/// How many neighbours on each side a reading is compared with.
const HALF_WINDOW: usize = 3;
/// A glitch is further from its neighbours' median than this many times their own spread
/// (or the parameter's reading-to-reading noise, whichever is larger)…
pub const LOCAL_FACTOR: f64 = 10.0;
/// …and further than this many times the parameter's interquartile range…
pub const SPREAD_FACTOR: f64 = 3.0;
/// …and a value the parameter takes rarely: if more than this share of its readings lie as
/// close to it, it is a level the parameter really visits (a machine idling at every
/// changeover), not a glitch.
pub const RECURRING_SHARE: f64 = 0.01;

/// For readings in time order, which ones are glitches.
pub fn flag(values: &[f64]) -> Vec<bool> {
    let n = values.len();
    let mut flags = vec![false; n];
    if n < 4 {
        return flags;
    }
    let noise = step_noise(values);
    let spread = interquartile_range(values).max(noise);
    // Sorted only when a reading first looks like a glitch: most parameters have none.
    let mut sorted: Vec<f64> = Vec::new();
    let recurring = (RECURRING_SHARE * n as f64).max(3.0);
    if spread.is_nan() || spread <= 0.0 {
        return flags;
    }
    let mut around = Vec::with_capacity(2 * HALF_WINDOW);
    let mut deviations = Vec::with_capacity(2 * HALF_WINDOW);
    for i in 0..n {
        // The neighbours' median lies between their extremes: a reading within the spread
        // limit of both cannot be far from it, and needs no sort (most readings).
        let window = &values[i.saturating_sub(HALF_WINDOW)..(i + 1 + HALF_WINDOW).min(n)];
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (j, v) in window.iter().enumerate() {
            if j + i.saturating_sub(HALF_WINDOW) != i {
                lo = lo.min(*v);
                hi = hi.max(*v);
            }
        }
        let limit = SPREAD_FACTOR * spread;
        if values[i] >= hi - limit && values[i] <= lo + limit {
            continue;
        }
        around.clear();
        around.extend(
            values[i.saturating_sub(HALF_WINDOW)..i]
                .iter()
                .chain(&values[i + 1..(i + 1 + HALF_WINDOW).min(n)]),
        );
        let centre = median(&mut around);
        let distance = (values[i] - centre).abs();
        if distance <= SPREAD_FACTOR * spread {
            continue;
        }
        deviations.clear();
        deviations.extend(around.iter().map(|v| (v - centre).abs()));
        let local = 1.4826 * median(&mut deviations);
        if distance > LOCAL_FACTOR * local.max(noise) {
            let near = distance / LOCAL_FACTOR;
            let (lo, hi) = (values[i] - near, values[i] + near);
            if sorted.is_empty() {
                sorted = values.to_vec();
                sorted.sort_unstable_by(f64::total_cmp);
            }
            let visits = sorted.partition_point(|v| *v <= hi) - sorted.partition_point(|v| *v < lo);
            flags[i] = visits as f64 <= recurring;
        }
    }
    flags
}

/// The typical size of a reading-to-reading change: the median absolute step scaled to a
/// standard deviation, or the mean absolute step when most steps are zero.
fn step_noise(values: &[f64]) -> f64 {
    let mut steps: Vec<f64> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let mean = steps.iter().sum::<f64>() / steps.len().max(1) as f64;
    let typical = 1.4826 * median(&mut steps) / std::f64::consts::SQRT_2;
    if typical > 0.0 { typical } else { mean }
}

/// The interquartile range, by selection rather than a sort.
fn interquartile_range(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    let at = |v: &mut [f64], q: f64| {
        let k = ((v.len() - 1) as f64 * q).round() as usize;
        *v.select_nth_unstable_by(k, f64::total_cmp).1
    };
    let high = at(&mut v, 0.75);
    high - at(&mut v, 0.25)
}

/// The median, reordering `values` (by selection, not a sort); NaN for none.
pub fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let (below, &mut middle, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        middle
    } else {
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(middle);
        (lower + middle) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wobble(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 180.0 + ((i * 37) % 11) as f64 * 0.5 - 2.5)
            .collect()
    }

    #[test]
    fn isolated_absurd_readings_are_flagged() {
        let mut v = wobble(200);
        v[50] = 1e6;
        v[120] = -4e5;
        v[121] = 9e5;
        let flags = flag(&v);
        let flagged: Vec<usize> = (0..v.len()).filter(|&i| flags[i]).collect();
        assert_eq!(flagged, vec![50, 120, 121]);
    }

    #[test]
    fn steps_ramps_and_counter_restarts_are_not_glitches() {
        let step: Vec<f64> = (0..100)
            .map(|i| if i < 50 { 10.0 } else { 500.0 })
            .collect();
        assert!(!flag(&step).contains(&true));
        let counter: Vec<f64> = (0..300).map(|i| ((i % 97) * 40) as f64).collect();
        assert!(
            !flag(&counter).contains(&true),
            "restarts every 97 readings"
        );
        let ramp: Vec<f64> = (0..100).map(|i| (i * i) as f64).collect();
        assert!(!flag(&ramp).contains(&true));
    }

    #[test]
    fn a_level_visited_often_is_not_a_glitch() {
        // Running at about 1200, idle at 0 for one or two readings at every changeover.
        let v: Vec<f64> = (0..1000)
            .map(|i| {
                if i % 40 < 2 {
                    0.0
                } else {
                    1200.0 + ((i * 37) % 11) as f64
                }
            })
            .collect();
        assert!(!flag(&v).contains(&true));
        // The same error code now and then is still a glitch.
        let mut w = wobble(1000);
        for i in [100, 400, 700] {
            w[i] = 65535.0;
        }
        assert_eq!(flag(&w).iter().filter(|g| **g).count(), 3);
    }

    #[test]
    fn ordinary_noise_is_not_flagged() {
        let noisy: Vec<f64> = (0..500)
            .map(|i| ((i * 7919) % 1000) as f64 / 100.0)
            .collect();
        assert!(!flag(&noisy).contains(&true));
    }
}
