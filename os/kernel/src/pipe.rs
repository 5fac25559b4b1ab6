//! Pipes: a bounded byte queue in the kernel between a read end and a write end.
//!
//! A pipe lives in [`PIPES`] under a [`PipeId`] while either end is open; the open-file table
//! ([`file`](crate::file)) counts how many open files refer to each end. Semantics (POSIX):
//! - `read` takes what is there (at least one byte, at most what was asked); with the pipe
//!   empty it sleeps until a writer brings bytes, or returns 0 (end of file) once no write
//!   end is open;
//! - `write` puts every byte in, sleeping while the pipe is full; with no read end open it
//!   fails with `EPIPE` (having written nothing more) and the writer is sent `SIGPIPE`;
//! - a process that a signal interrupts while it sleeps in either gets `EINTR` (a signal it
//!   ignores does not interrupt).
//!
//! Sleepers wait on the pipe's channel ([`PIPE`], the pipe's id); every change of a pipe's state wakes them all, and each
//! re-checks its condition.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ox_abi::{Errno, Signal};
use ox_kcore::task::chan::{Chan, Class};
use ox_kcore::task::sched;
use ox_kcore::task::signal::{interrupted, raise};

use crate::global::Global;

/// Readers and writers waiting for a change of a pipe (id: the pipe's).
static PIPE: Class = Class::new("pipe");

/// What a process waiting on pipe `id` sleeps on.
fn chan(id: u32) -> Chan {
    Chan::new(&PIPE, id)
}

/// Bytes a pipe holds before a writer sleeps.
pub const PIPE_SIZE: usize = 4096;

/// A pipe's number in [`PIPES`].
pub type PipeId = u32;

/// One pipe.
struct Pipe {
    data: VecDeque<u8>,
    readers: u32,
    writers: u32,
}

/// Every pipe with an open end, by id (a freed slot is reused).
static PIPES: Global<Vec<Option<Pipe>>> = Global::new("pipe table", Vec::new());

/// A new pipe with one read end and one write end open.
pub fn create() -> PipeId {
    let mut pipes = PIPES.lock();
    let pipe = Pipe { data: VecDeque::with_capacity(PIPE_SIZE), readers: 1, writers: 1 };
    match pipes.iter().position(Option::is_none) {
        Some(slot) => {
            pipes[slot] = Some(pipe);
            slot as PipeId
        }
        None => {
            pipes.push(Some(pipe));
            (pipes.len() - 1) as PipeId
        }
    }
}

fn with_pipe<R>(id: PipeId, f: impl FnOnce(&mut Pipe) -> R) -> R {
    let mut pipes = PIPES.lock();
    let pipe = pipes
        .get_mut(id as usize)
        .and_then(Option::as_mut)
        .unwrap_or_else(|| panic!("pipe {id} is used but not open"));
    f(pipe)
}

/// One more open file refers to an end of pipe `id` (after `dup`, `fork`).
pub fn add_end(id: PipeId, write_end: bool) {
    with_pipe(id, |pipe| {
        if write_end {
            pipe.writers += 1;
        } else {
            pipe.readers += 1;
        }
    });
}

/// An open file that referred to an end of pipe `id` is gone; the pipe goes with its last
/// end. Wakes the other side (a reader sees end of file, a writer `EPIPE`).
pub fn close_end(id: PipeId, write_end: bool) {
    {
        let mut pipes = PIPES.lock();
        let slot =
            pipes.get_mut(id as usize).unwrap_or_else(|| panic!("closing pipe {id}, which is not open"));
        let Some(pipe) = slot.as_mut() else { panic!("closing pipe {id}, which is not open") };
        if write_end {
            pipe.writers -= 1;
        } else {
            pipe.readers -= 1;
        }
        if pipe.readers == 0 && pipe.writers == 0 {
            *slot = None;
        }
    }
    sched::wakeup(chan(id));
}

/// Pipes with an open end (for `stats`).
pub fn count() -> u32 {
    PIPES.lock().iter().flatten().count() as u32
}

/// Bytes waiting in pipe `id`.
pub fn len(id: PipeId) -> usize {
    with_pipe(id, |pipe| pipe.data.len())
}

/// Reads at most `max` bytes from pipe `id`, sleeping while it is empty and has a writer;
/// an empty result is end of file.
pub fn read(id: PipeId, max: usize) -> Result<Vec<u8>, Errno> {
    loop {
        let taken = with_pipe(id, |pipe| {
            if pipe.data.is_empty() && pipe.writers > 0 {
                return None;
            }
            let n = max.min(pipe.data.len());
            Some(pipe.data.drain(..n).collect::<Vec<u8>>())
        });
        if let Some(bytes) = taken {
            sched::wakeup(chan(id));
            return Ok(bytes);
        }
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(chan(id));
    }
}

/// Writes as much of `data` into pipe `id` as fits now, sleeping while it is full; returns
/// how many bytes went in (at least one), or `EPIPE` (and `SIGPIPE`) when no reader is left.
pub fn write(id: PipeId, data: &[u8]) -> Result<usize, Errno> {
    if data.is_empty() {
        return Ok(0);
    }
    loop {
        let put = with_pipe(id, |pipe| {
            if pipe.readers == 0 {
                return Err(Errno::Pipe);
            }
            let n = data.len().min(PIPE_SIZE - pipe.data.len());
            pipe.data.extend(&data[..n]);
            Ok(n)
        });
        let put = put.inspect_err(|_| raise(Signal::Pipe))?;
        if put > 0 {
            sched::wakeup(chan(id));
            return Ok(put);
        }
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(chan(id));
    }
}
