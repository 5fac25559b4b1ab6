//! System calls: decoding the registers, checking the arguments and calling the kernel's
//! services (the file calls are in [`sysfile`](crate::sysfile)). The convention (docs/syscalls.md, `ox_abi`): number in `a7`, arguments in
//! `a0`..`a5`, result in `a0`, negative for `-errno`.

use ox_abi::{Errno, Signal, Syscall, WaitStatus};

use crate::arch::TrapFrame;
use crate::proc::{self, Chan};
use crate::{place, sched, stats, sysfile, timer};

/// Runs the system call the process in `frame` asked for and stores its result.
pub fn dispatch(frame: &mut TrapFrame) {
    frame.epc = frame.epc.wrapping_add(4);
    let number = frame.regs[ox_abi::REG_NUMBER];
    let a: [u32; ox_abi::MAX_ARGS] = core::array::from_fn(|i| frame.regs[ox_abi::REG_ARG0 + i]);
    let result = match Syscall::from_number(number) {
        None => Err(Errno::NoSys),
        Some(call) => execute(call, a, Some(frame)),
    };
    frame.regs[ox_abi::REG_RESULT] = match result {
        Ok(value) => value,
        Err(errno) => errno.to_result() as u32,
    };
}

/// Runs `call` with arguments `a` for the current process. `frame` is its trap frame, `None`
/// for a stub executing a satellite process's call (docs/satellites.md): the calls that
/// change the caller's registers (`fork`, `exec`, `rfork`, `sigreturn`) then answer `ENOSYS` (a
/// stub serves `fork`, `exec` and `rfork` itself, [`stub`](crate::stub)), as do those of its
/// signal dispositions (`sigaction`, `pause`, served on the satellite).
pub fn execute(
    call: Syscall,
    a: [u32; ox_abi::MAX_ARGS],
    frame: Option<&mut TrapFrame>,
) -> Result<u32, Errno> {
    match call {
        Syscall::Write => sysfile::write(a[0], a[1], a[2]),
        Syscall::Read => sysfile::read(a[0], a[1], a[2]),
        Syscall::Exit => proc::exit(WaitStatus::Exited(a[0] as u8)),
        Syscall::Wait => proc::wait(a[0] as i32, a[1]),
        Syscall::GetPid => Ok(proc::table().current().pid),
        Syscall::GetPpid => Ok(proc::table().current().ppid),
        Syscall::Sbrk => proc::table().current().space().sbrk(a[0] as i32),
        Syscall::Yield => {
            sched::yield_now();
            Ok(0)
        }
        Syscall::Sleep => sleep(a[0]),
        Syscall::Fork => place::fork(frame.ok_or(Errno::NoSys)?),
        Syscall::Exec => exec(frame.ok_or(Errno::NoSys)?, a[0], a[1], a[2], a[3]),
        Syscall::Rfork => place::rfork(frame.ok_or(Errno::NoSys)?, a[0]),
        Syscall::Kill => kill(a[0] as i32, a[1]),
        Syscall::Uptime => Ok(timer::ticks()),
        Syscall::Open => sysfile::open(a[0], a[1], a[2]),
        Syscall::Close => sysfile::close(a[0]),
        Syscall::Lseek => sysfile::lseek(a[0], a[1] as i32, a[2]),
        Syscall::Stat => sysfile::stat(a[0], a[1], a[2]),
        Syscall::Fstat => sysfile::fstat(a[0], a[1]),
        Syscall::Mkdir => sysfile::mkdir(a[0], a[1]),
        Syscall::Unlink => sysfile::unlink(a[0], a[1]),
        Syscall::Chdir => sysfile::chdir(a[0], a[1]),
        Syscall::Getcwd => sysfile::getcwd(a[0], a[1]),
        Syscall::Dup => sysfile::dup(a[0]),
        Syscall::Pipe => sysfile::pipe(a[0]),
        Syscall::Getdents => sysfile::getdents(a[0], a[1], a[2]),
        Syscall::Ps => proc::ps(a[0], a[1]),
        Syscall::Place => place::set(a[0]),
        Syscall::Dup2 => sysfile::dup2(a[0], a[1]),
        Syscall::Stats => stats::syscall(a[0], a[1], a[2]),
        // A stub never executes these: a satellite serves them itself (its handlers live there).
        Syscall::Sigaction if frame.is_none() => Err(Errno::NoSys),
        Syscall::Sigaction => proc::sigaction(a[0], a[1], a[2]),
        Syscall::Sigreturn => Ok(proc::sigreturn(frame.ok_or(Errno::NoSys)?)),
        Syscall::Pause if frame.is_none() => Err(Errno::NoSys),
        Syscall::Pause => proc::pause(),
    }
}

/// Copies `buf.len()` bytes from the current process's address `va`.
pub fn copy_in(va: u32, buf: &mut [u8]) -> Result<(), Errno> {
    proc::table().current().space().copy_in(va, buf)
}

/// Copies `data` to the current process's address `va`.
pub fn copy_out(va: u32, data: &[u8]) -> Result<(), Errno> {
    proc::table().current().space().copy_out(va, data)
}

fn kill(pid: i32, signal: u32) -> Result<u32, Errno> {
    let signal = Signal::from_number(signal).ok_or(Errno::Inval)?;
    proc::kill(pid, signal).map(|()| 0)
}

fn sleep(ticks: u32) -> Result<u32, Errno> {
    let until = timer::ticks().saturating_add(ticks);
    while timer::ticks() < until {
        if proc::interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(Chan::Tick);
    }
    Ok(0)
}

/// `exec(name, name_len, argv, argc)`: copies the name and the arguments into the kernel,
/// then replaces the program. On success the "result" is argc, which lands in `a0` as the new
/// program's first argument (`exec` set `a1` = argv).
fn exec(frame: &mut TrapFrame, name: u32, name_len: u32, argv: u32, argc: u32) -> Result<u32, Errno> {
    let (name, args) = ox_proto::marshal::exec_args(copy_in, [name, name_len, argv, argc, 0, 0])?;
    let name = core::str::from_utf8(&name).map_err(|_| Errno::NoEnt)?;
    let cwd = proc::table().current().cwd.ino;
    let image = proc::program_image(cwd, name)?;
    proc::exec(frame, name, &image, &args)?;
    Ok(argc)
}
