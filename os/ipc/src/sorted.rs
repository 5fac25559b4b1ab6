//! [`SortedMap`]: a map kept as a vector sorted by key.
//!
//! The name spaces are small (a task names a few ports) and an RPC looks names up, and adds
//! and removes a send-once name, at every message: a binary search over a vector costs a few
//! comparisons where a B-tree walks its nodes, and adding or removing the last name moves
//! nothing. A map remembers where it last found two keys and looks there first: a call looks
//! the same task's space and the same port up several times over.

use alloc::vec::Vec;
use core::cell::Cell;

/// Entries a map keeps room for, at least, once a burst is over.
const KEPT: usize = 4;

/// After a removal from `items`: room beyond twice what it holds (and at least [`KEPT`]
/// entries) is given back, so that what an idle kernel's maps take of its heap does not depend
/// on the largest burst they met (the storm test's leak check counts every byte), and a map
/// that shrinks must double before it grows again.
pub fn give_back<T>(items: &mut Vec<T>) {
    let target = 2 * items.len().max(KEPT);
    if items.capacity() > target {
        items.shrink_to(target);
    }
}

/// A map from `K` to `V` as a vector of pairs sorted by key, with [`BTreeMap`]'s order.
///
/// [`BTreeMap`]: alloc::collections::BTreeMap
#[derive(Clone, Debug)]
pub struct SortedMap<K, V> {
    items: Vec<(K, V)>,
    /// Where the last two look-ups that searched found their keys: only guesses, checked
    /// before they are used (an RPC's two tasks, or its two ports, take turns).
    last: Cell<[usize; 2]>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> SortedMap<K, V> {
        SortedMap { items: Vec::new(), last: Cell::new([0, 0]) }
    }
}

impl<K: Ord + Copy, V> SortedMap<K, V> {
    /// An empty map.
    pub const fn new() -> SortedMap<K, V> {
        SortedMap { items: Vec::new(), last: Cell::new([0, 0]) }
    }

    /// Where `key` is (`Err`: where it would go).
    #[inline]
    fn find(&self, key: &K) -> Result<usize, usize> {
        match self.guessed(key) {
            Some(at) => Ok(at),
            None => self.search(key),
        }
    }

    /// The guess that holds `key`, if one does.
    #[inline(always)]
    fn guessed(&self, key: &K) -> Option<usize> {
        let [newer, older] = self.last.get();
        let holds = |at: usize| self.items.get(at).is_some_and(|(k, _)| k == key);
        if holds(newer) {
            Some(newer)
        } else if holds(older) {
            Some(older)
        } else {
            None
        }
    }

    /// [`SortedMap::find`] when neither guess holds `key`; what it finds becomes the newer
    /// guess.
    #[inline(never)]
    fn search(&self, key: &K) -> Result<usize, usize> {
        let found = self.items.binary_search_by(|(k, _)| k.cmp(key));
        if let Ok(at) = found {
            let [newer, _] = self.last.get();
            self.last.set([at, newer]);
        }
        found
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.items[i].1)
    }

    /// Where `key`'s value is, for [`SortedMap::at`] and [`SortedMap::at_mut`] until the map
    /// next changes: one search for a value read and then changed.
    ///
    /// The guesses are looked at inline wherever it is called (the RPC's fast path calls it),
    /// where the other look-ups may make a call.
    #[inline(always)]
    pub fn position(&self, key: &K) -> Option<usize> {
        match self.guessed(key) {
            Some(at) => Some(at),
            None => self.search(key).ok(),
        }
    }

    /// The value at `at` ([`SortedMap::position`]).
    #[inline]
    pub fn at(&self, at: usize) -> &V {
        &self.items[at].1
    }

    /// The value at `at` ([`SortedMap::position`]), to change.
    #[inline]
    pub fn at_mut(&mut self, at: usize) -> &mut V {
        &mut self.items[at].1
    }

    /// The value of `key`, to change.
    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.items[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value; the one it replaces, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(core::mem::replace(&mut self.items[i].1, value)),
            Err(i) => {
                self.items.insert(i, (key, value));
                None
            }
        }
    }

    /// Takes `key`'s value out. A map a burst grew gives its room back down to twice what it
    /// holds ([`give_back`]).
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let value = self.find(key).ok().map(|i| self.items.remove(i).1);
        give_back(&mut self.items);
        value
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.items.iter().map(|(k, _)| k)
    }

    /// The values, in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    /// The pairs, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.items.iter().map(|(k, v)| (k, v))
    }

    /// The pairs, in key order, the values to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.items.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// How many keys have values.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no key has a value.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::SortedMap;
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    #[test]
    fn behaves_as_a_btree_map() {
        let (mut sorted, mut btree) = (SortedMap::new(), BTreeMap::new());
        // A fixed pseudo-random walk of inserts and removes over a small key range.
        for x in crate::walk(2000) {
            let key = (x >> 16) % 40;
            if x & 1 == 0 {
                assert_eq!(sorted.insert(key, x), btree.insert(key, x));
            } else {
                assert_eq!(sorted.remove(&key), btree.remove(&key));
            }
            assert_eq!(sorted.get(&key), btree.get(&key));
            assert_eq!(sorted.position(&key).map(|at| sorted.at(at)), btree.get(&key));
            assert_eq!(sorted.len(), btree.len());
        }
        assert_eq!(sorted.iter().collect::<Vec<_>>(), btree.iter().collect::<Vec<_>>());
    }
}
