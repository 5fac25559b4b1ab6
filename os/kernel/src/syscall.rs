//! System calls: decoding the registers, checking the arguments and calling the kernel's
//! services (the file calls are in [`sysfile`](crate::sysfile)). The convention (docs/syscalls.md, `ox_abi`): number in `a7`, arguments in
//! `a0`..`a5`, result in `a0`, negative for `-errno`.

use ox_abi::{Errno, Signal, Syscall, WaitStatus};
use ox_kcore::vmcall;
use ox_proto::calls::{self, Home, Local, Service};

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
/// for a stub executing a satellite process's call (docs/satellites.md). Where each call is
/// served is the call table's ([`calls::service`]): a stub is sent only [`Home`] calls (its
/// satellite serves the [`Local`] ones, which a stub answers `ENOSYS`), and serves `fork`,
/// `exec` and `rfork` itself ([`stub`](crate::stub)), so without a frame those answer
/// `ENOSYS` here too.
pub fn execute(
    call: Syscall,
    a: [u32; ox_abi::MAX_ARGS],
    frame: Option<&mut TrapFrame>,
) -> Result<u32, Errno> {
    match (calls::service(call), frame) {
        (Service::Local(local), Some(frame)) => execute_local(local, a, frame),
        (Service::Local(_), None) => Err(Errno::NoSys),
        (Service::Home(home), frame) => execute_home(home, a, frame),
    }
}

/// The calls served where the process runs (on a satellite, by `os/satellite`'s twin).
fn execute_local(call: Local, a: [u32; ox_abi::MAX_ARGS], frame: &mut TrapFrame) -> Result<u32, Errno> {
    match call {
        Local::Exit => proc::exit(WaitStatus::Exited(a[0] as u8)),
        Local::GetPid => Ok(proc::table().current().pid),
        Local::GetPpid => Ok(proc::table().current().ppid),
        Local::Sbrk => proc::table().current().space().sbrk(a[0] as i32),
        Local::Yield => {
            sched::yield_now();
            Ok(0)
        }
        Local::Sleep => sleep(a[0]),
        Local::Uptime => Ok(timer::ticks()),
        Local::Sigaction => proc::sigaction(a[0], a[1], a[2]),
        Local::Sigreturn => Ok(proc::sigreturn(frame)),
        Local::Pause => proc::pause(),
        Local::Vm(call) => vmcall::serve(call, a, &mut proc::Tasks),
    }
}

/// The calls served by the central in the process's context (for a satellite's process, its
/// stub's).
fn execute_home(call: Home, a: [u32; ox_abi::MAX_ARGS], frame: Option<&mut TrapFrame>) -> Result<u32, Errno> {
    match call {
        Home::Write => sysfile::write(a[0], a[1], a[2]),
        Home::Read => sysfile::read(a[0], a[1], a[2]),
        Home::Wait => proc::wait(a[0] as i32, a[1]),
        Home::Fork => place::fork(frame.ok_or(Errno::NoSys)?),
        Home::Exec => exec(frame.ok_or(Errno::NoSys)?, a[0], a[1], a[2], a[3]),
        Home::Rfork => place::rfork(frame.ok_or(Errno::NoSys)?, a[0]),
        Home::Kill => kill(a[0] as i32, a[1]),
        Home::Open => sysfile::open(a[0], a[1], a[2]),
        Home::Close => sysfile::close(a[0]),
        Home::Lseek => sysfile::lseek(a[0], a[1] as i32, a[2]),
        Home::Stat => sysfile::stat(a[0], a[1], a[2]),
        Home::Fstat => sysfile::fstat(a[0], a[1]),
        Home::Mkdir => sysfile::mkdir(a[0], a[1]),
        Home::Unlink => sysfile::unlink(a[0], a[1]),
        Home::Chdir => sysfile::chdir(a[0], a[1]),
        Home::Getcwd => sysfile::getcwd(a[0], a[1]),
        Home::Dup => sysfile::dup(a[0]),
        Home::Pipe => sysfile::pipe(a[0]),
        Home::Getdents => sysfile::getdents(a[0], a[1], a[2]),
        Home::Ps => proc::ps(a[0], a[1]),
        Home::Place => place::set(a[0]),
        Home::Dup2 => sysfile::dup2(a[0], a[1]),
        Home::Stats => stats::syscall(a[0], a[1], a[2]),
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
