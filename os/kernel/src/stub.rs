//! Stub processes (Bach §13.1, "процесс-спутник"; docs/satellites.md): for every process on a
//! satellite, a process on the central with the same pid, parented to its logical parent,
//! owning its descriptors and working directory. A stub is a kernel thread that never enters
//! user mode: it sleeps until its satellite process asks for something, executes it **in its
//! own context** with the kernel's ordinary system-call code, and replies.
//!
//! Executing "as if its own process made the call": the stub's address space holds two
//! buffers, [`IN_BASE`] and [`OUT_BASE`], of [`MAX_DATA`] bytes each. The request's data goes
//! into the input buffer, the call's pointer arguments are pointed at the buffers
//! (`ox_proto::marshal` says which), [`syscall::execute`] runs the call, and what it wrote to
//! the output buffer is the reply's data. So `read`, `open`, `wait`, … are the very functions a
//! local process calls, with their checks, sleeps and errors.
//!
//! Three calls change the satellite process's user context and are served by the stub itself
//! rather than by [`syscall::execute`]: `fork` and `rfork` ([`place::fork_remote`]: the image
//! read from the parent's satellite, the child placed by the policy, a new stub forked from
//! this one) and `exec` ([`exec`]: the program found and loaded here exactly as for a local
//! process, [`proc::load_program`], and shipped to the satellite as an image).
//!
//! Termination: a stub never initiates it. `Exit` from the satellite makes the stub exit with
//! that status (its parent's `wait` sees it).
//!
//! Signals (Bach: "as on one processor"): a signal sent to the stub (`kill` of its pid, a
//! child's `SIGCHLD`, the `SIGPIPE` of a call it executes) stays pending here, whatever it is:
//! what the process does with it is decided on the satellite, where its handlers live. If the
//! stub is executing a call, the signal breaks an interruptible sleep there (`EINTR`) or waits
//! for the call to complete; either way the **reply's signal field** carries it back. If the
//! stub is idle (its process computes on the satellite), it sends the signal as a **`Signal`
//! request**. One signal per reply; more pending ones follow as `Signal` requests.
//!
//! When the two cross — the stub, idle, sends `Signal` while its process sends a call — the
//! satellite finds the signal pending while its process waits for the reply, and sends a
//! `Signal` request this way: [`interrupt`] breaks the call's interruptible sleep (`EINTR`,
//! with no signal in the reply, since the satellite has it). The link keeps order, so such a
//! request concerns the call being executed, the one still in the mailbox (it then fails at
//! once), or one already answered (the stub is idle with no call waiting: it is forgotten).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_abi::{Errno, Signal, Syscall, WaitStatus};
use ox_kcore::image;
use ox_kcore::task::proc::{copy_in, copy_out, table, Pid, Proc, State};
use ox_kcore::task::sched;
use ox_proto::calls::{self, Service};
use ox_proto::marshal::{self, Len};
use ox_proto::{Body, Call, Message, Output, Reply, Request, MAX_DATA};

use crate::proc::{self, stub_chan, CentralProc, IN_BASE, OUT_BASE};
use crate::syscall;
use crate::{balance, kprintln, migrate, place, remote, sysfile, user};

/// Acts on a request from the satellite of `link`, about its process `pid` (from the link's
/// interrupt, `remote::on_interrupt`): a call or an `Exit` goes to the mailbox of the process's
/// stub, a `Signal` interrupts the call it executes. A call for a pid no process has is
/// answered `ESRCH`. A request about a process that lives behind another link, or on the
/// central, is dropped and counted: a satellite speaks only for its own processes.
pub fn route(link: usize, message: Message) {
    let pid = message.pid;
    // Where the process lives, if it exists: behind a link, or here (`None`).
    let home = table().find(pid).map(|p| p.central_ref().remote.as_ref().map(|r| r.link));
    if home.is_some_and(|home| home != Some(link)) {
        remote::count_dropped();
        return;
    }
    match message.body {
        Body::Request(request @ (Request::StubExecutes(_) | Request::Exit(_) | Request::Frozen { .. })) => {
            if let Err(request) = deliver(pid, request) {
                if matches!(request, Request::StubExecutes(_)) {
                    remote::send(link, &Message::reply(pid, Reply::err(Errno::Srch)));
                }
            }
        }
        Body::Request(Request::Signal(_)) => interrupt(pid),
        Body::Request(Request::Load(load)) => balance::report(link, load),
        other => kprintln!("satellite on link {link} sent {other:?} about pid {pid}; ignored"),
    }
}

/// The satellite of link `link` is dead (`remote`): every process that lived there is killed.
/// Its stub drops what waited in its mailbox, breaks the call it executes (as a signal would),
/// and exits as killed by `SIGKILL`, so its parent's `wait` returns and a shell reports it.
pub fn host_down(link: usize) {
    let mut table = table();
    let mut woken = Vec::new();
    for stub in table.slots.iter_mut().flatten() {
        let pid = stub.pid;
        let Some(remote) = stub.central().remote.as_mut().filter(|r| r.link == link) else { continue };
        remote.mailbox.clear();
        remote.mailbox.push_back(Request::Exit(WaitStatus::Signaled(Signal::Kill)));
        remote.interrupt = remote.busy;
        let busy = remote.busy;
        if busy && matches!(stub.state, State::Sleeping(chan) if chan != stub_chan(pid)) {
            stub.state = State::Runnable;
        }
        woken.push(pid);
    }
    for pid in woken {
        table.wakeup(stub_chan(pid));
    }
}

/// Puts `request` in the mailbox of the stub `pid` and wakes it; gives it back if there is no
/// such stub.
fn deliver(pid: Pid, request: Request) -> Result<(), Request> {
    let mut table = table();
    let Some(remote) = table.find(pid).and_then(|p| p.central().remote.as_mut()) else { return Err(request) };
    remote.mailbox.push_back(request);
    table.wakeup(stub_chan(pid));
    Ok(())
}

/// The satellite asks stub `pid` to interrupt the call it executes, or the one waiting in its
/// mailbox (its process has a signal to deliver), or its process is to move
/// ([`migrate`](crate::migrate)); wakes the stub if it sleeps in that call. With neither, the
/// call was answered already and the request is forgotten.
pub fn interrupt(pid: Pid) {
    break_call(pid, false);
}

/// Stub `pid`'s process is to move: the satellite has been sent `Freeze`. The call the stub
/// executes, or the one in its mailbox, is broken off ([`interrupt`]); with neither, the call
/// the process may have made before the `Freeze` reached it — on its way still, if the link
/// lost a frame and resends it — is broken off when it comes, so that it does not sleep with
/// the move waiting for it to end. (The process stops at the return of that call: the
/// `Freeze` reaches it before the call's reply, on the same link.)
pub fn interrupt_for_move(pid: Pid) {
    break_call(pid, true);
}

/// Breaks off the call stub `pid` executes or has in its mailbox; with neither, the next call
/// to come if `next`.
fn break_call(pid: Pid, next: bool) {
    let mut table = table();
    let Some(stub) = table.find(pid) else { return };
    let Some(remote) = stub.central().remote.as_mut() else { return };
    let waiting = remote.mailbox.iter().any(|r| matches!(r, Request::StubExecutes(_)));
    if !remote.busy && !waiting {
        remote.interrupt_next |= next;
        return;
    }
    remote.interrupt = true;
    if matches!(stub.state, State::Sleeping(chan) if chan != stub_chan(pid)) {
        stub.state = State::Runnable;
    }
}

/// Where a stub's kernel thread starts (named by symbol in [`proc::new_stub`], which makes
/// stubs without depending on this module).
#[no_mangle]
extern "C" fn stub_entry() -> ! {
    run()
}

/// The stub's life: take a request, execute it, reply; until `Exit`.
pub fn run() -> ! {
    loop {
        let (pid, link, request, signal, reparented) = {
            let mut table = table();
            let me = table.current();
            let (pid, ppid) = (me.pid, me.ppid);
            let (link, request, reparented) = {
                let Some(remote) = me.central().remote.as_mut() else {
                    panic!("pid {pid} runs as a stub but is none")
                };
                let request = remote.mailbox.pop_front();
                remote.busy = matches!(request, Some(Request::StubExecutes(_)));
                if remote.busy && core::mem::take(&mut remote.interrupt_next) {
                    remote.interrupt = true;
                }
                let reparented = core::mem::take(&mut remote.reparented).then_some(ppid);
                (remote.link, request, reparented)
            };
            let signal = if request.is_none() { me.signals.take_any() } else { None };
            (pid, link, request, signal, reparented)
        };
        // A satellite caches its processes' parents (`getppid` stays local): tell it.
        if let Some(ppid) = reparented {
            remote::send(link, &Message::request(pid, Request::Parent { ppid }));
        }
        match request {
            Some(Request::StubExecutes(call)) => {
                CALLS.fetch_add(1, Ordering::Relaxed);
                migrate::calling();
                let reply = match call.call {
                    Syscall::Fork | Syscall::Rfork => with_signal(place::fork_remote(&call)),
                    Syscall::Exec => with_signal(exec(&call)),
                    _ if !call.prefetched => fetching(&call),
                    Syscall::Read => match stream_read(link, pid, &call) {
                        Some(result) => with_signal(result),
                        None => execute(call),
                    },
                    _ => execute(call),
                };
                remote::send(link, &Message::reply(pid, reply));
                if let Some(remote) = table().current().central().remote.as_mut() {
                    (remote.busy, remote.interrupt) = (false, false);
                }
            }
            Some(Request::Exit(status)) => proc::exit(status),
            Some(Request::Frozen { pc, asleep }) => {
                if let Some(remote) = table().current().central().remote.as_mut() {
                    remote.interrupt_next = false;
                }
                let outcome = migrate::frozen(link, pid, pc, asleep);
                let moved = !matches!(outcome, migrate::Outcome::Stays);
                remote::send(
                    link,
                    &Message::reply(pid, Reply { result: Ok(u32::from(moved)), signal: None, data: vec![] }),
                );
                if let migrate::Outcome::Home(frame) = outcome {
                    Proc::enter_user(&frame);
                }
            }
            Some(other) => kprintln!("stub {pid}: {other:?} is not for a stub; ignored"),
            None => match signal {
                Some(signal) => remote::send(link, &Message::request(pid, Request::Signal(signal))),
                None => sched::sleep(stub_chan(pid)),
            },
        }
    }
}

/// Calls executed for satellites ([`ox_abi::NodeStats::forwarded`]).
static CALLS: AtomicU32 = AtomicU32::new(0);

/// Calls executed for satellites so far.
pub fn calls() -> u32 {
    CALLS.load(Ordering::Relaxed)
}

/// Executes `call`, sent without its buffers (the prefetch cache off), in the current stub's
/// context: its pointers are the caller's, followed on the satellite ([`user`]).
fn fetching(call: &Call) -> Reply {
    let Service::Home(home) = calls::service(call.call) else {
        return Reply::err(Errno::NoSys);
    };
    let result = user::fetching(|| syscall::execute_home(home, call.args, None));
    with_signal(result)
}

/// Executes `call` in the current stub's context and builds the reply.
fn execute(call: Call) -> Reply {
    let Service::Home(home) = calls::service(call.call) else {
        return Reply::err(Errno::NoSys);
    };
    let transfer = home.transfer();
    let mut args = call.args;
    if let Some(input) = transfer.input {
        let n = call.data.len().min(MAX_DATA);
        if let Err(e) = copy_out(IN_BASE, &call.data[..n]) {
            return Reply::err(e);
        }
        args[input.ptr] = IN_BASE;
        if let Len::Arg(i) = input.len {
            args[i] = n as u32;
        }
    }
    let mut output = None;
    if let Some(out) = transfer.output {
        let (ptr, len) = out.resolve(&call.args);
        if ptr != 0 {
            args[out.ptr] = OUT_BASE;
            if let Len::Arg(i) = out.len {
                args[i] = len as u32;
            }
            output = Some(len);
        }
    }
    let result = syscall::execute_home(home, args, None);
    let mut data = vec![];
    if let (Ok(value), Some(len)) = (result, output) {
        let n = if transfer.output_is_result { (value as usize).min(len) } else { len };
        data = vec![0; n];
        if let Err(e) = copy_in(OUT_BASE, &mut data) {
            return Reply::err(e);
        }
    }
    let signal = table().current().signals.take_any();
    Reply { result, signal, data }
}

/// A `read` of a file on the disk longer than one [`Output`] piece — of any length, not cut
/// to one message's data: the data goes to the satellite ahead of the reply, in `Output` messages sent as the file system produces them —
/// so the link carries the first while the next are read, and the satellite copies each into
/// the caller's buffer as it comes — and the reply carries only the count. The first message
/// is one frame, so that the link starts as soon as a frame's worth is read; the others are
/// a few frames each. `None` for any other `read` (the console, a pipe, a short one), which
/// [`execute`] serves as usual.
fn stream_read(link: usize, pid: Pid, call: &Call) -> Option<Result<u32, Errno>> {
    // The whole length: streamed data is not cut to one message's (the satellite checked the
    // whole buffer, and takes a piece anywhere in it).
    let (fd, len) = (call.args[0], call.args[2] as usize);
    let (first, piece) = remote::output_pieces(link)?;
    if len <= piece {
        return None;
    }
    let (id, file, ino) = sysfile::readable_inode(fd)?;
    let mut out = Streamer { link, pid, first, piece, bytes: vec![], head: 0, cap: 0, offset: 0, room_at: 0 };
    let result = sysfile::read_inode(id, &file, ino, len as u32, &mut out);
    out.flush();
    Some(result)
}

/// Bytes of a streamed answer queued beyond what the link's window holds, at most: the stub
/// reads on while the link carries the rest, and waits when this much is ahead (a long `read`
/// holds a bounded amount of the central's memory).
const STREAM_AHEAD: usize = 2 * MAX_DATA;

/// The `Output` messages of a streamed `read`: the first holds up to `first` bytes of data
/// after its head, the others up to `piece`; each leaves as soon as it is full.
struct Streamer {
    link: usize,
    pid: Pid,
    first: usize,
    piece: usize,
    /// The message being filled: its head, then its data so far.
    bytes: Vec<u8>,
    /// Bytes of the head.
    head: usize,
    /// Bytes of data the message being filled holds when full.
    cap: usize,
    /// Where the message's data goes in the caller's buffer.
    offset: u32,
    /// Where the room last given starts in `bytes`.
    room_at: usize,
}

impl Streamer {
    /// The head of an `Output` message of `len` bytes of data at the current offset.
    fn head(&self, len: usize) -> Vec<u8> {
        let output = Output::new(self.offset, vec![]);
        Message { pid: self.pid, body: Body::Output(output) }
            .encode_head(len)
            .unwrap_or_else(|e| panic!("an output piece that does not encode: {e:?}"))
    }

    /// Sends the message being filled, if it holds any data, its head saying how much.
    fn flush(&mut self) {
        let len = self.bytes.len() - self.head;
        if len == 0 {
            return;
        }
        if len < self.cap {
            let head = self.head(len);
            self.bytes[..self.head].copy_from_slice(&head);
        }
        remote::send_net(self.link, Cow::Owned(core::mem::take(&mut self.bytes)));
        self.offset += len as u32;
        remote::wait_for_room(self.link, STREAM_AHEAD);
    }
}

impl sysfile::Sink for Streamer {
    fn room(&mut self, want: usize) -> &mut [u8] {
        if self.bytes.is_empty() {
            self.cap = if self.offset == 0 { self.first } else { self.piece };
            self.bytes = self.head(self.cap);
            self.head = self.bytes.len();
        }
        self.room_at = self.bytes.len();
        let n = want.min(self.head + self.cap - self.room_at);
        self.bytes.resize(self.room_at + n, 0);
        &mut self.bytes[self.room_at..]
    }

    fn took(&mut self, n: usize) -> Result<(), Errno> {
        self.bytes.truncate(self.room_at + n);
        if self.bytes.len() - self.head == self.cap {
            self.flush();
        }
        Ok(())
    }
}

/// The reply for `result`, with the signal the stub received meanwhile.
fn with_signal(result: Result<u32, Errno>) -> Reply {
    let signal = table().current().signals.take_any();
    Reply { result, signal, data: vec![] }
}

/// `exec` of the current stub's satellite process (the name and arguments as
/// `marshal::exec_data`): finds the program as a local `exec` does (from the stub's
/// directory), builds the new user context with [`proc::load_program`], and sends it as an
/// image (`ExecImage`, `WriteImage`s, `Start` with the entry) that the satellite builds and
/// keeps; a success reply (argc) then makes the process switch to it. Any failure before that
/// leaves the process its old image. The stub takes the program's name.
fn exec(call: &Call) -> Result<u32, Errno> {
    let (name, args) = marshal::exec_from_data(&call.data)?;
    let name = core::str::from_utf8(&name).map_err(|_| Errno::NoEnt)?;
    let (pid, link, cwd, slot) = {
        let mut table = table();
        let slot = table.current_slot().unwrap_or_else(|| panic!("a stub runs without a current slot"));
        let me = table.current();
        let pid = me.pid;
        let central = me.central();
        let link = central.remote.as_ref().map(|r| r.link).ok_or(Errno::NoSys)?;
        (pid, link, central.cwd.ino, slot)
    };
    let program = proc::program_image(cwd, name)?;
    // The new space has the stub's ASID but is never active: it only carries the pages, which
    // are sent a piece at a time straight from it.
    let (space, frame) = proc::load_program(slot, &program, &args)?;
    drop(program);
    let layout = image::Layout::new(&space, &frame.regs, None)?;
    let size = layout.size()?;
    let piece = |offset: usize| layout.read(&space, offset, MAX_DATA);
    place::send_image(link, pid, Request::ExecImage { size }, size, piece)?;
    place::start(link, pid, frame.epc)?;
    table().current().name = String::from(name.rsplit('/').next().unwrap_or(name));
    Ok(args.len() as u32)
}
