//! The monitor: a debugger's command language for one node (`orrery debug IMAGE`) or a whole
//! system (`orrery debug TOPOLOGY.toml`).
//!
//! A [`Monitor`] borrows a [`Machine`] or a [`System`] and executes one command line at a time
//! with [`Monitor::execute`], returning the text to show. On a system, one node is *selected*
//! (`node N`): every command that looks at or steps a machine applies to it, and every
//! breakpoint belongs to the node that was selected when it was set. The same language is served on a
//! terminal (with line editing and history), from a script or a pipe (each command echoed as
//! `(orrery) cmd` so that transcripts read well), and over TCP to one client. The language
//! itself is in [`parse`]; the commands are grouped by topic: [`stepping`] (running and stops),
//! [`breakpoints`], [`memory`] (registers, memory, disassembly, backtrace), [`mmu`] (MMU state,
//! page tables, TLB, walks), [`history`] (traps and time) and [`nodes`] (the nodes, the links
//! and how a system runs under the monitor). `docs/monitor.md` describes every command.
//!
//! Invariants:
//! - Any input line gives output or a one-line `error: ...`; nothing a user types can panic.
//! - Looking never changes the machine: memory is read with `Bus::peek`, walks run with
//!   `update = false`, the TLB and its counters are only read. Only `step`/`next`/`continue`/
//!   `until` and `set` change guest state.
//! - The transcript is deterministic: it shows guest state and virtual time, never host
//!   addresses or host time.
//! - Nothing is added to the interpreter's hot loop: with no breakpoint, watchpoint or trap
//!   catch set, `continue` is [`Machine::run`]; otherwise the monitor steps one instruction at a
//!   time and checks before and after each (see [`stepping`]).
//! - Debugging never changes what a system does: the monitor drives the system's own quantum
//!   executor ([`System::open_quantum`](crate::system::System::open_quantum), [`System::finish_node`](crate::system::System::finish_node), [`System::close_quantum`](crate::system::System::close_quantum)),
//!   so frames cross links at the same boundaries as in a plain run (see [`nodes`]).

pub mod breakpoints;
pub mod format;
pub mod gdb;
pub mod help;
pub mod history;
pub mod memory;
pub mod mmu;
pub mod nodes;
pub mod parse;
pub mod stepping;

use std::io::{BufRead, IsTerminal, Read, Write};
use std::net::TcpListener;
use std::str::FromStr;

use ox32::cr;
use ox32::Reg;

use crate::cpu::Cpu;
use crate::machine::Machine;
use crate::system::{System, SystemState};
use breakpoints::Point;
use parse::{quote, Command, Expr, Term};

/// The prompt, also written before each echoed command of a script.
pub const PROMPT: &str = "(orrery) ";

/// How many cycles one `step`, `next`, `until` or `continue` may run unless told otherwise:
/// ten virtual seconds at 100 MHz. It keeps a script from hanging on a guest that loops.
pub const DEFAULT_LIMIT: u64 = 1_000_000_000;

/// The console the monitor shows in its transcript: what the guest writes, kept.
pub use crate::console::Capture as ConsoleCapture;

/// What a session debugs.
enum Target<'m> {
    /// One node on its own.
    Node(&'m mut Machine),
    /// A system of nodes.
    System(&'m mut System),
}

/// A debugging session on one node or a system.
pub struct Monitor<'m> {
    target: Target<'m>,
    /// The selected node (always 0 for one node on its own).
    node: usize,
    /// Per node: the next breakpoint check before its `pc` is skipped, because the node stopped
    /// there (or a command resumes it from there), so that resuming moves on.
    skip: Vec<bool>,
    /// How the system's run ended, once it has.
    ended: Option<SystemState>,
    points: Vec<Point>,
    next_id: u32,
    limit: u64,
    console: Option<ConsoleCapture>,
    /// Console bytes of a line the guest has not finished yet.
    console_partial: Vec<u8>,
    finished: bool,
    /// While `step N` lists what it executes: the node, and a line per instruction or trap.
    listing: Option<(usize, Vec<String>)>,
    /// Watchpoints stop before the access rather than after it (gdb's remote protocol expects
    /// that of RISC-V: it steps over the access itself).
    watch_before: bool,
    /// Per node, with `watch_before`: the `pc` where it stopped before an access, so that
    /// resuming executes that access instead of stopping again.
    watch_passed: Vec<Option<u32>>,
    /// Only the selected node's breakpoints, watchpoints and catchpoints stop a run; the other
    /// nodes run to each quantum boundary as in a plain run (gdb's scheduler locking: it resumed
    /// one thread and expects no stop from another).
    solo: bool,
}

impl<'m> Monitor<'m> {
    /// A session on `machine`, with no breakpoints and the default cycle limit.
    pub fn new(machine: &'m mut Machine) -> Monitor<'m> {
        Monitor::with_target(Target::Node(machine), 0, 1)
    }

    /// A session on a whole system (its links to other processes already connected), with
    /// the central node selected (or node 0 when this process holds no central node).
    pub fn for_system(system: &'m mut System) -> Monitor<'m> {
        let central = system.nodes.iter().position(|n| n.role == crate::topology::Role::Central);
        let nodes = system.nodes.len();
        Monitor::with_target(Target::System(system), central.unwrap_or(0), nodes)
    }

    fn with_target(target: Target<'m>, node: usize, nodes: usize) -> Monitor<'m> {
        Monitor {
            target,
            node,
            skip: vec![false; nodes],
            ended: None,
            points: Vec::new(),
            next_id: 1,
            limit: DEFAULT_LIMIT,
            console: None,
            console_partial: Vec::new(),
            finished: false,
            listing: None,
            watch_before: false,
            watch_passed: vec![None; nodes],
            solo: false,
        }
    }

    /// Sets how many cycles one resuming command may run (at least 1).
    pub fn with_limit(mut self, cycles: u64) -> Monitor<'m> {
        self.limit = cycles.max(1);
        self
    }

    /// Shows what the guest writes to `console` (the machine's console writer) in the
    /// transcript, each line prefixed with `| `.
    pub fn with_console(mut self, console: ConsoleCapture) -> Monitor<'m> {
        self.console = Some(console);
        self
    }

    /// Whether `quit` was given.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// The selected node's machine.
    fn machine(&self) -> &Machine {
        match &self.target {
            Target::Node(machine) => machine,
            Target::System(system) => &system.nodes[self.node].machine,
        }
    }

    /// The selected node's machine, to change.
    fn machine_mut(&mut self) -> &mut Machine {
        match &mut self.target {
            Target::Node(machine) => machine,
            Target::System(system) => &mut system.nodes[self.node].machine,
        }
    }

    /// The system, when the session debugs one.
    fn system(&self) -> Option<&System> {
        match &self.target {
            Target::Node(_) => None,
            Target::System(system) => Some(system),
        }
    }

    /// The system, to run, when the session debugs one.
    fn system_mut(&mut self) -> Option<&mut System> {
        match &mut self.target {
            Target::Node(_) => None,
            Target::System(system) => Some(system),
        }
    }

    /// Ends the session's run of a system that has not ended: the consoles' unfinished lines
    /// are written (as at the end of a plain run) and peer processes are told goodbye. The
    /// front ends ([`serve`], the terminal) call it when the session ends.
    pub fn wind_up(&mut self) {
        if self.ended.is_some() {
            return;
        }
        if let Some(system) = self.system_mut() {
            system.finish();
        }
    }

    /// Executes one command line; returns the guest's console output during it (as `| `
    /// lines, when captured), then the command's output or one `error: ...` line. Every line
    /// ends in a newline.
    pub fn execute(&mut self, line: &str) -> String {
        let result = parse::parse(line).and_then(|command| self.dispatch(command));
        // What the guest printed while the command ran comes first: it happened before the
        // stop the command reports.
        let mut out = self.drain_console(false);
        match result {
            Ok(text) => out.push_str(&text),
            Err(message) => out.push_str(&format!("error: {message}\n")),
        }
        out
    }

    /// Runs every line of `script` as if typed, echoing each as `(orrery) line`; stops after
    /// `quit`. Returns the transcript.
    pub fn run_script(&mut self, script: &str) -> String {
        let mut transcript = String::new();
        for line in script.lines() {
            transcript.push_str(&self.echo(line));
            transcript.push_str(&self.execute(line));
            if self.finished {
                break;
            }
        }
        transcript.push_str(&self.drain_console(true));
        transcript
    }

    /// The echo of a command in a transcript: comments as they are, commands after the prompt.
    fn echo(&self, line: &str) -> String {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            "\n".to_string()
        } else if trimmed.starts_with('#') {
            format!("{trimmed}\n")
        } else {
            format!("{PROMPT}{trimmed}\n")
        }
    }

    /// The guest's console output since the last call, as `| ` lines; an unfinished line is
    /// kept for later unless `all`.
    fn drain_console(&mut self, all: bool) -> String {
        let Some(console) = &self.console else { return String::new() };
        self.console_partial.extend(console.take());
        let cut = if all {
            self.console_partial.len()
        } else {
            self.console_partial.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
        };
        let bytes: Vec<u8> = self.console_partial.drain(..cut).collect();
        String::from_utf8_lossy(&bytes).lines().map(|l| format!("| {l}\n")).collect()
    }

    fn dispatch(&mut self, command: Command) -> Result<String, String> {
        match command {
            Command::Nothing => Ok(String::new()),
            Command::Step(n) => Ok(self.step(n)),
            Command::Next => Ok(self.next()),
            Command::Continue(limit) => Ok(self.cont(limit)),
            Command::Until(addr) => {
                let addr = self.eval(&addr)?;
                Ok(self.until(addr))
            }
            Command::Break(addr) => {
                let addr = self.eval(&addr)?;
                Ok(self.add_breakpoint(addr))
            }
            Command::BreakTrap(filter) => Ok(self.add_trap_catch(filter)),
            Command::BreakLink(node) => self.add_link_break(node.as_deref()),
            Command::Nodes => Ok(self.nodes()),
            Command::Node(which) => self.select(&which),
            Command::Links(n) => Ok(self.links(n)),
            Command::Power(which, on) => self.power(&which, on),
            Command::Watch(addr, kind) => {
                let addr = self.eval(&addr)?;
                Ok(self.add_watchpoint(addr, kind))
            }
            Command::Delete(id) => self.delete(id),
            Command::InfoBreakpoints => Ok(self.info_breakpoints()),
            Command::Regs => Ok(self.regs()),
            Command::Set(reg, value) => {
                let value = self.eval(&value)?;
                self.set(&reg, value)
            }
            Command::Examine { physical, format, count, addr } => {
                let addr = self.eval(&addr)?;
                self.examine(physical, format, count, addr)
            }
            Command::Disas(addr, count) => {
                let addr = match addr {
                    Some(e) => self.eval(&e)?,
                    None => self.machine().cpu.pc,
                };
                self.disas(addr, count)
            }
            Command::Backtrace => Ok(self.backtrace()),
            Command::Mmu => Ok(self.mmu()),
            Command::PageTable(root) => {
                let root = root.map(|e| self.eval(&e)).transpose()?;
                self.page_table(root)
            }
            Command::Tlb => Ok(self.tlb()),
            Command::Translate(addr, access, mode) => {
                let va = self.eval(&addr)?;
                Ok(self.translate(va, access, mode))
            }
            Command::Traps(n) => Ok(self.traps(n)),
            Command::Time => Ok(self.time()),
            Command::Help(topic) => help::help(topic.as_deref()),
            Command::Quit => {
                self.finished = true;
                Ok(String::new())
            }
        }
    }

    /// The value of an expression: numbers, `pc`, general registers, control registers (`epc`,
    /// `badaddr`, ...), then symbols.
    fn eval(&self, expr: &Expr) -> Result<u32, String> {
        let mut value = 0u32;
        for (negative, term) in &expr.terms {
            let v = match term {
                Term::Number(n) => *n,
                Term::Name(name) => self.resolve(name)?,
            };
            value = if *negative { value.wrapping_sub(v) } else { value.wrapping_add(v) };
        }
        Ok(value)
    }

    fn resolve(&self, name: &str) -> Result<u32, String> {
        if name == "pc" {
            return Ok(self.machine().cpu.pc);
        }
        if let Some(reg) = Reg::parse(name) {
            return Ok(self.machine().cpu.reg(reg));
        }
        if let Some(value) =
            ox32::cr::by_name(name).and_then(|num| control_register(&self.machine().cpu, num))
        {
            return Ok(value);
        }
        self.machine()
            .symbols
            .address_of(name)
            .ok_or_else(|| format!("no register or symbol named {}", quote(name)))
    }
}

/// Control register `num` as the monitor sees it: in any mode, without a trap.
fn control_register(cpu: &Cpu, num: u16) -> Option<u32> {
    let c = &cpu.cr;
    Some(match num {
        cr::STATUS => c.status.bits(),
        cr::TVEC => c.tvec,
        cr::EPC => c.epc,
        cr::CAUSE => c.cause,
        cr::BADADDR => c.badaddr,
        cr::SCRATCH0 => c.scratch0,
        cr::SCRATCH1 => c.scratch1,
        cr::PTBR => c.ptbr,
        cr::NODEID => cpu.node_id,
        cr::CYCLE => cpu.instret as u32,
        cr::CYCLEH => (cpu.instret >> 32) as u32,
        cr::TIME => cpu.now() as u32,
        cr::TIMEH => (cpu.now() >> 32) as u32,
        _ => return None,
    })
}

/// Runs `script` on `machine` and returns the transcript: each command echoed after the
/// prompt, then its output. For tests and `orrery debug --script`.
pub fn run_script(machine: &mut Machine, script: &str) -> String {
    Monitor::new(machine).run_script(script)
}

/// Where the monitor talks to its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonitorSpec {
    /// Standard input and output (a terminal with line editing, or a pipe, echoed).
    Stdio,
    /// A TCP server at this address, serving one client.
    Tcp(String),
}

impl FromStr for MonitorSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<MonitorSpec, String> {
        if text == "stdio" {
            return Ok(MonitorSpec::Stdio);
        }
        match text.strip_prefix("tcp:") {
            Some(addr) if addr.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok()) => {
                Ok(MonitorSpec::Tcp(addr.to_string()))
            }
            Some(_) => Err(format!("`{text}` needs HOST:PORT, as in tcp:127.0.0.1:4445")),
            None => Err(format!("unknown monitor `{text}`: use stdio or tcp:HOST:PORT")),
        }
    }
}

/// The longest command line the monitor reads; a longer one is skipped with an error.
pub const MAX_LINE: usize = 4096;

/// Reads one line of at most [`MAX_LINE`] bytes into `bytes`: `None` at the end of input,
/// `Some(false)` when the line was longer (its first bytes are kept, the rest is read and
/// dropped, so memory stays bounded whatever comes).
fn read_line_within(input: &mut impl BufRead, bytes: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    let read = input.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', bytes)?;
    if read == 0 {
        return Ok(None);
    }
    if bytes.len() <= MAX_LINE || bytes.ends_with(b"\n") {
        return Ok(Some(true));
    }
    let mut rest = Vec::new();
    loop {
        rest.clear();
        let n = input.by_ref().take(MAX_LINE as u64).read_until(b'\n', &mut rest)?;
        if n == 0 || rest.ends_with(b"\n") {
            return Ok(Some(false));
        }
    }
}

/// Serves commands read line by line from `input`, writing output to `output`. With `echo`,
/// each command is written back after the prompt (a script or a pipe); otherwise the prompt is
/// written before each read (an interactive client). Ends at `quit` or end of input.
pub fn serve(
    monitor: &mut Monitor<'_>,
    mut input: impl BufRead,
    mut output: impl Write,
    echo: bool,
) -> std::io::Result<()> {
    if !echo {
        output.write_all(PROMPT.as_bytes())?;
        output.flush()?;
    }
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        let Some(whole) = read_line_within(&mut input, &mut bytes)? else { break };
        // Bytes that are not UTF-8 become U+FFFD and then, at worst, an unknown command.
        let decoded = String::from_utf8_lossy(&bytes);
        let line = decoded.trim_end_matches(['\n', '\r']);
        if !whole {
            let message =
                format!("error: a command line is at most {MAX_LINE} bytes; this one was skipped\n");
            output.write_all(message.as_bytes())?;
            output.flush()?;
            continue;
        }
        if echo {
            // Written before the command runs, so that guest output sharing this stream
            // follows it.
            output.write_all(monitor.echo(line).as_bytes())?;
            output.flush()?;
        }
        let mut text = monitor.execute(line);
        if !echo && !monitor.finished() {
            text.push_str(PROMPT);
        }
        output.write_all(text.as_bytes())?;
        output.flush()?;
        if monitor.finished() {
            break;
        }
    }
    monitor.wind_up();
    output.write_all(monitor.drain_console(true).as_bytes())?;
    output.flush()
}

/// Serves the monitor on the terminal with line editing and history (rustyline).
fn serve_terminal(monitor: &mut Monitor<'_>) -> Result<(), String> {
    let mut editor =
        rustyline::DefaultEditor::new().map_err(|e| format!("cannot start line editing: {e}"))?;
    let mut stdout = std::io::stdout();
    let mut last = String::new();
    loop {
        let line = match editor.readline(PROMPT) {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(format!("reading the terminal: {e}")),
        };
        // An empty line repeats the last command, as in gdb.
        let line = if line.trim().is_empty() { last.clone() } else { line };
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        let text = monitor.execute(&line);
        stdout.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        stdout.flush().map_err(|e| e.to_string())?;
        last = line;
        if monitor.finished() {
            break;
        }
    }
    monitor.wind_up();
    stdout.write_all(monitor.drain_console(true).as_bytes()).map_err(|e| e.to_string())?;
    Ok(())
}

/// Runs a whole session as `orrery debug` does: a script if given, else the monitor on
/// `spec` (a terminal gets line editing; a pipe is read as a script).
pub fn session(monitor: &mut Monitor<'_>, script: Option<&str>, spec: &MonitorSpec) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    if let Some(script) = script {
        let mut out = std::io::stdout();
        serve(monitor, script.as_bytes(), &mut out, true).map_err(io)?;
        return Ok(());
    }
    match spec {
        MonitorSpec::Stdio if std::io::stdin().is_terminal() => serve_terminal(monitor),
        MonitorSpec::Stdio => serve(monitor, std::io::stdin().lock(), std::io::stdout(), true).map_err(io),
        MonitorSpec::Tcp(addr) => {
            let listener = TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            let local = listener.local_addr().map_err(|e| e.to_string())?;
            eprintln!("orrery: monitor waiting for a connection on {local}");
            let (stream, _) = listener.accept().map_err(|e| format!("accept on {addr}: {e}"))?;
            let reader = std::io::BufReader::new(stream.try_clone().map_err(io)?);
            serve(monitor, reader, stream, false).map_err(io)
        }
    }
}
