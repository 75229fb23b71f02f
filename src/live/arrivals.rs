//! How fast records are arriving in the store, for the dashboard's stream cards.
//!
//! The page cannot work this out itself from one analysis, and a rate from two successive
//! analyses leaves the cards blank until the second one and jumps with how far apart they
//! happened to be. The analyst instead notes how many records the store holds each time it
//! looks (four times a second) and every analysis carries the rate over the last minute of
//! those looks — or since the analyst started, while that is shorter.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The span the rate is measured over, once the analyst has watched that long.
pub const WINDOW: Duration = Duration::from_secs(60);

/// The shortest span a rate is divided by: a batch that lands a millisecond after the
/// first look is not a million records a second.
const SHORTEST: Duration = Duration::from_secs(1);

/// Records held per stream at each look, for the last [`WINDOW`] and one look before it.
#[derive(Debug, Default)]
pub struct Arrivals {
    looks: VecDeque<(Instant, [u64; 2])>,
}

impl Arrivals {
    /// Notes that at `at` the store held `records` (metrics, work orders).
    pub fn record(&mut self, at: Instant, records: [u64; 2]) {
        self.looks.push_back((at, records));
        // The oldest look is needed only while the one after it is not a window old yet.
        while self
            .looks
            .get(1)
            .is_some_and(|next| at.duration_since(next.0) >= WINDOW)
        {
            self.looks.pop_front();
        }
    }

    /// Whether nothing was looked at yet.
    pub fn is_empty(&self) -> bool {
        self.looks.is_empty()
    }

    /// Records per second that arrived of each stream (metrics, work orders) over the last
    /// [`WINDOW`] (or since the first look, if that is more recent), `[0, 0]` before any.
    pub fn per_second(&self) -> [f64; 2] {
        let (Some(first), Some(last)) = (self.looks.front(), self.looks.back()) else {
            return [0.0; 2];
        };
        let seconds = last.0.duration_since(first.0).max(SHORTEST).as_secs_f64();
        [0, 1].map(|s| last.1[s].saturating_sub(first.1[s]) as f64 / seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_runs_over_the_last_minute() {
        let start = Instant::now();
        let mut arrivals = Arrivals::default();
        // 100 metrics a second for two minutes, looked at every quarter second.
        for quarter in 0..=480u64 {
            arrivals.record(
                start + Duration::from_millis(quarter * 250),
                [quarter * 25, 0],
            );
        }
        assert_eq!(arrivals.per_second(), [100.0, 0.0]);
        // Then nothing for thirty seconds: half the minute had arrivals.
        for quarter in 481..=600u64 {
            arrivals.record(start + Duration::from_millis(quarter * 250), [12_000, 0]);
        }
        assert_eq!(arrivals.per_second(), [50.0, 0.0]);
        assert!(
            arrivals.looks.len() <= 242,
            "{} looks kept",
            arrivals.looks.len()
        );
    }

    #[test]
    fn at_first_the_rate_is_since_the_first_look() {
        let start = Instant::now();
        let mut arrivals = Arrivals::default();
        assert_eq!(arrivals.per_second(), [0.0, 0.0], "nothing looked at yet");
        arrivals.record(start, [500, 10]);
        assert_eq!(
            arrivals.per_second(),
            [0.0, 0.0],
            "what was there is no arrival"
        );
        arrivals.record(start + Duration::from_secs(4), [900, 30]);
        assert_eq!(arrivals.per_second(), [100.0, 5.0]);
        let mut burst = Arrivals::default();
        burst.record(start, [0, 0]);
        burst.record(start + Duration::from_millis(5), [5_000, 0]);
        assert_eq!(burst.per_second(), [5_000.0, 0.0], "over a second at least");
    }
}
