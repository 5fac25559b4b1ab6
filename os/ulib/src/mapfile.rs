//! Mapped files (docs/pagers.md, *Mapped files*): a file of the file system mapped into a
//! region — shared, read and write — by a **file pager**, a process serving the file as a
//! memory object: a page asked for is read from the file (zeros past its end), a written page
//! that comes back is written to it (up to the file's size, which does not change). The
//! changes reach the file at [`sync`] and [`unmap`] (when they return, `read` sees them), and
//! when the last process mapping the file ends or unmaps it (soon after) — Mach's mapped
//! files, which return to the file system with every change when the process ends.
//!
//! The pager runs detached (its parent exits at once, so init reaps it) and ends with the
//! object: when no process maps it any more.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_abi::open_flags::O_RDWR;
use ox_abi::{
    Errno, WaitStatus, MO_DATA_PROVIDED, MO_DATA_REQUEST, MO_DATA_WRITE, MO_INIT, MO_LOCK_CLEAN,
    MO_LOCK_COMPLETED, MO_LOCK_REQUEST, MO_TERMINATE, PORT_RIGHT_RECEIVE, PORT_RIGHT_SEND, SEEK_SET,
};

use crate::port::{
    self, GotItem, Msg, SendItem, FOREVER, MSG_COPY_SEND, MSG_MAKE_SEND, MSG_MAKE_SEND_ONCE,
    MSG_MOVE_SEND_ONCE,
};
use crate::sys::{self, Fork};
use crate::vm;

/// Bytes of a page.
const PAGE: u32 = 4096;

/// Mappings made by this process (for unique pager names).
static MAPPED: AtomicU32 = AtomicU32::new(0);

/// A file mapped by [`map`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// Where the region starts.
    pub addr: u32,
    /// The file's size in bytes (the region is that, rounded up to pages).
    pub size: u32,
    /// The name its pager is registered under while it serves.
    pager: String,
}

impl Mapped {
    /// The region's bytes: the file's size rounded up to a page.
    pub fn region_size(&self) -> u32 {
        self.size.div_ceil(PAGE) * PAGE
    }
}

/// Maps the file at `path` (which must exist and not be empty) into a new region of this
/// process, shared, read and write. `ENOENT`, `EINVAL` for an empty file, or the error of the
/// pager's start or of `vm_map`.
pub fn map(path: &str) -> Result<Mapped, Errno> {
    let fd = sys::open(path, O_RDWR)?;
    let size = sys::fstat(fd).map(|s| s.size);
    sys::close(fd)?;
    let size = size?;
    if size == 0 {
        return Err(Errno::Inval);
    }
    let name = format!("mapfile.{}.{}", sys::getpid(), MAPPED.fetch_add(1, Ordering::Relaxed));
    match sys::fork()? {
        Fork::Child => {
            // The pager's parent: gone at once, so that init reaps the pager.
            if let Ok(Fork::Child) = sys::fork() {
                sys::exit(serve(path, &name));
            }
            sys::exit(0);
        }
        Fork::Parent(pid) => {
            if !matches!(sys::wait(Some(pid)), Ok((_, WaitStatus::Exited(0)))) {
                return Err(Errno::Again);
            }
        }
    }
    // The pager registers its object's port once it has opened the file.
    let object = loop {
        match port::lookup(&name) {
            Ok(object) => break object,
            Err(Errno::NoEnt) => sys::sleep(1)?,
            Err(e) => return Err(e),
        }
    };
    let mapped = port::vm_map(object, size.div_ceil(PAGE) * PAGE);
    port::deallocate(object)?;
    Ok(Mapped { addr: mapped?, size, pager: name })
}

/// To a file pager, with a reply right: put every page written so far in the file, then
/// answer (it makes a lock request cleaning the whole object: the kernel sends the written
/// pages back).
const SYNC: u32 = 0x4d46_0001;

/// Puts the changes made so far to a mapped file in the file (`msync`): when it returns,
/// `read` sees them.
pub fn sync(mapped: &Mapped) -> Result<(), Errno> {
    let pager = port::lookup(&mapped.pager)?;
    let answer = port::rpc(pager, SYNC, Vec::new(), FOREVER);
    port::deallocate(pager)?;
    answer.map(|_| ())
}

/// Puts the changes in the file ([`sync`]), then unmaps the region; the pager ends once no
/// process maps the file any more.
///
/// # Safety
/// Nothing the program still uses may live in the region.
pub unsafe fn unmap(mapped: &Mapped) -> Result<(), Errno> {
    sync(mapped)?;
    // Safety: the caller vouches for the region.
    unsafe { vm::deallocate(mapped.addr, mapped.region_size()) }
}

/// The file pager: serves the file at `path` on a port registered under `name` until the
/// object ends; the exit code says what went wrong (0: nothing).
fn serve(path: &str, name: &str) -> i32 {
    let Ok(fd) = sys::open(path, O_RDWR) else { return 30 };
    let Ok(size) = sys::fstat(fd).map(|s| s.size) else { return 31 };
    let Ok(object) = port::allocate(PORT_RIGHT_RECEIVE) else { return 32 };
    if port::register(name, object, MSG_MAKE_SEND).is_err() {
        return 33;
    }
    let word = |w: u32| SendItem::Inline(w.to_le_bytes().to_vec());
    let first = |item: Option<&GotItem>| match item {
        Some(GotItem::Inline(b)) if b.len() >= 4 => Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => None,
    };
    let mut control = 0;
    // The reply rights of the syncs waiting for the kernel's lock completion.
    let mut syncing = Vec::new();
    loop {
        let Ok(got) = port::receive(object, FOREVER) else { return 34 };
        match got.id {
            MO_INIT => match got.items.first() {
                Some(&GotItem::Port(c, PORT_RIGHT_SEND)) => control = c,
                _ => return 35,
            },
            MO_DATA_REQUEST => {
                let Some(offset) = first(got.items.first()) else { return 36 };
                let mut page = vec![0u8; PAGE as usize];
                let read = sys::lseek(fd, offset as i32, SEEK_SET).and_then(|_| sys::read(fd, &mut page));
                let Ok(n) = read else { return 37 };
                page.truncate(n);
                let items = vec![word(offset), SendItem::Inline(page)];
                if port::send(&Msg::new(control, MSG_COPY_SEND, MO_DATA_PROVIDED, items), FOREVER).is_err() {
                    return 38;
                }
            }
            MO_DATA_WRITE => {
                let (Some(offset), Some(GotItem::Inline(data))) =
                    (first(got.items.first()), got.items.get(1))
                else {
                    return 39;
                };
                let keep = (size.saturating_sub(offset) as usize).min(data.len());
                let written =
                    sys::lseek(fd, offset as i32, SEEK_SET).and_then(|_| sys::write_all(fd, &data[..keep]));
                if keep > 0 && written.is_err() {
                    return 40;
                }
            }
            SYNC => {
                let request = [0, size.div_ceil(PAGE) * PAGE, MO_LOCK_CLEAN, 0];
                let bytes = request.iter().flat_map(|w| w.to_le_bytes()).collect();
                let mut clean =
                    Msg::new(control, MSG_COPY_SEND, MO_LOCK_REQUEST, vec![SendItem::Inline(bytes)]);
                clean.reply = (object, MSG_MAKE_SEND_ONCE);
                if port::send(&clean, FOREVER).is_err() {
                    return 41;
                }
                syncing.push(got.reply.0);
            }
            // The pages written back came before: they are in the file.
            MO_LOCK_COMPLETED => {
                for reply in syncing.drain(..) {
                    let _ = port::send(&Msg::new(reply, MSG_MOVE_SEND_ONCE, SYNC, Vec::new()), FOREVER);
                }
            }
            MO_TERMINATE => return i32::from(sys::close(fd).is_err()),
            _ => {}
        }
    }
}
