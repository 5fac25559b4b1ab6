//! Driving a guest like a person at its console, deterministically: boot a topology or an
//! image, wait for text with a limit in virtual time, type, end the input, wait for the power
//! off, and take the transcript. The engine of `orrery run --expect` ([`Script`]) and of the
//! `orrery-harness` crate (docs/testing.md).
//!
//! Determinism: the guest runs in steps of virtual time (a quantum of the topology, or
//! [`SLICE_NS`] for one node), and the session looks at the console and types only between
//! steps. Typed bytes are queued on the console at once (no host thread, no wall clock), and
//! echoed into the transcript as a terminal would show them. So the same guest, the same
//! disks and the same calls give the same transcript, byte for byte. Every disk a topology
//! names is copied first, and the copy is used and removed: a session never changes a disk.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::console::Capture;
use crate::machine::{Machine, MachineConfig, RunState};
use crate::system::{System, SystemOptions, SystemState};
use crate::time::Clock;
use crate::topology::Topology;

/// How far one node on its own runs between two looks at its console: 1 ms of virtual time.
pub const SLICE_NS: u64 = 1_000_000;

/// The time limit of a step that does not say: 10 s of virtual time.
pub const DEFAULT_TIMEOUT_NS: u64 = 10_000_000_000;

/// How a session's guest ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It (the central node) powered off with this exit code.
    PoweredOff(u32),
    /// It waits for something that can never come (console input nobody sends).
    Stuck,
    /// The run ended otherwise (a peer process left).
    Other,
}

/// Why a step of a session failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// The text did not appear within the time limit.
    NotSeen {
        /// What was expected.
        pattern: String,
        /// The limit, in virtual nanoseconds.
        timeout_ns: u64,
        /// How the guest ended, if it did.
        ended: Option<Ended>,
    },
    /// The guest did not power off within the time limit.
    NoExit {
        /// The limit, in virtual nanoseconds.
        timeout_ns: u64,
        /// How the guest ended, if it did (stuck).
        ended: Option<Ended>,
    },
    /// The guest powered off with another exit code.
    WrongExit {
        /// The code expected.
        expected: u32,
        /// The code seen.
        got: u32,
    },
    /// The guest cannot be booted or driven (a bad file, typing after the end of the input).
    Setup(String),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ended = |e: &Option<Ended>| match e {
            Some(Ended::PoweredOff(code)) => format!(" (the guest powered off with exit code {code})"),
            Some(Ended::Stuck) => " (the guest waits for input that nobody sends)".to_string(),
            Some(Ended::Other) => " (the run ended)".to_string(),
            None => String::new(),
        };
        match self {
            SessionError::NotSeen { pattern, timeout_ns, ended: e } => write!(
                f,
                "{:?} did not appear within {} of virtual time{}",
                pattern,
                duration_text(*timeout_ns),
                ended(e)
            ),
            SessionError::NoExit { timeout_ns, ended: e } => {
                write!(
                    f,
                    "the guest did not power off within {} of virtual time{}",
                    duration_text(*timeout_ns),
                    ended(e)
                )
            }
            SessionError::WrongExit { expected, got } => {
                write!(f, "the guest powered off with exit code {got}, not {expected}")
            }
            SessionError::Setup(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for SessionError {}

/// A duration in virtual time as the scripts write it: `10s`, `250ms`, `40us`, `7ns`.
pub fn duration_text(ns: u64) -> String {
    for (unit, size) in [("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)] {
        if ns >= size && ns.is_multiple_of(size) {
            return format!("{}{unit}", ns / size);
        }
    }
    format!("{ns}ns")
}

/// Reads a duration: a number and a unit (`s`, `ms`, `us`, `ns`).
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration such as 10s or 250ms"))?;
    let scale = match unit {
        "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "us" => 1_000,
        "ns" => 1,
        _ => return Err(format!("`{text}` needs a unit: s, ms, us or ns")),
    };
    number.checked_mul(scale).ok_or_else(|| format!("`{text}` is too long"))
}

/// What runs.
enum Target {
    System(Box<System>),
    Node(Box<Machine>),
}

/// A guest driven from its console. See the module documentation.
pub struct Session {
    target: Target,
    /// What the terminal shows (the prefixed consoles, or one node's console).
    screen: Capture,
    transcript: String,
    /// Where the next `expect` starts looking.
    cursor: usize,
    ended: Option<Ended>,
    input_ended: bool,
    /// Copies of disks, removed at the end.
    scratch: Vec<PathBuf>,
}

impl Session {
    /// Boots a topology file (`.toml`) or one image (an ox32 ELF, or `.s` assembly) with
    /// 64 MiB of RAM, by the file's extension.
    pub fn boot(path: &Path) -> Result<Session, SessionError> {
        if path.extension().is_some_and(|e| e == "toml") {
            let topology = Topology::load(path).map_err(SessionError::Setup)?;
            Session::topology(topology)
        } else {
            Session::image(path, 64 << 20)
        }
    }

    /// Boots every node of `topology` on one thread, its terminal consoles prefixed `[name] `
    /// as `orrery run` shows them, on copies of its disks.
    pub fn topology(mut topology: Topology) -> Result<Session, SessionError> {
        let mut scratch = Vec::new();
        static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        for node in &mut topology.nodes {
            let Some(disk) = &node.disk else { continue };
            let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let copy = std::env::temp_dir().join(format!("orrery-session-{}-{n}.img", std::process::id()));
            std::fs::copy(disk, &copy)
                .map_err(|e| SessionError::Setup(format!("cannot copy the disk {}: {e}", disk.display())))?;
            scratch.push(copy.clone());
            node.disk = Some(copy);
        }
        let screen = Capture::new();
        let options = SystemOptions { terminal: Box::new(screen.clone()), input: Vec::new(), stdin: false };
        let built = System::new(&topology, options).and_then(|mut system| system.connect().map(|()| system));
        match built {
            Ok(system) => Ok(Session::new(Target::System(Box::new(system)), screen, scratch)),
            Err(e) => {
                scratch.iter().for_each(|p| drop(std::fs::remove_file(p)));
                Err(SessionError::Setup(e))
            }
        }
    }

    /// Records every frame that crosses a link of the session's topology, from now on, into a
    /// trace on `out` (docs/pictures.md); a session on one image has no links.
    pub fn trace_to(
        &mut self,
        out: Box<dyn std::io::Write + Send>,
        topology: &Topology,
    ) -> Result<(), String> {
        match &mut self.target {
            Target::System(system) => {
                system.trace_to(out, topology);
                Ok(())
            }
            Target::Node(_) => Err("a trace records the frames between the nodes of a topology".into()),
        }
    }

    /// Ends the trace started by [`Session::trace_to`]: flushes it, or says why it could not be
    /// written.
    pub fn finish_trace(&mut self) -> Result<(), String> {
        match &mut self.target {
            Target::System(system) => system.finish_trace(),
            Target::Node(_) => Ok(()),
        }
    }

    /// Boots one node from an image with `ram` bytes of RAM at 100 MHz; its console is
    /// unprefixed.
    pub fn image(path: &Path, ram: u32) -> Result<Session, SessionError> {
        if !(4096..=ox32::memmap::RAM_MAX).contains(&ram) || !ram.is_multiple_of(4096) {
            return Err(SessionError::Setup(format!(
                "RAM must be a multiple of 4 KiB between 4 KiB and 2 GiB, not {ram} bytes"
            )));
        }
        let elf = crate::loader::read_executable(path).map_err(SessionError::Setup)?;
        let screen = Capture::new();
        let mut machine = Machine::new(MachineConfig::new(ram, Box::new(screen.clone())));
        machine.boot_executable(&elf).map_err(|e| SessionError::Setup(format!("{}: {e}", path.display())))?;
        Ok(Session::new(Target::Node(Box::new(machine)), screen, Vec::new()))
    }

    fn new(target: Target, screen: Capture, scratch: Vec<PathBuf>) -> Session {
        Session {
            target,
            screen,
            transcript: String::new(),
            cursor: 0,
            ended: None,
            input_ended: false,
            scratch,
        }
    }

    /// Runs the guest with the JIT (`true`, the default where supported) or the interpreter;
    /// the transcript does not change.
    pub fn set_jit(&mut self, on: bool) {
        match &mut self.target {
            Target::System(system) => {
                for node in &mut system.nodes {
                    node.machine.set_jit(on);
                }
            }
            Target::Node(machine) => {
                machine.set_jit(on);
            }
        }
    }

    /// Virtual time, in nanoseconds.
    pub fn now_ns(&self) -> u64 {
        match &self.target {
            Target::System(system) => system.time,
            Target::Node(machine) => machine.cpu.now(),
        }
    }

    /// Everything the terminal showed so far, typed text included.
    pub fn transcript(&self) -> &str {
        &self.transcript
    }

    /// How the guest ended, once it has.
    pub fn ended(&self) -> Option<Ended> {
        self.ended
    }

    /// Types `text` at the console (the central node's, in a topology); it shows in the
    /// transcript as a terminal's echo would. Nothing is typed once the input has ended.
    pub fn send(&mut self, text: &str) -> Result<(), SessionError> {
        self.send_bytes(text.as_bytes())
    }

    /// Types `line` and a newline.
    pub fn send_line(&mut self, line: &str) -> Result<(), SessionError> {
        self.send_bytes(format!("{line}\n").as_bytes())
    }

    /// Types raw bytes (Ctrl-C is `[0x03]`); what `orrery run` echoes for them joins the
    /// transcript (`^C` for Ctrl-C).
    pub fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        if self.input_ended {
            return Err(SessionError::Setup("typing after the end of the input".into()));
        }
        // A guest waiting for input is not stuck any more.
        if self.ended == Some(Ended::Stuck) {
            self.ended = None;
        }
        let echo: Vec<u8> = bytes.iter().flat_map(|b| crate::console::echo_of(*b).iter().copied()).collect();
        match &mut self.target {
            Target::System(system) => system.type_input(bytes, &echo),
            Target::Node(machine) => {
                machine.type_input(bytes);
                let mut screen = self.screen.clone();
                let _ = std::io::Write::write_all(&mut screen, &echo);
            }
        }
        self.gather();
        Ok(())
    }

    /// Ends the console's input, as the end of a file on standard input does: once the guest
    /// has read what was typed, its console `read` returns 0.
    pub fn end_input(&mut self) {
        self.input_ended = true;
        // The end of the input is news for a guest waiting for input.
        if self.ended == Some(Ended::Stuck) {
            self.ended = None;
        }
        match &mut self.target {
            Target::System(system) => system.end_input(),
            Target::Node(machine) => machine.end_input(),
        }
    }

    /// Runs until `pattern` appears in the transcript after the previous match, for at most
    /// `timeout_ns` of virtual time; returns the text from the previous match to the end of
    /// this one.
    pub fn expect(&mut self, pattern: &str, timeout_ns: u64) -> Result<String, SessionError> {
        let deadline = self.now_ns().saturating_add(timeout_ns);
        loop {
            if let Some(at) = self.transcript[self.cursor..].find(pattern) {
                let end = self.cursor + at + pattern.len();
                let text = self.transcript[self.cursor..end].to_string();
                self.cursor = end;
                return Ok(text);
            }
            if self.ended.is_some() || self.now_ns() >= deadline {
                return Err(SessionError::NotSeen {
                    pattern: pattern.to_string(),
                    timeout_ns,
                    ended: self.ended,
                });
            }
            self.advance(deadline);
        }
    }

    /// Makes node `name` of the topology hang: from now on its CPU runs nothing while time
    /// passes, and its ports take frames nobody reads — a satellite that hangs with its links
    /// up. Not the central node.
    pub fn freeze(&mut self, name: &str) -> Result<(), SessionError> {
        self.fault_satellite("freeze", name, |system, i| system.nodes[i].frozen = true)
    }

    /// Pulls the plug on node `name` of the topology (`Machine::pull_plug`, exit code 137 as
    /// for a process killed by `SIGKILL`): a satellite that dies. Not the central node, whose
    /// power off ends the run.
    pub fn power_off(&mut self, name: &str) -> Result<(), SessionError> {
        self.fault_satellite("poweroff", name, |system, i| system.pull_plug(i, 137))
    }

    /// Powers node `name` of the topology on again after its plug was pulled (or it halted):
    /// it starts over in its boot ROM, and the far ends of its links come up again — a
    /// satellite that comes back. Not the central node; an error if it is not powered off.
    pub fn power_on(&mut self, name: &str) -> Result<(), SessionError> {
        let mut was_off = true;
        self.fault_satellite("poweron", name, |system, i| was_off = system.power_on(i))?;
        match was_off {
            true => Ok(()),
            false => {
                Err(SessionError::Setup(format!("{name} is not powered off: poweron takes a node that is")))
            }
        }
    }

    /// Does `fault` (the step `step`) to the satellite `name` of the topology, the index of its
    /// node given. A node failing is news for a system that waited for input: the run goes on.
    fn fault_satellite(
        &mut self,
        step: &str,
        name: &str,
        fault: impl FnOnce(&mut System, usize),
    ) -> Result<(), SessionError> {
        let Target::System(system) = &mut self.target else {
            return Err(SessionError::Setup(format!("{step} needs a topology: one image has no other node")));
        };
        let Some(i) = system.nodes.iter().position(|n| n.name == name) else {
            return Err(SessionError::Setup(format!("no node {name} in the topology")));
        };
        if system.nodes[i].role == crate::topology::Role::Central {
            return Err(SessionError::Setup(format!("{name} is the central node: {step} takes a satellite")));
        }
        fault(system, i);
        if self.ended == Some(Ended::Stuck) {
            self.ended = None;
        }
        Ok(())
    }

    /// Runs the guest for `ns` of virtual time (less if it ends first): to let a command
    /// start before typing a key at it, say.
    pub fn run_for(&mut self, ns: u64) {
        let deadline = self.now_ns().saturating_add(ns);
        while self.ended.is_none() && self.now_ns() < deadline {
            self.advance(deadline);
        }
    }

    /// Runs until the guest powers off, for at most `timeout_ns` of virtual time; returns its
    /// exit code.
    pub fn wait_exit(&mut self, timeout_ns: u64) -> Result<u32, SessionError> {
        let deadline = self.now_ns().saturating_add(timeout_ns);
        loop {
            match self.ended {
                Some(Ended::PoweredOff(code)) => {
                    self.cursor = self.transcript.len();
                    return Ok(code);
                }
                Some(_) => return Err(SessionError::NoExit { timeout_ns, ended: self.ended }),
                None if self.now_ns() >= deadline => {
                    return Err(SessionError::NoExit { timeout_ns, ended: None });
                }
                None => self.advance(deadline),
            }
        }
    }

    /// Runs one step of virtual time (not past `deadline`), and gathers the console.
    fn advance(&mut self, deadline: u64) {
        match &mut self.target {
            Target::System(system) => {
                let ended = match system.open_quantum(deadline) {
                    Err(state) => Some(state),
                    Ok(_) => system.close_quantum(deadline),
                };
                match ended {
                    Some(SystemState::TimeLimit) | None => {}
                    // Input may still come: the run goes on when some is typed.
                    Some(SystemState::Stuck) => self.ended = Some(Ended::Stuck),
                    Some(state) => {
                        system.finish();
                        self.ended = Some(match state {
                            SystemState::PoweredOff(code) => Ended::PoweredOff(code),
                            _ => Ended::Other,
                        });
                    }
                }
            }
            Target::Node(machine) => {
                let clock: Clock = machine.cpu.clock;
                let until = machine.cpu.now().saturating_add(SLICE_NS).min(deadline);
                match machine.run(clock.cycles_until(until)) {
                    RunState::PoweredOff(code) => self.ended = Some(Ended::PoweredOff(code)),
                    RunState::Stuck | RunState::Idle => self.ended = Some(Ended::Stuck),
                    RunState::Running => {}
                }
            }
        }
        self.gather();
    }

    /// Moves what the terminal showed into the transcript.
    fn gather(&mut self) {
        let bytes = self.screen.take();
        self.transcript.push_str(&String::from_utf8_lossy(&bytes));
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for path in &self.scratch {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One step of an expect script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `expect TEXT`: wait for the text.
    Expect(String),
    /// `send TEXT` (bytes as they are) or `sendline TEXT` (and a newline).
    Send(Vec<u8>),
    /// `timeout DURATION`: the limit of the steps that follow.
    Timeout(u64),
    /// `sleep DURATION`: let the guest run that long.
    Sleep(u64),
    /// `eof`: end the console's input.
    Eof,
    /// `exit [CODE]`: wait for the power off (and check the exit code).
    Exit(Option<u32>),
    /// `poweroff NODE`: pull the plug on a node of the topology (a satellite that dies).
    PowerOff(String),
    /// `poweron NODE`: power a node of the topology on again (a satellite that comes back).
    PowerOn(String),
    /// `freeze NODE`: a node of the topology hangs (its CPU runs nothing from now on).
    Freeze(String),
}

/// An expect script: steps, each with its line (docs/testing.md, "Without Rust").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The steps, with the line number and text each came from.
    pub steps: Vec<(usize, String, Step)>,
}

/// Reads a step's argument: a double-quoted string with escapes (`\n`, `\r`, `\t`, `\\`,
/// `\"`, `\xNN`), or the rest of the line as it is.
fn argument(text: &str) -> Result<Vec<u8>, String> {
    let Some(quoted) = text.strip_prefix('"') else { return Ok(text.as_bytes().to_vec()) };
    let mut out = Vec::new();
    let mut chars = quoted.chars();
    loop {
        match chars.next() {
            None => return Err("the string has no closing `\"`".into()),
            Some('"') => {
                let rest: String = chars.collect();
                if !rest.trim().is_empty() {
                    return Err(format!("unexpected `{}` after the string", rest.trim()));
                }
                return Ok(out);
            }
            Some('\\') => match chars.next() {
                Some('n') => out.push(b'\n'),
                Some('r') => out.push(b'\r'),
                Some('t') => out.push(b'\t'),
                Some('\\') => out.push(b'\\'),
                Some('"') => out.push(b'"'),
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).collect();
                    let byte = u8::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|_| hex.len() == 2)
                        .ok_or_else(|| format!("`\\x{hex}` needs two hex digits"))?;
                    out.push(byte);
                }
                Some(other) => return Err(format!("unknown escape `\\{other}`")),
                None => return Err("the string has no closing `\"`".into()),
            },
            Some(c) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

impl Script {
    /// Parses a script; a mistake is reported with its line.
    pub fn parse(text: &str) -> Result<Script, String> {
        let mut steps = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let number = i + 1;
            let line = raw.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim_start();
            let fail = |why: String| format!("line {number}: {why}");
            let step = match word {
                "expect" | "send" | "sendline" => {
                    let mut bytes = argument(rest).map_err(fail)?;
                    if bytes.is_empty() && word != "sendline" {
                        return Err(fail(format!("`{word}` needs text, as in {word} \"$ \"")));
                    }
                    match word {
                        "expect" => Step::Expect(
                            String::from_utf8(bytes).map_err(|_| fail("the text is not UTF-8".into()))?,
                        ),
                        "send" => Step::Send(bytes),
                        _ => {
                            bytes.push(b'\n');
                            Step::Send(bytes)
                        }
                    }
                }
                "timeout" => Step::Timeout(parse_duration(rest).map_err(fail)?),
                "sleep" => Step::Sleep(parse_duration(rest).map_err(fail)?),
                "eof" if rest.is_empty() => Step::Eof,
                "exit" if rest.is_empty() => Step::Exit(None),
                "exit" => Step::Exit(Some(
                    rest.trim().parse().map_err(|_| fail(format!("`{rest}` is not an exit code")))?,
                )),
                "poweroff" if !rest.trim().is_empty() => Step::PowerOff(rest.trim().to_string()),
                "poweron" if !rest.trim().is_empty() => Step::PowerOn(rest.trim().to_string()),
                "freeze" if !rest.trim().is_empty() => Step::Freeze(rest.trim().to_string()),
                "freeze" => return Err(fail("`freeze` needs a node's name, as in freeze sat3".into())),
                "poweroff" => return Err(fail("`poweroff` needs a node's name, as in poweroff sat3".into())),
                "poweron" => return Err(fail("`poweron` needs a node's name, as in poweron sat3".into())),
                "eof" => return Err(fail("`eof` takes nothing".into())),
                other => {
                    return Err(fail(format!(
                        "unknown step `{other}`: use expect, send, sendline, timeout, sleep, eof, exit, poweroff, poweron or freeze"
                    )))
                }
            };
            steps.push((number, raw.trim().to_string(), step));
        }
        Ok(Script { steps })
    }

    /// Runs the steps on `session` in order; stops at the first that fails, naming it.
    pub fn run(&self, session: &mut Session) -> Result<(), String> {
        let mut timeout = DEFAULT_TIMEOUT_NS;
        for (index, (line, text, step)) in self.steps.iter().enumerate() {
            let result = match step {
                Step::Expect(pattern) => session.expect(pattern, timeout).map(drop),
                Step::Send(bytes) => session.send_bytes(bytes),
                Step::Timeout(ns) => {
                    timeout = *ns;
                    Ok(())
                }
                Step::Sleep(ns) => {
                    session.run_for(*ns);
                    Ok(())
                }
                Step::Eof => {
                    session.end_input();
                    Ok(())
                }
                Step::PowerOff(node) => session.power_off(node),
                Step::PowerOn(node) => session.power_on(node),
                Step::Freeze(node) => session.freeze(node),
                Step::Exit(code) => session.wait_exit(timeout).and_then(|got| match code {
                    Some(expected) if *expected != got => {
                        Err(SessionError::WrongExit { expected: *expected, got })
                    }
                    _ => Ok(()),
                }),
            };
            if let Err(e) = result {
                return Err(format!("step {} (line {line}: `{text}`) failed: {e}", index + 1));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_parse_and_mistakes_name_their_line() {
        let script = Script::parse(
            "# a session\nexpect \"$ \"\nsendline ls /bin\nsend \"\\x03\"\ntimeout 250ms\n\nexpect bin\nsleep 2ms\neof\nexit 0\nexit\n",
        )
        .unwrap();
        let steps: Vec<Step> = script.steps.iter().map(|(_, _, s)| s.clone()).collect();
        assert_eq!(
            steps,
            [
                Step::Expect("$ ".into()),
                Step::Send(b"ls /bin\n".to_vec()),
                Step::Send(vec![3]),
                Step::Timeout(250_000_000),
                Step::Expect("bin".into()),
                Step::Sleep(2_000_000),
                Step::Eof,
                Step::Exit(Some(0)),
                Step::Exit(None),
            ]
        );
        assert_eq!(script.steps[1].0, 3);
        for (text, message) in [
            ("expect \"open", "line 1: the string has no closing"),
            ("\n\nwait 3", "line 3: unknown step `wait`"),
            ("timeout 3", "line 1: `3` needs a unit"),
            ("timeout soon", "line 1: `soon` is not a duration"),
            ("send \"\\q\"", "line 1: unknown escape `\\q`"),
            ("exit zero", "line 1: `zero` is not an exit code"),
            ("expect", "line 1: `expect` needs text"),
            ("send \"\\x4\"", "needs two hex digits"),
        ] {
            let error = Script::parse(text).unwrap_err();
            assert!(error.contains(message), "{text:?}: {error}");
        }
    }

    #[test]
    fn bad_images_and_sizes_are_refused_with_a_message() {
        let missing = Session::image(Path::new("/no/such/image.elf"), 1 << 20).err().map(|e| e.to_string());
        assert!(missing.is_some_and(|m| m.contains("/no/such/image.elf")));
        for ram in [0, 4095, 4097, u32::MAX] {
            let error = Session::image(Path::new("/no/such/image.elf"), ram).err().map(|e| e.to_string());
            assert!(error.is_some_and(|m| m.contains("RAM must be")), "{ram}");
        }
        let topology = Session::boot(Path::new("/no/such/topology.toml")).err().map(|e| e.to_string());
        assert!(topology.is_some_and(|m| m.contains("/no/such/topology.toml")));
    }

    #[test]
    fn durations_read_and_print_alike() {
        for (text, ns) in [("10s", 10_000_000_000), ("250ms", 250_000_000), ("40us", 40_000), ("7ns", 7)] {
            assert_eq!(parse_duration(text), Ok(ns));
            assert_eq!(duration_text(ns), text);
        }
    }
}
