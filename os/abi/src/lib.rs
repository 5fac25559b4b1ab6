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

/// Standard input: descriptor 0, the console unless the process changed it.
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

/// `balance`'s setting: off (the balancer leaves it alone; for the system: no balancing).
pub const BALANCE_OFF: u32 = 0;
/// `balance`'s setting: on.
pub const BALANCE_ON: u32 = 1;
/// `balance`'s setting: change nothing, only read it.
pub const BALANCE_READ: u32 = 2;

/// `port_allocate`/`port_mod_refs` right: send (Mach's `MACH_PORT_RIGHT_*` numbers).
pub const PORT_RIGHT_SEND: u32 = 0;
/// Right: receive.
pub const PORT_RIGHT_RECEIVE: u32 = 1;
/// Right: send-once.
pub const PORT_RIGHT_SEND_ONCE: u32 = 2;
/// Right: port set.
pub const PORT_RIGHT_PORT_SET: u32 = 3;
/// Right: dead name.
pub const PORT_RIGHT_DEAD_NAME: u32 = 4;

/// `port_type` bit: a receive right.
pub const PORT_TYPE_RECEIVE: u32 = 1;
/// Bit: send rights.
pub const PORT_TYPE_SEND: u32 = 2;
/// Bit: a send-once right.
pub const PORT_TYPE_SEND_ONCE: u32 = 4;
/// Bit: a port set.
pub const PORT_TYPE_PORT_SET: u32 = 8;
/// Bit: a dead name.
pub const PORT_TYPE_DEAD_NAME: u32 = 16;

/// Disposition: the receive right moves (Mach's `MACH_MSG_TYPE_*` numbers).
pub const MSG_MOVE_RECEIVE: u32 = 16;
/// Disposition: one reference of the sender's send right moves.
pub const MSG_MOVE_SEND: u32 = 17;
/// Disposition: the sender's send-once right moves.
pub const MSG_MOVE_SEND_ONCE: u32 = 18;
/// Disposition: a copy of the sender's send right.
pub const MSG_COPY_SEND: u32 = 19;
/// Disposition: a send right made from the sender's receive right.
pub const MSG_MAKE_SEND: u32 = 20;
/// Disposition: a send-once right made from the sender's receive right.
pub const MSG_MAKE_SEND_ONCE: u32 = 21;

/// `port_request_notification`: the port of a send or send-once name died.
pub const NOTIFY_DEAD_NAME: u32 = 0x48;
/// Notification: a port has no senders left (body: the make-send count).
pub const NOTIFY_NO_SENDERS: u32 = 0x46;
/// Notification: the receive right would be destroyed; it comes back instead.
pub const NOTIFY_PORT_DESTROYED: u32 = 0x45;
/// Notification id: a name with a dead-name request was destroyed.
pub const NOTIFY_PORT_DELETED: u32 = 0x41;
/// Notification id: a send-once right was destroyed unused.
pub const NOTIFY_SEND_ONCE: u32 = 0x47;

/// Item kind in a message: inline bytes (word: length, then the bytes padded to a word).
pub const MSG_ITEM_INLINE: u32 = 1;
/// Item kind: a port right (words: name, disposition as sent; name, `PORT_RIGHT_*` received).
pub const MSG_ITEM_PORT: u32 = 2;
/// Item kind: out-of-line memory (words: address, size — both page multiples — as sent; the
/// address where the region was placed, and its size, as received). It travels copy-on-write.
pub const MSG_ITEM_MEMORY: u32 = 3;
/// The largest message, header and items (`msg_send`'s `size`; `EMSGSIZE`-like `E2BIG` above).
pub const MSG_SIZE_MAX: u32 = 8192;
/// The most items in one message.
pub const MSG_ITEMS_MAX: u32 = 64;

/// Name service request (to the bootstrap port): register the send right (item 2) under the
/// name (item 1, inline, 1 to [`NS_NAME_MAX`] bytes). Answered on the reply right with
/// [`NS_REPLY`]: an inline errno word (0, `EEXIST`, `ENOSPC`, `ENAMETOOLONG`, `EINVAL`).
pub const NS_REGISTER: u32 = 0x4e53_0001;
/// Name service request: look up the name (item 1, inline). Answered with [`NS_REPLY`]: an
/// inline errno word (0 or `ENOENT`) and, on success, a send right.
pub const NS_LOOKUP: u32 = 0x4e53_0002;
/// The id of the name service's answers.
pub const NS_REPLY: u32 = 0x4e53_0064;
/// The longest name the name service keeps.
pub const NS_NAME_MAX: usize = 64;
/// Task port request: answered with [`TASK_REPLY`], an inline of three words: 0, the task's
/// pid, its node.
pub const TASK_INFO: u32 = 0x5441_0001;
/// Task port request: kill the task (`SIGKILL`). Answered with [`TASK_REPLY`], an inline
/// errno word.
pub const TASK_TERMINATE: u32 = 0x5441_0002;
/// The id of a task port's answers.
pub const TASK_REPLY: u32 = 0x5441_0064;

/// Kernel → pager, on the memory object's port when it is first mapped on a node: items a
/// send right to the object's control port (where the pager answers that node's kernel), an
/// inline word, the page size, and an inline word, the node (which names the kernel in the
/// messages below).
pub const MO_INIT: u32 = 0x4d4f_0001;
/// Kernel → pager: a process faulted on a page not resident; items an inline of four words,
/// the offset in the object, the length (a page), the access wanted (`VM_PROT_*`) and the
/// node. The process waits for the answer.
pub const MO_DATA_REQUEST: u32 = 0x4d4f_0002;
/// Kernel → pager: a process made an access the page's lock refuses (a write to a page the
/// pager provided or locked read-only); items as [`MO_DATA_REQUEST`]. The process waits until
/// the pager lowers the lock ([`MO_LOCK_REQUEST`]) or takes the page away.
pub const MO_DATA_UNLOCK: u32 = 0x4d4f_0003;
/// Kernel → pager: a written page goes back to it (cleaned or flushed by a lock request, or
/// the object mapped nowhere any more, before [`MO_TERMINATE`]); items an inline of two words,
/// the offset and the node, and the page (an inline).
pub const MO_DATA_WRITE: u32 = 0x4d4f_0004;
/// Kernel → pager, to the reply right of a [`MO_LOCK_REQUEST`] once it is carried out (every
/// page it cleaned already sent back): an inline of three words, offset, length and node.
pub const MO_LOCK_COMPLETED: u32 = 0x4d4f_0005;
/// Kernel → pager: the object is no longer mapped anywhere on the node; its control port dies
/// after. Items an inline word, the node.
pub const MO_TERMINATE: u32 = 0x4d4f_0006;
/// Kernel → the node's default pager, on the port it registered with `vm_set_default_pager`,
/// at the first page-out of an anonymous object (Mach's `memory_object_create`): items the
/// receive right of the object's new memory object port (where the kernel then sends
/// [`MO_DATA_WRITE`], [`MO_DATA_REQUEST`] and [`MO_TERMINATE`] as to any pager), a send right
/// to its control port, and an inline of three words: the page size, the object's size in
/// bytes and the node. The pager answers requests with [`MO_DATA_PROVIDED`] (or
/// [`MO_DATA_UNAVAILABLE`], zeros); the kernel accepts nothing else from it.
pub const MO_CREATE: u32 = 0x4d4f_0007;
/// Pager → kernel, on the control port: items an inline word, the offset, and an inline of at
/// most a page, its data (zeros after); optionally a third, an inline word, the page's lock
/// (the `VM_PROT_*` accesses refused until a [`MO_LOCK_REQUEST`] lowers it).
pub const MO_DATA_PROVIDED: u32 = 0x4d4f_0101;
/// Pager → kernel: the page at the offset (an inline word) has no data: it is zero-filled.
pub const MO_DATA_UNAVAILABLE: u32 = 0x4d4f_0102;
/// Pager → kernel: an inline of four words — offset, length, what to do ([`MO_LOCK_CLEAN`],
/// [`MO_LOCK_FLUSH`]) and the new lock of each resident page of the range (`VM_PROT_*`
/// accesses refused; 0 unlocks) — and, in the message's reply field, optionally a right for
/// the [`MO_LOCK_COMPLETED`] answer.
pub const MO_LOCK_REQUEST: u32 = 0x4d4f_0103;
/// Pager → kernel: an inline word, may-cache: 1 keeps the object and its pages on the node
/// when it is mapped nowhere (a later `vm_map` finds them) for as long as the pager lives; 0
/// (the default) ends it then.
pub const MO_SET_ATTRIBUTES: u32 = 0x4d4f_0104;
/// Pager → kernel: the object is destroyed: its pages are dropped without going back, the
/// processes waiting for one and every later fault on it get `SIGBUS`, and the pager gets
/// [`MO_TERMINATE`].
pub const MO_DESTROY: u32 = 0x4d4f_0105;
/// [`MO_LOCK_REQUEST`]: written pages of the range go back to the pager (`MO_DATA_WRITE`).
pub const MO_LOCK_CLEAN: u32 = 1;
/// [`MO_LOCK_REQUEST`]: the range's pages leave the node (written ones go back first).
pub const MO_LOCK_FLUSH: u32 = 2;
/// How long a process waits for its pager, in ticks: then it gets `SIGBUS`.
pub const PAGER_TIMEOUT_TICKS: u32 = 2000;

/// A message as `msg_send` reads it and `msg_receive` writes it: six little-endian words —
/// for a send: destination name, its disposition, reply name (0: none), its disposition, id,
/// item count; as received: the name it came to, reply name, the reply right (`PORT_RIGHT_*`),
/// id, item count, the message's size in bytes — then the items, each a kind word
/// (`MSG_ITEM_*`) and its words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgHeader {
    /// The six words.
    pub words: [u32; 6],
}

impl MsgHeader {
    /// Bytes of the header.
    pub const SIZE: usize = 24;
}

/// Bytes of a page: the unit of every virtual-memory call.
pub const PAGE_SIZE: u32 = 4096;
/// Where `vm_allocate` with `anywhere` looks first when the caller gives no address: well above
/// the heap's usual reach, so `sbrk` and anywhere-allocations rarely meet (when they do, the
/// one that comes second gets `ENOMEM`).
pub const VM_ANYWHERE_BASE: u32 = 0x0800_0000;

/// Protection bit: the page may be read (Mach's `VM_PROT_READ`).
pub const VM_PROT_READ: u32 = 1;
/// Protection bit: the page may be written.
pub const VM_PROT_WRITE: u32 = 2;
/// Protection bit: the page may be executed.
pub const VM_PROT_EXECUTE: u32 = 4;
/// Every protection bit.
pub const VM_PROT_ALL: u32 = 7;

/// Inheritance: the child shares the range with the parent (writes are seen by both).
pub const VM_INHERIT_SHARE: u32 = 0;
/// Inheritance: the child gets a copy, made lazily by copy-on-write (the default).
pub const VM_INHERIT_COPY: u32 = 1;
/// Inheritance: the range is unallocated in the child.
pub const VM_INHERIT_NONE: u32 = 2;

/// One region of an address space, as `vm_region` stores it (little-endian words, in this
/// order; [`VmRegion::SIZE`] bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmRegion {
    /// First address.
    pub start: u32,
    /// First address past the region.
    pub end: u32,
    /// Current protection (`VM_PROT_*` bits).
    pub prot: u32,
    /// Maximum protection.
    pub max_prot: u32,
    /// Inheritance (`VM_INHERIT_*`).
    pub inheritance: u32,
    /// [`VmRegion::SHARED`] and [`VmRegion::COPY_ON_WRITE`].
    pub flags: u32,
    /// The memory object behind it (a number that names it on this node; 0: none yet,
    /// never touched).
    pub object: u32,
    /// The object page the region's first page shows.
    pub offset: u32,
}

impl VmRegion {
    /// Bytes of the encoded region.
    pub const SIZE: usize = 32;
    /// Flag: the memory is shared with another process (by `VM_INHERIT_SHARE`).
    pub const SHARED: u32 = 1;
    /// Flag: the memory is shared copy-on-write: the first write makes a private copy.
    pub const COPY_ON_WRITE: u32 = 2;

    /// The region as bytes.
    pub fn encode(&self) -> [u8; VmRegion::SIZE] {
        let words = [
            self.start,
            self.end,
            self.prot,
            self.max_prot,
            self.inheritance,
            self.flags,
            self.object,
            self.offset,
        ];
        let mut out = [0; VmRegion::SIZE];
        for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// A region from its bytes (`None` if `bytes` is too short).
    pub fn decode(bytes: &[u8]) -> Option<VmRegion> {
        let b = bytes.get(..VmRegion::SIZE)?;
        let word = |i: usize| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        Some(VmRegion {
            start: word(0),
            end: word(1),
            prot: word(2),
            max_prot: word(3),
            inheritance: word(4),
            flags: word(5),
            object: word(6),
            offset: word(7),
        })
    }
}

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
    /// `open(path, path_len, flags) -> fd`.
    Open = 14,
    /// `close(fd) -> 0`.
    Close = 15,
    /// `lseek(fd, offset, whence) -> new offset`.
    Lseek = 16,
    /// `stat(path, path_len, stat_ptr) -> 0`.
    Stat = 17,
    /// `fstat(fd, stat_ptr) -> 0`.
    Fstat = 18,
    /// `mkdir(path, path_len) -> 0`.
    Mkdir = 19,
    /// `unlink(path, path_len) -> 0`.
    Unlink = 20,
    /// `chdir(path, path_len) -> 0`.
    Chdir = 21,
    /// `getcwd(buf, len) -> length of the path`.
    Getcwd = 22,
    /// `dup(fd) -> new fd`.
    Dup = 23,
    /// `pipe(fds_ptr) -> 0`; stores the read end, then the write end.
    Pipe = 24,
    /// `getdents(fd, buf, len) -> bytes of [`Dirent`]s stored`.
    Getdents = 25,
    /// `rfork(node) -> child pid in the parent, 0 in the child`: `fork` with the child placed
    /// on a satellite (`node` 0: the kernel's placement policy picks one).
    Rfork = 26,
    /// `ps(buf, len) -> bytes of [`ProcInfo`]s stored`: the process table.
    Ps = 27,
    /// `place(policy) -> previous policy`: sets where this process's `fork`s put their
    /// children (a [`Placement`] word; 0 only reads it).
    Place = 28,
    /// `dup2(fd, new_fd) -> new_fd`: `new_fd` refers to `fd`'s open file (closed first if
    /// open).
    Dup2 = 29,
    /// `getuid() -> uid`: the user this process acts for (0: the superuser).
    GetUid = 30,
    /// `getgid() -> gid`: its group.
    GetGid = 31,
    /// `setuid(uid) -> 0`: acts for user `uid` from now on (and its children after it); only
    /// the superuser may take another user's id (`EPERM`).
    SetUid = 32,
    /// `setgid(gid) -> 0`: as `setuid`, for the group.
    SetGid = 33,
    /// `migrate(pid, node) -> 0`: moves process `pid` (0: the caller) to node `node` (0: its
    /// home, the central) at its next return to user mode — at once if it is asleep in a
    /// call, which it makes again there; the caller waits until it has moved or failed (the
    /// caller itself moves when this call returns). `EINVAL` for no such
    /// node, `EHOSTDOWN` for a dead one, `EPERM` for another user's process or init, `ESRCH`
    /// for no process, `EBUSY` for a process whose memory cannot travel (ports, memory
    /// objects, shared regions); the target's refusal (`ENOMEM`, `EAGAIN`) otherwise.
    Migrate = 34,
    /// `balance(pid, setting) -> previous`: automatic load balancing ([`BALANCE_OFF`],
    /// [`BALANCE_ON`], or [`BALANCE_READ`] to only read it) for the whole system (`pid` 0;
    /// off at boot; only the superuser changes it) or for process `pid` (whether the balancer
    /// may move it; on by default, inherited by children). `EPERM` for another user's process
    /// or the system by another user, `ESRCH` for no process, `EINVAL` for another setting.
    Balance = 35,
    /// `prefetch(setting) -> previous`: the prefetch cache of calls forwarded from satellites
    /// (docs/migration.md), for the whole system: [`BALANCE_ON`] (at boot) sends each call
    /// with its buffers and returns its output with the reply, one round trip;
    /// [`BALANCE_OFF`] leaves the buffers where the caller runs, for its stub to copy a piece
    /// at a time as the call's code needs them, a round trip each; [`BALANCE_READ`] only reads
    /// the setting. `EPERM` for a change by another user than the superuser, `EINVAL` for
    /// another setting.
    Prefetch = 36,
    /// `sigaction(signal, handler, restorer) -> old handler`: `handler` is [`SIG_DFL`],
    /// [`SIG_IGN`] or the address of a function; `restorer` is where a handler returns to.
    Sigaction = 40,
    /// `sigreturn() -> !`: ends a handler, restoring the [`SigFrame`] at `sp`.
    Sigreturn = 41,
    /// `pause() -> EINTR`: sleeps until a signal is delivered.
    Pause = 42,
    /// `stats(node, buf, len) -> bytes stored`: the kernel counters of node `node` (0 the
    /// central, `n` satellite node `n`) as a [`NodeStats`].
    Stats = 50,
    /// `vm_allocate(addr, size, anywhere) -> addr`: a new zero-filled region of `size` bytes
    /// (a non-zero multiple of [`PAGE_SIZE`]), readable and writable, maximum protection
    /// [`VM_PROT_ALL`], inherited by copy; at `addr` exactly, or with `anywhere` = 1 at the
    /// lowest free range at or above `addr` (0: [`VM_ANYWHERE_BASE`]).
    VmAllocate = 60,
    /// `vm_deallocate(addr, size) -> 0`: unmaps every page of the range; holes are fine and
    /// regions straddling its ends are cut.
    VmDeallocate = 61,
    /// `vm_protect(addr, size, set_max, prot) -> 0`: sets the current protection of the range
    /// (at most its maximum), or with `set_max` = 1 the maximum (lowering the current to fit).
    VmProtect = 62,
    /// `vm_inherit(addr, size, inheritance) -> 0`: what a child gets of the range at `fork`
    /// ([`VM_INHERIT_SHARE`], [`VM_INHERIT_COPY`], [`VM_INHERIT_NONE`]).
    VmInherit = 63,
    /// `vm_read(pid, addr, size, buf) -> 0`: copies `size` bytes at `addr` of process `pid`
    /// (0: the caller; else one of its children on the same node) into the caller's `buf`.
    VmRead = 64,
    /// `vm_write(pid, addr, buf, size) -> 0`: copies `size` bytes from the caller's `buf` to
    /// `addr` of process `pid` (as for `vm_read`), through copy-on-write like any write there.
    VmWrite = 65,
    /// `vm_copy(pid, src, size, dst) -> 0`: copies `size` bytes (a page multiple) from `src`
    /// to `dst` (not overlapping) inside process `pid` (as for `vm_read`).
    VmCopy = 66,
    /// `vm_region(addr, info) -> 0`: stores at `info` the [`VmRegion`] holding `addr`, or the
    /// first one above it; `ENOMEM` if there is none.
    VmRegion = 67,
    /// `port_allocate(right) -> name`: a new port (its receive right), port set or dead name
    /// (`PORT_RIGHT_*`), under the lowest free name of the caller's port name space.
    PortAllocate = 70,
    /// `port_deallocate(name) -> 0`: one user reference less of a send, send-once or dead name.
    PortDeallocate = 71,
    /// `port_destroy(name) -> 0`: every right under `name`.
    PortDestroy = 72,
    /// `port_mod_refs(name, right, delta) -> 0`: adds `delta` (signed) user references.
    PortModRefs = 73,
    /// `port_type(name) -> bits`: the rights `name` denotes (`PORT_TYPE_*`).
    PortType = 74,
    /// `port_insert_right(name, disposition, pid, target_name) -> 0`: gives process `pid` (the
    /// caller or its child on this node) the right `disposition` takes from `name`.
    PortInsertRight = 75,
    /// `port_extract_right(name, disposition) -> name`: the right `disposition` takes from
    /// `name`, under a name of its own (or the one of its port).
    PortExtractRight = 76,
    /// `port_set_qlimit(name, limit) -> 0`: the most messages `name`'s queue holds (≤ 16).
    PortSetQlimit = 77,
    /// `port_move_member(member, set) -> 0`: puts a port into a set (0: out of any).
    PortMoveMember = 78,
    /// `port_request_notification(name, what, notify) -> 0`: a notification (`NOTIFY_*`) about
    /// `name`, to the port `notify` receives from.
    PortRequestNotification = 79,
    /// `msg_send(msg, size, timeout) -> 0`: sends the message at `msg` ([`MsgHeader`] and
    /// items); blocks on a full queue up to `timeout` ticks (`u32::MAX`: for ever, 0: poll).
    MsgSend = 80,
    /// `msg_receive(name, buf, size, timeout) -> bytes`: receives from a port or port set into
    /// `buf`, waiting up to `timeout` ticks.
    MsgReceive = 81,
    /// `port_bootstrap() -> name`: a send right to the name service on the central (the
    /// bootstrap port, reached from any node).
    PortBootstrap = 82,
    /// `task_self() -> name`: a send right to the caller's task port.
    TaskSelf = 83,
    /// `vm_map(memory_object, size) -> addr`: maps `size` bytes of the memory object whose
    /// port `memory_object` names (a send right), its pages provided by the external pager
    /// that receives from it.
    VmMap = 84,
    /// `vm_set_default_pager(port) -> 0`: the caller becomes its node's default pager, the
    /// port `port` names (a receive or send right) taking [`MO_CREATE`]; its memory is wired
    /// (never paged out). `EBUSY` if the node has a living default pager.
    VmSetDefaultPager = 85,
    /// `msg_rpc(msg, size, name, buf, buf_size, timeout) -> bytes`: `msg_send` of the message
    /// at `msg`, then `msg_receive` on `name` into `buf`, in one call (Mach's `mach_msg` with
    /// send and receive): a client's request and the wait for its answer, or a server's
    /// answer and the wait for its next request. A failed send receives nothing.
    MsgRpc = 86,
}

impl Syscall {
    /// Every system call, in number order.
    pub const ALL: [Syscall; 65] = [
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
        Syscall::Open,
        Syscall::Close,
        Syscall::Lseek,
        Syscall::Stat,
        Syscall::Fstat,
        Syscall::Mkdir,
        Syscall::Unlink,
        Syscall::Chdir,
        Syscall::Getcwd,
        Syscall::Dup,
        Syscall::Pipe,
        Syscall::Getdents,
        Syscall::Rfork,
        Syscall::Ps,
        Syscall::Place,
        Syscall::Dup2,
        Syscall::GetUid,
        Syscall::GetGid,
        Syscall::SetUid,
        Syscall::SetGid,
        Syscall::Migrate,
        Syscall::Balance,
        Syscall::Prefetch,
        Syscall::Sigaction,
        Syscall::Sigreturn,
        Syscall::Pause,
        Syscall::Stats,
        Syscall::VmAllocate,
        Syscall::VmDeallocate,
        Syscall::VmProtect,
        Syscall::VmInherit,
        Syscall::VmRead,
        Syscall::VmWrite,
        Syscall::VmCopy,
        Syscall::VmRegion,
        Syscall::PortAllocate,
        Syscall::PortDeallocate,
        Syscall::PortDestroy,
        Syscall::PortModRefs,
        Syscall::PortType,
        Syscall::PortInsertRight,
        Syscall::PortExtractRight,
        Syscall::PortSetQlimit,
        Syscall::PortMoveMember,
        Syscall::PortRequestNotification,
        Syscall::MsgSend,
        Syscall::MsgReceive,
        Syscall::PortBootstrap,
        Syscall::TaskSelf,
        Syscall::VmMap,
        Syscall::VmSetDefaultPager,
        Syscall::MsgRpc,
    ];

    /// The call with number `number`, if there is one (one table look-up: this runs on every
    /// trap, and the numbers have gaps).
    pub fn from_number(number: u32) -> Option<Syscall> {
        SYSCALL_BY_NUMBER.get(number as usize).copied().flatten()
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
            Syscall::Open => "open",
            Syscall::Close => "close",
            Syscall::Lseek => "lseek",
            Syscall::Stat => "stat",
            Syscall::Fstat => "fstat",
            Syscall::Mkdir => "mkdir",
            Syscall::Unlink => "unlink",
            Syscall::Chdir => "chdir",
            Syscall::Getcwd => "getcwd",
            Syscall::Dup => "dup",
            Syscall::Pipe => "pipe",
            Syscall::Getdents => "getdents",
            Syscall::Rfork => "rfork",
            Syscall::Ps => "ps",
            Syscall::Sigaction => "sigaction",
            Syscall::Sigreturn => "sigreturn",
            Syscall::Pause => "pause",
            Syscall::Stats => "stats",
            Syscall::Place => "place",
            Syscall::Dup2 => "dup2",
            Syscall::GetUid => "getuid",
            Syscall::GetGid => "getgid",
            Syscall::SetUid => "setuid",
            Syscall::SetGid => "setgid",
            Syscall::Migrate => "migrate",
            Syscall::Balance => "balance",
            Syscall::Prefetch => "prefetch",
            Syscall::VmAllocate => "vm_allocate",
            Syscall::VmDeallocate => "vm_deallocate",
            Syscall::VmProtect => "vm_protect",
            Syscall::VmInherit => "vm_inherit",
            Syscall::VmRead => "vm_read",
            Syscall::VmWrite => "vm_write",
            Syscall::VmCopy => "vm_copy",
            Syscall::VmRegion => "vm_region",
            Syscall::PortAllocate => "port_allocate",
            Syscall::PortDeallocate => "port_deallocate",
            Syscall::PortDestroy => "port_destroy",
            Syscall::PortModRefs => "port_mod_refs",
            Syscall::PortType => "port_type",
            Syscall::PortInsertRight => "port_insert_right",
            Syscall::PortExtractRight => "port_extract_right",
            Syscall::PortSetQlimit => "port_set_qlimit",
            Syscall::PortMoveMember => "port_move_member",
            Syscall::PortRequestNotification => "port_request_notification",
            Syscall::MsgSend => "msg_send",
            Syscall::MsgReceive => "msg_receive",
            Syscall::PortBootstrap => "port_bootstrap",
            Syscall::TaskSelf => "task_self",
            Syscall::VmMap => "vm_map",
            Syscall::VmSetDefaultPager => "vm_set_default_pager",
            Syscall::MsgRpc => "msg_rpc",
        }
    }
}

/// Where `fork` puts a child: a per-process attribute, inherited by children and kept by
/// `exec`, set by `place` (docs/satellites.md). As a word: `Local` 1, `LeastLoaded` 2,
/// `RoundRobin` 3, `Node(n)` 4 | n << 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// On the parent's node (the central, or the satellite the parent runs on): the default.
    Local,
    /// On the satellite with the fewest live processes (the lowest node on a tie).
    LeastLoaded,
    /// On the satellites in turn, system-wide.
    RoundRobin,
    /// On satellite node `n` (1 and up).
    Node(u8),
}

impl Placement {
    /// The word `place` takes and returns.
    pub fn encode(self) -> u32 {
        match self {
            Placement::Local => 1,
            Placement::LeastLoaded => 2,
            Placement::RoundRobin => 3,
            Placement::Node(n) => 4 | (n as u32) << 8,
        }
    }

    /// Reads a word back (`None` for 0 and for a word no placement encodes to).
    pub fn decode(word: u32) -> Option<Placement> {
        match (word & 0xff, word >> 8) {
            (1, 0) => Some(Placement::Local),
            (2, 0) => Some(Placement::LeastLoaded),
            (3, 0) => Some(Placement::RoundRobin),
            (4, n @ 1..=255) => Some(Placement::Node(n as u8)),
            _ => None,
        }
    }
}

/// Every call at the index of its number (numbers are below 64).
const SYSCALL_BY_NUMBER: [Option<Syscall>; 88] = {
    let mut table = [None; 88];
    let mut i = 0;
    while i < Syscall::ALL.len() {
        table[Syscall::ALL[i] as usize] = Some(Syscall::ALL[i]);
        i += 1;
    }
    table
};

/// Error numbers: a failing call returns `-(errno as i32)` in `a0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Errno {
    /// The caller may not do this to that process (it is not the caller or its child).
    Perm = 1,
    /// The access the call asks for exceeds a region's maximum protection.
    Acces = 13,
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
    /// No file, directory or program of that name.
    NoEnt = 2,
    /// The image is not an ox32 executable the kernel can load.
    NoExec = 8,
    /// Argument list too long.
    TooBig = 7,
    /// No such system call.
    NoSys = 38,
    /// The disk failed, or the file system on it is damaged.
    Io = 5,
    /// The file is in use (removing the last name of an open file).
    Busy = 16,
    /// The name is taken.
    Exist = 17,
    /// A path component that must be a directory is not.
    NotDir = 20,
    /// A directory where a file is needed.
    IsDir = 21,
    /// The system-wide open-file table is full.
    NFile = 23,
    /// The process's descriptor table is full.
    MFile = 24,
    /// The file would grow past the largest file size.
    FBig = 27,
    /// No free block or inode on the disk.
    NoSpc = 28,
    /// `lseek` on a pipe or the console.
    SPipe = 29,
    /// Too many links to one inode.
    MLink = 31,
    /// Writing to a pipe nobody reads.
    Pipe = 32,
    /// A path component is longer than a directory entry holds.
    NameTooLong = 36,
    /// Removing a directory that is not empty.
    NotEmpty = 39,
    /// No file system: the node has no disk.
    NoDev = 19,
    /// A blocking call's timeout ran out (a message send to a full queue, a receive from an
    /// empty one; a timeout of 0 polls).
    TimedOut = 110,
    /// The satellite the call is about is dead: it stopped answering, or its link went down
    /// (docs/reliability.md, *Dead satellites*).
    HostDown = 112,
    /// No such port name in the caller's name space (Mach's `KERN_INVALID_NAME`).
    BadName = 200,
    /// The name does not denote the right the call needs (`KERN_INVALID_RIGHT`).
    BadRight = 201,
    /// The name is a dead name: its port died (`MACH_SEND_INVALID_DEST` on a dead name).
    DeadName = 202,
}

impl Errno {
    /// Every error number.
    pub const ALL: [Errno; 34] = [
        Errno::Perm,
        Errno::Acces,
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
        Errno::Io,
        Errno::Busy,
        Errno::Exist,
        Errno::NotDir,
        Errno::IsDir,
        Errno::NFile,
        Errno::MFile,
        Errno::FBig,
        Errno::NoSpc,
        Errno::SPipe,
        Errno::MLink,
        Errno::Pipe,
        Errno::NameTooLong,
        Errno::NotEmpty,
        Errno::NoDev,
        Errno::TimedOut,
        Errno::HostDown,
        Errno::BadName,
        Errno::BadRight,
        Errno::DeadName,
    ];

    /// The error with number `number`, if there is one.
    pub fn from_number(number: u32) -> Option<Errno> {
        Errno::ALL.into_iter().find(|e| *e as u32 == number)
    }

    /// The error a negative system-call result stands for (`None` for a success). Inlined:
    /// every system call's wrapper asks, and most calls succeed.
    #[inline]
    pub fn from_result(result: i32) -> Option<Errno> {
        let number = result.checked_neg().filter(|n| *n > 0)? as u32;
        Errno::from_number(number)
    }

    /// The result register value reporting this error.
    pub fn to_result(self) -> i32 {
        -(self as i32)
    }

    /// The conventional upper-case name (`ENOMEM`).
    pub fn name(self) -> &'static str {
        match self {
            Errno::Perm => "EPERM",
            Errno::Acces => "EACCES",
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
            Errno::Io => "EIO",
            Errno::Busy => "EBUSY",
            Errno::Exist => "EEXIST",
            Errno::NotDir => "ENOTDIR",
            Errno::IsDir => "EISDIR",
            Errno::NFile => "ENFILE",
            Errno::MFile => "EMFILE",
            Errno::FBig => "EFBIG",
            Errno::NoSpc => "ENOSPC",
            Errno::SPipe => "ESPIPE",
            Errno::MLink => "EMLINK",
            Errno::Pipe => "EPIPE",
            Errno::NameTooLong => "ENAMETOOLONG",
            Errno::NotEmpty => "ENOTEMPTY",
            Errno::NoDev => "ENODEV",
            Errno::TimedOut => "ETIMEDOUT",
            Errno::HostDown => "EHOSTDOWN",
            Errno::BadName => "EBADNAME",
            Errno::BadRight => "EBADRIGHT",
            Errno::DeadName => "EDEADNAME",
        }
    }
}

/// Signals, with their traditional numbers. Each has a default action
/// ([`Signal::default_action`]): `SIGCHLD` is ignored, every other terminates the process. A
/// process may set a handler or ignore any signal but `SIGKILL` (`sigaction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Signal {
    /// Hang-up.
    Hup = 1,
    /// Interrupt (from the keyboard).
    Int = 2,
    /// Quit (from the keyboard).
    Quit = 3,
    /// Illegal or privileged instruction.
    Ill = 4,
    /// Breakpoint (`break`).
    Trap = 5,
    /// Abort.
    Abrt = 6,
    /// Misaligned access.
    Bus = 7,
    /// Killed on request: cannot be caught or ignored.
    Kill = 9,
    /// For the program's own use.
    Usr1 = 10,
    /// Access to memory the process may not touch.
    Segv = 11,
    /// For the program's own use.
    Usr2 = 12,
    /// Writing to a pipe nobody reads.
    Pipe = 13,
    /// An alarm clock.
    Alrm = 14,
    /// Terminated on request.
    Term = 15,
    /// A child ended (ignored by default).
    Chld = 17,
}

/// What a signal does to a process that neither catches nor ignores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// The process ends, and `wait` reports [`WaitStatus::Signaled`].
    Terminate,
    /// Nothing happens: the signal is discarded.
    Ignore,
}

impl Signal {
    /// Every signal, in number order.
    pub const ALL: [Signal; 15] = [
        Signal::Hup,
        Signal::Int,
        Signal::Quit,
        Signal::Ill,
        Signal::Trap,
        Signal::Abrt,
        Signal::Bus,
        Signal::Kill,
        Signal::Usr1,
        Signal::Segv,
        Signal::Usr2,
        Signal::Pipe,
        Signal::Alrm,
        Signal::Term,
        Signal::Chld,
    ];

    /// The signal with number `number`.
    pub fn from_number(number: u32) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| *s as u32 == number)
    }

    /// The conventional name (`SIGSEGV`).
    pub fn name(self) -> &'static str {
        match self {
            Signal::Hup => "SIGHUP",
            Signal::Int => "SIGINT",
            Signal::Quit => "SIGQUIT",
            Signal::Ill => "SIGILL",
            Signal::Trap => "SIGTRAP",
            Signal::Abrt => "SIGABRT",
            Signal::Bus => "SIGBUS",
            Signal::Kill => "SIGKILL",
            Signal::Usr1 => "SIGUSR1",
            Signal::Segv => "SIGSEGV",
            Signal::Usr2 => "SIGUSR2",
            Signal::Pipe => "SIGPIPE",
            Signal::Alrm => "SIGALRM",
            Signal::Term => "SIGTERM",
            Signal::Chld => "SIGCHLD",
        }
    }

    /// What the signal does when the process has not set a handler or `SIG_IGN` for it.
    pub fn default_action(self) -> DefaultAction {
        match self {
            Signal::Chld => DefaultAction::Ignore,
            _ => DefaultAction::Terminate,
        }
    }

    /// Whether a process may catch or ignore it (every signal but `SIGKILL`).
    pub fn can_be_caught(self) -> bool {
        self != Signal::Kill
    }
}

/// A set of signals: bit `n` stands for the signal numbered `n`. Bits of numbers no
/// [`Signal`] has are never set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigSet(u32);

impl SigSet {
    /// No signal.
    pub const EMPTY: SigSet = SigSet(0);

    /// The set of the signals whose bits are set in `bits` (unknown bits are dropped).
    pub fn from_bits(bits: u32) -> SigSet {
        SigSet(Signal::ALL.into_iter().fold(0, |set, s| set | (bits & (1 << s as u32))))
    }

    /// The set as a word.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// The set holding only `signal`.
    pub fn of(signal: Signal) -> SigSet {
        SigSet(1 << signal as u32)
    }

    /// Whether `signal` is in the set.
    pub fn contains(self, signal: Signal) -> bool {
        self.0 & (1 << signal as u32) != 0
    }

    /// Adds `signal`.
    pub fn insert(&mut self, signal: Signal) {
        self.0 |= 1 << signal as u32;
    }

    /// Removes `signal`.
    pub fn remove(&mut self, signal: Signal) {
        self.0 &= !(1 << signal as u32);
    }

    /// The signals of `self` that are not in `other`.
    pub fn minus(self, other: SigSet) -> SigSet {
        SigSet(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The signal a kernel takes first: `SIGKILL` if it is in the set, else the lowest number.
    pub fn first(self) -> Option<Signal> {
        if self.contains(Signal::Kill) {
            return Some(Signal::Kill);
        }
        Signal::ALL.into_iter().find(|s| self.contains(*s))
    }
}

/// `sigaction`'s handler argument (and result) for "the default action".
pub const SIG_DFL: u32 = 0;
/// `sigaction`'s handler argument (and result) for "ignore the signal".
pub const SIG_IGN: u32 = 1;

/// What the kernel pushes on the user stack to run a signal handler, and what `sigreturn`
/// reads back: the signal, the blocked set to restore, the interrupted pc and every register.
/// The handler runs with `sp` pointing at it (16-byte aligned), `a0` = the signal number and
/// `ra` = the restorer given to `sigaction`, which calls `sigreturn` with `sp` unchanged.
/// Layout, little-endian words: `signal` 0, `blocked` 4, `epc` 8, `regs[0..32]` 12..140.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigFrame {
    /// The signal being handled.
    pub signal: Signal,
    /// The blocked set before the handler ran (restored by `sigreturn`).
    pub blocked: SigSet,
    /// Where the interrupted code resumes.
    pub epc: u32,
    /// The interrupted code's registers (`regs[0]` is 0).
    pub regs: [u32; 32],
}

impl SigFrame {
    /// Bytes of the encoded frame.
    pub const SIZE: usize = 12 + 4 * 32;
    /// Bytes the kernel reserves below the interrupted `sp` for it (a multiple of 16).
    pub const RESERVED: u32 = 144;

    /// The bytes the kernel stores.
    pub fn encode(&self) -> [u8; SigFrame::SIZE] {
        let mut out = [0; SigFrame::SIZE];
        let head = [self.signal as u32, self.blocked.bits(), self.epc];
        let regs = self.regs.iter().enumerate().map(|(i, r)| if i == 0 { 0 } else { *r });
        for (chunk, word) in out.chunks_exact_mut(4).zip(head.into_iter().chain(regs)) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Reads a frame back (`None` if its signal field names no signal).
    pub fn decode(bytes: &[u8; SigFrame::SIZE]) -> Option<SigFrame> {
        let word = |i: usize| {
            u32::from_le_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]])
        };
        let mut regs = [0; 32];
        for (i, reg) in regs.iter_mut().enumerate().skip(1) {
            *reg = word(3 + i);
        }
        Some(SigFrame {
            signal: Signal::from_number(word(0))?,
            blocked: SigSet::from_bits(word(1)),
            epc: word(2),
            regs,
        })
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

/// Longest path a call accepts, in bytes.
pub const PATH_MAX: usize = 1024;
/// Most descriptors one process has open.
pub const NOFILE: usize = 32;
/// Longest name in a directory, in bytes (what one [`Dirent`] holds).
pub const NAME_MAX: usize = 28;

/// Flags of `open`: the access mode is the low two bits, the rest may be or-ed in.
pub mod open_flags {
    /// Open for reading only.
    pub const O_RDONLY: u32 = 0;
    /// Open for writing only.
    pub const O_WRONLY: u32 = 1;
    /// Open for reading and writing.
    pub const O_RDWR: u32 = 2;
    /// The bits that hold the access mode.
    pub const O_ACCMODE: u32 = 3;
    /// Create the file if it does not exist.
    pub const O_CREAT: u32 = 0x40;
    /// With [`O_CREAT`]: fail with `EEXIST` if the file exists.
    pub const O_EXCL: u32 = 0x80;
    /// Cut the file to length 0 (needs write access).
    pub const O_TRUNC: u32 = 0x200;
    /// Every write goes to the end of the file.
    pub const O_APPEND: u32 = 0x400;
    /// Every flag `open` knows.
    pub const ALL: u32 = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND;
}

/// `whence` of `lseek`: from the start of the file.
pub const SEEK_SET: u32 = 0;
/// `whence` of `lseek`: from the current offset.
pub const SEEK_CUR: u32 = 1;
/// `whence` of `lseek`: from the end of the file.
pub const SEEK_END: u32 = 2;

/// What kind of object a [`Stat`] describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum FileKind {
    /// A regular file on the disk.
    File = 1,
    /// A directory on the disk.
    Dir = 2,
    /// A device: the console, or a device inode on the disk.
    Device = 3,
    /// One end of a pipe.
    Pipe = 4,
}

impl FileKind {
    /// The kind with number `number`.
    pub fn from_number(number: u32) -> Option<FileKind> {
        [FileKind::File, FileKind::Dir, FileKind::Device, FileKind::Pipe]
            .into_iter()
            .find(|k| *k as u32 == number)
    }
}

/// What `stat` and `fstat` store: six little-endian words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Stat {
    /// The inode number (0 for a pipe or the console).
    pub ino: u32,
    /// A [`FileKind`] number.
    pub kind: u32,
    /// Directory entries naming it (0 for a pipe or the console).
    pub nlink: u32,
    /// Size in bytes (for a pipe: the bytes waiting in it).
    pub size: u32,
    /// Disk blocks it holds.
    pub blocks: u32,
    /// The device number of a device (the console is device 1).
    pub device: u32,
}

impl Stat {
    /// Bytes of the encoded form.
    pub const SIZE: usize = 24;

    /// The bytes the kernel stores.
    pub fn encode(&self) -> [u8; Stat::SIZE] {
        let mut bytes = [0; Stat::SIZE];
        let words = [self.ino, self.kind, self.nlink, self.size, self.blocks, self.device];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        bytes
    }

    /// Reads the stored bytes back.
    pub fn decode(bytes: &[u8; Stat::SIZE]) -> Stat {
        let word = |i: usize| {
            u32::from_le_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]])
        };
        Stat { ino: word(0), kind: word(1), nlink: word(2), size: word(3), blocks: word(4), device: word(5) }
    }
}

/// One directory entry as `getdents` stores it: the inode number, then the name padded with
/// NULs to [`NAME_MAX`] bytes (a name of exactly `NAME_MAX` bytes has no NUL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Dirent {
    /// The inode the name stands for.
    pub ino: u32,
    /// The name, NUL-padded.
    pub name: [u8; NAME_MAX],
}

impl Dirent {
    /// Bytes of one entry.
    pub const SIZE: usize = 4 + NAME_MAX;

    /// An entry for `name` (cut to [`NAME_MAX`] bytes).
    pub fn new(ino: u32, name: &[u8]) -> Dirent {
        let mut padded = [0; NAME_MAX];
        let len = name.len().min(NAME_MAX);
        padded[..len].copy_from_slice(&name[..len]);
        Dirent { ino, name: padded }
    }

    /// The name's bytes, without the padding.
    pub fn name_bytes(&self) -> &[u8] {
        let len = self.name.iter().position(|b| *b == 0).unwrap_or(NAME_MAX);
        &self.name[..len]
    }

    /// The bytes the kernel stores.
    pub fn encode(&self) -> [u8; Dirent::SIZE] {
        let mut bytes = [0; Dirent::SIZE];
        bytes[..4].copy_from_slice(&self.ino.to_le_bytes());
        bytes[4..].copy_from_slice(&self.name);
        bytes
    }

    /// Reads the stored bytes back.
    pub fn decode(bytes: &[u8]) -> Option<Dirent> {
        let bytes: &[u8; Dirent::SIZE] = bytes.get(..Dirent::SIZE)?.try_into().ok()?;
        let mut name = [0; NAME_MAX];
        name.copy_from_slice(&bytes[4..]);
        Some(Dirent { ino: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]), name })
    }
}

/// Bytes of a process name in a [`ProcInfo`] (longer names are cut).
pub const PROC_NAME_MAX: usize = 16;

/// One row of the process table, as `ps` stores it (little-endian, [`ProcInfo::SIZE`] bytes:
/// pid, ppid, state, node, flags, then the name padded with zeros).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcInfo {
    /// Its id.
    pub pid: u32,
    /// Its (logical) parent's id.
    pub ppid: u32,
    /// `b'R'` runnable or running, `b'S'` sleeping, `b'Z'` zombie.
    pub state: u8,
    /// Where its user context runs: 0 the central processor, `n` satellite node `n`.
    pub node: u8,
    /// [`ProcInfo::STUB`] if this entry on the central is the stub of a process on `node`.
    pub flags: u16,
    /// The program's name, zero-padded.
    pub name: [u8; PROC_NAME_MAX],
}

impl ProcInfo {
    /// Bytes of one encoded row.
    pub const SIZE: usize = 12 + PROC_NAME_MAX;
    /// Flag: the entry is a stub process standing for a process on a satellite.
    pub const STUB: u16 = 1;

    /// The row as bytes.
    pub fn encode(&self) -> [u8; ProcInfo::SIZE] {
        let mut out = [0; ProcInfo::SIZE];
        out[0..4].copy_from_slice(&self.pid.to_le_bytes());
        out[4..8].copy_from_slice(&self.ppid.to_le_bytes());
        out[8] = self.state;
        out[9] = self.node;
        out[10..12].copy_from_slice(&self.flags.to_le_bytes());
        out[12..].copy_from_slice(&self.name);
        out
    }

    /// A row from its bytes (`None` if `bytes` is too short).
    pub fn decode(bytes: &[u8]) -> Option<ProcInfo> {
        let b = bytes.get(..ProcInfo::SIZE)?;
        let word = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        let mut name = [0; PROC_NAME_MAX];
        name.copy_from_slice(&b[12..]);
        Some(ProcInfo {
            pid: word(0),
            ppid: word(4),
            state: b[8],
            node: b[9],
            flags: u16::from_le_bytes([b[10], b[11]]),
            name,
        })
    }

    /// The name without its padding.
    pub fn name(&self) -> &str {
        let len = self.name.iter().position(|&b| b == 0).unwrap_or(PROC_NAME_MAX);
        core::str::from_utf8(&self.name[..len]).unwrap_or("?")
    }
}

/// The kernel counters of one node, as `stats` stores them: [`NodeStats::WORDS`] little-endian
/// `u32`s in field order. Each is counted from the kernel's live structures or kept at every
/// allocation and release, never estimated. A counter a node does not have is 0 (a satellite
/// has no stubs, open files or pipes; the central receives no images).
///
/// The first fields are **resources**: after every process a test started has ended they are
/// back where they were, unless something leaked ([`NodeStats::leaks`]). The others are
/// **traffic**, which only grows, and one gauge (`vm_deepest_chain`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// The node: 0 the central, `n` satellite node `n`.
    pub node: u32,
    /// Entries of the process table in use, whatever their state (stubs and zombies included).
    pub procs: u32,
    /// Live stubs (the central): processes whose user context runs on a satellite.
    pub stubs: u32,
    /// Processes that have ended and are not collected yet (the central: zombies; a
    /// satellite: dead processes whose slot the scheduler has not freed yet).
    pub zombies: u32,
    /// Free physical frames.
    pub free_frames: u32,
    /// All frames the allocator manages.
    pub total_frames: u32,
    /// User pages mapped, in every address space.
    pub user_pages: u32,
    /// Frames holding page tables of address spaces (roots and second-level tables).
    pub page_tables: u32,
    /// Bytes of the kernel heap in use.
    pub heap_used: u32,
    /// Bytes of the kernel heap.
    pub heap_total: u32,
    /// Entries of the system-wide open-file table in use (the central).
    pub open_files: u32,
    /// Descriptors held by all processes (the central).
    pub descriptors: u32,
    /// Pipes with an open end (the central).
    pub pipes: u32,
    /// Blocks held by the buffer cache (the central).
    pub buffers: u32,
    /// Replies from satellites not taken yet (the central); images being received (a
    /// satellite).
    pub pending: u32,
    /// Memory objects alive in the node's virtual memory (docs/vm.md).
    pub vm_objects: u32,
    /// Address-map entries (regions) of every address space.
    pub vm_entries: u32,
    /// Ports alive (docs/ports.md), dead ones still named by rights in transit included.
    pub ports: u32,
    /// Port names in every process's name space, and port sets.
    pub port_names: u32,
    /// Messages queued on ports.
    pub port_messages: u32,
    /// Traffic: messages (ox-proto) sent on the process channel, to every satellite (the
    /// central) or to the central (a satellite).
    pub messages_out: u32,
    /// Traffic: link frames (fragments) sent on the process channel, first copies.
    pub frames_out: u32,
    /// Traffic: fragments sent again after a timeout.
    pub resent: u32,
    /// The deepest shadow chain of memory objects on the node now (copy-on-write; collapse
    /// keeps it short).
    pub vm_deepest_chain: u32,
    /// Messages refused from the links (the central): replies nobody asked for, requests
    /// about a process from a link it does not live behind; frames it could not relay for
    /// the satellites behind it (a satellite: no route, no room, too long).
    pub dropped: u32,
    /// Traffic: system calls forwarded to a stub (a satellite), or executed by stubs for
    /// their satellites (the central); a call sent again after a spurious `EINTR` counts
    /// again. Each is a round trip on the link.
    pub forwarded: u32,
    /// Traffic: copies of a caller's memory made over the link for a call forwarded without
    /// the prefetch cache (docs/migration.md): served (a satellite) or asked (the central).
    /// Each is a round trip too.
    pub user_copies: u32,
}

impl NodeStats {
    /// Words of the encoded form.
    pub const WORDS: usize = 27;
    /// Bytes of the encoded form.
    pub const SIZE: usize = 4 * NodeStats::WORDS;
    /// How many of the first words are resources (compared by [`NodeStats::leaks`]).
    pub const RESOURCES: usize = 20;
    /// The fields' names, in order (as `stats` prints them).
    pub const NAMES: [&'static str; NodeStats::WORDS] = [
        "node",
        "procs",
        "stubs",
        "zombies",
        "free_frames",
        "total_frames",
        "user_pages",
        "page_tables",
        "heap_used",
        "heap_total",
        "open_files",
        "descriptors",
        "pipes",
        "buffers",
        "pending",
        "vm_objects",
        "vm_entries",
        "ports",
        "port_names",
        "port_messages",
        "messages_out",
        "frames_out",
        "resent",
        "vm_deepest_chain",
        "dropped",
        "forwarded",
        "user_copies",
    ];

    /// The fields as words, in order.
    pub fn words(&self) -> [u32; NodeStats::WORDS] {
        [
            self.node,
            self.procs,
            self.stubs,
            self.zombies,
            self.free_frames,
            self.total_frames,
            self.user_pages,
            self.page_tables,
            self.heap_used,
            self.heap_total,
            self.open_files,
            self.descriptors,
            self.pipes,
            self.buffers,
            self.pending,
            self.vm_objects,
            self.vm_entries,
            self.ports,
            self.port_names,
            self.port_messages,
            self.messages_out,
            self.frames_out,
            self.resent,
            self.vm_deepest_chain,
            self.dropped,
            self.forwarded,
            self.user_copies,
        ]
    }

    /// The bytes the kernel stores.
    pub fn encode(&self) -> [u8; NodeStats::SIZE] {
        let mut bytes = [0; NodeStats::SIZE];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(self.words()) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        bytes
    }

    /// Reads the stored bytes back (`None` if `bytes` is too short).
    pub fn decode(bytes: &[u8]) -> Option<NodeStats> {
        let b = bytes.get(..NodeStats::SIZE)?;
        let w = |i: usize| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
        Some(NodeStats {
            node: w(0),
            procs: w(1),
            stubs: w(2),
            zombies: w(3),
            free_frames: w(4),
            total_frames: w(5),
            user_pages: w(6),
            page_tables: w(7),
            heap_used: w(8),
            heap_total: w(9),
            open_files: w(10),
            descriptors: w(11),
            pipes: w(12),
            buffers: w(13),
            pending: w(14),
            vm_objects: w(15),
            vm_entries: w(16),
            ports: w(17),
            port_names: w(18),
            port_messages: w(19),
            messages_out: w(20),
            frames_out: w(21),
            resent: w(22),
            vm_deepest_chain: w(23),
            dropped: w(24),
            forwarded: w(25),
            user_copies: w(26),
        })
    }

    /// The resource counters that differ between `self` (before) and `after`: (name, before,
    /// after). Empty when nothing leaked.
    pub fn leaks(&self, after: &NodeStats) -> impl Iterator<Item = (&'static str, u32, u32)> {
        let (before, after) = (self.words(), after.words());
        (1..NodeStats::RESOURCES)
            .filter(move |&i| before[i] != after[i])
            .map(move |i| (NodeStats::NAMES[i], before[i], after[i]))
    }
}

impl core::fmt::Display for NodeStats {
    /// One line: the resources, then the traffic after a `;`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "node {}: procs {} (stubs {}, zombies {}), frames {}/{} free, user pages {}, page tables {}, \
             heap {}/{} bytes, open files {}, descriptors {}, pipes {}, buffers {}, pending {}, \
             vm objects {}, vm entries {}, ports {} ({} names, {} messages); sent {} messages in {} frames, {} resent; deepest chain {}; \
             dropped {}; forwarded {} calls, {} copies",
            self.node,
            self.procs,
            self.stubs,
            self.zombies,
            self.free_frames,
            self.total_frames,
            self.user_pages,
            self.page_tables,
            self.heap_used,
            self.heap_total,
            self.open_files,
            self.descriptors,
            self.pipes,
            self.buffers,
            self.pending,
            self.vm_objects,
            self.vm_entries,
            self.ports,
            self.port_names,
            self.port_messages,
            self.messages_out,
            self.frames_out,
            self.resent,
            self.vm_deepest_chain,
            self.dropped,
            self.forwarded,
            self.user_copies
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_have_their_traditional_numbers_and_defaults() {
        let numbers: [u32; 15] = Signal::ALL.map(|s| s as u32);
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17]);
        for signal in Signal::ALL {
            assert_eq!(Signal::from_number(signal as u32), Some(signal));
            let expected =
                if signal == Signal::Chld { DefaultAction::Ignore } else { DefaultAction::Terminate };
            assert_eq!(signal.default_action(), expected, "{}", signal.name());
            assert_eq!(signal.can_be_caught(), signal != Signal::Kill);
        }
        assert_eq!(Signal::from_number(8), None);
        assert_eq!(Signal::from_number(0), None);
    }

    #[test]
    fn wait_status_words_are_unchanged() {
        assert_eq!(WaitStatus::Signaled(Signal::Segv).encode(), 11);
        assert_eq!(WaitStatus::Signaled(Signal::Chld).encode(), 17);
        assert_eq!(WaitStatus::Exited(7).encode(), 7 << 8);
        for signal in Signal::ALL {
            let status = WaitStatus::Signaled(signal);
            assert_eq!(WaitStatus::decode(status.encode()), Some(status));
        }
        assert_eq!(WaitStatus::decode(8), None);
    }

    #[test]
    fn sets_keep_known_signals_and_take_kill_first() {
        let mut set = SigSet::from_bits(u32::MAX);
        assert_eq!(set.bits().count_ones(), 15);
        assert_eq!(set.first(), Some(Signal::Kill));
        set.remove(Signal::Kill);
        assert_eq!(set.first(), Some(Signal::Hup));
        let mut two = SigSet::EMPTY;
        two.insert(Signal::Usr2);
        two.insert(Signal::Chld);
        assert_eq!(two.first(), Some(Signal::Usr2));
        assert!(two.minus(SigSet::of(Signal::Usr2)).contains(Signal::Chld));
        assert!(two.minus(two).is_empty());
        assert_eq!(SigSet::from_bits(1 << 8 | 1 << 31 | 1 | 1 << 1), SigSet::of(Signal::Hup));
    }

    #[test]
    fn signal_frames_round_trip() {
        let mut regs = [0; 32];
        for (i, reg) in regs.iter_mut().enumerate().skip(1) {
            *reg = 0x1000 * i as u32 + 7;
        }
        let frame = SigFrame { signal: Signal::Usr1, blocked: SigSet::of(Signal::Segv), epc: 0x1_0040, regs };
        let bytes = frame.encode();
        assert_eq!(&bytes[..4], &10u32.to_le_bytes());
        assert_eq!(SigFrame::decode(&bytes), Some(frame));
        let mut with_x0 = frame;
        with_x0.regs[0] = 99;
        assert_eq!(SigFrame::decode(&with_x0.encode()), Some(frame), "x0 is never stored");
        let mut bad = bytes;
        bad[0] = 8;
        assert_eq!(SigFrame::decode(&bad), None);
        assert!(SigFrame::RESERVED as usize >= SigFrame::SIZE && SigFrame::RESERVED.is_multiple_of(16));
    }

    #[test]
    fn vm_regions_round_trip() {
        let region = VmRegion {
            start: 0x0800_0000,
            end: 0x0800_4000,
            prot: VM_PROT_READ,
            max_prot: VM_PROT_ALL,
            inheritance: VM_INHERIT_SHARE,
            flags: VmRegion::SHARED,
            object: 7,
            offset: 2,
        };
        assert_eq!(VmRegion::decode(&region.encode()), Some(region));
        assert_eq!(VmRegion::decode(&[0; VmRegion::SIZE - 1]), None);
    }

    #[test]
    fn every_call_is_found_by_its_number() {
        assert!(Syscall::ALL.windows(2).all(|w| (w[0] as u32) < (w[1] as u32)), "ALL is in number order");
        for call in Syscall::ALL {
            assert_eq!(Syscall::from_number(call as u32), Some(call));
        }
        assert_eq!(Syscall::from_number(0), None);
        assert_eq!(Syscall::from_number(39), None);
        assert_eq!(Syscall::from_number(u32::MAX), None);
    }

    #[test]
    fn the_signal_calls_are_numbered_from_40() {
        assert_eq!(Syscall::from_number(40), Some(Syscall::Sigaction));
        assert_eq!(Syscall::from_number(41), Some(Syscall::Sigreturn));
        assert_eq!(Syscall::from_number(42), Some(Syscall::Pause));
        assert_eq!(Syscall::Pause.name(), "pause");
    }
}
