//! One stable sort for the whole crate.
//!
//! The standard library's stable sort is compiled again for every element
//! type and comparator it sorts with: about 3.7 KB of WebAssembly each, and
//! the app had eight of them (30 KB, a tenth of it after gzip, on every
//! visit). Here the standard sort runs on one type only, a list of
//! positions with one comparator type, and the items are then moved into
//! the order found.
//!
//! Contract: [`sort_by`] orders exactly as `slice::sort_by` does, equal
//! items keeping their order; it allocates one `u32` per item. It is for
//! lists of fewer than 2^32 items, which is every list a browser holds.
//! Collecting into a `BTreeMap` or `BTreeSet` sorts too (its `FromIterator`
//! sorts a list first): insert item by item instead.

use std::cmp::Ordering;

/// Lists up to this long are sorted by insertion.
const SMALL: usize = 12;

/// Sorts `items` by `compare`, stably.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    // A few items (an object's members, most often) are sorted in place:
    // no list of positions to allocate, and fewer comparisons.
    if items.len() <= SMALL {
        for i in 1..items.len() {
            let mut at = i;
            while at > 0 && compare(&items[at - 1], &items[at]) == Ordering::Greater {
                items.swap(at - 1, at);
                at -= 1;
            }
        }
        return;
    }
    let mut from = positions(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    // Position `i` takes the item now at `from[i]`: each cycle of the
    // permutation is followed once, the item that starts it travelling
    // along it, and every position is marked done as it is filled.
    for start in 0..items.len() {
        let mut at = start;
        while from[at] as usize != start {
            let next = from[at] as usize;
            items.swap(at, next);
            from[at] = at as u32;
            at = next;
        }
        from[at] = at as u32;
    }
}

/// Sorts `items` in their natural order, stably.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The positions `0..n` in the order `compare` puts the items at them. Not
/// generic: this is the one place the standard sort is compiled.
fn positions(n: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|a, b| compare(*a as usize, *b as usize));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    /// The same order as the standard library's stable sort, ties kept in
    /// their order: items are sorted by a key with few values and compared
    /// whole, over 2,000 random lists of up to 300 items.
    #[test]
    fn orders_as_the_standard_stable_sort() {
        let mut rng = SeededRng::new(7);
        for _ in 0..2_000 {
            let len = rng.below(300) as usize;
            let items: Vec<(u64, u64)> = (0..len).map(|i| (rng.below(6), i as u64)).collect();
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut theirs = items;
            theirs.sort_by_key(|a| a.0);
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn sorts_owned_items_without_losing_one() {
        let mut words: Vec<String> = ["pear", "apple", "fig", "apple", ""]
            .map(String::from)
            .to_vec();
        sort(&mut words);
        assert_eq!(words, ["", "apple", "apple", "fig", "pear"]);
        let mut none: Vec<String> = Vec::new();
        sort(&mut none);
        assert!(none.is_empty());
    }
}
