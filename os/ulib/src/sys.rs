//! System-call wrappers: one function per [`Syscall`], results decoded into
//! `Result<_, Errno>`. The convention (docs/syscalls.md): `syscall` with the number in `a7`,
//! arguments in `a0`..`a5`, the result in `a0`, negative for `-errno`.

use core::arch::asm;

use ox_abi::{ArgSlice, Dirent, Errno, NodeStats, Placement, ProcInfo, Signal, Stat, Syscall, WaitStatus};

/// A process id.
pub type Pid = u32;

/// Makes system call `number` with `args` and returns the raw `a0`. For tests that need to
/// pass what the typed wrappers would not (bad pointers, unknown numbers).
///
/// # Safety
/// The kernel checks every argument, so no call can corrupt the kernel; but a call can
/// change this process's memory (`read` into a buffer, `sbrk` shrinking the heap, `exec`)
/// behind the compiler's back: the caller must make sure that is sound.
pub unsafe fn raw_syscall(number: u32, args: [u32; 6]) -> i32 {
    let result: i32;
    // Safety: `ecall` traps to the kernel, which preserves every register except a0; the
    // caller vouches for the memory effects.
    unsafe {
        asm!(
            "ecall",
            inlateout("a0") args[0] => result,
            in("a1") args[1],
            in("a2") args[2],
            in("a3") args[3],
            in("a4") args[4],
            in("a5") args[5],
            in("a7") number,
            options(nostack),
        );
    }
    result
}

fn call(number: Syscall, args: [u32; 6]) -> Result<u32, Errno> {
    // Safety: every typed wrapper passes buffers that are valid for the access the call
    // makes (a read buffer is a `&mut [u8]`, a write buffer a `&[u8]`).
    let result = unsafe { raw_syscall(number as u32, args) };
    match Errno::from_result(result) {
        Some(errno) => Err(errno),
        None => Ok(result as u32),
    }
}

/// Writes `bytes` to descriptor `fd` (0, 1 and 2 start as the console); returns how many were
/// written (all of them, except on a full disk or a pipe whose reader left part-way).
pub fn write(fd: u32, bytes: &[u8]) -> Result<usize, Errno> {
    call(Syscall::Write, [fd, bytes.as_ptr() as u32, bytes.len() as u32, 0, 0, 0]).map(|n| n as usize)
}

/// Reads at most `buf.len()` bytes from descriptor `fd`; returns how many were read, 0 at the
/// end of a file or of a pipe without writers. The console and pipes sleep until a byte is there.
pub fn read(fd: u32, buf: &mut [u8]) -> Result<usize, Errno> {
    call(Syscall::Read, [fd, buf.as_mut_ptr() as u32, buf.len() as u32, 0, 0, 0]).map(|n| n as usize)
}

/// Ends this process with `status` (its low eight bits reach the parent).
pub fn exit(status: i32) -> ! {
    let _ = call(Syscall::Exit, [status as u32, 0, 0, 0, 0, 0]);
    unreachable!("exit returned");
}

/// Waits for child `pid` (`None`: any child) to end; returns its pid and how it ended.
pub fn wait(pid: Option<Pid>) -> Result<(Pid, WaitStatus), Errno> {
    let mut status = 0u32;
    let pid = pid.map_or(-1, |p| p as i32);
    let child = call(Syscall::Wait, [pid as u32, &mut status as *mut u32 as u32, 0, 0, 0, 0])?;
    let status = WaitStatus::decode(status).ok_or(Errno::Inval)?;
    Ok((child, status))
}

/// This process's id.
pub fn getpid() -> Pid {
    call(Syscall::GetPid, [0; 6]).unwrap_or(0)
}

/// The parent's id.
pub fn getppid() -> Pid {
    call(Syscall::GetPpid, [0; 6]).unwrap_or(0)
}

/// Moves the break by `increment` bytes; returns the old break.
pub fn sbrk(increment: i32) -> Result<*mut u8, Errno> {
    call(Syscall::Sbrk, [increment as u32, 0, 0, 0, 0, 0]).map(|brk| brk as *mut u8)
}

/// The user this process acts for (0: the superuser).
pub fn getuid() -> u32 {
    call(Syscall::GetUid, [0; 6]).unwrap_or(0)
}

/// Its group.
pub fn getgid() -> u32 {
    call(Syscall::GetGid, [0; 6]).unwrap_or(0)
}

/// Acts for user `uid` from now on (`EPERM` unless this process is the superuser's or `uid` is
/// its own).
pub fn setuid(uid: u32) -> Result<(), Errno> {
    call(Syscall::SetUid, [uid, 0, 0, 0, 0, 0]).map(|_| ())
}

/// As [`setuid`], for the group.
pub fn setgid(gid: u32) -> Result<(), Errno> {
    call(Syscall::SetGid, [gid, 0, 0, 0, 0, 0]).map(|_| ())
}

/// Moves process `pid` (0: this one) to node `node` (0: home, the central): waits until it
/// has moved, or the reason it could not (`ox_abi::Syscall::Migrate`).
pub fn migrate(pid: u32, node: u32) -> Result<(), Errno> {
    call(Syscall::Migrate, [pid, node, 0, 0, 0, 0]).map(|_| ())
}

/// Automatic load balancing for the system (`pid` 0) or process `pid`: sets it (`Some(on)`)
/// or only reads it (`None`); the previous setting (`ox_abi::Syscall::Balance`).
pub fn balance(pid: u32, on: Option<bool>) -> Result<bool, Errno> {
    let setting = match on {
        None => ox_abi::BALANCE_READ,
        Some(true) => ox_abi::BALANCE_ON,
        Some(false) => ox_abi::BALANCE_OFF,
    };
    call(Syscall::Balance, [pid, setting, 0, 0, 0, 0]).map(|old| old == ox_abi::BALANCE_ON)
}

/// The prefetch cache of calls forwarded from satellites, for the whole system: sets it
/// (`Some(on)`) or only reads it (`None`); the previous setting (`ox_abi::Syscall::Prefetch`).
pub fn prefetch(on: Option<bool>) -> Result<bool, Errno> {
    let setting = match on {
        None => ox_abi::BALANCE_READ,
        Some(true) => ox_abi::BALANCE_ON,
        Some(false) => ox_abi::BALANCE_OFF,
    };
    call(Syscall::Prefetch, [setting, 0, 0, 0, 0, 0]).map(|old| old == ox_abi::BALANCE_ON)
}

/// Lets other processes run.
pub fn yield_now() {
    let _ = call(Syscall::Yield, [0; 6]);
}

/// Sleeps for `ticks` timer ticks (of [`ox_abi::TICK_NS`] virtual nanoseconds).
pub fn sleep(ticks: u32) -> Result<(), Errno> {
    call(Syscall::Sleep, [ticks, 0, 0, 0, 0, 0]).map(|_| ())
}

/// Ticks since boot.
pub fn uptime() -> u32 {
    call(Syscall::Uptime, [0; 6]).unwrap_or(0)
}

/// Which side of a `fork` this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fork {
    /// The parent; the child has this pid.
    Parent(Pid),
    /// The child.
    Child,
}

/// Creates a copy of this process.
pub fn fork() -> Result<Fork, Errno> {
    call(Syscall::Fork, [0; 6]).map(|pid| if pid == 0 { Fork::Child } else { Fork::Parent(pid) })
}

/// Creates a copy of this process on a satellite (docs/satellites.md): `node` 0 lets the
/// kernel's placement policy pick one (the least loaded), `n` asks for satellite node `n`.
/// The child's stub on the central keeps the descriptors and directory.
pub fn rfork(node: u32) -> Result<Fork, Errno> {
    call(Syscall::Rfork, [node, 0, 0, 0, 0, 0])
        .map(|pid| if pid == 0 { Fork::Child } else { Fork::Parent(pid) })
}

/// Where this process's `fork`s put their children (docs/satellites.md).
pub fn placement() -> Result<Placement, Errno> {
    call(Syscall::Place, [0; 6]).and_then(|word| Placement::decode(word).ok_or(Errno::Inval))
}

/// Sets where this process's `fork`s (and its children's, which inherit it) put their
/// children; returns the previous policy.
pub fn set_placement(policy: Placement) -> Result<Placement, Errno> {
    call(Syscall::Place, [policy.encode(), 0, 0, 0, 0, 0])
        .and_then(|word| Placement::decode(word).ok_or(Errno::Inval))
}

/// The process table: a row per process, where it runs, at most `max` rows.
pub fn ps(max: usize) -> Result<alloc::vec::Vec<ProcInfo>, Errno> {
    let mut buf = alloc::vec![0u8; max * ProcInfo::SIZE];
    let len = call(Syscall::Ps, [buf.as_mut_ptr() as u32, buf.len() as u32, 0, 0, 0, 0])? as usize;
    Ok(buf[..len].chunks_exact(ProcInfo::SIZE).filter_map(ProcInfo::decode).collect())
}

/// The kernel counters of node `node` (0: the central, `n`: satellite node `n`); `EINVAL`
/// for a node with no satellite up.
pub fn stats(node: u32) -> Result<NodeStats, Errno> {
    let mut bytes = [0u8; NodeStats::SIZE];
    let len = call(Syscall::Stats, [node, bytes.as_mut_ptr() as u32, bytes.len() as u32, 0, 0, 0])?;
    NodeStats::decode(&bytes[..len as usize]).ok_or(Errno::Inval)
}

/// Replaces this process's program by program `name` (`/bin/NAME` on the disk, or the image
/// embedded in the kernel without one; a name with `/` is a path), with arguments `args`
/// (`args[0]` is by convention the name). Returns only on failure.
pub fn exec(name: &str, args: &[&str]) -> Errno {
    let slices: alloc::vec::Vec<ArgSlice> =
        args.iter().map(|a| ArgSlice { ptr: a.as_ptr() as u32, len: a.len() as u32 }).collect();
    let result = call(
        Syscall::Exec,
        [name.as_ptr() as u32, name.len() as u32, slices.as_ptr() as u32, slices.len() as u32, 0, 0],
    );
    match result {
        Err(errno) => errno,
        Ok(_) => unreachable!("exec returned success"),
    }
}

/// Sends `signal` to process `pid` (what it does there: `signal::set`, docs/syscalls.md).
pub fn kill(pid: Pid, signal: Signal) -> Result<(), Errno> {
    call(Syscall::Kill, [pid, signal as u32, 0, 0, 0, 0]).map(|_| ())
}

/// Opens the file at `path` with `flags` (`ox_abi::open_flags`); returns its descriptor.
pub fn open(path: &str, flags: u32) -> Result<u32, Errno> {
    call(Syscall::Open, [path.as_ptr() as u32, path.len() as u32, flags, 0, 0, 0])
}

/// Closes descriptor `fd`.
pub fn close(fd: u32) -> Result<(), Errno> {
    call(Syscall::Close, [fd, 0, 0, 0, 0, 0]).map(|_| ())
}

/// Moves the offset of `fd` to `offset` from `whence` (`ox_abi::SEEK_*`); returns the new offset.
pub fn lseek(fd: u32, offset: i32, whence: u32) -> Result<u32, Errno> {
    call(Syscall::Lseek, [fd, offset as u32, whence, 0, 0, 0])
}

/// What `path` names.
pub fn stat(path: &str) -> Result<Stat, Errno> {
    let mut bytes = [0u8; Stat::SIZE];
    call(Syscall::Stat, [path.as_ptr() as u32, path.len() as u32, bytes.as_mut_ptr() as u32, 0, 0, 0])?;
    Ok(Stat::decode(&bytes))
}

/// What descriptor `fd` refers to.
pub fn fstat(fd: u32) -> Result<Stat, Errno> {
    let mut bytes = [0u8; Stat::SIZE];
    call(Syscall::Fstat, [fd, bytes.as_mut_ptr() as u32, 0, 0, 0, 0])?;
    Ok(Stat::decode(&bytes))
}

/// Creates the directory `path`.
pub fn mkdir(path: &str) -> Result<(), Errno> {
    call(Syscall::Mkdir, [path.as_ptr() as u32, path.len() as u32, 0, 0, 0, 0]).map(|_| ())
}

/// Removes the name `path` (a file, or an empty directory).
pub fn unlink(path: &str) -> Result<(), Errno> {
    call(Syscall::Unlink, [path.as_ptr() as u32, path.len() as u32, 0, 0, 0, 0]).map(|_| ())
}

/// Makes `path` the working directory.
pub fn chdir(path: &str) -> Result<(), Errno> {
    call(Syscall::Chdir, [path.as_ptr() as u32, path.len() as u32, 0, 0, 0, 0]).map(|_| ())
}

/// The working directory's absolute path.
pub fn getcwd() -> Result<alloc::string::String, Errno> {
    let mut buf = alloc::vec![0u8; ox_abi::PATH_MAX];
    let len = call(Syscall::Getcwd, [buf.as_mut_ptr() as u32, buf.len() as u32, 0, 0, 0, 0])? as usize;
    buf.truncate(len);
    alloc::string::String::from_utf8(buf).map_err(|_| Errno::Inval)
}

/// A second descriptor for the open file of `fd` (sharing its offset).
pub fn dup(fd: u32) -> Result<u32, Errno> {
    call(Syscall::Dup, [fd, 0, 0, 0, 0, 0])
}

/// Makes descriptor `new_fd` refer to the open file of `fd` (closing what `new_fd` had);
/// returns `new_fd`.
pub fn dup2(fd: u32, new_fd: u32) -> Result<u32, Errno> {
    call(Syscall::Dup2, [fd, new_fd, 0, 0, 0, 0])
}

/// A new pipe: `(read end, write end)`.
pub fn pipe() -> Result<(u32, u32), Errno> {
    let mut fds = [0u32; 2];
    call(Syscall::Pipe, [fds.as_mut_ptr() as u32, 0, 0, 0, 0, 0])?;
    Ok((fds[0], fds[1]))
}

/// The next entries of the open directory `fd`, at most `max`; empty at the end.
pub fn getdents(fd: u32, max: usize) -> Result<alloc::vec::Vec<Dirent>, Errno> {
    let mut buf = alloc::vec![0u8; max.max(1) * Dirent::SIZE];
    let len = call(Syscall::Getdents, [fd, buf.as_mut_ptr() as u32, buf.len() as u32, 0, 0, 0])? as usize;
    Ok(buf[..len].chunks_exact(Dirent::SIZE).filter_map(Dirent::decode).collect())
}

/// Writes all of `bytes` to `fd`, calling `write` until it is done.
pub fn write_all(fd: u32, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        match write(fd, bytes)? {
            0 => return Err(Errno::Io),
            n => bytes = &bytes[n..],
        }
    }
    Ok(())
}

/// Everything left to read from `fd`.
pub fn read_to_end(fd: u32) -> Result<alloc::vec::Vec<u8>, Errno> {
    let mut data = alloc::vec::Vec::new();
    let mut buf = alloc::vec![0u8; 4096];
    loop {
        match read(fd, &mut buf)? {
            0 => return Ok(data),
            n => data.extend_from_slice(&buf[..n]),
        }
    }
}
