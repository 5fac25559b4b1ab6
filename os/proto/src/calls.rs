//! The call table: for every system call, where it is served, and — for the calls a
//! satellite forwards — which of the caller's buffers travel in which direction.
//!
//! One table for the two kernels and the marshaller. [`service`] is an exhaustive match over
//! [`Syscall`], so a new call does not compile until it is given a place here; the two kernels
//! then match [`Local`] and [`Home`] exhaustively too (the central serves every call, the
//! satellite serves the [`Local`] ones and forwards the [`Home`] ones with
//! [`Home::transfer`]), so a call cannot be added to one side only, and a pointer-carrying
//! call cannot be forwarded without its buffer.
//!
//! The split follows what the call touches (Bach §13.1, the peripheral processor's system
//! calls): a process's registers, memory, signal dispositions and scheduling live where it
//! runs ([`Local`]); its files, its directory, its family (`wait`, `kill`), the process table
//! and placement live with its stub on the central, its home ([`Home`]).

use ox_abi::{Stat, Syscall};

use crate::marshal::{Buffer, Len, Transfer};

/// Where a call is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// By the kernel of the node the process runs on, central or satellite.
    Local(Local),
    /// By the central, in the context of the process (on a satellite: its stub).
    Home(Home),
}

/// The calls served where the process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Local {
    /// `exit`: frees the process here (a satellite then tells the stub).
    Exit,
    /// `getpid`.
    GetPid,
    /// `getppid` (on a satellite, the parent as it was at placement).
    GetPpid,
    /// `sbrk`: the heap region.
    Sbrk,
    /// `yield`.
    Yield,
    /// `sleep`: this node's ticks.
    Sleep,
    /// `uptime`: this node's ticks.
    Uptime,
    /// `sigaction`: the dispositions live with the handlers' code.
    Sigaction,
    /// `sigreturn`: the registers.
    Sigreturn,
    /// `pause`.
    Pause,
    /// A virtual-memory call: the address space.
    Vm(VmCall),
    /// A port or message call: the node's ports (docs/ports.md).
    Port(PortCall),
}

/// The port and message calls, served by `ox_kcore::ipcall` on either kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortCall {
    /// `port_allocate(right) -> name`.
    Allocate,
    /// `port_deallocate(name)`.
    Deallocate,
    /// `port_destroy(name)`.
    Destroy,
    /// `port_mod_refs(name, right, delta)`.
    ModRefs,
    /// `port_type(name) -> bits`.
    Type,
    /// `port_insert_right(name, disposition, pid, target_name)`.
    InsertRight,
    /// `port_extract_right(name, disposition) -> name`.
    ExtractRight,
    /// `port_set_qlimit(name, limit)`.
    SetQlimit,
    /// `port_move_member(member, set)`.
    MoveMember,
    /// `port_request_notification(name, what, notify)`.
    RequestNotification,
    /// `port_bootstrap() -> name`.
    Bootstrap,
    /// `task_self() -> name`.
    TaskSelf,
    /// `vm_map(memory_object, size) -> addr`.
    VmMap,
    /// `vm_set_default_pager(port)`.
    SetDefaultPager,
    /// `msg_send(msg, size, timeout)`.
    Send,
    /// `msg_receive(name, buf, size, timeout) -> bytes`.
    Receive,
    /// `msg_rpc(msg, size, name, buf, buf_size, timeout) -> bytes`.
    Rpc,
}

/// The virtual-memory calls (docs/vm.md), served by `ox_kcore::vmcall` on either kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmCall {
    /// `vm_allocate(addr, size, anywhere) -> addr`.
    Allocate,
    /// `vm_deallocate(addr, size)`.
    Deallocate,
    /// `vm_protect(addr, size, set_max, prot)`.
    Protect,
    /// `vm_inherit(addr, size, inheritance)`.
    Inherit,
    /// `vm_read(pid, addr, size, buf)`.
    Read,
    /// `vm_write(pid, addr, buf, size)`.
    Write,
    /// `vm_copy(pid, src, size, dst)`.
    Copy,
    /// `vm_region(addr, info)`.
    Region,
}

/// The calls served by the central in the process's context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home {
    /// `write(fd, buf, len)`; a satellite forwards it in pieces of `MAX_DATA`.
    Write,
    /// `read(fd, buf, len)`.
    Read,
    /// `wait(pid, status)`.
    Wait,
    /// `fork()`: the stub reads the image from the satellite and places the child.
    Fork,
    /// `exec(name, name_len, argv, argc)`: the stub sends the new image.
    Exec,
    /// `rfork(node)`: as `fork`.
    Rfork,
    /// `kill(pid, signal)`.
    Kill,
    /// `open(path, len, flags)`.
    Open,
    /// `close(fd)`.
    Close,
    /// `lseek(fd, offset, whence)`.
    Lseek,
    /// `stat(path, len, stat)`.
    Stat,
    /// `fstat(fd, stat)`.
    Fstat,
    /// `mkdir(path, len)`.
    Mkdir,
    /// `unlink(path, len)`.
    Unlink,
    /// `chdir(path, len)`.
    Chdir,
    /// `getcwd(buf, len)`.
    Getcwd,
    /// `dup(fd)`.
    Dup,
    /// `pipe(fds)`.
    Pipe,
    /// `getdents(fd, buf, len)`.
    Getdents,
    /// `ps(buf, len)`.
    Ps,
    /// `place(policy)`.
    Place,
    /// `dup2(fd, new_fd)`.
    Dup2,
    /// `stats(node, buf, len)`.
    Stats,
    /// `getuid()`: the identity lives with the stub, which acts for the process.
    GetUid,
    /// `getgid()`.
    GetGid,
    /// `setuid(uid)`.
    SetUid,
    /// `setgid(gid)`.
    SetGid,
    /// `migrate(pid, node)`: the deputy (the stub) moves the process.
    Migrate,
    /// `balance(pid, setting)`: load balancing is the central's.
    Balance,
    /// `prefetch(setting)`: the switch is the central's, which tells the satellites.
    Prefetch,
}

/// Where `call` is served.
pub fn service(call: Syscall) -> Service {
    use Service::{Home as H, Local as L};
    match call {
        Syscall::Exit => L(Local::Exit),
        Syscall::GetPid => L(Local::GetPid),
        Syscall::GetPpid => L(Local::GetPpid),
        Syscall::Sbrk => L(Local::Sbrk),
        Syscall::Yield => L(Local::Yield),
        Syscall::Sleep => L(Local::Sleep),
        Syscall::Uptime => L(Local::Uptime),
        Syscall::Sigaction => L(Local::Sigaction),
        Syscall::Sigreturn => L(Local::Sigreturn),
        Syscall::Pause => L(Local::Pause),
        Syscall::VmAllocate => L(Local::Vm(VmCall::Allocate)),
        Syscall::VmDeallocate => L(Local::Vm(VmCall::Deallocate)),
        Syscall::VmProtect => L(Local::Vm(VmCall::Protect)),
        Syscall::VmInherit => L(Local::Vm(VmCall::Inherit)),
        Syscall::VmRead => L(Local::Vm(VmCall::Read)),
        Syscall::VmWrite => L(Local::Vm(VmCall::Write)),
        Syscall::VmCopy => L(Local::Vm(VmCall::Copy)),
        Syscall::VmRegion => L(Local::Vm(VmCall::Region)),
        Syscall::PortAllocate => L(Local::Port(PortCall::Allocate)),
        Syscall::PortDeallocate => L(Local::Port(PortCall::Deallocate)),
        Syscall::PortDestroy => L(Local::Port(PortCall::Destroy)),
        Syscall::PortModRefs => L(Local::Port(PortCall::ModRefs)),
        Syscall::PortType => L(Local::Port(PortCall::Type)),
        Syscall::PortInsertRight => L(Local::Port(PortCall::InsertRight)),
        Syscall::PortExtractRight => L(Local::Port(PortCall::ExtractRight)),
        Syscall::PortSetQlimit => L(Local::Port(PortCall::SetQlimit)),
        Syscall::PortMoveMember => L(Local::Port(PortCall::MoveMember)),
        Syscall::PortRequestNotification => L(Local::Port(PortCall::RequestNotification)),
        Syscall::MsgSend => L(Local::Port(PortCall::Send)),
        Syscall::MsgReceive => L(Local::Port(PortCall::Receive)),
        Syscall::PortBootstrap => L(Local::Port(PortCall::Bootstrap)),
        Syscall::TaskSelf => L(Local::Port(PortCall::TaskSelf)),
        Syscall::VmMap => L(Local::Port(PortCall::VmMap)),
        Syscall::VmSetDefaultPager => L(Local::Port(PortCall::SetDefaultPager)),
        Syscall::MsgRpc => L(Local::Port(PortCall::Rpc)),
        Syscall::Write => H(Home::Write),
        Syscall::Read => H(Home::Read),
        Syscall::Wait => H(Home::Wait),
        Syscall::Fork => H(Home::Fork),
        Syscall::Exec => H(Home::Exec),
        Syscall::Rfork => H(Home::Rfork),
        Syscall::Kill => H(Home::Kill),
        Syscall::Open => H(Home::Open),
        Syscall::Close => H(Home::Close),
        Syscall::Lseek => H(Home::Lseek),
        Syscall::Stat => H(Home::Stat),
        Syscall::Fstat => H(Home::Fstat),
        Syscall::Mkdir => H(Home::Mkdir),
        Syscall::Unlink => H(Home::Unlink),
        Syscall::Chdir => H(Home::Chdir),
        Syscall::Getcwd => H(Home::Getcwd),
        Syscall::Dup => H(Home::Dup),
        Syscall::Pipe => H(Home::Pipe),
        Syscall::Getdents => H(Home::Getdents),
        Syscall::Ps => H(Home::Ps),
        Syscall::Place => H(Home::Place),
        Syscall::Dup2 => H(Home::Dup2),
        Syscall::Stats => H(Home::Stats),
        Syscall::GetUid => H(Home::GetUid),
        Syscall::GetGid => H(Home::GetGid),
        Syscall::SetUid => H(Home::SetUid),
        Syscall::SetGid => H(Home::SetGid),
        Syscall::Migrate => H(Home::Migrate),
        Syscall::Balance => H(Home::Balance),
        Syscall::Prefetch => H(Home::Prefetch),
    }
}

const fn buf(ptr: usize, len: Len) -> Option<Buffer> {
    Some(Buffer { ptr, len })
}

impl Home {
    /// What moves when a satellite forwards the call: its input buffer (copied from the
    /// caller's memory into the request) and its output buffer (copied from the reply into
    /// the caller's memory). `fork`, `rfork` and `exec` carry a variable part of their own
    /// instead (`marshal::fork_data`, `marshal::exec_data`).
    pub fn transfer(self) -> Transfer {
        let none = Transfer::default();
        let result_long =
            |ptr, len| Transfer { output: buf(ptr, Len::Arg(len)), output_is_result: true, ..none };
        match self {
            Home::Write => Transfer { input: buf(1, Len::Arg(2)), ..none },
            Home::Read => result_long(1, 2),
            Home::Open | Home::Mkdir | Home::Unlink | Home::Chdir => {
                Transfer { input: buf(0, Len::Arg(1)), ..none }
            }
            Home::Stat => {
                Transfer { input: buf(0, Len::Arg(1)), output: buf(2, Len::Fixed(Stat::SIZE)), ..none }
            }
            Home::Fstat => Transfer { output: buf(1, Len::Fixed(Stat::SIZE)), ..none },
            Home::Getcwd => result_long(0, 1),
            Home::Getdents => result_long(1, 2),
            Home::Ps => result_long(0, 1),
            Home::Stats => result_long(1, 2),
            Home::Pipe => Transfer { output: buf(0, Len::Fixed(8)), ..none },
            Home::Wait => Transfer { output: buf(1, Len::Fixed(4)), ..none },
            Home::Fork
            | Home::Exec
            | Home::Rfork
            | Home::Kill
            | Home::Close
            | Home::Lseek
            | Home::Dup
            | Home::Place
            | Home::Dup2
            | Home::GetUid
            | Home::GetGid
            | Home::SetUid
            | Home::SetGid
            | Home::Migrate
            | Home::Balance
            | Home::Prefetch => none,
        }
    }
}

#[cfg(test)]
mod tests {
    use ox_abi::Syscall;

    use super::{service, Home, Local, Service};

    #[test]
    fn every_call_has_a_place_and_only_home_calls_move_buffers() {
        let mut homes = 0;
        for call in Syscall::ALL {
            match service(call) {
                Service::Home(home) => {
                    homes += 1;
                    let t = home.transfer();
                    for buffer in [t.input, t.output].into_iter().flatten() {
                        assert!(buffer.ptr < ox_abi::MAX_ARGS, "{call:?}");
                    }
                }
                Service::Local(_) => {}
            }
        }
        assert_eq!(homes, 30);
    }

    #[test]
    fn the_vm_calls_are_local() {
        for call in [Syscall::VmAllocate, Syscall::VmRead, Syscall::VmRegion] {
            assert!(matches!(service(call), Service::Local(Local::Vm(_))), "{call:?}");
        }
        assert_eq!(service(Syscall::Open), Service::Home(Home::Open));
    }
}
