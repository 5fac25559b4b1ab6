//! System-call wrappers: one function per [`Syscall`], results decoded into
//! `Result<_, Errno>`. The convention (docs/syscalls.md): `syscall` with the number in `a7`,
//! arguments in `a0`..`a5`, the result in `a0`, negative for `-errno`.

use core::arch::asm;

use ox_abi::{ArgSlice, Errno, Signal, Syscall, WaitStatus};

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

/// Writes `bytes` to descriptor `fd` (1 and 2 are the console); returns how many were written.
pub fn write(fd: u32, bytes: &[u8]) -> Result<usize, Errno> {
    call(Syscall::Write, [fd, bytes.as_ptr() as u32, bytes.len() as u32, 0, 0, 0]).map(|n| n as usize)
}

/// Reads at most `buf.len()` bytes from descriptor `fd` (0 is the console), sleeping until at
/// least one is there; returns how many were read.
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

/// Replaces this process's program by the embedded program `name`, with arguments `args`
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

/// Sends `signal` to process `pid` (for now every signal kills).
pub fn kill(pid: Pid, signal: Signal) -> Result<(), Errno> {
    call(Syscall::Kill, [pid, signal as u32, 0, 0, 0, 0]).map(|_| ())
}
