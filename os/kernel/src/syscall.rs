//! The calls the central serves at home (the call table, `ox_proto::calls`: files, the
//! family, placement, the process table): checking the arguments and calling the kernel's
//! services (the file calls are in [`sysfile`](crate::sysfile)). The trap entry, the decoding
//! and the calls served where a process runs are the core's (`ox_kcore::task::syscall`); a
//! stub executes a satellite process's calls here too ([`execute_home`]).

use ox_abi::{Errno, Signal, Syscall};
use ox_kcore::task::proc::{copy_in, table};
use ox_proto::calls::Home;

use crate::arch::TrapFrame;
use crate::proc::{self, CentralProc};
use crate::{balance, migrate, place, prefetch, stats, sysfile};

/// Serves `call` (= `home`), one of the calls served at home, for the current process (the
/// core's [`Kernel::home`](ox_kcore::task::Kernel)).
pub fn home(
    _call: Syscall,
    home: Home,
    a: [u32; ox_abi::MAX_ARGS],
    frame: &mut TrapFrame,
) -> Result<u32, Errno> {
    migrate::calling();
    execute_home(home, a, Some(frame))
}

/// The calls served by the central in the process's context. `frame` is its trap frame,
/// `None` for a stub executing a satellite process's call (docs/satellites.md): a stub serves
/// `fork`, `exec` and `rfork` itself ([`stub`](crate::stub)), so without a frame those answer
/// `ENOSYS` here.
pub fn execute_home(
    call: Home,
    a: [u32; ox_abi::MAX_ARGS],
    frame: Option<&mut TrapFrame>,
) -> Result<u32, Errno> {
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
        Home::GetUid => Ok(table().current().central().uid),
        Home::GetGid => Ok(table().current().central().gid),
        Home::SetUid => proc::set_identity(false, a[0]),
        Home::SetGid => proc::set_identity(true, a[0]),
        Home::Migrate => migrate::migrate(a[0], a[1]),
        Home::Balance => balance::set(a[0], a[1]),
        Home::Prefetch => prefetch::set(a[0]),
    }
}

fn kill(pid: i32, signal: u32) -> Result<u32, Errno> {
    let signal = Signal::from_number(signal).ok_or(Errno::Inval)?;
    proc::kill(pid, signal).map(|()| 0)
}

/// `exec(name, name_len, argv, argc)`: copies the name and the arguments into the kernel,
/// then replaces the program. On success the "result" is argc, which lands in `a0` as the new
/// program's first argument (`exec` set `a1` = argv).
fn exec(frame: &mut TrapFrame, name: u32, name_len: u32, argv: u32, argc: u32) -> Result<u32, Errno> {
    let (name, args) = ox_proto::marshal::exec_args(copy_in, [name, name_len, argv, argc, 0, 0])?;
    let name = core::str::from_utf8(&name).map_err(|_| Errno::NoEnt)?;
    let cwd = table().current().central().cwd.ino;
    let image = proc::program_image(cwd, name)?;
    proc::exec(frame, name, &image, &args)?;
    Ok(argc)
}
