//! Range bookkeeping behind exactly-once storage: which positions of an origin are already
//! stored, as a few merged ranges rather than one row per record.

/// The outcome of laying a new range over the stored ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Parts of the new range not stored yet, in order: these records are to be inserted.
    pub missing: Vec<(u64, u64)>,
    /// One range covering the new range and every stored range it overlaps or touches; it
    /// replaces them, so ranges stay few.
    pub merged: (u64, u64),
}

/// Lays the half-open range `new` over `stored`: the stored ranges that overlap or touch it,
/// sorted by start and disjoint.
pub fn cover(stored: &[(u64, u64)], new: (u64, u64)) -> Coverage {
    let (start, end) = new;
    let mut missing = Vec::new();
    let mut cursor = start;
    let mut merged = new;
    for &(s, e) in stored {
        merged.0 = merged.0.min(s);
        merged.1 = merged.1.max(e);
        if s > cursor {
            missing.push((cursor, s.min(end)));
        }
        cursor = cursor.max(e);
    }
    if cursor < end {
        missing.push((cursor, end));
    }
    missing.retain(|(s, e)| s < e);
    Coverage { missing, merged }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_stored_means_everything_is_missing() {
        assert_eq!(
            cover(&[], (5, 10)),
            Coverage {
                missing: vec![(5, 10)],
                merged: (5, 10)
            }
        );
    }

    #[test]
    fn a_resent_range_adds_nothing() {
        assert_eq!(cover(&[(0, 100)], (20, 30)).missing, vec![]);
        assert_eq!(cover(&[(0, 100)], (20, 30)).merged, (0, 100));
    }

    #[test]
    fn an_overlapping_range_adds_only_its_new_tail() {
        let c = cover(&[(0, 100)], (90, 150));
        assert_eq!(c.missing, vec![(100, 150)]);
        assert_eq!(c.merged, (0, 150));
    }

    #[test]
    fn an_adjacent_range_is_merged() {
        let c = cover(&[(0, 100)], (100, 120));
        assert_eq!(c.missing, vec![(100, 120)]);
        assert_eq!(c.merged, (0, 120));
    }

    #[test]
    fn a_range_that_fills_gaps_adds_only_the_gaps() {
        let c = cover(&[(0, 10), (20, 30), (40, 50)], (5, 45));
        assert_eq!(c.missing, vec![(10, 20), (30, 40)]);
        assert_eq!(c.merged, (0, 50));
    }

    #[test]
    fn an_out_of_order_range_before_stored_ones() {
        let c = cover(&[(10, 20)], (0, 10));
        assert_eq!(c.missing, vec![(0, 10)]);
        assert_eq!(c.merged, (0, 20));
    }

    /// Applying random ranges in any order stores each position exactly once.
    #[test]
    fn every_position_is_stored_once_whatever_the_order() {
        let mut seed = 0x2545F4914F6CDD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let mut stored: Vec<(u64, u64)> = Vec::new();
            let mut hits = vec![0u32; 64];
            for _ in 0..20 {
                let a = next() % 64;
                let b = (a + 1 + next() % 16).min(64);
                let touching: Vec<_> = stored
                    .iter()
                    .copied()
                    .filter(|&(s, e)| s <= b && e >= a)
                    .collect();
                let c = cover(&touching, (a, b));
                for (s, e) in &c.missing {
                    for p in *s..*e {
                        hits[p as usize] += 1;
                    }
                }
                stored.retain(|r| !touching.contains(r));
                stored.push(c.merged);
                stored.sort();
            }
            assert!(hits.iter().all(|&h| h <= 1), "{hits:?}");
            for (p, h) in hits.iter().enumerate() {
                let covered = stored.iter().any(|&(s, e)| (s..e).contains(&(p as u64)));
                assert_eq!(covered, *h == 1, "position {p}");
            }
        }
    }
}
