//! [`NameTable`]: a task's names, indexed by name.
//!
//! A name is a small integer, the lowest free one when the kernel picks it, so a task's names
//! are kept as Mach 3 keeps its IPC entries: in a vector indexed by the name. Looking a name
//! up, giving a right a new name and taking it out again (what every RPC does with its
//! send-once reply right) touch one slot: no search, and nothing moves. A name a task chose
//! itself (`port_insert_right`) may be any number: those above [`DENSE`] are kept apart, in
//! order.

use alloc::vec::Vec;

use crate::name::Name;
use crate::sorted::{give_back, SortedMap};

/// The largest name kept in the vector: beyond it, names are kept in a [`SortedMap`].
pub const DENSE: u32 = 4096;

/// A map from names to `V`, iterated in name order.
#[derive(Clone, Debug)]
pub struct NameTable<V> {
    /// Slot `n - 1` holds name `n`'s value (names 1 to [`DENSE`]); never ends with an empty
    /// slot.
    dense: Vec<Option<V>>,
    /// The values in `dense`.
    count: usize,
    /// Names above [`DENSE`].
    sparse: SortedMap<Name, V>,
}

impl<V> Default for NameTable<V> {
    fn default() -> NameTable<V> {
        NameTable::new()
    }
}

/// The slot of `dense` that holds `name`, if it is a dense name.
#[inline]
fn slot(name: Name) -> Option<usize> {
    (1..=DENSE).contains(&name.0).then(|| name.0 as usize - 1)
}

impl<V> NameTable<V> {
    /// No names.
    pub const fn new() -> NameTable<V> {
        NameTable { dense: Vec::new(), count: 0, sparse: SortedMap::new() }
    }

    /// The value of `name`.
    #[inline(always)]
    pub fn get(&self, name: &Name) -> Option<&V> {
        match slot(*name) {
            Some(at) => self.dense.get(at)?.as_ref(),
            None => self.sparse.get(name),
        }
    }

    /// The value of `name`, to change.
    #[inline(always)]
    pub fn get_mut(&mut self, name: &Name) -> Option<&mut V> {
        match slot(*name) {
            Some(at) => self.dense.get_mut(at)?.as_mut(),
            None => self.sparse.get_mut(name),
        }
    }

    /// Whether `name` has a value.
    pub fn contains_key(&self, name: &Name) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name`'s value; the one it replaces, if any.
    #[inline]
    pub fn insert(&mut self, name: Name, value: V) -> Option<V> {
        let Some(at) = slot(name) else { return self.sparse.insert(name, value) };
        if at >= self.dense.len() {
            self.dense.resize_with(at + 1, || None);
        }
        let old = self.dense[at].replace(value);
        if old.is_none() {
            self.count += 1;
        }
        old
    }

    /// Gives `value` the lowest free name ([`NameTable::lowest_free`]), which it returns: one
    /// look for the name and no look-up to put the value there.
    #[inline]
    pub fn insert_lowest(&mut self, value: V) -> Name {
        match self.dense.iter().position(Option::is_none) {
            Some(at) => {
                self.dense[at] = Some(value);
                self.count += 1;
                Name(at as u32 + 1)
            }
            None if self.dense.len() < DENSE as usize => {
                self.dense.push(Some(value));
                self.count += 1;
                Name(self.dense.len() as u32)
            }
            None => {
                let name = self.lowest_free();
                self.insert(name, value);
                name
            }
        }
    }

    /// Takes `name`'s value out. The vector gives back the room of its empty end beyond
    /// twice what it holds ([`give_back`]), so that what an idle kernel's tables take does not
    /// depend on the most names a task once had.
    #[inline]
    pub fn remove(&mut self, name: &Name) -> Option<V> {
        let Some(at) = slot(*name) else { return self.sparse.remove(name) };
        let old = self.dense.get_mut(at)?.take()?;
        self.count -= 1;
        self.trim(at);
        Some(old)
    }

    /// [`NameTable::remove`] for a caller that does not want the value: whether `name` had one.
    #[inline]
    pub fn discard(&mut self, name: &Name) -> bool {
        let Some(at) = slot(*name) else { return self.sparse.remove(name).is_some() };
        let Some(entry) = self.dense.get_mut(at).filter(|v| v.is_some()) else { return false };
        *entry = None;
        self.count -= 1;
        self.trim(at);
        true
    }

    /// After slot `at` was emptied: if it was the last, the empty end goes, and its room as
    /// [`give_back`] says.
    #[inline]
    fn trim(&mut self, at: usize) {
        if at + 1 == self.dense.len() {
            while self.dense.last().is_some_and(Option::is_none) {
                self.dense.pop();
            }
            give_back(&mut self.dense);
        }
    }

    /// The lowest name with no value (never [`Name::NULL`]).
    #[inline]
    pub fn lowest_free(&self) -> Name {
        if let Some(at) = self.dense.iter().position(Option::is_none) {
            return Name(at as u32 + 1);
        }
        let mut candidate = self.dense.len() as u32 + 1;
        for name in self.sparse.keys() {
            if name.0 != candidate {
                break;
            }
            candidate += 1;
        }
        Name(candidate)
    }

    /// The names with values, in order.
    pub fn keys(&self) -> impl Iterator<Item = Name> + '_ {
        self.iter().map(|(name, _)| name)
    }

    /// The names and their values, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (Name, &V)> {
        let dense = self.dense.iter().enumerate();
        dense
            .filter_map(|(at, value)| Some((Name(at as u32 + 1), value.as_ref()?)))
            .chain(self.sparse.iter().map(|(name, value)| (*name, value)))
    }

    /// The names and their values, in name order, the values to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Name, &mut V)> {
        let dense = self.dense.iter_mut().enumerate();
        dense
            .filter_map(|(at, value)| Some((Name(at as u32 + 1), value.as_mut()?)))
            .chain(self.sparse.iter_mut().map(|(name, value)| (*name, value)))
    }

    /// How many names have values.
    pub fn len(&self) -> usize {
        self.count + self.sparse.len()
    }

    /// Whether no name has a value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{NameTable, DENSE};
    use crate::name::Name;
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    /// The lowest name a [`BTreeMap`] of names leaves free.
    fn lowest_free(map: &BTreeMap<Name, u32>) -> Name {
        (1..).map(Name).find(|name| !map.contains_key(name)).unwrap_or(Name::NULL)
    }

    #[test]
    fn behaves_as_a_btree_map_of_names() {
        let (mut table, mut btree) = (NameTable::new(), BTreeMap::new());
        // A fixed pseudo-random walk over small names, names around the end of the vector's
        // part, and large ones.
        for x in crate::walk(4000) {
            let name = Name(match (x >> 8) % 3 {
                0 => (x >> 16) % 40 + 1,
                1 => DENSE - 2 + (x >> 16) % 5,
                _ => u32::MAX - (x >> 16) % 3,
            });
            match x & 3 {
                0 => assert_eq!(table.insert(name, x), btree.insert(name, x)),
                1 => assert_eq!(table.remove(&name), btree.remove(&name)),
                2 => {
                    let lowest = lowest_free(&btree);
                    btree.insert(lowest, x);
                    assert_eq!(table.insert_lowest(x), lowest);
                }
                _ => assert_eq!(table.discard(&name), btree.remove(&name).is_some()),
            }
            assert_eq!(table.get(&name), btree.get(&name));
            assert_eq!(table.len(), btree.len());
            assert_eq!(table.lowest_free(), lowest_free(&btree));
        }
        let pairs: Vec<(Name, u32)> = table.iter().map(|(n, v)| (n, *v)).collect();
        assert_eq!(pairs, btree.iter().map(|(n, v)| (*n, *v)).collect::<Vec<_>>());
    }

    #[test]
    fn the_lowest_free_name_runs_past_a_full_vector_into_the_large_names() {
        let mut table = NameTable::new();
        for n in 1..=DENSE + 2 {
            table.insert(Name(n), n);
        }
        assert_eq!(table.lowest_free(), Name(DENSE + 3));
        assert_eq!(table.insert_lowest(0), Name(DENSE + 3));
        table.remove(&Name(7));
        assert_eq!(table.lowest_free(), Name(7));
        assert_eq!(table.insert_lowest(0), Name(7));
        assert!(table.discard(&Name(7)));
        assert!(!table.discard(&Name(7)));
    }

    #[test]
    fn emptied_it_keeps_little_room() {
        let mut table = NameTable::new();
        for n in 1..=1000 {
            table.insert(Name(n), n);
        }
        for n in (1..=1000).rev() {
            if n % 2 == 0 {
                table.remove(&Name(n));
            } else {
                table.discard(&Name(n));
            }
        }
        assert!(table.is_empty());
        assert!(table.dense.capacity() <= 8, "{} slots kept", table.dense.capacity());
    }
}
