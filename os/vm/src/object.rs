//! Memory objects: reference-counted sets of resident pages, anonymous (zero-fill) or backed by
//! an external pager, chained by shadows for copy-on-write, and collapsed so chains stay short.
//!
//! Invariants:
//! - an object's `refs` counts the map entries naming it plus the shadows whose backing it is;
//!   at zero it is destroyed, its frames released and its backing dereferenced (iteratively, so a
//!   long chain cannot overflow the stack);
//! - a page seen through a shadow chain is the first resident one going down the chain
//!   (object page `i` of a shadow is page `i + offset` of its backing); a page resident nowhere
//!   and asked of an anonymous bottom reads as zeros;
//! - an object that is shadowed, or named by a copy-on-write entry, is frozen over the pages
//!   those see: it may gain pages only that read as what they replace (zero-fill, a merge);
//! - every resident frame's owner in the [`FrameTable`] is its object and page.
//!
//! Collapse (after Mach's `vm_object_collapse`): walking down from an object, a backing object
//! referenced by nothing but the shadow above it is merged into that shadow (its pages that the
//! shadow lacks move up, the others are freed, and the shadow takes over the backing's own
//! backing); a backing object still referenced elsewhere is bypassed when the shadow has every
//! page of it that the shadow can see.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::addr::{FrameId, ObjectId, PageIndex};
use crate::entry::{Access, Prot};
use crate::frame::{FrameTable, PhysMem};

/// Where an object's non-resident pages come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pager {
    /// Nowhere: they read as zeros (or as the backing object's pages, for a shadow).
    Anonymous,
    /// An external pager, by the kernel's number for it: a fault on a missing page asks it.
    External(u32),
    /// Anonymous memory some of whose pages the node's default pager holds (they were paged
    /// out: Mach's `memory_object_create` gave the object to the default pager at its first
    /// page-out), by the kernel's number for it: a fault on a page it holds asks it; other
    /// missing pages read as zeros or as the backing object's, as for [`Pager::Anonymous`].
    Default(u32),
}

/// One memory object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// Entries and shadows referring to it.
    pub refs: u32,
    /// Its size in pages (the range of indices mapped when it was made).
    pub size: u32,
    /// Resident pages: page index → frame.
    pub pages: BTreeMap<PageIndex, FrameId>,
    /// The object it shadows and the backing page its page 0 corresponds to.
    pub backing: Option<(ObjectId, PageIndex)>,
    /// Where missing pages come from.
    pub pager: Pager,
    /// Resident pages the pager locked (Mach's page lock): page → the accesses refused until
    /// the pager lowers the lock. Only an external object's pages are ever locked.
    pub locks: BTreeMap<PageIndex, Prot>,
    /// Resident pages of an external object written since the pager provided or last cleaned
    /// them: the ones that go back to it.
    pub dirty: BTreeSet<PageIndex>,
    /// Resident pages mapped by a fault since the page-replacement clock last passed them
    /// (its second chance: the kernel's software reference bit).
    pub referenced: BTreeSet<PageIndex>,
    /// Pages of a [`Pager::Default`] object its pager holds (Mach's existence map): written
    /// out, and not written since if also resident.
    pub paged_out: BTreeSet<PageIndex>,
    /// Never paged out: the object is mapped by the default pager's own task (which must not
    /// wait for itself).
    pub wired: bool,
}

impl Object {
    /// Whether it is anonymous memory: zero-filled, its pages perhaps with the default pager.
    pub fn is_anonymous(&self) -> bool {
        matches!(self.pager, Pager::Anonymous | Pager::Default(_))
    }

    /// Whether it has page `index` itself: resident, or with its default pager.
    fn holds(&self, index: PageIndex) -> bool {
        self.pages.contains_key(&index) || self.paged_out.contains(&index)
    }
}

/// Where a page seen from an object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Resident in `frame`, `depth` objects down the chain (0: in the object asked).
    Resident {
        /// The frame holding it.
        frame: FrameId,
        /// How far down the chain.
        depth: usize,
    },
    /// Nowhere: it reads as zeros.
    Absent,
    /// With `object`'s external pager, as page `index` of that object.
    Pager {
        /// The object whose pager holds it.
        object: ObjectId,
        /// The page, inside that object.
        index: PageIndex,
    },
}

/// The table of every memory object.
#[derive(Clone, Debug, Default)]
pub struct Objects {
    table: BTreeMap<ObjectId, Object>,
    next: u32,
    /// [`Pager::Default`] objects destroyed whose pager has not been told yet: (object, the
    /// kernel's number for the pager). Their ids are not reused until taken.
    ended: Vec<(ObjectId, u32)>,
    /// Faults mark anonymous pages referenced ([`Objects::mark_referenced`]).
    track_anonymous: bool,
    /// [`Pager::Default`] objects merged into their shadows, which took over their pagers:
    /// (the object gone, the one that has its pager now), for the kernel's books.
    adopted: Vec<(ObjectId, ObjectId)>,
}

impl Objects {
    /// An empty table.
    pub fn new() -> Objects {
        Objects::default()
    }

    /// Objects alive.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no object is alive.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The object `id`, if alive.
    pub fn get(&self, id: ObjectId) -> Option<&Object> {
        self.table.get(&id)
    }

    /// Every object alive, by id.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectId, &Object)> {
        self.table.iter().map(|(id, object)| (*id, object))
    }

    /// The references to `id` (0 if it is not alive).
    pub fn refs(&self, id: ObjectId) -> u32 {
        self.table.get(&id).map_or(0, |o| o.refs)
    }

    /// Whether `id` is anonymous and referenced once: its one holder may write it in place
    /// instead of shadowing it.
    pub fn is_private(&self, id: ObjectId) -> bool {
        self.table.get(&id).is_some_and(|o| o.refs == 1 && o.is_anonymous())
    }

    /// Whether `id` is anonymous memory (zero-filled, perhaps with pages paged out).
    pub fn is_anonymous(&self, id: ObjectId) -> bool {
        self.table.get(&id).is_some_and(Object::is_anonymous)
    }

    /// A new object of `size` pages with one reference and no page resident.
    pub fn create(&mut self, size: u32, pager: Pager) -> ObjectId {
        while self.table.contains_key(&ObjectId(self.next))
            || self.ended.iter().any(|(id, _)| *id == ObjectId(self.next))
            || self.adopted.iter().any(|(id, _)| *id == ObjectId(self.next))
        {
            self.next = self.next.wrapping_add(1);
        }
        let id = ObjectId(self.next);
        self.next = self.next.wrapping_add(1);
        let object = Object {
            refs: 1,
            size,
            pages: BTreeMap::new(),
            backing: None,
            pager,
            locks: BTreeMap::new(),
            dirty: BTreeSet::new(),
            referenced: BTreeSet::new(),
            paged_out: BTreeSet::new(),
            wired: false,
        };
        self.table.insert(id, object);
        id
    }

    /// A new anonymous object of `size` pages shadowing `backing` from page `offset`; it takes
    /// over one reference the caller held on `backing`.
    pub fn shadow(&mut self, backing: ObjectId, offset: PageIndex, size: u32) -> ObjectId {
        let id = self.create(size, Pager::Anonymous);
        if let Some(object) = self.table.get_mut(&id) {
            object.backing = Some((backing, offset));
        }
        id
    }

    /// Takes one more reference on `id`.
    pub fn reference(&mut self, id: ObjectId) {
        if let Some(object) = self.table.get_mut(&id) {
            object.refs += 1;
        }
    }

    /// Drops one reference on `id`; at zero destroys it, then drops its reference on its backing.
    pub fn release<M: PhysMem>(&mut self, id: ObjectId, frames: &mut FrameTable<M>) {
        let mut next = Some(id);
        while let Some(id) = next.take() {
            let Some(object) = self.table.get_mut(&id) else { return };
            object.refs -= 1;
            if object.refs > 0 {
                return;
            }
            if let Some(object) = self.table.remove(&id) {
                if let Pager::Default(pager) = object.pager {
                    self.ended.push((id, pager));
                }
                for frame in object.pages.into_values() {
                    frames.set_owner(frame, None);
                    frames.release(frame);
                }
                next = object.backing.map(|(backing, _)| backing);
            }
        }
    }

    /// Makes `frame` (one reference, held by the caller and handed over) page `index` of `id`.
    pub fn insert_page<M: PhysMem>(
        &mut self,
        id: ObjectId,
        index: PageIndex,
        frame: FrameId,
        frames: &mut FrameTable<M>,
    ) {
        let Some(object) = self.table.get_mut(&id) else {
            frames.release(frame);
            return;
        };
        frames.set_owner(frame, Some((id, index)));
        if let Some(old) = object.pages.insert(index, frame) {
            object.locks.remove(&index);
            object.dirty.remove(&index);
            object.referenced.remove(&index);
            frames.set_owner(old, None);
            frames.release(old);
        }
    }

    /// Takes page `index` out of `id` (with its lock and its dirty mark) and frees its frame;
    /// whether it was resident. The caller has removed every mapping of it.
    pub fn remove_page<M: PhysMem>(
        &mut self,
        id: ObjectId,
        index: PageIndex,
        frames: &mut FrameTable<M>,
    ) -> bool {
        let Some(object) = self.table.get_mut(&id) else { return false };
        object.locks.remove(&index);
        object.dirty.remove(&index);
        object.referenced.remove(&index);
        let Some(frame) = object.pages.remove(&index) else { return false };
        frames.set_owner(frame, None);
        frames.release(frame);
        true
    }

    /// The accesses page `index` of `id` refuses until its pager unlocks it.
    pub fn lock_of(&self, id: ObjectId, index: PageIndex) -> Prot {
        self.table.get(&id).and_then(|o| o.locks.get(&index)).copied().unwrap_or(Prot::NONE)
    }

    /// Locks resident page `index` of `id` against `lock` (replacing its lock; `Prot::NONE`
    /// unlocks it). A page not resident is left alone.
    pub fn set_lock(&mut self, id: ObjectId, index: PageIndex, lock: Prot) {
        let Some(object) = self.table.get_mut(&id) else { return };
        if !object.pages.contains_key(&index) {
            return;
        }
        if lock == Prot::NONE {
            object.locks.remove(&index);
        } else {
            object.locks.insert(index, lock);
        }
    }

    /// Whether `id` is an external pager's.
    pub fn is_external(&self, id: ObjectId) -> bool {
        self.table.get(&id).is_some_and(|o| matches!(o.pager, Pager::External(_)))
    }

    /// Hands anonymous object `id` to the default pager numbered `pager` (before its first
    /// page-out); false if it is not anonymous or has a pager already.
    pub fn give_to_default(&mut self, id: ObjectId, pager: u32) -> bool {
        match self.table.get_mut(&id) {
            Some(object) if object.pager == Pager::Anonymous => {
                object.pager = Pager::Default(pager);
                true
            }
            _ => false,
        }
    }

    /// Takes resident page `index` out of [`Pager::Default`] object `id`, its pager now
    /// holding it, and frees its frame; whether it was resident. The caller has removed every
    /// mapping of it and sent it to the pager if it was not holding it already.
    pub fn page_out<M: PhysMem>(
        &mut self,
        id: ObjectId,
        index: PageIndex,
        frames: &mut FrameTable<M>,
    ) -> bool {
        let Some(object) = self.table.get_mut(&id) else { return false };
        if !matches!(object.pager, Pager::Default(_)) || !object.pages.contains_key(&index) {
            return false;
        }
        object.paged_out.insert(index);
        self.remove_page(id, index, frames)
    }

    /// The [`Pager::Default`] objects destroyed since the last call, with their pagers' numbers
    /// (the kernel tells each pager, which frees what it holds of them).
    pub fn take_ended(&mut self) -> Vec<(ObjectId, u32)> {
        core::mem::take(&mut self.ended)
    }

    /// The default pager's objects merged into their shadows since the last call: (the object
    /// gone, the shadow that took over its pager and pages).
    pub fn take_adopted(&mut self) -> Vec<(ObjectId, ObjectId)> {
        core::mem::take(&mut self.adopted)
    }

    /// Whether [`Objects::take_ended`] has objects to give.
    pub fn has_ended(&self) -> bool {
        !self.ended.is_empty()
    }

    /// Wires `id` and every object down its chain: their pages are never paged out.
    pub fn wire(&mut self, id: ObjectId) {
        let mut next = Some(id);
        while let Some(object) = next.and_then(|id| self.table.get_mut(&id)) {
            object.wired = true;
            next = object.backing.map(|(backing, _)| backing);
        }
    }

    /// Marks resident page `index` of `id` written.
    pub fn mark_dirty(&mut self, id: ObjectId, index: PageIndex) {
        if let Some(object) = self.table.get_mut(&id) {
            if object.pages.contains_key(&index) {
                object.dirty.insert(index);
            }
        }
    }

    /// The rights to map resident page `index` of `id` with for `access`, out of `prot`, and
    /// marks it referenced (and written, for a write). A page of an external object, or one
    /// the default pager holds a copy of, is mapped without write until written, so the
    /// kernel knows it is dirty.
    pub fn track_write(&mut self, id: ObjectId, index: PageIndex, access: Access, prot: Prot) -> Prot {
        self.mark_referenced(id, index);
        let Some(object) = self.table.get_mut(&id) else { return prot };
        let tracked = match object.pager {
            Pager::External(_) => true,
            Pager::Default(_) => object.paged_out.contains(&index),
            Pager::Anonymous => false,
        };
        if !tracked {
            return prot;
        }
        if access == Access::Write {
            object.dirty.insert(index);
            prot
        } else if object.dirty.contains(&index) {
            prot
        } else {
            prot.without(Prot::WRITE)
        }
    }

    /// Marks resident page `index` of `id` referenced (mapped by a fault).
    /// Anonymous pages are marked only while [`Objects::track_anonymous`] is on (while the
    /// node pages them out: without a default pager no clock passes them).
    pub fn mark_referenced(&mut self, id: ObjectId, index: PageIndex) {
        let track_anonymous = self.track_anonymous;
        if let Some(object) = self.table.get_mut(&id) {
            if object.pages.contains_key(&index) && (track_anonymous || !object.is_anonymous()) {
                object.referenced.insert(index);
            }
        }
    }

    /// Whether faults mark anonymous pages referenced and track writes to pages the default
    /// pager holds ([`Objects::track_anonymous`]).
    pub fn tracks_anonymous(&self) -> bool {
        self.track_anonymous
    }

    /// Whether faults mark anonymous pages referenced (for the clock over anonymous memory).
    /// Turned off, the marks are dropped.
    pub fn track_anonymous(&mut self, on: bool) {
        self.track_anonymous = on;
        if !on {
            for object in self.table.values_mut().filter(|o| o.is_anonymous()) {
                object.referenced.clear();
            }
        }
    }

    /// Whether page `index` of `id` was referenced since the last call; clears the mark.
    pub fn take_referenced(&mut self, id: ObjectId, index: PageIndex) -> bool {
        self.table.get_mut(&id).is_some_and(|o| o.referenced.remove(&index))
    }

    /// Whether page `index` of `id` was written since it was provided or cleaned; clears the
    /// mark (the page is clean once the caller has sent it back).
    pub fn take_dirty(&mut self, id: ObjectId, index: PageIndex) -> bool {
        self.table.get_mut(&id).is_some_and(|o| o.dirty.remove(&index))
    }

    /// Where page `index` of `id` is, looking down the shadow chain.
    pub fn lookup(&self, id: ObjectId, index: PageIndex) -> Lookup {
        let (mut id, mut index, mut depth) = (id, index, 0);
        while let Some(object) = self.table.get(&id) {
            if let Some(&frame) = object.pages.get(&index) {
                return Lookup::Resident { frame, depth };
            }
            match object.pager {
                Pager::External(_) => return Lookup::Pager { object: id, index },
                Pager::Default(_) if object.paged_out.contains(&index) => {
                    return Lookup::Pager { object: id, index }
                }
                _ => {}
            }
            let Some((backing, offset)) = object.backing else { break };
            (id, index, depth) = (backing, index.plus(offset.0), depth + 1);
        }
        Lookup::Absent
    }

    /// How many objects the chain from `id` down holds (0 if `id` is not alive).
    pub fn depth(&self, id: ObjectId) -> usize {
        let mut depth = 0;
        let mut next = Some(id);
        while let Some(object) = next.and_then(|id| self.table.get(&id)) {
            depth += 1;
            next = object.backing.map(|(backing, _)| backing);
        }
        depth
    }

    /// The longest shadow chain of any object.
    pub fn deepest_chain(&self) -> usize {
        self.table.keys().map(|&id| self.depth(id)).max().unwrap_or(0)
    }

    /// Shortens the chain below `top`: merges backing objects only their shadow references and
    /// bypasses backing objects their shadow hides entirely (see the module's documentation).
    pub fn collapse<M: PhysMem>(&mut self, top: ObjectId, frames: &mut FrameTable<M>) {
        let mut current = top;
        loop {
            let Some(object) = self.table.get(&current) else { return };
            let size = object.size;
            let Some((backing_id, offset)) = object.backing else { return };
            let Some(backing) = self.table.get(&backing_id) else { return };
            // A backing object with the default pager can merge into an anonymous shadow that
            // sees it page for page: the shadow takes over its pager (Mach moves the pager up
            // in `vm_object_collapse` too); an external pager's object never merges.
            let adoptable = matches!(backing.pager, Pager::Default(_))
                && object.pager == Pager::Anonymous
                && offset.0 == 0;
            if !(backing.pager == Pager::Anonymous || adoptable) {
                current = backing_id;
                continue;
            }
            let window = offset.0..offset.0.saturating_add(size);
            if backing.refs == 1 {
                self.merge(current, backing_id, offset, frames);
                continue;
            }
            let range = PageIndex(window.start)..PageIndex(window.end);
            let seen = |index: &PageIndex| object.holds(PageIndex(index.0 - offset.0));
            let hidden = backing.pages.range(range.clone()).all(|(index, _)| seen(index))
                && (backing.paged_out.is_empty() || backing.paged_out.range(range).all(seen));
            if hidden {
                let below = backing.backing.map(|(id, off)| (id, off.plus(offset.0)));
                if let Some((id, _)) = below {
                    self.reference(id);
                }
                if let Some(object) = self.table.get_mut(&current) {
                    object.backing = below;
                }
                self.release(backing_id, frames);
                continue;
            }
            current = backing_id;
        }
    }

    /// Moves into `shadow` the pages of `backing` (referenced by `shadow` alone) that it sees and
    /// lacks, frees the rest, and makes `backing`'s backing the shadow's.
    fn merge<M: PhysMem>(
        &mut self,
        shadow: ObjectId,
        backing: ObjectId,
        offset: PageIndex,
        frames: &mut FrameTable<M>,
    ) {
        let Some(mut old) = self.table.remove(&backing) else { return };
        let Some(object) = self.table.get_mut(&shadow) else { return };
        let mut freed = Vec::new();
        object.wired |= old.wired;
        // The shadow (anonymous, seeing the backing at the same indices) takes over the
        // backing's default pager, if it has one, and the pages it holds — but for those the
        // shadow has itself: its own pages there are newer, and go to the pager whole.
        let adopted = match old.pager {
            Pager::Default(pager) => {
                let own = |i: &&PageIndex| object.pages.contains_key(i);
                let held: Vec<PageIndex> =
                    old.paged_out.iter().filter(|i| i.0 < object.size && !own(i)).copied().collect();
                let dirty: Vec<PageIndex> = old.dirty.iter().filter(|i| !own(i)).copied().collect();
                object.pager = Pager::Default(pager);
                Some((held, dirty))
            }
            _ => None,
        };
        // The common case after a fork whose child has gone: a shadow with few pages over a
        // backing with many, seen whole at the same indices. Its map is taken over wholesale
        // and the shadow's few pages put in it, instead of moving the many a page at a time.
        let within = old.pages.last_key_value().is_none_or(|(last, _)| last.0 < object.size);
        if offset.0 == 0
            && within
            && object.pages.len() < old.pages.len()
            && old.pager == Pager::Anonymous
            && object.paged_out.is_empty()
        {
            core::mem::swap(&mut object.pages, &mut old.pages);
            for (&index, &frame) in &object.pages {
                frames.set_owner(frame, Some((shadow, index)));
            }
            for (index, frame) in core::mem::take(&mut old.pages) {
                if let Some(hidden) = object.pages.insert(index, frame) {
                    freed.push(hidden);
                }
                frames.set_owner(frame, Some((shadow, index)));
            }
        }
        for (index, frame) in old.pages {
            let seen = index.0.checked_sub(offset.0).filter(|i| *i < object.size).map(PageIndex);
            match seen {
                Some(i) if !object.holds(i) => {
                    object.pages.insert(i, frame);
                    frames.set_owner(frame, Some((shadow, i)));
                }
                _ => freed.push(frame),
            }
        }
        object.backing = old.backing.map(|(id, off)| (id, off.plus(offset.0)));
        if let Some((held, dirty)) = adopted {
            object.paged_out.extend(held);
            object.dirty.extend(dirty);
            self.adopted.push((backing, shadow));
        }
        for frame in freed {
            frames.set_owner(frame, None);
            frames.release(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Lookup, Objects, Pager};
    use crate::addr::{ObjectId, PageIndex};
    use crate::frame::{FrameTable, PhysMem, VecMem};

    fn page(objects: &mut Objects, frames: &mut FrameTable<VecMem>, id: ObjectId, index: u32, byte: u8) {
        let frame = frames.allocate().unwrap();
        frames.mem_mut().zero(frame);
        frames.mem_mut().write(frame, 0, &[byte]);
        objects.insert_page(id, PageIndex(index), frame, frames);
    }

    fn byte(objects: &Objects, frames: &FrameTable<VecMem>, id: ObjectId, index: u32) -> Option<u8> {
        match objects.lookup(id, PageIndex(index)) {
            Lookup::Resident { frame, .. } => {
                let mut b = [0];
                frames.mem().read(frame, 0, &mut b);
                Some(b[0])
            }
            _ => None,
        }
    }

    #[test]
    fn shadow_lookup_and_release() {
        let mut frames = FrameTable::new(VecMem::new(16));
        let mut objects = Objects::new();
        let base = objects.create(4, Pager::Anonymous);
        page(&mut objects, &mut frames, base, 1, 11);
        page(&mut objects, &mut frames, base, 2, 12);
        let top = objects.shadow(base, PageIndex(1), 2);
        page(&mut objects, &mut frames, top, 1, 21);
        assert_eq!(byte(&objects, &frames, top, 0), Some(11));
        assert_eq!(byte(&objects, &frames, top, 1), Some(21));
        assert!(matches!(objects.lookup(top, PageIndex(0)), Lookup::Resident { depth: 1, .. }));
        assert_eq!(objects.lookup(top, PageIndex(3)), Lookup::Absent);
        assert_eq!(objects.depth(top), 2);
        objects.release(top, &mut frames);
        assert!(objects.is_empty());
        assert_eq!(frames.in_use(), 0);
    }

    #[test]
    fn collapse_merges_a_backing_only_the_shadow_references() {
        let mut frames = FrameTable::new(VecMem::new(16));
        let mut objects = Objects::new();
        let base = objects.create(4, Pager::Anonymous);
        for i in 0..4 {
            page(&mut objects, &mut frames, base, i, i as u8);
        }
        let top = objects.shadow(base, PageIndex(1), 2);
        page(&mut objects, &mut frames, top, 0, 99);
        objects.collapse(top, &mut frames);
        assert_eq!(objects.len(), 1);
        assert_eq!(byte(&objects, &frames, top, 0), Some(99));
        assert_eq!(byte(&objects, &frames, top, 1), Some(2));
        assert_eq!(frames.in_use(), 2);
        let owner = frames.info(objects.get(top).unwrap().pages[&PageIndex(1)]).unwrap().owner;
        assert_eq!(owner, Some((top, PageIndex(1))));
        objects.release(top, &mut frames);
        assert_eq!(frames.in_use(), 0);
    }

    #[test]
    fn collapse_bypasses_a_hidden_shared_backing() {
        let mut frames = FrameTable::new(VecMem::new(16));
        let mut objects = Objects::new();
        let bottom = objects.create(2, Pager::Anonymous);
        objects.reference(bottom);
        page(&mut objects, &mut frames, bottom, 0, 1);
        let middle = objects.shadow(bottom, PageIndex(0), 2);
        page(&mut objects, &mut frames, middle, 1, 2);
        objects.reference(middle);
        let top = objects.shadow(middle, PageIndex(0), 2);
        objects.collapse(top, &mut frames);
        assert_eq!(objects.depth(top), 3, "middle's page 1 is visible: no bypass");
        page(&mut objects, &mut frames, top, 1, 3);
        objects.collapse(top, &mut frames);
        assert_eq!(objects.depth(top), 2);
        assert_eq!(byte(&objects, &frames, top, 0), Some(1));
        assert_eq!(byte(&objects, &frames, top, 1), Some(3));
        assert_eq!((objects.refs(middle), objects.refs(bottom)), (1, 3));
        objects.release(top, &mut frames);
        objects.release(middle, &mut frames);
        objects.release(bottom, &mut frames);
        assert!(objects.is_empty());
        assert_eq!(frames.in_use(), 0);
    }

    #[test]
    fn external_pager_is_asked_for_missing_pages() {
        let mut frames = FrameTable::new(VecMem::new(4));
        let mut objects = Objects::new();
        let file = objects.create(8, Pager::External(5));
        let top = objects.shadow(file, PageIndex(2), 2);
        assert_eq!(objects.lookup(top, PageIndex(1)), Lookup::Pager { object: file, index: PageIndex(3) });
        objects.collapse(top, &mut frames);
        assert_eq!(objects.depth(top), 2, "a paged object is never merged");
        objects.release(top, &mut frames);
        assert_eq!(objects.len(), 0);
    }
}
