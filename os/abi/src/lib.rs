//! The system-call ABI of the Orrery kernel, shared by the kernel and the user library.
//!
//! Design principles:
//! 1. **One definition.** Every system-call number is a variant of [`Syscall`], every error a
//!    variant of [`Errno`], every signal a variant of [`Signal`]; the kernel's dispatch and the
//!    user library's wrappers both use these, so the two ends cannot disagree.
//! 2. **The RISC-V calling convention, unchanged.** A user program executes `syscall` (RV
//!    `ecall`) with the call number in `a7` and up to six arguments in `a0`..`a5`; the result
//!    comes back in `a0`. A negative result is `-errno`. Every other register is preserved.
//! 3. **No pointers into the kernel.** Buffers are `(pointer, length)` pairs in the caller's
//!    address space; the kernel checks every page before it touches it and answers
//!    [`Errno::Fault`] for a bad one.
//!
//! `docs/syscalls.md` describes each call; this crate is the same in code.

#![no_std]

/// Register holding the system-call number (`a7`, i.e. `x17`).
pub const REG_NUMBER: usize = 17;
/// First argument register (`a0`, i.e. `x10`); arguments occupy `a0`..`a5`.
pub const REG_ARG0: usize = 10;
/// Number of argument registers.
pub const MAX_ARGS: usize = 6;
/// Register holding the result (`a0`).
pub const REG_RESULT: usize = 10;

/// Console file descriptors: the only descriptors there are for now.
pub const STDIN: u32 = 0;
/// Standard output: the console.
pub const STDOUT: u32 = 1;
/// Standard error: the console too.
pub const STDERR: u32 = 2;

/// Where user programs are linked: the first page of user space (everything below faults, to
/// catch null pointers).
pub const USER_BASE: u32 = 0x0001_0000;
/// One past the last user address. The stack grows down from here.
pub const USER_TOP: u32 = 0x1000_0000;
/// How far the user stack may grow below [`USER_TOP`] (pages are mapped on first touch).
pub const USER_STACK_MAX: u32 = 1 << 20;

/// Virtual-time length of one scheduler tick, in nanoseconds (1 ms); `sleep` and `uptime`
/// count in ticks.
pub const TICK_NS: u64 = 1_000_000;

/// Exit status of a Rust panic in a user program.
pub const PANIC_EXIT_CODE: i32 = 101;

/// The system calls. The discriminant is the number passed in `a7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Syscall {
    /// `write(fd, buf, len) -> written`.
    Write = 1,
    /// `read(fd, buf, len) -> read`; blocks until at least one byte is there.
    Read = 2,
    /// `exit(status) -> !`.
    Exit = 3,
    /// `wait(pid, status_ptr) -> pid`; `pid` = -1 waits for any child.
    Wait = 4,
    /// `getpid() -> pid`.
    GetPid = 5,
    /// `getppid() -> pid`.
    GetPpid = 6,
    /// `sbrk(increment) -> old break`.
    Sbrk = 7,
    /// `yield() -> 0`.
    Yield = 8,
    /// `sleep(ticks) -> 0`.
    Sleep = 9,
    /// `fork() -> child pid in the parent, 0 in the child`.
    Fork = 10,
    /// `exec(name, name_len, argv, argc) -> !` (returns only on error).
    Exec = 11,
    /// `kill(pid, signal) -> 0`.
    Kill = 12,
    /// `uptime() -> ticks since boot`.
    Uptime = 13,
}

impl Syscall {
    /// Every system call, in number order.
    pub const ALL: [Syscall; 13] = [
        Syscall::Write,
        Syscall::Read,
        Syscall::Exit,
        Syscall::Wait,
        Syscall::GetPid,
        Syscall::GetPpid,
        Syscall::Sbrk,
        Syscall::Yield,
        Syscall::Sleep,
        Syscall::Fork,
        Syscall::Exec,
        Syscall::Kill,
        Syscall::Uptime,
    ];

    /// The call with number `number`, if there is one.
    pub fn from_number(number: u32) -> Option<Syscall> {
        Syscall::ALL.into_iter().find(|s| *s as u32 == number)
    }

    /// The call's name, as `docs/syscalls.md` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Syscall::Write => "write",
            Syscall::Read => "read",
            Syscall::Exit => "exit",
            Syscall::Wait => "wait",
            Syscall::GetPid => "getpid",
            Syscall::GetPpid => "getppid",
            Syscall::Sbrk => "sbrk",
            Syscall::Yield => "yield",
            Syscall::Sleep => "sleep",
            Syscall::Fork => "fork",
            Syscall::Exec => "exec",
            Syscall::Kill => "kill",
            Syscall::Uptime => "uptime",
        }
    }
}

/// Error numbers: a failing call returns `-(errno as i32)` in `a0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Errno {
    /// No such process.
    Srch = 3,
    /// A blocking call was interrupted by a signal.
    Intr = 4,
    /// Bad file descriptor.
    BadF = 9,
    /// No child process to wait for.
    Child = 10,
    /// Out of memory (frames, heap, or the address space).
    NoMem = 12,
    /// A user buffer is not mapped with the access the call needs.
    Fault = 14,
    /// An argument is out of range.
    Inval = 22,
    /// Too many processes.
    Again = 11,
    /// No program of that name.
    NoEnt = 2,
    /// The image is not an ox32 executable the kernel can load.
    NoExec = 8,
    /// Argument list too long.
    TooBig = 7,
    /// No such system call.
    NoSys = 38,
}

impl Errno {
    /// Every error number.
    pub const ALL: [Errno; 12] = [
        Errno::Srch,
        Errno::Intr,
        Errno::BadF,
        Errno::Child,
        Errno::NoMem,
        Errno::Fault,
        Errno::Inval,
        Errno::Again,
        Errno::NoEnt,
        Errno::NoExec,
        Errno::TooBig,
        Errno::NoSys,
    ];

    /// The error a negative system-call result stands for (`None` for a success).
    pub fn from_result(result: i32) -> Option<Errno> {
        let number = result.checked_neg().filter(|n| *n > 0)? as u32;
        Errno::ALL.into_iter().find(|e| *e as u32 == number)
    }

    /// The result register value reporting this error.
    pub fn to_result(self) -> i32 {
        -(self as i32)
    }

    /// The conventional upper-case name (`ENOMEM`).
    pub fn name(self) -> &'static str {
        match self {
            Errno::Srch => "ESRCH",
            Errno::Intr => "EINTR",
            Errno::BadF => "EBADF",
            Errno::Child => "ECHILD",
            Errno::NoMem => "ENOMEM",
            Errno::Fault => "EFAULT",
            Errno::Inval => "EINVAL",
            Errno::Again => "EAGAIN",
            Errno::NoEnt => "ENOENT",
            Errno::NoExec => "ENOEXEC",
            Errno::TooBig => "E2BIG",
            Errno::NoSys => "ENOSYS",
        }
    }
}

/// Signals. For now a signal always kills its target; the numbers are the traditional ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Signal {
    /// Killed on request.
    Kill = 9,
    /// Illegal or privileged instruction.
    Ill = 4,
    /// Breakpoint (`break`).
    Trap = 5,
    /// Misaligned access.
    Bus = 7,
    /// Access to memory the process may not touch.
    Segv = 11,
    /// Terminated on request.
    Term = 15,
}

impl Signal {
    /// Every signal.
    pub const ALL: [Signal; 6] =
        [Signal::Ill, Signal::Trap, Signal::Bus, Signal::Kill, Signal::Segv, Signal::Term];

    /// The signal with number `number`.
    pub fn from_number(number: u32) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| *s as u32 == number)
    }

    /// The conventional name (`SIGSEGV`).
    pub fn name(self) -> &'static str {
        match self {
            Signal::Kill => "SIGKILL",
            Signal::Ill => "SIGILL",
            Signal::Trap => "SIGTRAP",
            Signal::Bus => "SIGBUS",
            Signal::Segv => "SIGSEGV",
            Signal::Term => "SIGTERM",
        }
    }
}

/// How a child ended, as `wait` reports it in the status word: an exit stores the low eight
/// bits of the exit status in bits 15..8 (bits 7..0 zero); death by a signal stores the
/// signal number in bits 7..0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStatus {
    /// The child called `exit` with this status (low eight bits).
    Exited(u8),
    /// The child was killed by this signal.
    Signaled(Signal),
}

impl WaitStatus {
    /// The status word `wait` stores.
    pub fn encode(self) -> u32 {
        match self {
            WaitStatus::Exited(code) => (code as u32) << 8,
            WaitStatus::Signaled(signal) => signal as u32,
        }
    }

    /// Reads a status word back (`None` if it is not one the kernel produces).
    pub fn decode(word: u32) -> Option<WaitStatus> {
        match word & 0x7f {
            0 if word >> 16 == 0 => Some(WaitStatus::Exited((word >> 8) as u8)),
            0 => None,
            signal => Signal::from_number(signal).map(WaitStatus::Signaled),
        }
    }
}

/// One element of the argument vector `exec` takes and `_start` receives: a string that is
/// **not** NUL-terminated, as a pointer and a length in the process's address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct ArgSlice {
    /// Address of the first byte.
    pub ptr: u32,
    /// Length in bytes.
    pub len: u32,
}

/// Most arguments `exec` passes on.
pub const MAX_ARGC: usize = 32;
/// Most bytes of argument strings `exec` passes on, all together.
pub const MAX_ARG_BYTES: usize = 4096;
/// Longest program name `exec` accepts.
pub const MAX_NAME: usize = 64;
