//! One summary of one parameter for one product: a value per work-order interval, or none
//! where the interval has no reading to summarise.
//!
//! Held as `f64`s with NaN for "none" rather than `Option<f64>`s: a summary is always finite
//! when there is one (the summaries drop any that are not), so NaN is free to mean none, and
//! each interval costs 8 bytes instead of 16. The summaries are most of the report's memory
//! (on the 1 M-record set, 31 of its 49 MB of heap held `Option<f64>`s).

use std::fmt;

/// A value per interval, or none; see the module's documentation.
#[derive(Clone, Default)]
pub struct Series(Vec<f64>);

/// The series with no interval, for a summary that was not made.
pub static EMPTY: Series = Series(Vec::new());

impl Series {
    /// Intervals in the series.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the series has no interval at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of interval `i`, if it has one (none beyond the end, too).
    pub fn get(&self, i: usize) -> Option<f64> {
        self.0.get(i).copied().filter(|v| !v.is_nan())
    }

    /// Each interval's value, or none.
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        self.0.iter().map(|&v| (!v.is_nan()).then_some(v))
    }

    /// The values with NaN for none, as the statistics take them.
    pub fn as_nan_padded(&self) -> &[f64] {
        &self.0
    }
}

impl FromIterator<Option<f64>> for Series {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(values: I) -> Self {
        Series(
            values
                .into_iter()
                .map(|v| v.filter(|v| !v.is_nan()).unwrap_or(f64::NAN))
                .collect(),
        )
    }
}

/// Equal when every interval has the same value or none in both (NaN ≠ NaN would make any
/// series with a gap unequal to itself).
impl PartialEq for Series {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Equal to the list of values it stands for (for tests that spell one out).
impl<const N: usize> PartialEq<[Option<f64>; N]> for Series {
    fn eq(&self, other: &[Option<f64>; N]) -> bool {
        self.len() == N && self.iter().eq(other.iter().copied())
    }
}

/// As the list of `Option<f64>` it stands for, so `Debug` output (which the live analysis's
/// tests compare exactly) reads as before.
impl fmt::Debug for Series {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_and_values_come_back_as_given() {
        let given = [Some(1.5), None, Some(-0.0), None];
        let series: Series = given.into_iter().collect();
        assert_eq!(series.len(), 4);
        assert_eq!(series.iter().collect::<Vec<_>>(), given);
        assert_eq!(series.get(0), Some(1.5));
        assert_eq!(series.get(1), None);
        assert_eq!(series.get(9), None);
        assert_eq!(format!("{series:?}"), format!("{given:?}"));
        // A NaN given as a value is none: it could not be told apart.
        let nan: Series = [Some(f64::NAN)].into_iter().collect();
        assert_eq!(nan.get(0), None);
    }

    #[test]
    fn gaps_do_not_make_a_series_unequal_to_itself() {
        let a: Series = [Some(1.0), None].into_iter().collect();
        assert_eq!(a, a.clone());
        let b: Series = [Some(1.0), Some(2.0)].into_iter().collect();
        assert_ne!(a, b);
        let shorter: Series = [Some(1.0)].into_iter().collect();
        assert_ne!(b, shorter);
    }
}
