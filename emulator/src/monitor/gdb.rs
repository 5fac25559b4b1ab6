//! gdb's remote serial protocol on top of the monitor: `orrery debug --gdb tcp:HOST:PORT`.
//!
//! The protocol itself is the `gdbstub` crate's; this module is the target it drives, a
//! [`Monitor`] seen through gdb's model:
//! - **Threads are nodes.** Node `i` (in topology order) is gdb thread `i + 1`; one image on its
//!   own is thread 1. `qThreadExtraInfo` names the node, so `info threads` lists the names.
//! - **Registers are RV32's** (`gdbstub_arch`'s RV32 target description: `x0`..`x31`, `pc`):
//!   ox32's general registers are numbered as RV32's, because `rv2ox` translates one RV32
//!   instruction into one ox32 instruction at the same address with the same registers. gdb
//!   reads the DWARF of the RV32 original of an image (the translation keeps every address).
//! - **Memory** is read and written through the node's current address translation, ignoring
//!   permissions, as the monitor's `x` reads it ([`Monitor::debug_translate`]); RAM and ROM
//!   only, so a device register is never touched. A bad address is an error reply.
//! - **Breakpoints and watchpoints** are the monitor's (never patched into guest memory, so a
//!   run under gdb executes exactly what a plain run executes). gdb's breakpoints belong to
//!   the whole program, so each is set on every node; gdb filters `break ... thread N` itself.
//!   A watchpoint of N bytes is one monitor watchpoint per 4-byte word. Watchpoints stop
//!   *before* the access (gdb treats RISC-V watchpoints as firing before the instruction and
//!   steps over it itself, then compares the values).
//! - **Instructions gdb decodes are RV32's.** gdb steps RISC-V by software single-step: it
//!   decodes the instruction at `pc` to find the next one. Memory holds ox32 words, so gdb must
//!   read code from the RV32 file (`set trust-readonly-sections on`); docs/monitor.md says so.
//! - **Running** is the monitor's: a step executes one instruction of the stepped node (the
//!   other nodes catch up at quantum boundaries), a continue runs the whole system as the
//!   monitor's `continue` does, deterministically, in slices of [`SLICE`] cycles between which
//!   the connection is polled for gdb's interrupt (Ctrl-C). A stop is reported on the thread of
//!   the node that stopped.
//! - **`monitor CMD`** runs a monitor command (`monitor mmu`, `monitor pt`, `monitor nodes`,
//!   ...) on the monitor's selected node: the node of the last stop, or the one `monitor node
//!   N` selects. Commands that run the guest are refused there: gdb would not see it move.

mod guard;

use std::marker::PhantomData;
use std::net::TcpListener;

use gdbstub::common::{Signal, Tid};
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{BlockingEventLoop, Event, WaitForStopReasonError};
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadRangeStepping, MultiThreadRangeSteppingOps, MultiThreadResume,
    MultiThreadResumeOps, MultiThreadSchedulerLocking, MultiThreadSchedulerLockingOps, MultiThreadSingleStep,
    MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint, SwBreakpointOps,
    WatchKind as GdbWatch,
};
use gdbstub::target::ext::monitor_cmd::{ConsoleOutput, MonitorCmd, MonitorCmdOps};
use gdbstub::target::ext::thread_extra_info::{ThreadExtraInfo, ThreadExtraInfoOps};
use gdbstub::target::{Target, TargetError, TargetResult};
use gdbstub_arch::riscv::reg::RiscvCoreRegs;
use gdbstub_arch::riscv::Riscv32;
use ox32::Reg;

use crate::machine::Machine;
use crate::monitor::breakpoints::PointKind;
use crate::monitor::parse::{self, Command, WatchKind};
use crate::monitor::stepping::{Goal, Stop};
use crate::monitor::Monitor;
use crate::system::SystemState;
use guard::Guarded;

/// Cycles a continue runs between two looks at the connection (for gdb's Ctrl-C): ten
/// virtual milliseconds at 100 MHz.
pub const SLICE: u64 = 1_000_000;

/// `EFAULT`, the error number of a memory access gdb cannot have.
const EFAULT: u8 = 14;
/// `EINVAL`, the error number of a request about no such thread.
const EINVAL: u8 = 22;

/// Where gdb connects: `tcp:HOST:PORT` (port 0: any free port, printed when listening).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GdbSpec(pub String);

impl std::str::FromStr for GdbSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<GdbSpec, String> {
        match text.strip_prefix("tcp:") {
            Some(addr) if addr.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok()) => {
                Ok(GdbSpec(addr.to_string()))
            }
            _ => Err(format!("`{text}`: give tcp:HOST:PORT, as in tcp:127.0.0.1:1234")),
        }
    }
}

/// What gdb asked for, with the monitor entries that implement it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    /// A software breakpoint (`Z0`) at an address.
    Break(u32),
    /// A watchpoint (`Z2`..`Z4`): address, length, kind.
    Watch(u32, u32, WatchKind),
}

/// How gdb resumes the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resume {
    /// Every node runs until something stops it; the node of the thread gdb named first, if it
    /// named one, is the selected one (the one alone gdb resumes, with scheduler locking).
    Continue(Option<usize>),
    /// This node executes one instruction.
    Step(usize),
    /// This node runs while its `pc` stays in `start..end`.
    Range(usize, u32, u32),
}

/// The monitor as a `gdbstub` target.
pub struct GdbTarget<'a, 'm> {
    monitor: &'a mut Monitor<'m>,
    resume: Resume,
    /// gdb resumed only the thread of `resume` (scheduler locking, and every step over a
    /// breakpoint): no other node may report a stop.
    locked: bool,
    /// The next run starts from a stop: it passes over a breakpoint at `pc`.
    moving_on: bool,
    /// gdb's breakpoints and watchpoints, each with the ids of its monitor entries.
    requests: Vec<(Request, Vec<u32>)>,
}

/// The node of gdb thread `tid`, if there is one.
fn node_of(monitor: &Monitor<'_>, tid: Tid) -> Option<usize> {
    let node = tid.get().checked_sub(1)?;
    (node < monitor.skip.len()).then_some(node)
}

/// gdb thread of node `node`.
fn tid_of(node: usize) -> Tid {
    Tid::new(node + 1).unwrap_or(Tid::MIN)
}

/// The monitor's watch kind for gdb's.
fn watch_kind(kind: GdbWatch) -> WatchKind {
    match kind {
        GdbWatch::Write => WatchKind::Write,
        GdbWatch::Read => WatchKind::Read,
        GdbWatch::ReadWrite => WatchKind::ReadWrite,
    }
}

/// gdb's watch kind for the monitor's.
fn gdb_watch(kind: WatchKind) -> GdbWatch {
    match kind {
        WatchKind::Write => GdbWatch::Write,
        WatchKind::Read => GdbWatch::Read,
        WatchKind::ReadWrite => GdbWatch::ReadWrite,
    }
}

impl<'a, 'm> GdbTarget<'a, 'm> {
    /// A target on `monitor`, with nothing set and the first run moving on from where the
    /// nodes stand.
    pub fn new(monitor: &'a mut Monitor<'m>) -> GdbTarget<'a, 'm> {
        monitor.watch_before = true;
        GdbTarget {
            monitor,
            resume: Resume::Continue(None),
            locked: false,
            moving_on: true,
            requests: Vec::new(),
        }
    }

    /// Node `tid`, or the error reply for no such thread.
    fn node(&self, tid: Tid) -> TargetResult<usize, Self> {
        node_of(self.monitor, tid).ok_or(TargetError::Errno(EINVAL))
    }

    /// Node `node`'s machine.
    fn machine(&mut self, node: usize) -> &mut Machine {
        match &mut self.monitor.target {
            super::Target::Node(machine) => machine,
            super::Target::System(system) => &mut system.nodes[node].machine,
        }
    }

    /// Runs `f` with node `node` selected in the monitor, then selects the previous one again.
    fn with_node<T>(&mut self, node: usize, f: impl FnOnce(&mut Monitor<'m>) -> T) -> T {
        let selected = std::mem::replace(&mut self.monitor.node, node);
        let result = f(self.monitor);
        self.monitor.node = selected;
        result
    }

    /// Adds a monitor entry of `kind` on every node; returns their ids.
    fn add_everywhere(&mut self, kinds: &[PointKind]) -> Vec<u32> {
        let nodes = self.monitor.skip.len();
        let mut ids = Vec::new();
        for node in 0..nodes {
            for kind in kinds {
                ids.push(self.with_node(node, |m| m.push_point(*kind)));
            }
        }
        ids
    }

    /// Removes what gdb set with `request`: whether it had set it.
    fn remove(&mut self, request: Request) -> bool {
        let Some(i) = self.requests.iter().position(|(r, _)| *r == request) else { return false };
        let (_, ids) = self.requests.remove(i);
        self.monitor.points.retain(|p| !ids.contains(&p.id));
        true
    }

    /// Runs the system as gdb asked, for at most one slice of a continue; `None` when the
    /// slice ended with nothing to report.
    fn run(&mut self) -> Option<MultiThreadStopReason<u32>> {
        let moving_on = std::mem::replace(&mut self.moving_on, false);
        self.monitor.solo = self.locked;
        let (goal, limit) = match self.resume {
            Resume::Continue(node) => {
                self.monitor.node = node.unwrap_or(self.monitor.node);
                (Goal::Continue, SLICE)
            }
            Resume::Step(node) => {
                self.monitor.node = node;
                (Goal::Steps(1), self.monitor.limit)
            }
            Resume::Range(node, start, end) => {
                self.monitor.node = node;
                (Goal::Outside(start, end), SLICE)
            }
        };
        let (stop, _) = self.monitor.run_to(goal, limit, moving_on);
        let tid = tid_of(self.monitor.node);
        let trap = MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGTRAP };
        Some(match stop {
            // A continue or a range step goes on after a slice; a step is done whatever.
            Stop::Limit(_) if matches!(self.resume, Resume::Step(_)) => trap,
            Stop::Limit(_) => return None,
            Stop::Done | Stop::Reached | Stop::Boundary => trap,
            Stop::Breakpoint(_) => MultiThreadStopReason::SwBreak(tid),
            Stop::Watch(id, ..) => match self.monitor.points.iter().find(|p| p.id == id).map(|p| p.kind) {
                // The watched word lies in gdb's range: at its start, or a multiple of 4 bytes on.
                Some(PointKind::Watch(addr, kind)) => {
                    MultiThreadStopReason::Watch { tid, kind: gdb_watch(kind), addr }
                }
                _ => trap,
            },
            Stop::Trap(..) | Stop::Link(..) => trap,
            Stop::PoweredOff(code) if self.monitor.system().is_none() => {
                eprintln!("orrery: the guest powered off with exit code {code}");
                MultiThreadStopReason::Exited(code as u8)
            }
            Stop::Ended(SystemState::PoweredOff(code)) => {
                eprintln!("orrery: {}", self.monitor.ended_text(SystemState::PoweredOff(code)).trim_end());
                MultiThreadStopReason::Exited(code as u8)
            }
            Stop::Ended(state) => {
                eprintln!("orrery: {}", self.monitor.ended_text(state).trim_end());
                MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGSTOP }
            }
            Stop::PoweredOff(_) | Stop::Stuck => {
                MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGSTOP }
            }
        })
    }
}

impl Target for GdbTarget<'_, '_> {
    type Arch = Riscv32;
    type Error = String;

    fn base_ops(&mut self) -> BaseOps<'_, Riscv32, String> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_monitor_cmd(&mut self) -> Option<MonitorCmdOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadBase for GdbTarget<'_, '_> {
    fn read_registers(&mut self, regs: &mut RiscvCoreRegs<u32>, tid: Tid) -> TargetResult<(), Self> {
        let node = self.node(tid)?;
        let cpu = &self.machine(node).cpu;
        for (i, x) in regs.x.iter_mut().enumerate() {
            *x = Reg::new(i as u32).map_or(0, |r| cpu.reg(r));
        }
        regs.pc = cpu.pc;
        Ok(())
    }

    fn write_registers(&mut self, regs: &RiscvCoreRegs<u32>, tid: Tid) -> TargetResult<(), Self> {
        let node = self.node(tid)?;
        let cpu = &mut self.machine(node).cpu;
        for (i, x) in regs.x.iter().enumerate().skip(1) {
            if let Some(r) = Reg::new(i as u32) {
                cpu.set_reg(r, *x);
            }
        }
        cpu.pc = regs.pc;
        Ok(())
    }

    fn read_addrs(&mut self, start: u32, data: &mut [u8], tid: Tid) -> TargetResult<usize, Self> {
        let node = self.node(tid)?;
        self.with_node(node, |m| {
            let mut done = 0usize;
            while done < data.len() {
                let va = start.wrapping_add(done as u32);
                let in_page = (0x1000 - (va & 0xfff) as usize).min(data.len() - done);
                let Ok(pa) = m.debug_translate(va) else { break };
                if m.machine().bus.peek(pa, &mut data[done..done + in_page]).is_err() {
                    break;
                }
                done += in_page;
            }
            if done == 0 && !data.is_empty() {
                return Err(TargetError::Errno(EFAULT));
            }
            Ok(done)
        })
    }

    fn write_addrs(&mut self, start: u32, data: &[u8], tid: Tid) -> TargetResult<(), Self> {
        let node = self.node(tid)?;
        self.with_node(node, |m| {
            let mut done = 0usize;
            while done < data.len() {
                let va = start.wrapping_add(done as u32);
                let in_page = (0x1000 - (va & 0xfff) as usize).min(data.len() - done);
                let pa = m.debug_translate(va).map_err(|_| TargetError::Errno(EFAULT))?;
                m.machine_mut()
                    .poke(pa, &data[done..done + in_page])
                    .map_err(|_| TargetError::Errno(EFAULT))?;
                done += in_page;
            }
            Ok(())
        })
    }

    fn list_active_threads(&mut self, thread_is_active: &mut dyn FnMut(Tid)) -> Result<(), String> {
        (0..self.monitor.skip.len()).for_each(|node| thread_is_active(tid_of(node)));
        Ok(())
    }

    fn is_thread_alive(&mut self, tid: Tid) -> Result<bool, String> {
        Ok(node_of(self.monitor, tid).is_some())
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }

    fn support_thread_extra_info(&mut self) -> Option<ThreadExtraInfoOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadResume for GdbTarget<'_, '_> {
    fn resume(&mut self) -> Result<(), String> {
        self.moving_on = true;
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), String> {
        self.resume = Resume::Continue(None);
        self.locked = false;
        Ok(())
    }

    /// Signals gdb passes on are ignored: a node has no signals, only traps.
    fn set_resume_action_continue(&mut self, tid: Tid, _signal: Option<Signal>) -> Result<(), String> {
        if let (Resume::Continue(None), Some(node)) = (self.resume, node_of(self.monitor, tid)) {
            self.resume = Resume::Continue(Some(node));
        }
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_range_step(&mut self) -> Option<MultiThreadRangeSteppingOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

/// gdb resumes one thread alone when it steps over a breakpoint (and with `set
/// scheduler-locking on`). The system still runs as a whole, deterministically (the other
/// nodes never run past the quantum boundary of the node that runs, so they wait for it exactly
/// as long as a plain run would make them), but only that node can stop: the others run as in
/// a plain run, their breakpoints and watchpoints unchecked, since gdb would not expect a stop
/// from a thread it did not resume.
impl MultiThreadSchedulerLocking for GdbTarget<'_, '_> {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), String> {
        self.locked = true;
        Ok(())
    }
}

impl MultiThreadSingleStep for GdbTarget<'_, '_> {
    fn set_resume_action_step(&mut self, tid: Tid, _signal: Option<Signal>) -> Result<(), String> {
        let node = node_of(self.monitor, tid).ok_or_else(|| format!("no thread {tid}"))?;
        self.resume = Resume::Step(node);
        Ok(())
    }
}

impl MultiThreadRangeStepping for GdbTarget<'_, '_> {
    fn set_resume_action_range_step(&mut self, tid: Tid, start: u32, end: u32) -> Result<(), String> {
        let node = node_of(self.monitor, tid).ok_or_else(|| format!("no thread {tid}"))?;
        self.resume = Resume::Range(node, start, end);
        Ok(())
    }
}

impl Breakpoints for GdbTarget<'_, '_> {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for GdbTarget<'_, '_> {
    fn add_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        let request = Request::Break(addr);
        if !self.requests.iter().any(|(r, _)| *r == request) {
            let ids = self.add_everywhere(&[PointKind::Break(addr)]);
            self.requests.push((request, ids));
        }
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.remove(Request::Break(addr)))
    }
}

impl HwWatchpoint for GdbTarget<'_, '_> {
    fn add_hw_watchpoint(&mut self, addr: u32, len: u32, kind: GdbWatch) -> TargetResult<bool, Self> {
        // At most a page of words: gdb asks for more only for a large object, which the
        // monitor would check word by word on every access.
        if len == 0 || len > 4096 {
            return Ok(false);
        }
        let kind = watch_kind(kind);
        let request = Request::Watch(addr, len, kind);
        if !self.requests.iter().any(|(r, _)| *r == request) {
            let words: Vec<PointKind> =
                (0..len).step_by(4).map(|off| PointKind::Watch(addr.wrapping_add(off), kind)).collect();
            let ids = self.add_everywhere(&words);
            self.requests.push((request, ids));
        }
        Ok(true)
    }

    fn remove_hw_watchpoint(&mut self, addr: u32, len: u32, kind: GdbWatch) -> TargetResult<bool, Self> {
        Ok(self.remove(Request::Watch(addr, len, watch_kind(kind))))
    }
}

impl ThreadExtraInfo for GdbTarget<'_, '_> {
    fn thread_extra_info(&self, tid: Tid, buf: &mut [u8]) -> Result<usize, String> {
        let Some(node) = node_of(self.monitor, tid) else { return Ok(0) };
        let name = match self.monitor.system() {
            Some(system) => system.nodes[node].name.clone(),
            None => "node".to_string(),
        };
        let n = name.len().min(buf.len());
        buf[..n].copy_from_slice(&name.as_bytes()[..n]);
        Ok(n)
    }
}

impl MonitorCmd for GdbTarget<'_, '_> {
    fn handle_monitor_cmd(&mut self, cmd: &[u8], mut out: ConsoleOutput<'_>) -> Result<(), String> {
        let line = String::from_utf8_lossy(cmd);
        let text = match parse::parse(&line) {
            Ok(
                Command::Step(_) | Command::Next | Command::Continue(_) | Command::Until(_) | Command::Quit,
            ) => "error: under gdb the guest runs by gdb's commands (stepi, continue, ...)\n".to_string(),
            Ok(Command::Delete(None)) => {
                "error: `delete` without a number would delete gdb's breakpoints too\n".to_string()
            }
            _ => self.monitor.execute(&line),
        };
        out.write_raw(text.as_bytes());
        Ok(())
    }
}

/// The event loop of a session: runs the target a slice at a time and polls the connection.
struct EventLoop<'a, 'm>(PhantomData<(&'a (), &'m ())>);

impl<'a, 'm: 'a> BlockingEventLoop for EventLoop<'a, 'm> {
    type Target = GdbTarget<'a, 'm>;
    type Connection = Guarded;
    type StopReason = MultiThreadStopReason<u32>;

    #[allow(clippy::type_complexity)]
    fn wait_for_stop_reason(
        target: &mut GdbTarget<'a, 'm>,
        conn: &mut Guarded,
    ) -> Result<Event<MultiThreadStopReason<u32>>, WaitForStopReasonError<String, std::io::Error>> {
        loop {
            if let Some(stop) = target.run() {
                return Ok(Event::TargetStopped(stop));
            }
            // A closed or broken connection reads as data, so the stub notices it.
            if conn.peek().map(|b| b.is_some()).unwrap_or(true) {
                let byte = conn.read().map_err(WaitForStopReasonError::Connection)?;
                return Ok(Event::IncomingData(byte));
            }
        }
    }

    fn on_interrupt(target: &mut GdbTarget<'a, 'm>) -> Result<Option<MultiThreadStopReason<u32>>, String> {
        let tid = tid_of(target.monitor.node);
        Ok(Some(MultiThreadStopReason::SignalWithThread { tid, signal: Signal::SIGINT }))
    }
}

/// Serves one gdb client at `spec` on `monitor` until it detaches, kills the guest or the guest
/// powers off; then ends the run as the monitor's other front ends do.
pub fn serve(monitor: &mut Monitor<'_>, spec: &GdbSpec) -> Result<(), String> {
    let addr = &spec.0;
    let listener = TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("orrery: gdb waiting for a connection on {local}");
    let (stream, _) = listener.accept().map_err(|e| format!("accept on {addr}: {e}"))?;
    let threads = monitor.skip.len();
    let mut target = GdbTarget::new(monitor);
    let result = GdbStub::new(Guarded::new(stream, threads)).run_blocking::<EventLoop<'_, '_>>(&mut target);
    let outcome = match result {
        Ok(DisconnectReason::Disconnect) => Ok("gdb detached".to_string()),
        Ok(DisconnectReason::Kill) => Ok("gdb killed the session".to_string()),
        Ok(DisconnectReason::TargetExited(code)) => Ok(format!("the guest exited with code {code}")),
        Ok(DisconnectReason::TargetTerminated(signal)) => Ok(format!("the guest ended with {signal}")),
        // gdb gone without a word (killed, or the network): the session ends as with `detach`.
        Err(e) if e.is_connection_error() => Ok(format!("the connection to gdb ended ({e})")),
        Err(e) => Err(format!("gdb session: {e}")),
    };
    monitor.wind_up();
    let message = outcome?;
    eprintln!("orrery: {message}; the session ends");
    Ok(())
}
