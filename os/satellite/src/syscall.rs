//! System calls on a satellite (docs/satellites.md): the local ones are served here — `getpid`,
//! `getppid` (cached at placement), `sbrk`, `yield`, `sleep`, `uptime` (this node's ticks),
//! `exit` (which tells the stub) — and every other is **forwarded**: the input buffer
//! (`ox_proto::marshal`) is copied in through the checked helpers, the output buffer checked
//! writable, a `StubExecutes` request goes to the central, and the process sleeps until the
//! reply, whose data is copied out and whose signal is made pending here (delivered before the
//! process returns to user mode). `fork`, `exec` and `rfork` answer `ENOSYS` on a satellite in
//! this version.
//!
//! The signal calls are local: `sigaction`, `sigreturn` and `pause` (the dispositions and
//! handlers are user context, kept here). A forwarded call that comes back `EINTR` with a
//! signal this process ignores (or has blocked) is sent again: the stub could not know, and on
//! one processor such a signal would not have broken the sleep. (`EINTR` means the call did
//! nothing, so sending it again is safe.)

use alloc::vec;

use ox_abi::{Errno, Syscall, WaitStatus};
use ox_kcore::arch::TrapFrame;
use ox_kcore::timer;
use ox_kcore::vm::Access;
use ox_proto::marshal;
use ox_proto::{Call, Env, Message, Request};

use crate::proc::{self, Chan};
use crate::{link, sched};

/// Runs the call the process in `frame` asked for and stores its result.
pub fn dispatch(frame: &mut TrapFrame) {
    frame.epc = frame.epc.wrapping_add(4);
    let number = frame.regs[ox_abi::REG_NUMBER];
    let a: [u32; ox_abi::MAX_ARGS] = core::array::from_fn(|i| frame.regs[ox_abi::REG_ARG0 + i]);
    let result = match Syscall::from_number(number) {
        None => Err(Errno::NoSys),
        Some(Syscall::Sigreturn) => Ok(proc::sigreturn(frame)),
        Some(call) => execute(call, a),
    };
    frame.regs[ox_abi::REG_RESULT] = match result {
        Ok(value) => value,
        Err(errno) => errno.to_result() as u32,
    };
}

fn execute(call: Syscall, a: [u32; ox_abi::MAX_ARGS]) -> Result<u32, Errno> {
    match call {
        Syscall::GetPid => Ok(proc::table().current().pid),
        Syscall::GetPpid => Ok(proc::table().current().ppid),
        Syscall::Sbrk => proc::table().current().space().sbrk(a[0] as i32),
        Syscall::Yield => {
            sched::yield_now();
            Ok(0)
        }
        Syscall::Sleep => sleep(a[0]),
        Syscall::Uptime => Ok(timer::ticks()),
        Syscall::Exit => proc::exit(WaitStatus::Exited(a[0] as u8)),
        Syscall::Fork | Syscall::Exec | Syscall::Rfork => Err(Errno::NoSys),
        Syscall::Write => write(a),
        Syscall::Sigaction => proc::sigaction(a[0], a[1], a[2]),
        Syscall::Pause => proc::pause(),
        _ => forward(call, a),
    }
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

/// `write(fd, buf, len)`: forwarded in pieces of at most one message's data
/// ([`ox_proto::MAX_DATA`]), so that a large write is whole, as on the central. Stops at the
/// first piece that fails or is short (a full disk, a pipe whose reader left, a signal):
/// the bytes written before it are the result, or its error if there are none.
fn write(a: [u32; ox_abi::MAX_ARGS]) -> Result<u32, Errno> {
    let (buf, len) = (a[1], a[2]);
    let mut done = 0;
    loop {
        let piece = (len - done).min(ox_proto::MAX_DATA as u32);
        let mut args = a;
        (args[1], args[2]) = (buf.wrapping_add(done), piece);
        match forward(Syscall::Write, args) {
            Ok(n) => {
                done += n;
                if n < piece || done == len {
                    return Ok(done);
                }
            }
            Err(e) => return if done == 0 { Err(e) } else { Ok(done) },
        }
        if proc::interrupted() {
            return Ok(done);
        }
    }
}

/// Sends `call` to the stub and waits for its reply.
fn forward(call: Syscall, args: [u32; ox_abi::MAX_ARGS]) -> Result<u32, Errno> {
    let transfer = marshal::transfer(call);
    let mut data = vec![];
    if let Some(input) = transfer.input {
        let (ptr, len) = input.resolve(&args);
        data = vec![0; len];
        proc::table().current().space().copy_in(ptr, &mut data)?;
    }
    let output = transfer.output.map(|out| out.resolve(&args)).filter(|(ptr, _)| *ptr != 0);
    if let Some((ptr, len)) = output {
        proc::table().current().space().check(ptr, len, Access::Write)?;
    }
    let pid = proc::table().current().pid;
    let request = Call { call, args, env: Env::default(), data };
    let reply = loop {
        link::send(&Message::request(pid, Request::StubExecutes(request.clone())));
        let reply = proc::wait_reply();
        let interrupts = reply.signal.is_some_and(proc::post_current);
        let spurious = reply.result == Err(Errno::Intr) && reply.signal.is_some() && !interrupts;
        if !spurious || proc::interrupted() {
            break reply;
        }
    };
    if let (Ok(_), Some((ptr, len))) = (reply.result, output) {
        let n = reply.data.len().min(len);
        proc::table().current().space().copy_out(ptr, &reply.data[..n])?;
    }
    reply.result
}
