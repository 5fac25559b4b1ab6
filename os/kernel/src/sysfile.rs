//! The file system calls (docs/syscalls.md): descriptors, reading and writing any open file
//! (the console, a file or directory on the disk, a pipe), paths and directories.
//!
//! Every call takes its user arguments as allegations: a path is copied in (at most
//! `PATH_MAX` bytes, `EFAULT` if unreadable), a buffer is checked page by page by
//! `copy_in`/`copy_out` ([`crate::user`]: the caller's memory, which for a stub may be on
//! its satellite), and a descriptor must name an open file of the caller (`EBADF`).
//! Buffers a call fills are checked before anything is consumed (console input, pipe bytes), so
//! a bad buffer loses nothing.
//!
//! Data moves in [`CHUNK`]-byte steps through a kernel buffer; the file system is locked for
//! one step at a time, and pipes may sleep between steps.

use alloc::vec;
use alloc::vec::Vec;

use ox_abi::open_flags::{O_ACCMODE, O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use ox_abi::{Dirent, Errno, FileKind, Stat, PATH_MAX, SEEK_CUR, SEEK_END, SEEK_SET};
use ox_fs::Kind;
use ox_kcore::task::chan::{Chan, Class};
use ox_kcore::task::proc::table;
use ox_kcore::task::sched;
use ox_kcore::task::signal::interrupted;

use crate::file::{self, FileId, Object, OpenFile};
use crate::fs::{self, errno};
use crate::proc::{self, CentralProc};
use crate::user::{copy_in, copy_out};
use crate::vm::Access;
use crate::{console, pipe, user};

/// Bytes moved between user memory and a file per step: one file-system block.
const CHUNK: usize = ox_fs::BLOCK_SIZE;
/// Bytes written to a file per step: sixteen blocks, one transaction of the file system's log
/// (the blocks, the bitmap and the inode logged once for all sixteen; docs/filesystem.md).
const FILE_WRITE_CHUNK: usize = 16 * ox_fs::BLOCK_SIZE;
/// Most console input one `read` returns.
const CONSOLE_CHUNK: usize = 512;
/// The console's device number in a [`Stat`].
const CONSOLE_DEVICE: u32 = 1;

/// The open file behind the caller's descriptor `fd`.
fn file_of(fd: u32) -> Result<(FileId, OpenFile), Errno> {
    let id = table().current().central().files.get(fd)?;
    Ok((id, file::get(id)))
}

/// Checks that the caller may write `len` bytes at `buf`.
fn check_writable(buf: u32, len: u32) -> Result<(), Errno> {
    user::check(buf, len as usize, Access::Write)
}

/// Copies in the path at `ptr..ptr + len`.
fn path_in(ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
    if len as usize > PATH_MAX {
        return Err(Errno::NameTooLong);
    }
    let mut bytes = vec![0; len as usize];
    copy_in(ptr, &mut bytes)?;
    Ok(bytes)
}

/// The caller's working directory's inode.
fn cwd() -> u32 {
    table().current().central().cwd.ino
}

/// Gives `id` (whose reference the caller hands over) a descriptor, closing it on failure.
fn install(id: FileId) -> Result<u32, Errno> {
    let installed = table().current().central().files.install(id);
    if installed.is_err() {
        file::close(id);
    }
    installed
}

/// `read(fd, buf, len) -> bytes read`.
pub fn read(fd: u32, buf: u32, len: u32) -> Result<u32, Errno> {
    check_writable(buf, len)?;
    let (id, file) = file_of(fd)?;
    if !file.readable {
        return Err(Errno::BadF);
    }
    if len == 0 {
        return Ok(0);
    }
    match file.object {
        Object::Console => read_console(buf, len),
        Object::Pipe { id: pipe, .. } => {
            let bytes = pipe::read(pipe, (len as usize).min(CHUNK))?;
            copy_out(buf, &bytes)?;
            Ok(bytes.len() as u32)
        }
        Object::Inode(ino) => {
            let mut to_user = ToUser { buf, done: 0, chunk: vec![0; CHUNK] };
            read_inode(id, &file, ino, len, &mut to_user)
        }
    }
}

/// Where [`read_inode`] puts what it reads, a step at a time.
pub trait Sink {
    /// Room for the next step's bytes: at most `want` (at least one byte when `want` is not
    /// zero).
    fn room(&mut self, want: usize) -> &mut [u8];
    /// The first `n` bytes of the room just given hold the file's next bytes.
    fn took(&mut self, n: usize) -> Result<(), Errno>;
}

/// `read` into user memory: each step read into a kernel buffer, then copied out.
struct ToUser {
    buf: u32,
    done: u32,
    chunk: Vec<u8>,
}

impl Sink for ToUser {
    fn room(&mut self, want: usize) -> &mut [u8] {
        let n = want.min(self.chunk.len());
        &mut self.chunk[..n]
    }

    fn took(&mut self, n: usize) -> Result<(), Errno> {
        copy_out(self.buf + self.done, &self.chunk[..n])?;
        self.done += n as u32;
        Ok(())
    }
}

/// The readable file on the disk behind the caller's descriptor `fd`: its open file and inode,
/// or `None` for anything else (the console, a pipe, a descriptor not open for reading).
pub fn readable_inode(fd: u32) -> Option<(FileId, OpenFile, u32)> {
    let (id, file) = file_of(fd).ok()?;
    match file.object {
        Object::Inode(ino) if file.readable => Some((id, file, ino)),
        _ => None,
    }
}

/// Reads up to `len` bytes of inode `ino`, open as `file` (`id`), from its offset into `sink`,
/// one block at a time, and moves the offset past what `sink` took. The result is the count
/// (short at the end of the file), or the error of the first step if no byte was read.
pub fn read_inode(
    id: FileId,
    file: &OpenFile,
    ino: u32,
    len: u32,
    sink: &mut dyn Sink,
) -> Result<u32, Errno> {
    let mut done = 0;
    let result = loop {
        let want = ((len - done) as usize).min(CHUNK);
        let room = sink.room(want);
        let asked = room.len();
        let got =
            fs::root().and_then(|mut root| root.fs().read_at(ino, file.offset + done, room).map_err(errno));
        match got {
            Ok(0) => break Ok(()),
            Ok(n) => {
                if let Err(e) = sink.took(n) {
                    break Err(e);
                }
                done += n as u32;
                if n < asked || done == len {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    file::set_offset(id, file.offset + done);
    match result {
        Err(e) if done == 0 => Err(e),
        _ => Ok(done),
    }
}

/// Readers of the console, waiting for input.
static CONSOLE: Class = Class::new("console");

/// What a reader of the console sleeps on.
fn console_chan() -> Chan {
    Chan::new(&CONSOLE, 0)
}

/// Console input came: wakes its readers (from the UART's interrupt).
pub fn wake_console_readers() {
    sched::wakeup(console_chan());
}

/// Console input: sleeps until some is there; 0 (the end of file) once the input has ended.
fn read_console(buf: u32, len: u32) -> Result<u32, Errno> {
    loop {
        let bytes = console::take_input((len as usize).min(CONSOLE_CHUNK));
        if !bytes.is_empty() {
            copy_out(buf, &bytes)?;
            return Ok(bytes.len() as u32);
        }
        if console::input_ended() {
            return Ok(0);
        }
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(console_chan());
    }
}

/// `write(fd, buf, len) -> bytes written`.
pub fn write(fd: u32, buf: u32, len: u32) -> Result<u32, Errno> {
    user::check(buf, len as usize, Access::Read)?;
    let (id, file) = file_of(fd)?;
    if !file.writable {
        return Err(Errno::BadF);
    }
    let step = match file.object {
        Object::Inode(_) => FILE_WRITE_CHUNK,
        _ => CHUNK,
    };
    let mut chunk = vec![0; (len as usize).min(step)];
    let mut done = 0;
    let mut offset = file.offset;
    let result = loop {
        if done == len {
            break Ok(());
        }
        let n = ((len - done) as usize).min(step);
        if let Err(e) = copy_in(buf.wrapping_add(done), &mut chunk[..n]) {
            break Err(e);
        }
        let wrote = match file.object {
            Object::Console => {
                console::write_bytes(&chunk[..n]);
                Ok(n)
            }
            Object::Pipe { id: pipe, .. } => pipe::write(pipe, &chunk[..n]),
            Object::Inode(ino) => fs::root().and_then(|mut root| {
                let fs = root.fs();
                if file.append {
                    offset = fs.stat(ino).map_err(errno)?.size;
                }
                fs.write_at(ino, offset, &chunk[..n]).map_err(errno)
            }),
        };
        match wrote {
            Ok(wrote) => {
                done += wrote as u32;
                offset += wrote as u32;
                // A file write stops short only when the disk or the file is full.
                if wrote < n && matches!(file.object, Object::Inode(_)) {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    if matches!(file.object, Object::Inode(_)) {
        file::set_offset(id, offset);
    }
    match result {
        Err(e) if done == 0 => Err(e),
        _ => Ok(done),
    }
}

/// `open(path, path_len, flags) -> fd`.
pub fn open(path: u32, path_len: u32, flags: u32) -> Result<u32, Errno> {
    if flags & !ox_abi::open_flags::ALL != 0 || flags & O_ACCMODE == O_ACCMODE {
        return Err(Errno::Inval);
    }
    let bytes = path_in(path, path_len)?;
    let path = fs::check_path(&bytes)?;
    let (readable, writable) = match flags & O_ACCMODE {
        O_RDONLY => (true, false),
        O_WRONLY => (false, true),
        O_RDWR => (true, true),
        _ => unreachable!("O_ACCMODE = 3 was refused"),
    };
    let at = cwd();
    let ino = {
        let mut root = fs::root()?;
        let fs = root.fs();
        let ino = match fs.lookup_at(at, path) {
            Ok(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => return Err(Errno::Exist),
            Ok(ino) => ino,
            Err(ox_fs::Error::NotFound) if flags & O_CREAT != 0 => {
                let (dir, name) = fs.parent_at(at, path).map_err(errno)?;
                fs.create_in(dir, name).map_err(errno)?
            }
            Err(e) => return Err(errno(e)),
        };
        match fs.stat(ino).map_err(errno)?.kind {
            Kind::Dir if writable => return Err(Errno::IsDir),
            Kind::Dir => {}
            Kind::File => {
                if flags & O_TRUNC != 0 && writable {
                    fs.truncate(ino, 0).map_err(errno)?;
                }
            }
            Kind::Device | Kind::Free => return Err(Errno::NoDev),
        }
        ino
    };
    let id = file::alloc(OpenFile::new(Object::Inode(ino), readable, writable, flags & O_APPEND != 0))?;
    install(id)
}

/// `close(fd) -> 0`.
pub fn close(fd: u32) -> Result<u32, Errno> {
    let id = table().current().central().files.take(fd)?;
    file::close(id);
    Ok(0)
}

/// `lseek(fd, offset, whence) -> new offset`.
pub fn lseek(fd: u32, offset: i32, whence: u32) -> Result<u32, Errno> {
    let (id, file) = file_of(fd)?;
    let Object::Inode(ino) = file.object else { return Err(Errno::SPipe) };
    let base = match whence {
        SEEK_SET => 0,
        SEEK_CUR => file.offset as i64,
        SEEK_END => fs::root()?.fs().stat(ino).map_err(errno)?.size as i64,
        _ => return Err(Errno::Inval),
    };
    let new = u32::try_from(base + offset as i64).map_err(|_| Errno::Inval)?;
    file::set_offset(id, new);
    Ok(new)
}

/// What `stat` says about inode `ino`.
fn stat_inode(ino: u32) -> Result<Stat, Errno> {
    let stat = fs::root()?.fs().stat(ino).map_err(errno)?;
    let kind = match stat.kind {
        Kind::File => FileKind::File,
        Kind::Dir => FileKind::Dir,
        Kind::Device | Kind::Free => FileKind::Device,
    };
    Ok(Stat {
        ino,
        kind: kind as u32,
        nlink: stat.nlink as u32,
        size: stat.size,
        blocks: stat.blocks,
        device: stat.device,
    })
}

/// `stat(path, path_len, stat_ptr) -> 0`.
pub fn stat(path: u32, path_len: u32, stat_ptr: u32) -> Result<u32, Errno> {
    let bytes = path_in(path, path_len)?;
    let path = fs::check_path(&bytes)?;
    let at = cwd();
    let ino = fs::root()?.fs().lookup_at(at, path).map_err(errno)?;
    copy_out(stat_ptr, &stat_inode(ino)?.encode())?;
    Ok(0)
}

/// `fstat(fd, stat_ptr) -> 0`.
pub fn fstat(fd: u32, stat_ptr: u32) -> Result<u32, Errno> {
    let (_, file) = file_of(fd)?;
    let stat = match file.object {
        Object::Console => Stat { kind: FileKind::Device as u32, device: CONSOLE_DEVICE, ..Stat::default() },
        Object::Pipe { id, .. } => {
            Stat { kind: FileKind::Pipe as u32, size: pipe::len(id) as u32, ..Stat::default() }
        }
        Object::Inode(ino) => stat_inode(ino)?,
    };
    copy_out(stat_ptr, &stat.encode())?;
    Ok(0)
}

/// `mkdir(path, path_len) -> 0`.
pub fn mkdir(path: u32, path_len: u32) -> Result<u32, Errno> {
    let bytes = path_in(path, path_len)?;
    let path = fs::check_path(&bytes)?;
    let at = cwd();
    let mut root = fs::root()?;
    let fs = root.fs();
    let (dir, name) = fs.parent_at(at, path).map_err(errno)?;
    fs.mkdir_in(dir, name).map_err(errno)?;
    Ok(0)
}

/// `unlink(path, path_len) -> 0`. The last name of an open file, and a directory that is some
/// process's working directory, stay (`EBUSY`): ox-fs frees an inode with its last name.
pub fn unlink(path: u32, path_len: u32) -> Result<u32, Errno> {
    let bytes = path_in(path, path_len)?;
    let path = fs::check_path(&bytes)?;
    let at = cwd();
    let mut root = fs::root()?;
    let fs = root.fs();
    let (dir, name) = fs.parent_at(at, path).map_err(errno)?;
    ox_fs::dir::check_name(name).map_err(errno)?;
    let ino = fs.dir_lookup(dir, name).map_err(errno)?;
    let stat = fs.stat(ino).map_err(errno)?;
    let last_name = stat.kind == Kind::Dir || stat.nlink <= 1;
    if last_name && (file::inode_is_open(ino) || proc::is_cwd(ino)) {
        return Err(Errno::Busy);
    }
    fs.unlink_in(dir, name).map_err(errno)?;
    Ok(0)
}

/// `chdir(path, path_len) -> 0`.
pub fn chdir(path: u32, path_len: u32) -> Result<u32, Errno> {
    let bytes = path_in(path, path_len)?;
    let path = fs::check_path(&bytes)?;
    let at = cwd();
    let ino = {
        let mut root = fs::root()?;
        let fs = root.fs();
        let ino = fs.lookup_at(at, path).map_err(errno)?;
        if fs.stat(ino).map_err(errno)?.kind != Kind::Dir {
            return Err(Errno::NotDir);
        }
        ino
    };
    let mut table = table();
    let cwd = &mut table.current().central().cwd;
    cwd.path = fs::join(&cwd.path, path);
    cwd.ino = ino;
    Ok(0)
}

/// `getcwd(buf, len) -> length of the path`.
pub fn getcwd(buf: u32, len: u32) -> Result<u32, Errno> {
    let path = table().current().central().cwd.path.clone();
    if path.len() > len as usize {
        return Err(Errno::Inval);
    }
    copy_out(buf, path.as_bytes())?;
    Ok(path.len() as u32)
}

/// `dup(fd) -> new fd`.
pub fn dup(fd: u32) -> Result<u32, Errno> {
    let (id, _) = file_of(fd)?;
    file::dup(id);
    install(id)
}

/// `dup2(fd, new_fd) -> new_fd`: `new_fd` refers to `fd`'s open file; what it referred to is
/// closed first. `fd` = `new_fd` changes nothing.
pub fn dup2(fd: u32, new_fd: u32) -> Result<u32, Errno> {
    let (id, _) = file_of(fd)?;
    if fd == new_fd {
        return Ok(new_fd);
    }
    file::dup(id);
    let replaced = table().current().central().files.replace(new_fd, id);
    match replaced {
        Ok(old) => {
            if let Some(old) = old {
                file::close(old);
            }
            Ok(new_fd)
        }
        Err(e) => {
            file::close(id);
            Err(e)
        }
    }
}

/// `pipe(fds_ptr) -> 0`: stores the read end's descriptor, then the write end's.
pub fn pipe(fds_ptr: u32) -> Result<u32, Errno> {
    check_writable(fds_ptr, 8)?;
    let id = pipe::create();
    let reader = file::alloc(OpenFile::new(Object::Pipe { id, write_end: false }, true, false, false));
    let writer = file::alloc(OpenFile::new(Object::Pipe { id, write_end: true }, false, true, false));
    let (reader, writer) = match (reader, writer) {
        (Ok(r), Ok(w)) => (r, w),
        (r, w) => {
            // Each failed end still counts in the pipe; close it there, and the other file.
            for (end, write_end) in [(r, false), (w, true)] {
                match end {
                    Ok(file) => file::close(file),
                    Err(_) => pipe::close_end(id, write_end),
                }
            }
            return Err(Errno::NFile);
        }
    };
    let read_fd = install(reader).inspect_err(|_| file::close(writer))?;
    let write_fd = match install(writer) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = close(read_fd);
            return Err(e);
        }
    };
    let mut fds = [0; 8];
    fds[..4].copy_from_slice(&read_fd.to_le_bytes());
    fds[4..].copy_from_slice(&write_fd.to_le_bytes());
    copy_out(fds_ptr, &fds)?;
    Ok(0)
}

/// `getdents(fd, buf, len) -> bytes stored`: the next whole [`Dirent`]s of an open directory.
pub fn getdents(fd: u32, buf: u32, len: u32) -> Result<u32, Errno> {
    check_writable(buf, len)?;
    let (id, file) = file_of(fd)?;
    let Object::Inode(ino) = file.object else { return Err(Errno::NotDir) };
    if !file.readable {
        return Err(Errno::BadF);
    }
    let entries = fs::root()?.fs().readdir(ino).map_err(errno)?;
    let fit = len as usize / Dirent::SIZE;
    let rest = entries.get(file.offset as usize..).unwrap_or(&[]);
    if !rest.is_empty() && fit == 0 {
        return Err(Errno::Inval);
    }
    let mut bytes = Vec::with_capacity(fit.min(rest.len()) * Dirent::SIZE);
    for entry in rest.iter().take(fit) {
        bytes.extend_from_slice(&Dirent::new(entry.ino, entry.name.as_bytes()).encode());
    }
    copy_out(buf, &bytes)?;
    let count = (bytes.len() / Dirent::SIZE) as u32;
    file::set_offset(id, file.offset + count);
    Ok(bytes.len() as u32)
}
