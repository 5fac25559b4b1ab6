//! Model-based test: random sequences of operations on up to [`MAX_TASKS`] tasks — allocate,
//! deallocate, protect, inherit, reads and writes (as the processor does them, through the pmap,
//! and as the kernel does, through `read`/`write`), copies, fork, exit — run against the crate
//! and against a model that keeps, per task and page, whether it is allocated, its rights, its
//! inheritance and its bytes (shared pages share one buffer). Every result and every byte read
//! must match the model; after every step the structures are checked (pmaps against resolution,
//! reference counts recomputed, frame owners, counters) and the deepest shadow chain is bounded;
//! after all tasks exit nothing remains. Pages are paged out at random, as the kernel's clock
//! over anonymous memory does (unmapped everywhere, the object given to a default pager at its
//! first page-out, written to a swap store unless it holds them unchanged), and brought back
//! from that store when a fault asks for them, so every result must be the same with or
//! without paging.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

use proptest::prelude::{
    any, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig, Strategy,
};
use proptest::test_runner::TestCaseError;

use crate::addr::{ObjectId, PageIndex, VAddr, PAGE_SIZE};
use crate::entry::{Access, Inheritance, Prot};
use crate::error::{FaultError, VmError};
use crate::frame::{PhysMem, VecMem};
use crate::map::{Map, Placement, MAP_LIMIT};
use crate::object::Lookup;
use crate::pmap::{Pmap, TreePmap};
use crate::system::{Counts, Vm};

/// Tasks alive at once, at most.
const MAX_TASKS: usize = 4;
/// The lowest address of every map.
const BASE: u32 = 0x10000;
/// Pages in every map.
const PAGES: u32 = 12;
/// The deepest shadow chain allowed with [`MAX_TASKS`] tasks.
const DEPTH_BOUND: usize = 2 * MAX_TASKS;

/// One step. Tasks are chosen modulo the tasks alive; page numbers count from the page below
/// the map (page 0 is outside it, so are pages past `PAGES`).
#[derive(Clone, Debug)]
enum Op {
    Allocate {
        task: usize,
        fixed: Option<u32>,
        pages: u32,
    },
    Deallocate {
        task: usize,
        page: u32,
        pages: u32,
    },
    Protect {
        task: usize,
        page: u32,
        pages: u32,
        set_max: bool,
        prot: u8,
    },
    Inherit {
        task: usize,
        page: u32,
        pages: u32,
        inheritance: u8,
    },
    Write {
        task: usize,
        page: u32,
        offset: u16,
        len: u8,
        byte: u8,
        kernel: bool,
    },
    Read {
        task: usize,
        page: u32,
        offset: u16,
        len: u8,
        access: u8,
        kernel: bool,
    },
    Copy {
        task: usize,
        page: u32,
        target: usize,
        target_page: u32,
        pages: u32,
    },
    Fork {
        task: usize,
    },
    Exit {
        task: usize,
    },
    Spawn,
    /// Pages out the `nth` resident page of anonymous memory (modulo how many there are).
    PageOut {
        nth: u16,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let task = 0..MAX_TASKS;
    let page = 0..PAGES + 2;
    let pages = 0u32..5;
    prop_oneof![
        4 => (task.clone(), proptest::option::of(page.clone()), pages.clone())
            .prop_map(|(task, fixed, pages)| Op::Allocate { task, fixed, pages }),
        2 => (task.clone(), page.clone(), pages.clone())
            .prop_map(|(task, page, pages)| Op::Deallocate { task, page, pages }),
        2 => (task.clone(), page.clone(), pages.clone(), proptest::bool::weighted(0.2), prot())
            .prop_map(|(task, page, pages, set_max, prot)| Op::Protect { task, page, pages, set_max, prot }),
        2 => (task.clone(), page.clone(), pages.clone(), 0u8..3)
            .prop_map(|(task, page, pages, inheritance)| Op::Inherit { task, page, pages, inheritance }),
        10 => (task.clone(), page.clone(), any::<u16>(), 1u8..64, any::<u8>(), any::<bool>())
            .prop_map(|(task, page, offset, len, byte, kernel)| {
                Op::Write { task, page, offset, len, byte, kernel }
            }),
        6 => (task.clone(), page.clone(), any::<u16>(), 1u8..64, 0u8..3, any::<bool>())
            .prop_map(|(task, page, offset, len, access, kernel)| {
                Op::Read { task, page, offset, len, access, kernel }
            }),
        1 => (task.clone(), page.clone(), task.clone(), page.clone(), pages.clone())
            .prop_map(|(task, page, target, target_page, pages)| {
                Op::Copy { task, page, target, target_page, pages }
            }),
        4 => task.clone().prop_map(|task| Op::Fork { task }),
        3 => task.prop_map(|task| Op::Exit { task }),
        1 => Just(Op::Spawn),
        4 => any::<u16>().prop_map(|nth| Op::PageOut { nth }),
    ]
}

/// Rights for `protect`: mostly ones that keep pages readable and writable.
fn prot() -> impl Strategy<Value = u8> {
    prop_oneof![4 => Just(Prot::DEFAULT.bits()), 2 => Just(Prot::ALL.bits()), 3 => 0u8..8]
}

/// Steps of fork-and-exit churn over memory allocated up front: writes, reads, forks, exits and
/// a few inheritance changes.
fn churn_op() -> impl Strategy<Value = Op> {
    let task = 0..MAX_TASKS;
    let page = 1..7u32;
    prop_oneof![
        8 => (task.clone(), page.clone(), any::<u16>(), 1u8..16, any::<u8>(), any::<bool>())
            .prop_map(|(task, page, offset, len, byte, kernel)| {
                Op::Write { task, page, offset, len, byte, kernel }
            }),
        3 => (task.clone(), page.clone(), any::<u16>(), 1u8..16, any::<bool>())
            .prop_map(|(task, page, offset, len, kernel)| {
                Op::Read { task, page, offset, len, access: 0, kernel }
            }),
        1 => (task.clone(), page, 1u32..3, 0u8..3)
            .prop_map(|(task, page, pages, inheritance)| Op::Inherit { task, page, pages, inheritance }),
        5 => task.clone().prop_map(|task| Op::Fork { task }),
        4 => task.prop_map(|task| Op::Exit { task }),
    ]
}

/// One page of the model.
#[derive(Clone, Debug)]
struct ModelPage {
    prot: Prot,
    max: Prot,
    inheritance: Inheritance,
    bytes: Rc<RefCell<Vec<u8>>>,
}

type ModelTask = BTreeMap<u32, ModelPage>;

struct Task {
    map: Map<TreePmap>,
    model: ModelTask,
}

fn addr(page: u32) -> u32 {
    BASE - PAGE_SIZE + page * PAGE_SIZE
}

fn in_map(start: u32, pages: u32) -> bool {
    start >= BASE && start + pages * PAGE_SIZE <= BASE + PAGES * PAGE_SIZE
}

/// The model's check of a range: size, bounds, and (if `need` is given) allocation and rights.
fn model_range(model: &ModelTask, start: u32, pages: u32, need: Option<Prot>) -> Result<(), VmError> {
    if pages == 0 {
        return Err(VmError::InvalidArgument);
    }
    if !in_map(start, pages) {
        return Err(VmError::InvalidAddress);
    }
    if let Some(need) = need {
        let found: Vec<&ModelPage> = (0..pages).filter_map(|i| model.get(&(start + i * PAGE_SIZE))).collect();
        if found.len() as u32 != pages {
            return Err(VmError::InvalidAddress);
        }
        if found.iter().any(|p| !p.prot.contains(need)) {
            return Err(VmError::ProtectionFailure);
        }
    }
    Ok(())
}

fn model_access(model: &ModelTask, va: u32, access: Access) -> Result<&ModelPage, FaultError> {
    let page = model.get(&(va & !(PAGE_SIZE - 1))).ok_or(FaultError::InvalidAddress(VAddr(va)))?;
    if page.prot.allows(access) {
        Ok(page)
    } else {
        Err(FaultError::ProtectionFailure(VAddr(va)))
    }
}

fn new_page() -> ModelPage {
    ModelPage {
        prot: Prot::DEFAULT,
        max: Prot::ALL,
        inheritance: Inheritance::Copy,
        bytes: Rc::new(RefCell::new(vec![0; PAGE_SIZE as usize])),
    }
}

/// An access as the processor makes it: through the pmap, faulting when the mapping is missing
/// or lacks the right, then retrying through the pmap.
fn cpu_frame(
    vm: &mut Vm<VecMem>,
    map: &mut Map<TreePmap>,
    va: VAddr,
    access: Access,
) -> Result<crate::FrameId, FaultError> {
    if let Some((frame, prot)) = map.pmap().extract(va) {
        if prot.allows(access) {
            return Ok(frame);
        }
    }
    map.fault(vm, va, access)?;
    let mapped = map.pmap().extract(va);
    match mapped {
        Some((frame, prot)) if prot.allows(access) => Ok(frame),
        _ => panic!("a resolved fault at {va:?} left no mapping allowing {access:?}: {mapped:?}"),
    }
}

struct World {
    vm: Vm<VecMem>,
    /// The default pager's store: the pages it holds, by object and page.
    swap: BTreeMap<(ObjectId, PageIndex), Vec<u8>>,
    /// A page was paged out: chains may be longer than [`DEPTH_BOUND`] (an object with the
    /// default pager merges into its shadow only if the shadow has no pager of its own).
    paged: bool,
    tasks: Vec<Task>,
    /// Never end the last task (for churn over memory allocated once).
    keep_last: bool,
    /// Memory is short: a fault may fail for want of frames (and a fork for want of memory),
    /// which must change nothing the model sees.
    scarce: bool,
}

impl World {
    fn new() -> World {
        let mut world = World {
            vm: Vm::new(VecMem::new(100_000)),
            swap: BTreeMap::new(),
            paged: false,
            tasks: Vec::new(),
            keep_last: false,
            scarce: false,
        };
        world.spawn();
        world
    }

    fn spawn(&mut self) {
        if self.tasks.len() < MAX_TASKS {
            let end = VAddr(BASE + PAGES * PAGE_SIZE);
            let map = Map::new(VAddr(BASE), end, TreePmap::new()).expect("valid bounds");
            self.tasks.push(Task { map, model: BTreeMap::new() });
        }
    }

    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        if self.tasks.is_empty() {
            self.spawn();
            return Ok(());
        }
        let n = self.tasks.len();
        let vm = &mut self.vm;
        match *op {
            Op::Spawn => self.spawn(),
            Op::Allocate { task, fixed, pages } => {
                let Task { map, model } = &mut self.tasks[task % n];
                let size = pages * PAGE_SIZE;
                let expected = match fixed {
                    _ if pages == 0 => Err(VmError::InvalidArgument),
                    Some(page) => {
                        let start = addr(page);
                        if !in_map(start, pages) {
                            Err(VmError::InvalidAddress)
                        } else if (0..pages).any(|i| model.contains_key(&(start + i * PAGE_SIZE))) {
                            Err(VmError::NoSpace)
                        } else {
                            Ok(start)
                        }
                    }
                    None => (1..=PAGES + 1 - pages)
                        .map(addr)
                        .find(|s| (0..pages).all(|i| !model.contains_key(&(s + i * PAGE_SIZE))))
                        .ok_or(VmError::NoSpace),
                };
                let placement = match fixed {
                    Some(page) => Placement::Fixed(VAddr(addr(page))),
                    None => Placement::Anywhere { min: VAddr(0), max: MAP_LIMIT },
                };
                let got = map.allocate(vm, placement, size, Prot::DEFAULT).map(|a| a.0);
                prop_assert_eq!(got, expected);
                if let Ok(start) = got {
                    for i in 0..pages {
                        model.insert(start + i * PAGE_SIZE, new_page());
                    }
                }
            }
            Op::Deallocate { task, page, pages } => {
                let Task { map, model } = &mut self.tasks[task % n];
                let start = addr(page);
                let expected = model_range(model, start, pages, None);
                prop_assert_eq!(map.deallocate(vm, VAddr(start), pages * PAGE_SIZE), expected);
                if expected.is_ok() {
                    for i in 0..pages {
                        model.remove(&(start + i * PAGE_SIZE));
                    }
                }
            }
            Op::Protect { task, page, pages, set_max, prot } => {
                let Task { map, model } = &mut self.tasks[task % n];
                let (start, prot) = (addr(page), Prot::from_bits_truncate(prot));
                let mut expected = model_range(model, start, pages, Some(Prot::NONE));
                if expected.is_ok() && (0..pages).any(|i| !model[&(start + i * PAGE_SIZE)].max.contains(prot))
                {
                    expected = Err(VmError::ProtectionFailure);
                }
                prop_assert_eq!(map.protect(vm, VAddr(start), pages * PAGE_SIZE, set_max, prot), expected);
                if expected.is_ok() {
                    for i in 0..pages {
                        let p = model.get_mut(&(start + i * PAGE_SIZE)).expect("checked");
                        if set_max {
                            p.max = prot;
                            p.prot = p.prot.intersection(prot);
                        } else {
                            p.prot = prot;
                        }
                    }
                }
            }
            Op::Inherit { task, page, pages, inheritance } => {
                let Task { map, model } = &mut self.tasks[task % n];
                let start = addr(page);
                let inheritance =
                    [Inheritance::None, Inheritance::Share, Inheritance::Copy][inheritance as usize];
                let expected = model_range(model, start, pages, Some(Prot::NONE));
                prop_assert_eq!(map.inherit(vm, VAddr(start), pages * PAGE_SIZE, inheritance), expected);
                if expected.is_ok() {
                    for i in 0..pages {
                        model.get_mut(&(start + i * PAGE_SIZE)).expect("checked").inheritance = inheritance;
                    }
                }
            }
            Op::Write { task, page, offset, len, byte, kernel } => {
                let Task { map, model } = &mut self.tasks[task % n];
                let offset = offset as u32 % (PAGE_SIZE - len as u32 + 1);
                let va = addr(page) + offset;
                let data: Vec<u8> = (0..len).map(|i| byte.wrapping_add(i)).collect();
                let expected = model_access(model, va, Access::Write).map(|_| ());
                let got = paged_in(vm, &mut self.swap, |vm| {
                    if kernel {
                        map.write(vm, VAddr(va), &data)
                    } else {
                        cpu_frame(vm, map, VAddr(va), Access::Write)
                            .map(|frame| vm.frames.mem_mut().write(frame, offset as usize, &data))
                    }
                });
                if self.scarce && expected.is_ok() && got == Err(FaultError::OutOfFrames) {
                    return self.check();
                }
                prop_assert_eq!(got, expected);
                if got.is_ok() {
                    let page = &model[&(va & !(PAGE_SIZE - 1))];
                    page.bytes.borrow_mut()[offset as usize..][..len as usize].copy_from_slice(&data);
                }
            }
            Op::Read { task, page, offset, len, access, kernel } => {
                let Task { map, model } = &mut self.tasks[task % n];
                let offset = offset as u32 % (PAGE_SIZE - len as u32 + 1);
                let va = addr(page) + offset;
                let access = if kernel {
                    Access::Read
                } else {
                    [Access::Read, Access::Execute, Access::Read][access as usize]
                };
                let expected = model_access(model, va, access)
                    .map(|p| p.bytes.borrow()[offset as usize..][..len as usize].to_vec());
                let mut buf = vec![0u8; len as usize];
                let got = paged_in(vm, &mut self.swap, |vm| {
                    if kernel {
                        map.read(vm, VAddr(va), &mut buf)
                    } else {
                        cpu_frame(vm, map, VAddr(va), access)
                            .map(|frame| vm.frames.mem().read(frame, offset as usize, &mut buf))
                    }
                });
                if self.scarce && expected.is_ok() && got == Err(FaultError::OutOfFrames) {
                    return self.check();
                }
                prop_assert_eq!(got.map(|()| buf), expected);
            }
            // Short of frames, a copy may stop part-way, which the model does not follow.
            Op::Copy { .. } if self.scarce => {}
            Op::Copy { task, page, target, target_page, pages } => {
                // A copy between maps stops at a page the pager holds (the kernel's `vm_copy`
                // would bring it in first): everything comes back before.
                self.page_in_all();
                let vm = &mut self.vm;
                let (src, dst) = (addr(page), addr(target_page));
                let (task, target) = (task % n, target % n);
                let size = pages * PAGE_SIZE;
                let mut expected = model_range(&self.tasks[task].model, src, pages, Some(Prot::READ));
                if expected.is_ok() {
                    expected = model_range(&self.tasks[target].model, dst, pages, Some(Prot::WRITE));
                }
                if expected.is_ok() && task == target && src < dst + size && dst < src + size {
                    expected = Err(VmError::InvalidArgument);
                }
                let got = if task == target {
                    self.tasks[task].map.copy_within(vm, VAddr(src), VAddr(dst), size)
                } else {
                    let (a, b) = if task < target {
                        let (low, high) = self.tasks.split_at_mut(target);
                        (&mut low[task], &mut high[0])
                    } else {
                        let (low, high) = self.tasks.split_at_mut(task);
                        (&mut high[0], &mut low[target])
                    };
                    a.map.copy_to(vm, VAddr(src), &mut b.map, VAddr(dst), size)
                };
                prop_assert_eq!(got, expected);
                if got.is_ok() {
                    for i in 0..pages {
                        let from = self.tasks[task].model[&(src + i * PAGE_SIZE)].bytes.clone();
                        let to = self.tasks[target].model[&(dst + i * PAGE_SIZE)].bytes.clone();
                        if !Rc::ptr_eq(&from, &to) {
                            let bytes = from.borrow().clone();
                            *to.borrow_mut() = bytes;
                        }
                    }
                }
            }
            Op::Fork { task } => {
                if n < MAX_TASKS {
                    let parent = &mut self.tasks[task % n];
                    let mut forked = parent.map.fork(vm, TreePmap::new());
                    if forked.as_ref().err() == Some(&VmError::InvalidArgument) {
                        // A shared region copied outright reads its pages: those the pager
                        // holds must come back first.
                        self.page_in_all();
                        forked = self.tasks[task % n].map.fork(&mut self.vm, TreePmap::new());
                    }
                    let parent = &mut self.tasks[task % n];
                    let map = match forked {
                        Ok(map) => map,
                        // Short of frames: no frame to copy into, or none to bring back a page
                        // the pager holds that a shared region's copy must read.
                        Err(VmError::ResourceShortage | VmError::InvalidArgument) if self.scarce => {
                            return self.check()
                        }
                        Err(e) => return Err(TestCaseError::fail(format!("fork: {e}"))),
                    };
                    let mut model = BTreeMap::new();
                    for (va, page) in &parent.model {
                        let bytes = match page.inheritance {
                            Inheritance::None => continue,
                            Inheritance::Share => page.bytes.clone(),
                            Inheritance::Copy => Rc::new(RefCell::new(page.bytes.borrow().clone())),
                        };
                        model.insert(*va, ModelPage { bytes, ..page.clone() });
                    }
                    self.tasks.push(Task { map, model });
                }
            }
            Op::PageOut { nth } => {
                let pages: Vec<(ObjectId, PageIndex)> = vm
                    .objects
                    .iter()
                    .filter(|(_, o)| o.is_anonymous() && !o.wired)
                    .flat_map(|(id, o)| o.pages.keys().map(move |&index| (id, index)))
                    .collect();
                if let Some(&(object, index)) = pages.get(nth as usize % pages.len().max(1)) {
                    // A default pager from now on: faults track anonymous pages (pages mapped
                    // with write before are not known clean, so they go out whole).
                    vm.objects.track_anonymous(true);
                    self.paged = true;
                    for task in &mut self.tasks {
                        task.map.unmap_object_pages(vm, object, index, 1);
                    }
                    vm.objects.give_to_default(object, 1);
                    let held = vm.objects.get(object).is_some_and(|o| o.paged_out.contains(&index));
                    if vm.objects.take_dirty(object, index) || !held {
                        let frame = vm.objects.get(object).and_then(|o| o.pages.get(&index)).copied();
                        let mut bytes = vec![0u8; PAGE_SIZE as usize];
                        vm.frames.mem().read(frame.expect("resident"), 0, &mut bytes);
                        self.swap.insert((object, index), bytes);
                    } else {
                        prop_assert!(
                            self.swap.contains_key(&(object, index)),
                            "a clean page the pager lacks"
                        );
                    }
                    prop_assert!(vm.objects.page_out(object, index, &mut vm.frames));
                }
            }
            Op::Exit { .. } if self.keep_last && n == 1 => {}
            Op::Exit { task } => {
                let Task { map, .. } = self.tasks.remove(task % n);
                let pmap = map.destroy(vm);
                prop_assert!(pmap.pages.is_empty());
            }
        }
        self.check()
    }

    /// Compares every page of every task with the model without faulting or paging in (reading
    /// a page the pager holds from its store): a step that loses a byte is caught at that step.
    fn peek_all(&mut self, n: usize, op: &Op) {
        settle(&mut self.vm, &mut self.swap);
        for (t, task) in self.tasks.iter().enumerate() {
            for (&va, page) in &task.model {
                let entry = task.map.lookup(VAddr(va)).unwrap();
                let mut buf = vec![0u8; PAGE_SIZE as usize];
                let seen = match entry.object.map(|o| self.vm.objects.lookup(o, entry.index_of(VAddr(va)))) {
                    None | Some(Lookup::Absent) => format!("absent"),
                    Some(Lookup::Resident { frame, depth }) => {
                        self.vm.frames.mem().read(frame, 0, &mut buf);
                        format!("resident depth {depth}")
                    }
                    Some(Lookup::Pager { object, index }) => {
                        buf = self.swap[&(object, index)].clone();
                        format!("pager {object:?} {index:?}")
                    }
                };
                if buf != *page.bytes.borrow() {
                    let objs: Vec<_> = self
                        .vm
                        .objects
                        .iter()
                        .map(|(id, o)| {
                            (
                                id,
                                o.pager,
                                o.backing,
                                o.refs,
                                o.pages.keys().copied().collect::<Vec<_>>(),
                                o.paged_out.clone(),
                            )
                        })
                        .collect();
                    panic!("after step {n} {op:?}: task {t} page {va:#x} ({seen}) differs: {} vs model {}\n{objs:#?}", buf[0], page.bytes.borrow()[0]);
                }
            }
        }
    }

    /// Brings back every page the pager holds that is not resident (as far as frames allow).
    fn page_in_all(&mut self) {
        settle(&mut self.vm, &mut self.swap);
        let out: Vec<(ObjectId, PageIndex)> = self
            .vm
            .objects
            .iter()
            .flat_map(|(id, o)| {
                o.paged_out.iter().filter(|i| !o.pages.contains_key(i)).map(move |&i| (id, i))
            })
            .collect();
        for (object, index) in out {
            let _ = self.vm.supply_page(object, index, &self.swap[&(object, index)]);
        }
    }

    /// Checks the structures against each other and the chain bound.
    fn check(&mut self) -> Result<(), TestCaseError> {
        settle(&mut self.vm, &mut self.swap);
        // What an object says its pager holds, the pager holds (it may hold more: pages an
        // adopting shadow has newer copies of, freed when the object ends).
        for (id, object) in self.vm.objects.iter() {
            for &index in &object.paged_out {
                prop_assert!(
                    self.swap.contains_key(&(id, index)),
                    "{:?} page {:?} is with no pager",
                    id,
                    index
                );
            }
            if !object.paged_out.is_empty() {
                prop_assert!(matches!(object.pager, crate::object::Pager::Default(_)));
            }
        }
        let vm = &self.vm;
        let depth = vm.deepest_chain();
        prop_assert!(self.paged || depth <= DEPTH_BOUND, "shadow chain of {} objects", depth);
        let mut refs: BTreeMap<ObjectId, u32> = BTreeMap::new();
        let mut entries = 0;
        for task in &self.tasks {
            for entry in task.map.entries() {
                entries += 1;
                if let Some(object) = entry.object {
                    *refs.entry(object).or_default() += 1;
                }
            }
            for (&va, &(frame, prot)) in &task.map.pmap().pages {
                let entry = task.map.lookup(VAddr(va));
                let Some(entry) = entry else {
                    return Err(TestCaseError::fail(format!("{va:#x} mapped outside entries")));
                };
                prop_assert!(
                    entry.prot.contains(prot),
                    "{:#x} mapped with {:?} above {:?}",
                    va,
                    prot,
                    entry.prot
                );
                let object = entry.object.expect("a mapped page has an object");
                match vm.objects.lookup(object, entry.index_of(VAddr(va))) {
                    Lookup::Resident { frame: seen, depth } => {
                        prop_assert_eq!(seen, frame, "stale mapping at {:#x}", va);
                        if prot.contains(Prot::WRITE) {
                            prop_assert!(
                                depth == 0 && !entry.needs_copy,
                                "writable shared page at {:#x}",
                                va
                            );
                        }
                    }
                    other => {
                        return Err(TestCaseError::fail(format!("{va:#x} mapped but resolves to {other:?}")))
                    }
                }
            }
        }
        let mut resident = 0;
        let all: Vec<(ObjectId, crate::object::Object)> =
            vm.objects.iter().map(|(id, o)| (id, o.clone())).collect();
        for (id, object) in &all {
            if let Some((backing, _)) = object.backing {
                *refs.entry(backing).or_default() += 1;
            }
            for (&index, &frame) in &object.pages {
                resident += 1;
                let info = vm.frames.info(frame).expect("a resident frame is in the table");
                prop_assert_eq!(info.owner, Some((*id, index)));
                prop_assert_eq!(info.refs, 1);
            }
        }
        for (id, object) in &all {
            prop_assert_eq!(refs.get(id).copied().unwrap_or(0), object.refs, "references of {:?}", id);
        }
        prop_assert_eq!(vm.counts(), Counts { objects: all.len(), frames: resident, entries });
        prop_assert_eq!(vm.frames.mem().in_use(), resident);
        Ok(())
    }

    /// Reads every readable page of every task in full and compares it with the model, then
    /// ends every task.
    fn finish(mut self) -> Result<(), TestCaseError> {
        self.vm.frames.mem_mut().set_limit(100_000);
        for task in &mut self.tasks {
            for (&va, page) in &task.model {
                if page.prot.contains(Prot::READ) {
                    let mut buf = vec![0u8; PAGE_SIZE as usize];
                    let map = &mut task.map;
                    paged_in(&mut self.vm, &mut self.swap, |vm| map.read(vm, VAddr(va), &mut buf))
                        .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                    prop_assert!(buf == *page.bytes.borrow(), "page {:#x} differs", va);
                }
            }
        }
        self.check()?;
        for task in self.tasks.drain(..) {
            task.map.destroy(&mut self.vm);
        }
        prop_assert_eq!(self.vm.counts(), Counts::default());
        prop_assert_eq!(self.vm.frames.mem().in_use(), 0);
        settle(&mut self.vm, &mut self.swap);
        prop_assert!(self.swap.is_empty(), "the pager still holds {} pages", self.swap.len());
        Ok(())
    }
}

/// Keeps the pager's store in step with the VM, as the kernel's books are: the pages of an
/// object merged into its shadow are the shadow's now; an ended object's are forgotten.
fn settle(vm: &mut Vm<VecMem>, swap: &mut BTreeMap<(ObjectId, PageIndex), Vec<u8>>) {
    for (from, to) in vm.objects.take_adopted() {
        let moved: Vec<PageIndex> = swap.keys().filter(|(o, _)| *o == from).map(|(_, i)| *i).collect();
        for index in moved {
            if let Some(bytes) = swap.remove(&(from, index)) {
                swap.insert((to, index), bytes);
            }
        }
    }
    for (object, _) in vm.objects.take_ended() {
        swap.retain(|(o, _), _| *o != object);
    }
}

/// Runs `access` until it is done or fails other than for a page the pager holds; such a page
/// is supplied from `swap` (the default pager's answer) and the access runs again.
fn paged_in<T>(
    vm: &mut Vm<VecMem>,
    swap: &mut BTreeMap<(ObjectId, PageIndex), Vec<u8>>,
    mut access: impl FnMut(&mut Vm<VecMem>) -> Result<T, FaultError>,
) -> Result<T, FaultError> {
    loop {
        let result = access(vm);
        settle(vm, swap);
        match result {
            Err(FaultError::PagerRequest { object, index }) => {
                let Some(data) = swap.get(&(object, index)) else {
                    panic!("the pager was asked for {object:?} page {index:?}, which it never got");
                };
                if vm.supply_page(object, index, data).is_err() {
                    return Err(FaultError::OutOfFrames);
                }
            }
            other => return other,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_tasks_match_the_model(ops in proptest::collection::vec(op(), 1..300)) {
        let mut world = World::new();
        for op in &ops {
            world.step(op)?;
        }
        world.finish()?;
    }

    #[test]
    fn scarce_memory_fails_cleanly(
        ops in proptest::collection::vec(op(), 1..300),
        frames in 2usize..24,
    ) {
        let mut world = World::new();
        world.scarce = true;
        world.vm.frames.mem_mut().set_limit(frames);
        for op in &ops {
            world.step(op)?;
        }
        world.finish()?;
    }

    #[test]
    fn fork_exit_churn_keeps_chains_bounded(ops in proptest::collection::vec(churn_op(), 1..400)) {
        let mut world = World::new();
        world.keep_last = true;
        world.step(&Op::Allocate { task: 0, fixed: Some(1), pages: 6 })?;
        for op in &ops {
            world.step(op)?;
        }
        world.finish()?;
    }
}

/// Repeated fork and exit with writes on both sides: the chains stay short and nothing leaks.
#[test]
fn fork_exit_loop_keeps_chains_bounded() {
    let mut vm = Vm::new(VecMem::new(1000));
    let mut map = Map::new(VAddr(BASE), VAddr(BASE + PAGES * PAGE_SIZE), TreePmap::new()).unwrap();
    let a = map.allocate(&mut vm, Placement::Fixed(VAddr(BASE)), 4 * PAGE_SIZE, Prot::DEFAULT).unwrap();
    for round in 0..200u32 {
        let mut child = map.fork(&mut vm, TreePmap::new()).unwrap();
        let page = VAddr(a.0 + (round % 4) * PAGE_SIZE);
        child.write(&mut vm, page, &round.to_le_bytes()).unwrap();
        map.write(&mut vm, VAddr(page.0 + 8), &round.to_le_bytes()).unwrap();
        if round % 3 == 0 {
            let grandchild = child.fork(&mut vm, TreePmap::new()).unwrap();
            grandchild.destroy(&mut vm);
        }
        child.destroy(&mut vm);
        assert!(vm.deepest_chain() <= 3, "round {round}: chain of {}", vm.deepest_chain());
    }
    let mut buf = [0u8; 4];
    map.read(&mut vm, VAddr(a.0 + 3 * PAGE_SIZE + 8), &mut buf).unwrap();
    assert_eq!(u32::from_le_bytes(buf), 199);
    map.read(&mut vm, VAddr(a.0 + 3 * PAGE_SIZE), &mut buf).unwrap();
    assert_eq!(buf, [0; 4], "the children's writes never reached the parent");
    map.destroy(&mut vm);
    assert_eq!(vm.counts(), Counts::default());
}

/// A sequence the model found: a page the pager held, newer than its backing object's copy,
/// which the fast path of a collapse let the backing's old page hide.
#[test]
fn paging_out_between_forks_keeps_every_byte() {
    let ops = [
        Op::Allocate { task: 0, fixed: None, pages: 4 },
        Op::Allocate { task: 0, fixed: Some(9), pages: 3 },
        Op::Allocate { task: 0, fixed: None, pages: 4 },
        Op::Write { task: 0, page: 5, offset: 0, len: 1, byte: 0, kernel: false },
        Op::Write { task: 0, page: 6, offset: 0, len: 1, byte: 0, kernel: false },
        Op::Fork { task: 0 },
        Op::Fork { task: 0 },
        Op::Exit { task: 0 },
        Op::Exit { task: 0 },
        Op::Write { task: 0, page: 8, offset: 0, len: 1, byte: 0, kernel: false },
        Op::Fork { task: 0 },
        Op::Read { task: 0, page: 7, offset: 0, len: 1, access: 2, kernel: false },
        Op::Fork { task: 2 },
        Op::Exit { task: 0 },
        Op::Read { task: 1, page: 1, offset: 0, len: 1, access: 2, kernel: false },
        Op::Copy { task: 0, page: 1, target: 1, target_page: 8, pages: 2 },
        Op::Write { task: 1, page: 2, offset: 0, len: 1, byte: 0, kernel: false },
        Op::Write { task: 1, page: 3, offset: 0, len: 1, byte: 0, kernel: false },
        Op::Exit { task: 0 },
        Op::PageOut { nth: 7026 },
        Op::Write { task: 0, page: 8, offset: 0, len: 1, byte: 1, kernel: false },
        Op::PageOut { nth: 13630 },
        Op::Fork { task: 0 },
    ];
    let mut world = World::new();
    for (n, op) in ops.iter().enumerate() {
        world.step(op).unwrap();
        world.peek_all(n, op);
    }
    world.finish().unwrap();
}
