//! The process server (Bach §13.1): accepts new processes from the central's placement
//! (docs/satellites.md). `ForkImage` reserves room for an image of the announced size,
//! `WriteImage`s fill it, `Start` rebuilds the address space, registers and signal
//! dispositions (`ox_kcore::image`) and makes the process runnable at the given pc. Each request is
//! answered (`ENOMEM`/`EAGAIN` refuse a process; `ENOEXEC` a malformed image). The server is
//! part of the kernel here, not a process of its own: it needs no context of its own, only the
//! link's interrupt.

use alloc::vec::Vec;

use ox_abi::Errno;
use ox_kcore::global::Global;
use ox_kcore::image;
use ox_proto::Reply;

use crate::proc::{self, Pid, Proc, NPROC};

/// The largest image accepted (the satellite's heap holds it until `Start`).
const MAX_IMAGE: u32 = 512 << 10;

/// An image being received.
struct Incoming {
    pid: Pid,
    parent: Pid,
    bytes: Vec<u8>,
}

static INCOMING: Global<Vec<Incoming>> = Global::new("incoming processes", Vec::new());

/// Images being received (for `stats`).
pub fn receiving() -> u32 {
    INCOMING.lock().len() as u32
}

/// `ForkImage`: accept process `pid` (logically `parent`'s child) with an image of `size` bytes.
pub fn accept(pid: Pid, parent: Pid, size: u32) -> Reply {
    let mut incoming = INCOMING.lock();
    if size > MAX_IMAGE {
        return Reply::err(Errno::NoMem);
    }
    if proc::table().count() + incoming.len() >= NPROC {
        return Reply::err(Errno::Again);
    }
    let mut bytes = Vec::new();
    if bytes.try_reserve_exact(size as usize).is_err() {
        return Reply::err(Errno::NoMem);
    }
    bytes.resize(size as usize, 0);
    incoming.retain(|i| i.pid != pid);
    incoming.push(Incoming { pid, parent, bytes });
    Reply::ok(0)
}

/// `WriteImage`: `data` at `offset` of the image of `pid`.
pub fn write(pid: Pid, offset: u32, data: &[u8]) -> Reply {
    let mut incoming = INCOMING.lock();
    let Some(image) = incoming.iter_mut().find(|i| i.pid == pid) else { return Reply::err(Errno::Srch) };
    let start = offset as usize;
    match image.bytes.get_mut(start..start + data.len()) {
        Some(place) => {
            place.copy_from_slice(data);
            Reply::ok(data.len() as u32)
        }
        None => Reply::err(Errno::Inval),
    }
}

/// `Start`: the image of `pid` is complete; run it from `pc`.
pub fn start(pid: Pid, pc: u32) -> Reply {
    let image = {
        let mut incoming = INCOMING.lock();
        let Some(at) = incoming.iter().position(|i| i.pid == pid) else { return Reply::err(Errno::Srch) };
        incoming.remove(at)
    };
    let mut table = proc::table();
    let Some(slot) = table.free_slot() else { return Reply::err(Errno::Again) };
    let started = image::decode(&image.bytes, slot as u32 + 1, pc).and_then(|(space, frame)| {
        let mut proc = Proc::new(pid, image.parent, space, frame)?;
        proc.signals = image::signals(&image.bytes)?;
        Ok(proc)
    });
    match started {
        Ok(proc) => {
            table.slots[slot] = Some(proc);
            Reply::ok(0)
        }
        Err(e) => Reply::err(e),
    }
}
