//! A system: many nodes joined by links, run in lockstep virtual time.
//!
//! Time advances a quantum at a time. Within a quantum every node runs on its own, up to the
//! quantum's end (in parallel when `threads > 1`: nodes never touch each other's state inside
//! a quantum). At each boundary the system collects the frames every port sent, in node and
//! port order, carries them over their links — latency, bandwidth (a link sends one frame at a
//! time), injected loss and corruption drawn from a seeded generator — and delivers every
//! frame whose arrival time has come, in arrival order. Consoles on the terminal are gathered
//! per node and written at boundaries, in node order, each line prefixed `[name] `. An
//! unfinished line (a shell's `$ ` prompt) is shown at the first boundary where its node's CPU
//! waits for an interrupt (the guest has nothing more to do until something happens, such as
//! a key), or after a whole quantum in which the node wrote nothing more; the rest of that line continues it without a new prefix at a later boundary, unless
//! another node's output comes first: then the unfinished line is ended with a newline and its
//! rest starts a new line, prefixed again (see docs/console.md).
//!
//! So the same topology and input give byte-identical output whatever the number of threads:
//! nothing a node sees depends on host timing. Host input (a terminal, a socket) is the only
//! non-deterministic source; it is taken at quantum boundaries.
//!
//! On one thread the system is a resumable executor: [`System::open_quantum`] delivers the
//! frames due and opens the next quantum, [`System::finish_node`] runs one node to its
//! boundary, and [`System::close_quantum`] runs the nodes that have not reached it (in node
//! order) and does the boundary's work. A plain run is open, close, open, close, ...; the
//! monitor drives the same three steps, running nodes an instruction at a time in between,
//! so a debugged system does exactly what a plain run does.
//!
//! Every queue between nodes is bounded ([`crate::admission`]): a frame dated outside its
//! link's window, or one too many on its way to a port, is refused and counted
//! ([`System::link_refusals`]); a peer process that stalls ends the run with an error.

use crate::console::{Capture, Prefixer};
use std::collections::{HashMap, VecDeque};
use std::io::Write;

use crossbeam_channel::{unbounded, Receiver, Sender};

use crate::admission::{Admission, Refusals};
use crate::devices::block::Disk;
use crate::devices::link::Frame;
use crate::machine::{Machine, MachineConfig, RunState};
use crate::remote::{Pending, RemoteLink};
use crate::time::{Clock, Time};
use crate::topology::{Boot, Console, Endpoint, LinkProps, Role, Topology};
use crate::trace::Tracer;

/// A node of the system.
pub struct Node {
    /// Its name from the topology.
    pub name: String,
    /// Central or satellite.
    pub role: Role,
    /// The machine.
    pub machine: Machine,
    /// Where it stood after the last quantum.
    pub state: RunState,
    /// How many link ports it has.
    pub ports: u32,
    /// Whether it hangs: time passes, its CPU runs nothing and its ports take frames that
    /// nobody reads (`freeze NODE` in an expect script, a satellite that hangs).
    pub frozen: bool,
}

/// Runs one node up to `boundary` (virtual ns), letting time pass while it waits.
fn step_node(node: &mut Node, boundary: Time) {
    if matches!(node.state, RunState::PoweredOff(_)) {
        return;
    }
    let target = node.machine.cpu.clock.cycles_until(boundary);
    if node.frozen {
        node.machine.hang_until(target);
        node.state = RunState::Running;
        return;
    }
    node.state = node.machine.run(target);
    if matches!(node.state, RunState::Idle | RunState::Stuck) {
        node.machine.idle_until(target);
    }
}

/// A frame on its way to a port.
#[derive(Clone, Debug, PartialEq, Eq)]
struct InFlight {
    arrive: Time,
    seq: u64,
    to: Endpoint,
    data: Vec<u8>,
    /// Where and when it was sent, and what the link did to it (for the monitor).
    sent: Time,
    from: Target,
    fate: Fate,
}

impl InFlight {
    /// The record of this frame, as it is handed to its port.
    fn event(&self) -> LinkEvent {
        LinkEvent {
            sent: self.sent,
            arrive: self.arrive,
            from: self.from,
            to: Target::Port(self.to),
            len: self.data.len(),
            fate: self.fate,
        }
    }
}

/// Where a link delivers: a port of this system, or the peer process of remote link `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A port of a node here.
    Port(Endpoint),
    /// Remote link `n` (its peer is in another process).
    Remote(usize),
}

/// One direction of a link, with its state.
struct Wire {
    to: Target,
    latency_ns: u64,
    bandwidth_bps: u64,
    faults: Option<(f64, f64, Rng)>,
    busy_until: Time,
}

/// A record of a frame crossing a link, for the monitor's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkEvent {
    /// When it was sent.
    pub sent: Time,
    /// When it arrives (or would have).
    pub arrive: Time,
    /// Sender.
    pub from: Target,
    /// Receiver.
    pub to: Target,
    /// Frame length.
    pub len: usize,
    /// What happened to it.
    pub fate: Fate,
}

/// What a link did with a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Carried intact.
    Delivered,
    /// Lost (injected fault).
    Dropped,
    /// Carried with one byte flipped (injected fault).
    Corrupted,
    /// Refused: dated outside the link's window, or too many frames on their way
    /// ([`crate::admission`]).
    Refused,
}

/// How many link events the history keeps.
pub const LINK_HISTORY: usize = 256;
/// How long (wall-clock) a quiet system waits for a peer process to come back before it
/// runs its next quantum.
const REJOIN_POLL: std::time::Duration = std::time::Duration::from_millis(20);

/// The deterministic generator of injected faults (xorshift64*).
#[derive(Clone, Copy, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How a run of the system ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemState {
    /// The central node powered off with this code.
    PoweredOff(u32),
    /// Virtual time reached the limit.
    TimeLimit,
    /// Every node waits for something that can never come.
    Stuck,
    /// This process holds no central node, and every link to the process that does has closed.
    Disconnected,
    /// A peer process kept this one waiting longer than the topology's `peer_timeout_s`
    /// ([`System::failure`] says which and where).
    PeerStalled,
}

/// Options that are not part of the topology.
pub struct SystemOptions {
    /// Where the prefixed terminal consoles go (standard output, or a buffer in tests).
    pub terminal: Box<dyn Write + Send>,
    /// Console input for the central node, given up front (deterministic).
    pub input: Vec<u8>,
    /// Whether the central node's terminal console also reads standard input.
    pub stdin: bool,
}

/// The links of a system: frames in flight and the state of each direction.
struct Fabric {
    wires: Vec<Wire>,
    wire_of: HashMap<Endpoint, usize>,
    in_flight: Vec<InFlight>,
    seq: u64,
    log: VecDeque<LinkEvent>,
    /// How many events were ever recorded (the log keeps the last [`LINK_HISTORY`]).
    logged: u64,
    remotes: Vec<RemoteLink>,
    outbound: Vec<Vec<(Time, Vec<u8>)>>,
    admission: Admission,
    quantum_ns: u64,
    /// Why the run must end: a peer process stalled.
    failure: Option<String>,
    /// Where every frame is recorded (`orrery run --trace`), if anywhere.
    trace: Option<Tracer>,
}

impl Fabric {
    fn new(topology: &Topology) -> Fabric {
        let mut wires = Vec::new();
        let mut wire_of = HashMap::new();
        let mut add = |from: Endpoint, to: Target, props: &LinkProps, salt: u64| {
            wire_of.insert(from, wires.len());
            wires.push(Wire {
                to,
                latency_ns: props.latency_ns,
                bandwidth_bps: props.bandwidth_bps,
                faults: props.faults.map(|f| {
                    (f.drop, f.corrupt, Rng::new(f.seed ^ salt.wrapping_mul(0x5851_f42d_4c95_7f2d)))
                }),
                busy_until: 0,
            });
        };
        for (i, link) in topology.links.iter().enumerate() {
            add(link.a, Target::Port(link.b), &link.props, (i as u64) << 1);
            add(link.b, Target::Port(link.a), &link.props, (i as u64) << 1 | 1);
        }
        for (r, remote) in topology.remotes.iter().enumerate() {
            add(remote.local, Target::Remote(r), &remote.props, ((topology.links.len() + r) as u64) << 1);
        }
        Fabric {
            wires,
            wire_of,
            in_flight: Vec::new(),
            seq: 0,
            log: VecDeque::with_capacity(LINK_HISTORY),
            logged: 0,
            remotes: Vec::new(),
            outbound: vec![Vec::new(); topology.remotes.len()],
            admission: Admission::default(),
            quantum_ns: topology.quantum_ns,
            failure: None,
            trace: None,
        }
    }

    fn record(&mut self, event: LinkEvent) {
        if self.log.len() == LINK_HISTORY {
            self.log.pop_front();
        }
        self.log.push_back(event);
        self.logged += 1;
    }

    /// Puts frames sent by port `from` on its link at `boundary`, in the order they were sent;
    /// a frame the link's window or queue cannot take is refused (and the link stays free).
    fn carry(&mut self, from: Endpoint, frames: Vec<Frame>, boundary: Time) {
        let Some(&w) = self.wire_of.get(&from) else { return };
        for frame in frames {
            let wire = &mut self.wires[w];
            let start = frame.sent.max(wire.busy_until);
            let serialise = (frame.data.len() as u128 * 8 * 1_000_000_000)
                .div_ceil(u128::from(wire.bandwidth_bps.max(1)))
                .min(u128::from(u64::MAX)) as u64;
            let done = start.saturating_add(serialise);
            let arrive = done.saturating_add(wire.latency_ns);
            let to = wire.to;
            if !self.admission.admit(to, arrive, boundary, self.quantum_ns) {
                let (sent, len) = (frame.sent, frame.data.len());
                let fate = Fate::Refused;
                if let Some(trace) = &mut self.trace {
                    trace.frame(fate, Target::Port(from), to, sent, arrive, &frame.data);
                }
                self.record(LinkEvent { sent, arrive, from: Target::Port(from), to, len, fate });
                continue;
            }
            let wire = &mut self.wires[w];
            wire.busy_until = done;
            let mut data = frame.data;
            let mut fate = Fate::Delivered;
            let mut flip = None;
            if let Some((drop, corrupt, rng)) = &mut wire.faults {
                if rng.unit() < *drop {
                    fate = Fate::Dropped;
                } else if rng.unit() < *corrupt && !data.is_empty() {
                    let at = (rng.next() % data.len() as u64) as usize;
                    flip = Some((at, 1 << (rng.next() % 8)));
                    fate = Fate::Corrupted;
                }
            }
            // The trace keeps the frame as it was sent; its fate says what the link did.
            if let Some(trace) = &mut self.trace {
                trace.frame(fate, Target::Port(from), to, frame.sent, arrive, &data);
            }
            if let Some((at, bit)) = flip {
                data[at] ^= bit;
            }
            self.record(LinkEvent {
                sent: frame.sent,
                arrive,
                from: Target::Port(from),
                to,
                len: data.len(),
                fate,
            });
            match (fate, to) {
                (Fate::Dropped | Fate::Refused, _) => self.admission.left(to),
                (_, Target::Port(to)) => {
                    self.seq += 1;
                    let (sent, from) = (frame.sent, Target::Port(from));
                    self.in_flight.push(InFlight { arrive, seq: self.seq, to, data, sent, from, fate });
                }
                (_, Target::Remote(r)) => self.outbound[r].push((arrive, data)),
            }
        }
    }

    /// Meets every peer process at `boundary`: sends what left for it and takes what came.
    fn exchange(&mut self, boundary: Time) {
        for (r, (remote, outbound)) in self.remotes.iter_mut().zip(self.outbound.iter_mut()).enumerate() {
            remote.send(outbound, boundary);
            for _ in outbound.drain(..) {
                self.admission.left(Target::Remote(r));
            }
        }
        for r in 0..self.remotes.len() {
            let local = self.remotes[r].spec.local;
            if self.remotes[r].rejoin(self.quantum_ns, boundary) {
                // A peer that came back sends its first frames at the next boundary.
                continue;
            }
            let frames = self.remotes[r].receive(boundary);
            let excess = self.remotes[r].take_excess();
            self.admission.overflowed(Target::Port(local), excess);
            if let (None, Some(failure)) = (&self.failure, self.remotes[r].failure()) {
                self.failure = Some(failure.to_string());
            }
            for (arrive, data) in frames {
                let len = data.len();
                let admitted = self.admission.admit(Target::Port(local), arrive, boundary, self.quantum_ns);
                if let Some(trace) = &mut self.trace {
                    let fate = if admitted { Fate::Delivered } else { Fate::Refused };
                    trace.frame(fate, Target::Remote(r), Target::Port(local), boundary, arrive, &data);
                }
                if !admitted {
                    let (from, to, fate) = (Target::Remote(r), Target::Port(local), Fate::Refused);
                    self.record(LinkEvent { sent: boundary, arrive, from, to, len, fate });
                    continue;
                }
                self.seq += 1;
                self.in_flight.push(InFlight {
                    arrive,
                    seq: self.seq,
                    to: local,
                    data,
                    sent: boundary,
                    from: Target::Remote(r),
                    fate: Fate::Delivered,
                });
                let event = LinkEvent {
                    sent: boundary,
                    arrive,
                    from: Target::Remote(r),
                    to: Target::Port(local),
                    len,
                    fate: Fate::Delivered,
                };
                self.record(event);
            }
        }
    }

    /// Whether some peer process is still connected.
    fn connected(&self) -> bool {
        self.remotes.iter().any(RemoteLink::is_open)
    }

    /// Whether a peer process that went away may still come back (a listening end).
    fn rejoinable(&self) -> bool {
        self.remotes.iter().any(RemoteLink::rejoinable)
    }

    /// Waits (wall-clock) at most [`REJOIN_POLL`] for a peer process to come back, while
    /// nothing else can happen.
    fn await_peers(&mut self) {
        let started = std::time::Instant::now();
        for remote in self.remotes.iter_mut().filter(|r| r.rejoinable()) {
            remote.await_peer(REJOIN_POLL.saturating_sub(started.elapsed()));
        }
    }

    /// Removes and returns the frames that arrive by `boundary`, in arrival order.
    fn due(&mut self, boundary: Time) -> Vec<InFlight> {
        let (mut due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.in_flight).into_iter().partition(|f| f.arrive <= boundary);
        self.in_flight = later;
        for frame in &due {
            self.admission.left(Target::Port(frame.to));
        }
        due.sort_by_key(|f| (f.arrive, f.seq));
        due
    }
}

/// A command from the coordinator to the thread that runs some nodes.
enum Command {
    /// Deliver these frames, then run every node to this boundary.
    Run(Time, Vec<InFlight>, Vec<(Endpoint, bool)>),
    /// Block until host input reaches this node.
    WaitHost(usize),
}

/// What a thread reports after a quantum: per node, its state and what its ports sent.
/// Per node: its index, its state, whether its CPU waits for an interrupt, and what it sent.
type Report = Vec<(usize, RunState, bool, Vec<(Endpoint, Vec<Frame>)>)>;

/// Delivers `frames` into `nodes` (the slice starting at global index `first`), runs each node
/// to `boundary`, and reports.
fn run_quantum(
    nodes: &mut [Node],
    first: usize,
    boundary: Time,
    frames: Vec<InFlight>,
    carrier: Vec<(Endpoint, bool)>,
) -> Report {
    for (end, up) in carrier {
        if let Some(port) =
            nodes.get_mut(end.node.wrapping_sub(first)).and_then(|n| n.machine.link_port(end.port))
        {
            port.set_up(up);
        }
    }
    for frame in frames {
        if let Some(port) = nodes[frame.to.node - first].machine.link_port(frame.to.port) {
            port.deliver_at(frame.arrive, frame.data);
        }
    }
    nodes
        .iter_mut()
        .enumerate()
        .map(|(i, node)| {
            step_node(node, boundary);
            let index = first + i;
            (index, node.state, node.machine.is_waiting(), sent_by(node, index))
        })
        .collect()
}

/// The frames each port of `node` (global index `index`) sent since the last call.
fn sent_by(node: &mut Node, index: usize) -> Vec<(Endpoint, Vec<Frame>)> {
    node.machine
        .take_sent()
        .into_iter()
        .map(|(port, frames)| (Endpoint { node: index, port }, frames))
        .collect()
}

/// A running system.
pub struct System {
    /// The nodes, in topology order.
    pub nodes: Vec<Node>,
    fabric: Fabric,
    pending: Vec<Pending>,
    /// Virtual time of the last boundary, in nanoseconds.
    pub time: Time,
    /// Length of a quantum, in nanoseconds.
    pub quantum_ns: u64,
    peer_timeout: std::time::Duration,
    names: Vec<String>,
    consoles: Vec<Option<Capture>>,
    prefixer: Prefixer,
    terminal: Box<dyn Write + Send>,
    central: Option<usize>,
    /// Frames due, handed to their ports when the next quantum opens.
    due: Vec<InFlight>,
    /// The frames handed to ports when the current quantum opened.
    delivered: Vec<LinkEvent>,
    /// The boundary of the quantum under way, if one is open.
    open: Option<Time>,
    /// Which nodes have reached the open quantum's boundary.
    reached: Vec<bool>,
    /// Ports whose link is down: the node at the far end is powered off, or the peer process
    /// of a link to another process went away (it had been connected).
    down: Vec<Endpoint>,
    /// Changes of carrier to hand to the ports when the next quantum opens.
    carrier: Vec<(Endpoint, bool)>,
    /// Since when (wall-clock) the system has been quiet, waiting only for a peer process to
    /// come back ([`System::await_peers`]).
    quiet_since: Option<std::time::Instant>,
}

impl System {
    /// Builds every node of `topology`: loads images and ROMs, opens consoles, and binds the
    /// listening ends of links to other processes (they connect when the system runs).
    pub fn new(topology: &Topology, options: SystemOptions) -> Result<System, String> {
        let mut mtus: Vec<Vec<u32>> = topology.nodes.iter().map(|n| vec![0; n.ports as usize]).collect();
        for link in &topology.links {
            for end in [link.a, link.b] {
                mtus[end.node][end.port as usize] = link.props.mtu;
            }
        }
        for remote in &topology.remotes {
            mtus[remote.local.node][remote.local.port as usize] = remote.props.mtu;
        }
        let central = topology.central();
        // Console input goes to the central node, or to the first node of a process without it.
        let input_node = central.unwrap_or(0);
        let mut nodes = Vec::new();
        let mut consoles = Vec::new();
        for (index, spec) in topology.nodes.iter().enumerate() {
            let mut gathered = None;
            let (output, host_input): (Box<dyn Write + Send>, _) = match &spec.console {
                Console::Terminal => {
                    let capture = Capture::new();
                    gathered = Some(capture.clone());
                    // What the emulator echoes of typed keys joins the node's own output.
                    let stdin = (options.stdin && index == input_node)
                        .then(|| crate::console::stdin_input(Box::new(capture.clone())));
                    (Box::new(capture), stdin)
                }
                Console::Host(host) => {
                    let console = host.open(true)?;
                    (console.output, console.input)
                }
                Console::None => (Box::new(std::io::sink()), None),
            };
            consoles.push(gathered);
            let failed = |e: String| format!("node `{}`: {e}", spec.name);
            let disk = match &spec.disk {
                Some(path) => Some(Disk::open(path).map_err(failed)?),
                None => None,
            };
            let config = MachineConfig {
                node_id: spec.id,
                ram_size: spec.ram,
                clock: Clock::from_mhz(spec.mhz),
                console: output,
                input: if index == input_node { options.input.clone() } else { Vec::new() },
                host_input,
                link_mtus: mtus[index].clone(),
                disk,
            };
            let mut machine = Machine::new(config);
            match &spec.boot {
                Boot::Image(path) => {
                    let elf = crate::loader::read_executable(path).map_err(failed)?;
                    machine.boot_executable(&elf).map_err(|e| failed(format!("{}: {e}", path.display())))?;
                }
                Boot::Rom(path) => {
                    let rom = crate::loader::read_rom(path).map_err(failed)?;
                    machine.boot_rom(&rom).map_err(|e| failed(format!("{}: {e}", path.display())))?;
                }
            }
            nodes.push(Node {
                frozen: false,
                name: spec.name.clone(),
                role: spec.role,
                machine,
                state: RunState::Running,
                ports: spec.ports,
            });
        }
        let pending = topology.remotes.iter().map(Pending::new).collect::<Result<Vec<_>, _>>()?;
        Ok(System {
            prefixer: Prefixer::new(nodes.iter().map(|n| n.name.clone()).collect()),
            names: nodes.iter().map(|n| n.name.clone()).collect(),
            nodes,
            fabric: Fabric::new(topology),
            pending,
            time: 0,
            quantum_ns: topology.quantum_ns,
            peer_timeout: topology.peer_timeout,
            consoles,
            terminal: options.terminal,
            central,
            due: Vec::new(),
            delivered: Vec::new(),
            open: None,
            reached: Vec::new(),
            down: Vec::new(),
            carrier: Vec::new(),
            quiet_since: None,
        })
    }

    /// The addresses the listening ends of links to other processes are bound to, in
    /// topology order (useful with port 0).
    pub fn listening_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.pending.iter().filter_map(Pending::local_addr).collect()
    }

    /// Records every frame that crosses a link from now on into a trace on `out`
    /// (docs/pictures.md); [`System::finish_trace`] flushes it and says whether it was written.
    pub fn trace_to(&mut self, out: Box<dyn Write + Send>, topology: &Topology) {
        self.fabric.trace = Some(Tracer::new(out, topology));
    }

    /// Ends the trace started by [`System::trace_to`]: flushes it, or says why it could not
    /// be written.
    pub fn finish_trace(&mut self) -> Result<(), String> {
        match self.fabric.trace.take() {
            Some(mut trace) => trace.finish(),
            None => Ok(()),
        }
    }

    /// The last frames that crossed links, oldest first.
    pub fn link_log(&self) -> &VecDeque<LinkEvent> {
        &self.fabric.log
    }

    /// Runs until the central node powers off, virtual time reaches `limit_ns`, or nothing can
    /// happen any more (in a process without the central node: until its peers have gone);
    /// with `threads > 1`, the nodes run on that many host threads. Links to other processes
    /// connect first, which waits for the peers.
    pub fn run(&mut self, limit_ns: Time, threads: usize) -> Result<SystemState, String> {
        self.connect()?;
        let threads = threads.clamp(1, self.nodes.len().max(1));
        let state =
            if threads == 1 { self.run_alone(limit_ns) } else { self.run_threaded(limit_ns, threads) };
        self.finish();
        match (state, &self.fabric.failure) {
            (SystemState::PeerStalled, Some(failure)) => Err(failure.clone()),
            _ => Ok(state),
        }
    }

    /// Why the run ended with [`SystemState::PeerStalled`]: which peer, and where it stalled.
    pub fn failure(&self) -> Option<&str> {
        self.fabric.failure.as_deref()
    }

    /// What the links refused so far, per destination (a port here, or a peer process), in the
    /// order the first refusal happened.
    pub fn link_refusals(&self) -> &[(Target, Refusals)] {
        self.fabric.admission.refused()
    }

    /// Connects the links to other processes (waiting for the peers); `run` does it first.
    pub fn connect(&mut self) -> Result<(), String> {
        for pending in std::mem::take(&mut self.pending) {
            let link = pending.open(self.quantum_ns, self.peer_timeout)?;
            self.fabric.remotes.push(link);
        }
        Ok(())
    }

    /// Says that the console input of the central node (or, without one, of the first node)
    /// ends after the input given up front: once the guest has read it, its console reports
    /// the end of the input (see docs/console.md).
    pub fn end_input(&mut self) {
        let node = self.central.unwrap_or(0);
        if let Some(node) = self.nodes.get_mut(node) {
            node.machine.end_input();
        }
    }

    /// Types `bytes` at the console of the central node (or, without one, of the first node),
    /// as [`System::end_input`] picks it; `echo` joins that node's terminal output, as a
    /// terminal's echo of the keys shows them. Given between quanta, at the same virtual time
    /// on every run, they keep the run deterministic.
    pub fn type_input(&mut self, bytes: &[u8], echo: &[u8]) {
        let node = self.central.unwrap_or(0);
        if let Some(n) = self.nodes.get_mut(node) {
            n.machine.type_input(bytes);
        }
        if let Some(Some(console)) = self.consoles.get_mut(node) {
            let _ = console.write_all(echo);
        }
    }

    /// Ends a run: says goodbye to the peer processes and writes what is left of every
    /// console's last line. `run` does it last.
    pub fn finish(&mut self) {
        for remote in &mut self.fabric.remotes {
            remote.bye();
        }
        self.flush_consoles(&vec![true; self.names.len()]);
        let end = self.prefixer.end();
        if !end.is_empty() {
            let _ = self.terminal.write_all(&end);
            let _ = self.terminal.flush();
        }
    }

    fn run_alone(&mut self, limit_ns: Time) -> SystemState {
        loop {
            if let Err(state) = self.open_quantum(limit_ns) {
                return state;
            }
            if let Some(state) = self.close_quantum(limit_ns) {
                return state;
            }
        }
    }

    /// Opens the next quantum, unless one is open: hands the frames due to their ports and
    /// returns the quantum's boundary; or returns how the run ended, if it has.
    pub fn open_quantum(&mut self, limit_ns: Time) -> Result<Time, SystemState> {
        if let Some(boundary) = self.open {
            return Ok(boundary);
        }
        let states: Vec<RunState> = self.nodes.iter().map(|n| n.state).collect();
        if let Some(state) = self.finished(&states, limit_ns) {
            return Err(state);
        }
        let boundary = (self.time + self.quantum_ns).min(limit_ns);
        self.delivered.clear();
        for (end, up) in std::mem::take(&mut self.carrier) {
            if let Some(port) = self.nodes.get_mut(end.node).and_then(|n| n.machine.link_port(end.port)) {
                port.set_up(up);
            }
        }
        for frame in std::mem::take(&mut self.due) {
            self.delivered.push(frame.event());
            let node = self.nodes.get_mut(frame.to.node);
            if let Some(port) = node.and_then(|n| n.machine.link_port(frame.to.port)) {
                port.deliver_at(frame.arrive, frame.data);
            }
        }
        self.reached.clear();
        self.reached.resize(self.nodes.len(), false);
        self.open = Some(boundary);
        Ok(boundary)
    }

    /// The boundary of the quantum under way, if one is open.
    pub fn open_boundary(&self) -> Option<Time> {
        self.open
    }

    /// Whether node `i` has reached the open quantum's boundary (it runs no further until
    /// the quantum closes).
    pub fn reached(&self, i: usize) -> bool {
        self.reached.get(i).copied().unwrap_or(false)
    }

    /// Runs node `i` to the open quantum's boundary, as a plain run does (a node that is
    /// there already only settles its state); nothing when no quantum is open.
    pub fn finish_node(&mut self, i: usize) {
        let Some(boundary) = self.open else { return };
        if let (Some(node), Some(reached)) = (self.nodes.get_mut(i), self.reached.get_mut(i)) {
            if !*reached {
                step_node(node, boundary);
                *reached = true;
            }
        }
    }

    /// Closes the open quantum: runs every node that has not reached the boundary, in node
    /// order, then carries what was sent, meets the peer processes and writes consoles.
    /// Returns how the run ended, if it has (a quiet system waits here for host input).
    pub fn close_quantum(&mut self, limit_ns: Time) -> Option<SystemState> {
        let boundary = self.open?;
        for i in 0..self.nodes.len() {
            self.finish_node(i);
        }
        let report: Report = self
            .nodes
            .iter_mut()
            .enumerate()
            .map(|(index, node)| (index, node.state, node.machine.is_waiting(), sent_by(node, index)))
            .collect();
        self.open = None;
        self.due = self.boundary(boundary, report);
        let states: Vec<RunState> = self.nodes.iter().map(|n| n.state).collect();
        if let Some(state) = self.finished(&states, limit_ns) {
            return Some(state);
        }
        let due_none = self.due.is_empty();
        if self.stuck(&states, due_none) {
            let waiting = states.iter().position(|s| *s == RunState::Idle);
            match waiting {
                Some(i) if self.nodes[i].machine.wait_host() => {}
                _ => return Some(SystemState::Stuck),
            }
        }
        None
    }

    /// The frames handed to ports when the open quantum (or the last one) opened.
    pub fn delivered(&self) -> &[LinkEvent] {
        &self.delivered
    }

    /// How many link events were ever recorded: the last `n - before` entries of
    /// [`System::link_log`] (as far as it keeps them) are the ones since the count was `before`.
    pub fn link_events(&self) -> u64 {
        self.fabric.logged
    }

    fn run_threaded(&mut self, limit_ns: Time, threads: usize) -> SystemState {
        let chunk = self.nodes.len().div_ceil(threads);
        let mut all = std::mem::take(&mut self.nodes);
        let mut parts = Vec::new();
        while !all.is_empty() {
            let rest = all.split_off(chunk.min(all.len()));
            parts.push(std::mem::replace(&mut all, rest));
        }
        let (state, parts) = std::thread::scope(|scope| {
            let (report_tx, report_rx) = unbounded::<(usize, Report)>();
            let mut workers: Vec<(usize, usize, Sender<Command>)> = Vec::new();
            let mut handles = Vec::new();
            let mut first = 0;
            for (w, mut nodes) in parts.into_iter().enumerate() {
                let (tx, rx): (Sender<Command>, Receiver<Command>) = unbounded();
                let reports = report_tx.clone();
                let start = first;
                first += nodes.len();
                workers.push((start, first, tx));
                handles.push(scope.spawn(move || {
                    while let Ok(command) = rx.recv() {
                        let report = match command {
                            Command::Run(boundary, frames, carrier) => {
                                run_quantum(&mut nodes, start, boundary, frames, carrier)
                            }
                            Command::WaitHost(node) => {
                                nodes[node - start].machine.wait_host();
                                Vec::new()
                            }
                        };
                        if reports.send((w, report)).is_err() {
                            break;
                        }
                    }
                    nodes
                }));
            }
            drop(report_tx);
            let state = self.coordinate(limit_ns, &workers, &report_rx);
            drop(workers);
            let parts: Vec<Vec<Node>> = handles.into_iter().filter_map(|h| h.join().ok()).collect();
            (state, parts)
        });
        self.nodes = parts.into_iter().flatten().collect();
        state
    }

    /// The quantum loop when the nodes live on worker threads.
    fn coordinate(
        &mut self,
        limit_ns: Time,
        workers: &[(usize, usize, Sender<Command>)],
        reports: &Receiver<(usize, Report)>,
    ) -> SystemState {
        let mut states: Vec<RunState> = vec![RunState::Running; workers.last().map_or(0, |w| w.1)];
        let mut frames: Vec<InFlight> = std::mem::take(&mut self.due);
        loop {
            if let Some(state) = self.finished(&states, limit_ns) {
                return state;
            }
            let boundary = (self.time + self.quantum_ns).min(limit_ns);
            let mut per_worker: Vec<Vec<InFlight>> = vec![Vec::new(); workers.len()];
            for frame in frames.drain(..) {
                if let Some(w) = workers.iter().position(|(a, b, _)| (*a..*b).contains(&frame.to.node)) {
                    per_worker[w].push(frame);
                }
            }
            let mut carrier: Vec<Vec<(Endpoint, bool)>> = vec![Vec::new(); workers.len()];
            for (end, up) in std::mem::take(&mut self.carrier) {
                if let Some(w) = workers.iter().position(|(a, b, _)| (*a..*b).contains(&end.node)) {
                    carrier[w].push((end, up));
                }
            }
            for (((_, _, tx), batch), carrier) in workers.iter().zip(per_worker).zip(carrier) {
                if tx.send(Command::Run(boundary, batch, carrier)).is_err() {
                    return SystemState::Stuck;
                }
            }
            let mut gathered: Vec<(usize, Report)> = Vec::new();
            for _ in workers {
                match reports.recv() {
                    Ok(r) => gathered.push(r),
                    Err(_) => return SystemState::Stuck,
                }
            }
            gathered.sort_by_key(|(w, _)| *w);
            let report: Report = gathered.into_iter().flat_map(|(_, r)| r).collect();
            for (index, state, _, _) in &report {
                states[*index] = *state;
            }
            frames = self.boundary(boundary, report);
            if let Some(state) = self.finished(&states, limit_ns) {
                return state;
            }
            if self.stuck(&states, frames.is_empty()) {
                let Some(i) = states.iter().position(|s| *s == RunState::Idle) else {
                    return SystemState::Stuck;
                };
                let Some((w, _)) = workers.iter().enumerate().find(|(_, (a, b, _))| (*a..*b).contains(&i))
                else {
                    return SystemState::Stuck;
                };
                if workers[w].2.send(Command::WaitHost(i)).is_err() || reports.recv().is_err() {
                    return SystemState::Stuck;
                }
            }
        }
    }

    /// Whether the run is over, given every node's state.
    fn finished(&self, states: &[RunState], limit_ns: Time) -> Option<SystemState> {
        if self.fabric.failure.is_some() {
            return Some(SystemState::PeerStalled);
        }
        match self.central {
            Some(c) => {
                if let RunState::PoweredOff(code) = states[c] {
                    return Some(SystemState::PoweredOff(code));
                }
            }
            None => {
                let all_off = states.iter().all(|s| matches!(s, RunState::PoweredOff(_)));
                if all_off || (!self.fabric.remotes.is_empty() && !self.fabric.connected()) {
                    return Some(SystemState::Disconnected);
                }
            }
        }
        (self.time >= limit_ns).then_some(SystemState::TimeLimit)
    }

    /// Work at a boundary: carry what was sent, meet the peer processes, write consoles, and
    /// return the frames due.
    fn boundary(&mut self, boundary: Time, report: Report) -> Vec<InFlight> {
        self.time = boundary;
        let mut waiting = vec![false; self.names.len()];
        let mut off = vec![false; self.names.len()];
        for (index, state, asleep, sent) in report {
            waiting[index] = asleep || !matches!(state, RunState::Running);
            off[index] = matches!(state, RunState::PoweredOff(_));
            for (from, frames) in sent {
                self.fabric.carry(from, frames, boundary);
            }
        }
        self.fabric.exchange(boundary);
        self.sense_carrier(&off);
        self.flush_consoles(&waiting);
        // What arrives before the next quantum ends: it is handed over as that quantum opens,
        // and each frame joins its port's queue at its arrival time (`LinkPort::deliver_at`).
        self.fabric.due(boundary.saturating_add(self.quantum_ns))
    }

    /// Pulls the plug on node `index` (between quanta): it powers off with `code` at once, and
    /// the far ends of its links go down when the next quantum opens.
    pub fn pull_plug(&mut self, index: usize, code: u32) {
        let Some(node) = self.nodes.get_mut(index) else { return };
        node.machine.pull_plug(code);
        node.state = RunState::PoweredOff(code);
        let off: Vec<bool> = self.nodes.iter().map(|n| matches!(n.state, RunState::PoweredOff(_))).collect();
        self.sense_carrier(&off);
    }

    /// Powers node `index` on again (between quanta) after it powered off: it starts over in
    /// its boot ROM (`Machine::power_on`), and the far ends of its links come up when the
    /// next quantum opens. False if it was not powered off.
    pub fn power_on(&mut self, index: usize) -> bool {
        let Some(node) = self.nodes.get_mut(index) else { return false };
        if !matches!(node.state, RunState::PoweredOff(_)) {
            return false;
        }
        node.machine.power_on();
        node.state = RunState::Running;
        node.frozen = false;
        let off: Vec<bool> = self.nodes.iter().map(|n| matches!(n.state, RunState::PoweredOff(_))).collect();
        self.sense_carrier(&off);
        true
    }

    /// Finds the ports whose link went down since the last boundary (the node at the far end
    /// powered off, or the peer process of a link to another process left after it had been
    /// connected), or came back up (the node powered on again, or a peer process came back),
    /// for the ports' `STATUS.UP` when the next quantum opens.
    fn sense_carrier(&mut self, off: &[bool]) {
        if !off.contains(&true) && self.fabric.remotes.is_empty() && self.down.is_empty() {
            // Nothing is powered off, no peer process can leave and no link is down to come
            // back: no link changes.
            return;
        }
        let mut changed = Vec::new();
        for (&from, &wire) in &self.fabric.wire_of {
            let gone = match self.fabric.wires[wire].to {
                Target::Port(to) => off.get(to.node).copied().unwrap_or(false),
                Target::Remote(r) => self.fabric.remotes.get(r).is_some_and(|l| !l.is_open()),
            };
            if gone != self.down.contains(&from) {
                changed.push((from, !gone));
            }
        }
        changed.sort_by_key(|(e, _)| (e.node, e.port));
        for (end, up) in changed {
            match up {
                true => self.down.retain(|e| *e != end),
                false => self.down.push(end),
            }
            self.carrier.push((end, up));
        }
    }

    /// Whether the system is quiet ([`System::quiet`]) with no peer process to wait for.
    fn stuck(&mut self, states: &[RunState], due_none: bool) -> bool {
        if !self.quiet(states, due_none) {
            self.quiet_since = None;
            return false;
        }
        !self.await_peers()
    }

    /// With nothing else to happen, waits a little for a peer process that went away to come
    /// back (its link listens), and says whether the run goes on for it: for at most the
    /// topology's `peer_timeout_s` of quiet, after which the system is quiet as before.
    fn await_peers(&mut self) -> bool {
        if !self.fabric.rejoinable() {
            return false;
        }
        let since = *self.quiet_since.get_or_insert_with(std::time::Instant::now);
        if since.elapsed() >= self.peer_timeout {
            return false;
        }
        self.fabric.await_peers();
        true
    }

    /// Whether nothing can happen without the outside world: every node waits with no event
    /// due, no frame is on its way, and no peer process can send one.
    fn quiet(&self, states: &[RunState], due_none: bool) -> bool {
        due_none
            && self.carrier.is_empty()
            && self.fabric.in_flight.is_empty()
            && !self.fabric.connected()
            && states.iter().all(|s| !matches!(s, RunState::Running))
    }

    /// Writes what each terminal console has produced since the last call, in node order,
    /// through the [`Prefixer`]: a node's unfinished line only if it is `waiting` (its CPU
    /// waits for an interrupt, or it stopped) or wrote nothing in the last quantum.
    fn flush_consoles(&mut self, waiting: &[bool]) {
        let mut out = Vec::new();
        for (i, console) in self.consoles.iter().enumerate() {
            let Some(console) = console else { continue };
            let bytes = console.take();
            // A node that wrote nothing for a whole quantum is not in the middle of a line
            // either (a guest that polls for input never waits).
            let show = waiting.get(i).copied().unwrap_or(true) || bytes.is_empty();
            let shown = self.prefixer.add(i, &bytes, show);
            out.extend_from_slice(&shown);
        }
        if !out.is_empty() {
            // The terminal is best effort: a closed pipe must not stop the system.
            let _ = self.terminal.write_all(&out);
            let _ = self.terminal.flush();
        }
    }
}
