//! The sorted order of a series' finite values: what every rank in the report starts from.
//!
//! The report sorts two series of hundreds of thousands of values in every test (the
//! prewhitened parameter and output), so this is its hottest code. A general radix sort of
//! (64-bit key, position) pairs moves 16 bytes per value in each of eight passes. Here each
//! value travels as one 64-bit word: the top half of its key beside its position. Four
//! passes over the key's top half sort by it, stably, so ties stay in position order; the
//! few runs that agree on the top half (values within about a millionth of each other) are
//! then put in order by their full key. The result is exactly the order of sorting by
//! (value, position).

/// An integer that sorts like `f64::total_cmp`: negative numbers flipped whole, positive
/// ones with the sign bit set; −0.0 counts as 0.0, so equal numbers have equal keys.
pub fn order_key(v: f64) -> u64 {
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The finite values of a series in ascending order, with their groups of equal values.
pub struct Ascending {
    /// Positions of the finite values, from smallest to largest value; equal values in
    /// position order. NaN and infinite values are left out.
    pub order: Vec<u32>,
    /// Where each group of equal values starts in `order`, then `order.len()`: found while
    /// sorting, so ranking never looks a value up again.
    pub groups: Vec<u32>,
}

/// Sorts the finite values of `values`: see [`Ascending`].
pub fn ascending_finite(values: &[f64]) -> Ascending {
    const LOW: u64 = 0xFFFF_FFFF;
    // Every value is written and the end moves on only for a finite one: no branch, which
    // would be mispredicted wherever values come and go at random.
    let mut words = vec![0u64; values.len()];
    let mut n = 0;
    for (i, v) in values.iter().enumerate() {
        words[n] = (order_key(*v) & !LOW) | i as u64;
        n += usize::from(v.is_finite());
    }
    words.truncate(n);
    // One pass counts every digit of the top half; a pass whose digit is the same for every
    // value (often the sign and exponent) moves nothing and is skipped.
    let mut counts = [[0usize; 256]; 4];
    for w in &words {
        for (digit, count) in counts.iter_mut().enumerate() {
            count[digit_of(*w, digit)] += 1;
        }
    }
    let mut spare = vec![0u64; n];
    for (digit, count) in counts.iter().enumerate() {
        if count.contains(&n) {
            continue;
        }
        let mut at = [0usize; 256];
        let mut total = 0;
        for (slot, c) in at.iter_mut().zip(count) {
            *slot = total;
            total += c;
        }
        for w in &words {
            let d = digit_of(*w, digit);
            spare[at[d]] = *w;
            at[d] += 1;
        }
        std::mem::swap(&mut words, &mut spare);
    }
    // Runs that share the top half are in position order; their full keys settle them, and
    // tell which of them are equal. Values with different top halves are never equal.
    let mut groups = Vec::with_capacity(n + 1);
    let mut at = 0;
    for run in words.chunk_by_mut(|a, b| a >> 32 == b >> 32) {
        if run.len() == 1 {
            groups.push(at as u32);
        } else {
            let key = |w: &u64| order_key(values[(w & LOW) as usize]);
            run.sort_by_key(key);
            let mut previous = None;
            for (i, w) in run.iter().enumerate() {
                let k = key(w);
                if previous != Some(k) {
                    groups.push((at + i) as u32);
                    previous = Some(k);
                }
            }
        }
        at += run.len();
    }
    groups.push(n as u32);
    Ascending {
        order: words.into_iter().map(|w| w as u32).collect(),
        groups,
    }
}

/// Byte `digit` (0 = least significant) of the top half of a word.
fn digit_of(word: u64, digit: usize) -> usize {
    ((word >> (32 + 8 * digit)) & 0xFF) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The order a plain comparison sort gives: by value, then position.
    fn reference(values: &[f64]) -> Vec<u32> {
        let mut order: Vec<u32> = (0..values.len() as u32)
            .filter(|&i| values[i as usize].is_finite())
            .collect();
        order.sort_by(|&a, &b| {
            order_key(values[a as usize])
                .cmp(&order_key(values[b as usize]))
                .then(a.cmp(&b))
        });
        order
    }

    #[test]
    fn matches_a_comparison_sort_with_ties_gaps_and_near_equal_values() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for case in 0..200 {
            let n = rng.random_range(0..2_000);
            let values: Vec<f64> = (0..n)
                .map(|_| match case % 4 {
                    // Continuous values of both signs, with NaN and infinities mixed in.
                    0 => match rng.random_range(0..20) {
                        0 => f64::NAN,
                        1 => f64::INFINITY,
                        2 => f64::NEG_INFINITY,
                        _ => rng.random_range(-1e3..1e3),
                    },
                    // Few distinct levels: long runs of ties.
                    1 => f64::from(rng.random_range(-3..4)) * 0.5,
                    // Values a few units in the last place apart: equal top halves.
                    2 => 1.0 + f64::from(rng.random_range(0..64)) * f64::EPSILON,
                    // Zeros of both signs among tiny numbers.
                    _ => [0.0, -0.0, 1e-300, -1e-300][rng.random_range(0..4)],
                })
                .collect();
            let sorted = ascending_finite(&values);
            assert_eq!(sorted.order, reference(&values), "case {case}");
            // Groups: equal values within, different values across.
            let value = |i: u32| values[sorted.order[i as usize] as usize];
            assert_eq!(
                sorted.groups.last().copied(),
                Some(sorted.order.len() as u32)
            );
            for group in sorted.groups.windows(2) {
                assert!(group[0] < group[1], "case {case}: empty group");
                assert!((group[0]..group[1]).all(|i| value(i) == value(group[0])));
                if group[1] < sorted.order.len() as u32 {
                    assert!(value(group[1]) > value(group[0]), "case {case}");
                }
            }
        }
    }

    #[test]
    fn negative_zero_ties_with_zero_and_missing_values_are_left_out() {
        let sorted = ascending_finite(&[0.0, f64::NAN, -0.0, -1.0, f64::INFINITY, 2.0]);
        assert_eq!(sorted.order, vec![3, 0, 2, 5]);
        assert_eq!(sorted.groups, vec![0, 1, 3, 4]);
    }
}
