//! Open files: the system-wide open-file table and the per-process descriptor tables that
//! point into it (Bach, *The Design of the UNIX Operating System*, Figure 13.4 / xv6 `file.c`).
//!
//! - An [`OpenFile`] is what one `open` (or `pipe`, or the console at boot) made: the object it
//!   reaches, the access it allows, the offset of the next read or write, and how many
//!   descriptors refer to it. Descriptors made by `dup` and `fork` share one entry, so they
//!   share its offset; it goes away when its last descriptor is closed.
//! - An [`FdTable`] maps a process's small descriptor numbers to entries of the table. It is a
//!   value of its own, not part of the process's address space or scheduling state, so that
//!   the stub process of a satellite process (next step, docs/boot.md) can own one on the
//!   satellite process's behalf: the satellite then holds nothing but the numbers.
//!
//! Entries of [`FILES`] are never borrowed across a sleep: callers copy an entry out with
//! [`get`], work, and store the new offset with [`set_offset`].

use alloc::vec::Vec;

use ox_abi::{Errno, NOFILE};

use crate::global::Global;
use crate::pipe::{self, PipeId};

/// Most open files in the whole system.
pub const NFILE: usize = 256;

/// An entry's number in the open-file table.
pub type FileId = u32;

/// What an open file reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    /// The console (UART): reads take typed input, writes print.
    Console,
    /// A file or directory of the root file system.
    Inode(u32),
    /// One end of a pipe.
    Pipe {
        /// The pipe.
        id: PipeId,
        /// Whether this is the write end.
        write_end: bool,
    },
}

/// One entry of the open-file table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFile {
    /// What it reaches.
    pub object: Object,
    /// Whether `read` is allowed.
    pub readable: bool,
    /// Whether `write` is allowed.
    pub writable: bool,
    /// Whether every write goes to the end (`O_APPEND`).
    pub append: bool,
    /// Where the next read or write starts (bytes; entries for a directory).
    pub offset: u32,
    /// Descriptors referring to it.
    refs: u32,
}

impl OpenFile {
    /// A new entry for `object`, not yet referred to by any descriptor.
    pub fn new(object: Object, readable: bool, writable: bool, append: bool) -> OpenFile {
        OpenFile { object, readable, writable, append, offset: 0, refs: 0 }
    }
}

/// The system-wide open-file table.
static FILES: Global<Vec<Option<OpenFile>>> = Global::new("open-file table", Vec::new());

/// Puts `file` in the table with one reference; `ENFILE` when the table is full.
pub fn alloc(mut file: OpenFile) -> Result<FileId, Errno> {
    let mut files = FILES.lock();
    file.refs = 1;
    if let Some(slot) = files.iter().position(Option::is_none) {
        files[slot] = Some(file);
        return Ok(slot as FileId);
    }
    if files.len() >= NFILE {
        return Err(Errno::NFile);
    }
    files.push(Some(file));
    Ok((files.len() - 1) as FileId)
}

fn with_file<R>(id: FileId, f: impl FnOnce(&mut OpenFile) -> R) -> R {
    let mut files = FILES.lock();
    let file = files
        .get_mut(id as usize)
        .and_then(Option::as_mut)
        .unwrap_or_else(|| panic!("open file {id} is referred to but not open"));
    f(file)
}

/// A copy of entry `id`.
pub fn get(id: FileId) -> OpenFile {
    with_file(id, |file| *file)
}

/// Sets the offset of entry `id`.
pub fn set_offset(id: FileId, offset: u32) {
    with_file(id, |file| file.offset = offset);
}

/// One more descriptor refers to entry `id`.
pub fn dup(id: FileId) {
    let object = with_file(id, |file| {
        file.refs += 1;
        file.object
    });
    if let Object::Pipe { id, write_end } = object {
        pipe::add_end(id, write_end);
    }
}

/// A descriptor referring to entry `id` is gone; the entry goes with its last one.
pub fn close(id: FileId) {
    let object = {
        let mut files = FILES.lock();
        let slot =
            files.get_mut(id as usize).unwrap_or_else(|| panic!("closing open file {id}, which is not open"));
        let Some(file) = slot.as_mut() else { panic!("closing open file {id}, which is not open") };
        file.refs -= 1;
        let object = file.object;
        if file.refs == 0 {
            *slot = None;
        }
        object
    };
    // Each descriptor of a pipe end counts as one end (see `dup`), so the pipe sees every close.
    if let Object::Pipe { id, write_end } = object {
        pipe::close_end(id, write_end);
    }
}

/// Entries of the open-file table in use (for `stats`).
pub fn open_count() -> u32 {
    FILES.lock().iter().flatten().count() as u32
}

/// Whether some open file reaches inode `ino`.
pub fn inode_is_open(ino: u32) -> bool {
    FILES.lock().iter().flatten().any(|f| f.object == Object::Inode(ino))
}

/// A process's descriptors: descriptor `n` is slot `n`.
pub struct FdTable {
    fds: [Option<FileId>; NOFILE],
}

impl FdTable {
    /// A table with no descriptors.
    pub const fn empty() -> FdTable {
        FdTable { fds: [None; NOFILE] }
    }

    /// A table whose descriptors 0, 1 and 2 are the console: 0 an open file for reading, 1
    /// and 2 one shared open file for writing.
    pub fn console() -> Result<FdTable, Errno> {
        let input = alloc(OpenFile::new(Object::Console, true, false, false))?;
        let output = alloc(OpenFile::new(Object::Console, false, true, false))?;
        dup(output);
        let mut table = FdTable::empty();
        table.fds[..3].copy_from_slice(&[Some(input), Some(output), Some(output)]);
        Ok(table)
    }

    /// The open file behind descriptor `fd`; `EBADF` if it is not open.
    pub fn get(&self, fd: u32) -> Result<FileId, Errno> {
        self.fds.get(fd as usize).copied().flatten().ok_or(Errno::BadF)
    }

    /// Gives open file `id` (whose reference the caller hands over) the lowest free
    /// descriptor; `EMFILE` when all are taken (the reference stays the caller's).
    pub fn install(&mut self, id: FileId) -> Result<u32, Errno> {
        let fd = self.fds.iter().position(Option::is_none).ok_or(Errno::MFile)?;
        self.fds[fd] = Some(id);
        Ok(fd as u32)
    }

    /// Descriptors open (for `stats`).
    pub fn count(&self) -> u32 {
        self.fds.iter().flatten().count() as u32
    }

    /// Makes descriptor `fd` refer to open file `id` (whose reference the caller hands over);
    /// returns what it referred to before, for the caller to close. `EBADF` for a number past
    /// the table.
    pub fn replace(&mut self, fd: u32, id: FileId) -> Result<Option<FileId>, Errno> {
        let slot = self.fds.get_mut(fd as usize).ok_or(Errno::BadF)?;
        Ok(slot.replace(id))
    }

    /// Takes descriptor `fd` out of the table; the caller closes the file.
    pub fn take(&mut self, fd: u32) -> Result<FileId, Errno> {
        self.fds.get_mut(fd as usize).and_then(Option::take).ok_or(Errno::BadF)
    }

    /// A copy for a child (`fork`): the same files, each with one more reference.
    pub fn duplicate(&self) -> FdTable {
        for id in self.fds.iter().flatten() {
            dup(*id);
        }
        FdTable { fds: self.fds }
    }

    /// Empties the table; the caller closes what it returns (`exit`).
    pub fn take_all(&mut self) -> Vec<FileId> {
        self.fds.iter_mut().filter_map(Option::take).collect()
    }
}
