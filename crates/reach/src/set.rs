//! Sets of integers kept as sorted, disjoint, non-adjacent inclusive intervals. Addresses (IPv4 as
//! `u32`, IPv6 as `u128`) and services (see [`crate::service`]) are both such sets, so no port or
//! address is ever enumerated.

use std::fmt::Debug;

use smallvec::{SmallVec, smallvec};

/// Most sets hold one or two intervals: kept inline, no allocation.
type Ranges<T> = SmallVec<[(T, T); 2]>;

/// An unsigned integer type usable as an interval bound.
pub trait Point: Copy + Ord + Debug + Send + Sync + 'static {
    const MIN: Self;
    const MAX: Self;
    fn next(self) -> Option<Self>;
    fn prev(self) -> Option<Self>;
}

macro_rules! point {
    ($t:ty) => {
        impl Point for $t {
            const MIN: Self = 0;
            const MAX: Self = <$t>::MAX;
            fn next(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn prev(self) -> Option<Self> {
                self.checked_sub(1)
            }
        }
    };
}
point!(u32);
point!(u128);

/// A set of `T` as inclusive intervals `(lo, hi)`, sorted, disjoint and never touching.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct IntervalSet<T: Point> {
    ranges: Ranges<T>,
}

impl<T: Point> Debug for IntervalSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ranges.iter()).finish()
    }
}

impl<T: Point> IntervalSet<T> {
    pub fn empty() -> Self {
        IntervalSet {
            ranges: SmallVec::new(),
        }
    }

    pub fn full() -> Self {
        Self::range(T::MIN, T::MAX)
    }

    /// `[lo, hi]`; empty when `lo > hi`.
    pub fn range(lo: T, hi: T) -> Self {
        if lo > hi {
            return Self::empty();
        }
        IntervalSet {
            ranges: smallvec![(lo, hi)],
        }
    }

    pub fn point(x: T) -> Self {
        Self::range(x, x)
    }

    /// From any intervals, in any order, overlapping or not.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (T, T)>) -> Self {
        let mut v: Ranges<T> = ranges.into_iter().filter(|(a, b)| a <= b).collect();
        v.sort_unstable();
        let mut out: Ranges<T> = SmallVec::with_capacity(v.len());
        for (lo, hi) in v {
            if let Some(last) = out.last_mut() {
                // Merge when overlapping or adjacent.
                if last.1 >= lo || last.1.next() == Some(lo) {
                    if hi > last.1 {
                        last.1 = hi;
                    }
                    continue;
                }
            }
            out.push((lo, hi));
        }
        IntervalSet { ranges: out }
    }

    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.ranges[..] == [(T::MIN, T::MAX)]
    }

    pub fn first(&self) -> Option<T> {
        self.ranges.first().map(|r| r.0)
    }

    pub fn contains(&self, x: T) -> bool {
        // The last interval starting at or before x.
        let i = self.ranges.partition_point(|r| r.0 <= x);
        i > 0 && self.ranges[i - 1].1 >= x
    }

    /// True when every point of `[lo, hi]` is in the set.
    pub fn contains_range(&self, lo: T, hi: T) -> bool {
        let i = self.ranges.partition_point(|r| r.0 <= lo);
        i > 0 && self.ranges[i - 1].1 >= hi
    }

    pub fn intersects_range(&self, lo: T, hi: T) -> bool {
        let i = self.ranges.partition_point(|r| r.1 < lo);
        i < self.ranges.len() && self.ranges[i].0 <= hi
    }

    pub fn union(&self, other: &Self) -> Self {
        if other.is_empty() || self == other {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        // Both are sorted: merge them in one pass, joining what overlaps or touches.
        let (a, b) = (&self.ranges, &other.ranges);
        let mut out: Ranges<T> = SmallVec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        loop {
            let (lo, hi) = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) if x.0 <= y.0 => {
                    i += 1;
                    x
                }
                (_, Some(&y)) => {
                    j += 1;
                    y
                }
                (Some(&x), None) => {
                    i += 1;
                    x
                }
                (None, None) => break,
            };
            if let Some(last) = out.last_mut()
                && (last.1 >= lo || last.1.next() == Some(lo))
            {
                if hi > last.1 {
                    last.1 = hi;
                }
                continue;
            }
            out.push((lo, hi));
        }
        IntervalSet { ranges: out }
    }

    pub fn intersect(&self, other: &Self) -> Self {
        let (a, b) = (&self.ranges, &other.ranges);
        let (mut i, mut j) = (0, 0);
        let mut out = Ranges::new();
        while i < a.len() && j < b.len() {
            let lo = a[i].0.max(b[j].0);
            let hi = a[i].1.min(b[j].1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        IntervalSet { ranges: out }
    }

    pub fn intersect_range(&self, lo: T, hi: T) -> Self {
        let start = self.ranges.partition_point(|r| r.1 < lo);
        let mut out = Ranges::new();
        for &(a, b) in &self.ranges[start..] {
            if a > hi {
                break;
            }
            out.push((a.max(lo), b.min(hi)));
        }
        IntervalSet { ranges: out }
    }

    pub fn complement(&self) -> Self {
        let mut out = Ranges::with_capacity(self.ranges.len() + 1);
        let mut next = Some(T::MIN);
        for &(lo, hi) in &self.ranges {
            if let Some(n) = next
                && n < lo
            {
                out.push((n, lo.prev().expect("lo > n >= MIN")));
            }
            next = hi.next();
        }
        if let Some(n) = next {
            out.push((n, T::MAX));
        }
        IntervalSet { ranges: out }
    }

    pub fn difference(&self, other: &Self) -> Self {
        if other.is_empty() || self.is_empty() {
            return self.clone();
        }
        self.intersect(&other.complement())
    }

    pub fn is_subset(&self, other: &Self) -> bool {
        self.ranges
            .iter()
            .all(|&(lo, hi)| other.contains_range(lo, hi))
    }

    /// Pushes every point where membership may change: each `lo` and each `hi + 1`.
    pub fn push_boundaries(&self, out: &mut Vec<T>) {
        for &(lo, hi) in &self.ranges {
            out.push(lo);
            if let Some(n) = hi.next() {
                out.push(n);
            }
        }
    }
}

/// Cuts `[MIN, MAX]` at the given boundaries: the elementary intervals between consecutive cuts.
pub fn elementary<T: Point>(mut cuts: Vec<T>, within: (T, T)) -> Vec<(T, T)> {
    cuts.retain(|&c| c > within.0 && c <= within.1);
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut lo = within.0;
    for c in cuts {
        out.push((lo, c.prev().expect("c > within.0")));
        lo = c;
    }
    out.push((lo, within.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_union_intersect_difference() {
        let a = IntervalSet::<u32>::from_ranges([(5, 9), (1, 3), (4, 4), (20, 30)]);
        assert_eq!(a.ranges(), &[(1, 9), (20, 30)]);
        let b = IntervalSet::from_ranges([(8, 21)]);
        assert_eq!(a.intersect(&b).ranges(), &[(8, 9), (20, 21)]);
        assert_eq!(a.difference(&b).ranges(), &[(1, 7), (22, 30)]);
        assert_eq!(a.union(&b).ranges(), &[(1, 30)]);
        assert!(a.contains(4) && !a.contains(10) && a.contains(30) && !a.contains(0));
        assert!(a.contains_range(20, 30) && !a.contains_range(9, 20));
        assert_eq!(a.complement().ranges(), &[(0, 0), (10, 19), (31, u32::MAX)]);
        assert!(IntervalSet::<u128>::full().complement().is_empty());
        assert!(IntervalSet::<u128>::empty().complement().is_full());
        assert_eq!(a.intersect_range(3, 25).ranges(), &[(3, 9), (20, 25)]);
        assert!(a.intersects_range(10, 20) && !a.intersects_range(10, 19));
    }

    proptest::proptest! {
        #[test]
        fn union_merges_as_from_ranges(
            a in proptest::collection::vec((0u32..64, 0u32..8), 0..6),
            b in proptest::collection::vec((0u32..64, 0u32..8), 0..6),
        ) {
            let a: Vec<(u32, u32)> = a.into_iter().map(|(lo, w)| (lo, lo + w)).collect();
            let b: Vec<(u32, u32)> = b.into_iter().map(|(lo, w)| (lo, lo + w)).collect();
            let (sa, sb) = (IntervalSet::from_ranges(a.clone()), IntervalSet::from_ranges(b.clone()));
            let both = IntervalSet::from_ranges(a.into_iter().chain(b));
            proptest::prop_assert_eq!(sa.union(&sb), both.clone());
            proptest::prop_assert_eq!(sb.union(&sa), both);
        }
    }

    #[test]
    fn elementary_intervals() {
        assert_eq!(
            elementary(vec![5u32, 10, 5, 0], (0, 20)),
            vec![(0, 4), (5, 9), (10, 20)]
        );
        assert_eq!(elementary(Vec::<u32>::new(), (3, 3)), vec![(3, 3)]);
    }
}
