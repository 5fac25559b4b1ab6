//! System calls, the same entry on every kernel: decoding the registers, the call table
//! ([`ox_proto::calls`]), and the calls served where the process runs ([`Local`]). The calls
//! served at home go to the kernel ([`Kernel::home`](super::Kernel)): the central serves them,
//! a satellite forwards them to the process's stub. The convention (docs/syscalls.md,
//! `ox_abi`): number in `a7`, arguments in `a0`..`a5`, result in `a0`, negative for `-errno`.

use ox_abi::{Errno, Syscall, WaitStatus};
use ox_proto::calls::{self, Local, Service};

use crate::arch::TrapFrame;
use crate::task::{chan, kernel, proc, sched, signal};
use crate::timer;
use crate::vm::AddressSpace;
use crate::{ipcall, vmcall};

/// Runs the system call the process in `frame` asked for and stores its result; false if
/// the call is put off, to be made again after the process moves.
pub fn dispatch(frame: &mut TrapFrame) -> bool {
    frame.epc = frame.epc.wrapping_add(4);
    let number = frame.regs[ox_abi::REG_NUMBER];
    // `msg_rpc` first: its fast path makes the whole call (`ipcall::rpc`).
    let args = &frame.regs[ox_abi::REG_ARG0..ox_abi::REG_ARG0 + ox_abi::MAX_ARGS];
    let fast = match <&[u32; ox_abi::MAX_ARGS]>::try_from(args) {
        Ok(args) if number == Syscall::MsgRpc as u32 => ipcall::rpc(args),
        _ => None,
    };
    let result = match fast {
        Some(result) => result,
        None => serve(number, frame),
    };
    // A call broken off for the process's move (it did nothing: that is what `EINTR` means)
    // is made again where the process resumes, its registers as they were: it moves at its
    // return to user mode, asleep in the same call as far as anyone can see.
    if result == Err(Errno::Intr) && signal::restart_for_move() {
        frame.epc = frame.epc.wrapping_sub(4);
        return false;
    }
    frame.regs[ox_abi::REG_RESULT] = match result {
        Ok(value) => value,
        Err(errno) => errno.to_result() as u32,
    };
    true
}

/// Serves call `number` with the arguments in `frame` (apart from `msg_rpc`'s fast path, so
/// that [`dispatch`] keeps that path short).
#[inline(never)]
fn serve(number: u32, frame: &mut TrapFrame) -> Result<u32, Errno> {
    let a: [u32; ox_abi::MAX_ARGS] = core::array::from_fn(|i| frame.regs[ox_abi::REG_ARG0 + i]);
    match Syscall::from_number(number) {
        None => Err(Errno::NoSys),
        Some(call) => match calls::service(call) {
            Service::Local(local) => serve_local(local, a, frame),
            Service::Home(home) => (kernel().home)(call, home, a, frame),
        },
    }
}

/// Serves `call`, one of those served where the process runs.
fn serve_local(call: Local, a: [u32; ox_abi::MAX_ARGS], frame: &mut TrapFrame) -> Result<u32, Errno> {
    match call {
        Local::Exit => (kernel().exit)(WaitStatus::Exited(a[0] as u8)),
        Local::GetPid => Ok(proc::table().current().pid),
        Local::GetPpid => Ok(proc::table().current().ppid),
        Local::Sbrk => proc::table().current().space().sbrk(a[0] as i32),
        Local::Yield => {
            sched::yield_now();
            Ok(0)
        }
        Local::Sleep => sleep(a[0], frame),
        Local::Uptime => Ok(timer::ticks()),
        Local::Sigaction => signal::sigaction(a[0], a[1], a[2]),
        Local::Sigreturn => Ok(signal::sigreturn(frame)),
        Local::Pause => signal::pause(),
        Local::Vm(call) => vmcall::serve(call, a, &mut Tasks),
        Local::Port(call) => ipcall::serve(call, a),
    }
}

/// `sleep(ticks)`: this node's ticks; interruptible. When interrupted, `frame`'s argument
/// becomes the ticks still to sleep, for the call made again after a move.
fn sleep(ticks: u32, frame: &mut TrapFrame) -> Result<u32, Errno> {
    let until = timer::ticks().saturating_add(ticks);
    while timer::ticks() < until {
        if signal::interrupted() {
            frame.regs[ox_abi::REG_ARG0] = until - timer::ticks();
            return Err(Errno::Intr);
        }
        sched::sleep(chan::tick());
    }
    Ok(0)
}

/// The processes a virtual-memory call names: the caller, or a child of the caller whose user
/// context is on this node (a child elsewhere is not here: `ESRCH`).
struct Tasks;

impl vmcall::Tasks for Tasks {
    fn with_space<R>(&mut self, pid: u32, f: impl FnOnce(&mut AddressSpace) -> R) -> Result<R, Errno> {
        let pid = proc::controlled(pid)?;
        let mut table = proc::table();
        let target = table.find(pid).ok_or(Errno::Srch)?;
        target.space.as_mut().map(f).ok_or(Errno::Srch)
    }
}
