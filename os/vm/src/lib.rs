//! Machine-independent virtual memory after Mach (Rashid et al. 1987, "Machine-Independent
//! Virtual Memory Management for Paged Uniprocessor and Multiprocessor Architectures"; GNU Mach's
//! `vm_map.c`, `vm_object.c`, `vm_fault.c`): address maps of entries, memory objects chained by
//! shadows for copy-on-write, a frame table, the fault handler, fork by inheritance, and copies
//! between maps. The kernels provide physical memory ([`PhysMem`]) and page tables ([`Pmap`]);
//! the host tests use [`VecMem`] and [`TreePmap`].
//!
//! Design principles:
//! 1. **The map is the truth, the pmap a cache.** Which pages exist, with which rights and
//!    contents, is decided by [`Map`]s and [`Objects`]; the [`Pmap`] only caches resolved pages,
//!    may lose any mapping, and never holds more rights than the map grants.
//! 2. **Frames belong to objects, not page tables.** A frame is resident in at most one object
//!    page; the [`FrameTable`] records its owner and references, and frees it when the last goes.
//! 3. **Copy-on-write by shadow objects, chains kept short.** Copies share the object and shadow
//!    it at the first write; a write is never seen through a copy-on-write sibling; shadow chains
//!    are collapsed as Mach does, so repeated fork and exit do not grow them without bound.
//! 4. **Everything a process gives is checked.** Addresses, sizes and rights come from user
//!    processes: a bad one is a typed error ([`VmError`], [`FaultError`]), never a panic, and a
//!    refused operation changes nothing.
//! 5. **Counted, so leaks show.** [`Vm::counts`] gives the objects, frames and entries alive;
//!    all zero once every map is destroyed.
//!
//! For a kernel: implement [`PhysMem`] over the frame allocator (a [`FrameId`] can be the
//! frame's physical page number) and [`Pmap`] over the page tables (which then own only their
//! table frames, never the leaves'); keep one [`Vm`] for the machine and one [`Map`] per task;
//! send page faults to [`Map::fault`] (an [`FaultError::InvalidAddress`] or
//! [`FaultError::ProtectionFailure`] becomes a signal with the address, [`FaultError::OutOfFrames`]
//! `ENOMEM` or a kill); copy to and from user memory with [`Map::read`] and [`Map::write`]; fork
//! with [`Map::fork`]; end a task with [`Map::destroy`].
//!
//! In brief (with the host doubles):
//!
//! ```
//! use ox_vm::{Access, Inheritance, Map, Placement, Prot, TreePmap, VAddr, VecMem, Vm, PAGE_SIZE};
//!
//! let mut vm = Vm::new(VecMem::new(64));
//! let mut parent = Map::new(VAddr(0x1000), VAddr(0x8000_0000), TreePmap::new()).unwrap();
//! let anywhere = Placement::Anywhere { min: VAddr(0), max: ox_vm::MAP_LIMIT };
//! let a = parent.allocate(&mut vm, anywhere, 2 * PAGE_SIZE, Prot::DEFAULT).unwrap();
//! parent.write(&mut vm, a, b"hello").unwrap();
//!
//! let mut child = parent.fork(&mut vm, TreePmap::new()).unwrap(); // copy-on-write
//! child.write(&mut vm, a, b"HELLO").unwrap();
//! let mut buf = [0; 5];
//! parent.read(&mut vm, a, &mut buf).unwrap();
//! assert_eq!(&buf, b"hello");
//!
//! parent.protect(&mut vm, a, PAGE_SIZE, false, Prot::READ).unwrap();
//! assert!(parent.fault(&mut vm, a, Access::Write).is_err());
//! parent.inherit(&mut vm, a, 2 * PAGE_SIZE, Inheritance::Share).unwrap();
//!
//! child.destroy(&mut vm);
//! parent.destroy(&mut vm);
//! assert_eq!(vm.counts(), ox_vm::Counts::default());
//! ```
//!
//! Layering: [`addr`] numbers, [`entry`] rights and entries, [`map`] the map operations,
//! [`object`] objects and chains, [`frame`] and [`pmap`] the machine-dependent interfaces,
//! [`fault`] the fault handler, [`fork`] inheritance, [`transfer`] reads, writes and copies,
//! [`system`] the state shared by all maps.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod addr;
pub mod copy;
pub mod entry;
mod error;
pub mod fault;
pub mod fork;
pub mod frame;
pub mod map;
pub mod object;
pub mod pmap;
pub mod system;
pub mod transfer;

#[cfg(test)]
mod model_tests;

pub use addr::{FrameId, ObjectId, PageIndex, VAddr, PAGE_SIZE};
pub use copy::MapCopy;
pub use entry::{Access, Entry, Inheritance, Prot};
pub use error::{FaultError, OutOfFrames, VmError};
pub use frame::{FrameInfo, FrameTable, PhysMem, VecMem};
pub use map::{Map, Placement, Region, MAP_LIMIT};
pub use object::{Lookup, Object, Objects, Pager};
pub use pmap::{Pmap, TreePmap};
pub use system::{Counts, Vm};
