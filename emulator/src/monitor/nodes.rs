//! A system under the monitor: `nodes`, `node N`, `poweroff`/`poweron NODE`, `links [N]`,
//! `break link [NODE]`, the system's `time`, and how the resuming commands run many nodes.
//!
//! The monitor drives the system's own quantum executor, so that debugging never changes what
//! the system does:
//! - The system advances a quantum at a time. When a quantum opens, the frames due are handed
//!   to their ports ([`System::open_quantum`](crate::system::System::open_quantum)); inside it every node runs on its own up to the
//!   boundary; when every node is there, the quantum closes ([`System::close_quantum`](crate::system::System::close_quantum)): frames
//!   are carried, consoles written, and the next quantum opens at once.
//! - A resuming command runs the **selected** node first, toward its goal (steps, `until`,
//!   `next`'s return, or nothing for `continue`) and at most to the quantum's boundary; if the
//!   goal is not met there, every other node that has not reached the boundary runs to it, in
//!   node order, the quantum closes, and the selected node goes on in the next one.
//! - A node with a breakpoint, watchpoint or catchpoint of its own runs one instruction at a
//!   time with the checks of [`super::stepping`]; any other node runs at full speed
//!   ([`System::finish_node`](crate::system::System::finish_node)). The first stop ends the command, on whichever node: that node
//!   becomes the selected one, stopped exactly at the instruction; the others stand at the
//!   quantum's start or its boundary, or inside it where an earlier command left them.
//! - A link break fires after a quantum closes (and the next has opened) when a frame its node
//!   sent was carried at that boundary, or a frame to its node was handed to its port.
//! - A node's steps are calls of [`Machine::run`](crate::machine::Machine::run) that end
//!   where a plain run would have passed anyway, and a node that reached its boundary is
//!   settled by the same [`System::finish_node`](crate::system::System::finish_node) a plain run uses; since nodes do not touch
//!   each other inside a quantum, the order in which they run in it changes nothing.
//!
//! The cycle limit of a resuming command counts cycles of the selected node (as virtual
//! time, should that node be powered off).

use crate::cpu::TrapRecord;
use crate::machine::RunState;
use crate::monitor::breakpoints::PointKind;
use crate::monitor::format::{hex, sym_suffix};
use crate::monitor::parse::quote;
use crate::monitor::stepping::{trap_marker, Goal, Stop};
use crate::monitor::Monitor;
use crate::system::{Fate, LinkEvent, System, SystemState, Target, LINK_HISTORY};
use crate::time::Time;
use crate::topology::Role;

/// What one node's turn in a quantum ended with: `None` when it reached the boundary.
type Turn = Option<(Stop, Option<TrapRecord>)>;

impl Monitor<'_> {
    /// ` on NAME` on a system; nothing for one node.
    pub(super) fn on_node(&self, node: usize) -> String {
        self.system().map(|s| format!(" on {}", s.nodes[node].name)).unwrap_or_default()
    }

    /// Node `which`, by index or name.
    fn find_node(&self, which: &str) -> Result<usize, String> {
        let Some(system) = self.system() else {
            return match which {
                "0" => Ok(0),
                _ => Err(format!("no node {}: this session debugs one node, node 0", quote(which))),
            };
        };
        let names: Vec<&str> = system.nodes.iter().map(|n| n.name.as_str()).collect();
        if which.starts_with(|c: char| c.is_ascii_digit()) {
            return match which.parse::<usize>() {
                Ok(i) if i < names.len() => Ok(i),
                _ => Err(format!(
                    "no node {}: the nodes are 0 to {} ({})",
                    quote(which),
                    names.len() - 1,
                    names.join(", ")
                )),
            };
        }
        names
            .iter()
            .position(|n| *n == which)
            .ok_or_else(|| format!("no node named {}: the nodes are {}", quote(which), names.join(", ")))
    }

    /// One node's name and role, as `nodes` and `node` show them.
    fn describe_node(&self, i: usize) -> (String, &'static str) {
        match self.system() {
            Some(system) => {
                let role = match system.nodes[i].role {
                    Role::Central => "central",
                    Role::Satellite => "satellite",
                };
                (system.nodes[i].name.clone(), role)
            }
            None => ("-".to_string(), "-"),
        }
    }

    /// `nodes`: every node, its role, whether it runs, and its `pc`; `*` marks the selected.
    pub(super) fn nodes(&mut self) -> String {
        let count = self.skip.len();
        let width = (0..count).map(|i| self.describe_node(i).0.len()).max().unwrap_or(0).max(4);
        let mut text = format!("  node  {:<width$}  role       state                pc\n", "name");
        let selected = self.node;
        for i in 0..count {
            self.node = i;
            let (name, role) = self.describe_node(i);
            let machine = self.machine();
            let state = match machine.bus.power_off() {
                Some(code) => format!("powered off ({code})"),
                None if machine.is_waiting() => "waiting".to_string(),
                None => "running".to_string(),
            };
            let pc = machine.cpu.pc;
            let mark = if i == selected { '*' } else { ' ' };
            text.push_str(&format!(
                "{mark} {i:<4}  {name:<width$}  {role:<9}  {state:<19}  {}{}\n",
                hex(pc),
                sym_suffix(&machine.symbols, pc)
            ));
        }
        self.node = selected;
        text
    }

    /// `node N`: selects a node by index or name, and shows where it stands.
    pub(super) fn select(&mut self, which: &str) -> Result<String, String> {
        self.node = self.find_node(which)?;
        let (name, role) = self.describe_node(self.node);
        let head = match self.system() {
            Some(_) => format!("node {} is {name}, the {role} node\n", self.node),
            None => "node 0 is the only node\n".to_string(),
        };
        Ok(format!("{head}{}", self.location()))
    }

    /// `break link [NODE]`.
    pub(super) fn add_link_break(&mut self, node: Option<&str>) -> Result<String, String> {
        if self.system().is_none() {
            return Err(
                "this session debugs one node, which has no links (`orrery debug TOPOLOGY.toml` debugs a system)"
                    .to_string(),
            );
        }
        let node = node.map(|n| self.find_node(n)).transpose()?;
        let id = self.push_point(PointKind::Link(node));
        Ok(format!(
            "link breakpoint {id}: stop at a boundary where {} sends or receives a frame\n",
            self.link_subject(node)
        ))
    }

    /// What a link break watches: a node's name, or any node.
    pub(super) fn link_subject(&self, node: Option<usize>) -> String {
        match (node, self.system()) {
            (Some(i), Some(system)) => system.nodes[i].name.clone(),
            _ => "any node".to_string(),
        }
    }

    /// What link break `id` watches.
    pub(super) fn link_subject_of(&self, id: u32) -> String {
        let node = self.points.iter().find_map(|p| match p.kind {
            PointKind::Link(node) if p.id == id => Some(node),
            _ => None,
        });
        self.link_subject(node.flatten())
    }

    /// The name of a link's end: `NODE.PORT`, or a link to another process.
    fn end_name(&self, end: Target) -> String {
        match (end, self.system()) {
            (Target::Port(e), Some(system)) => format!("{}.{}", system.nodes[e.node].name, e.port),
            (Target::Port(e), None) => format!("{}.{}", e.node, e.port),
            (Target::Remote(r), _) => format!("remote{r}"),
        }
    }

    /// One frame in a link break's report.
    fn frame_line(&self, what: &str, event: &LinkEvent) -> String {
        let (arrives, fate) = match (what, event.fate) {
            ("delivered", Fate::Corrupted) => ("arrives", " (corrupted)"),
            ("delivered", _) => ("arrives", ""),
            (_, Fate::Delivered) => ("arrives", ""),
            (_, Fate::Dropped) => ("would arrive", " (dropped)"),
            (_, Fate::Corrupted) => ("arrives", " (corrupted)"),
            (_, Fate::Refused) => ("would arrive", " (refused)"),
        };
        format!(
            "{what:<9}  {} -> {}: {} bytes sent at {} ns, {arrives} at {} ns{fate}",
            self.end_name(event.from),
            self.end_name(event.to),
            event.len,
            event.sent,
            event.arrive
        )
    }

    /// `poweroff NODE` (`on` false): pulls the plug on a satellite, as `poweroff` in an expect
    /// script does; `poweron NODE`: powers it on again, and it starts over in its boot ROM.
    /// The far ends of its links go down, or come up, when the next quantum opens.
    pub(super) fn power(&mut self, which: &str, on: bool) -> Result<String, String> {
        let i = self.find_node(which)?;
        let Some(system) = self.system_mut() else {
            return Err(
                "this session debugs one node (`orrery debug TOPOLOGY.toml` debugs a system)".to_string()
            );
        };
        let node = &system.nodes[i];
        if node.role == Role::Central {
            return Err(format!("{} is the central node: poweroff and poweron take a satellite", node.name));
        }
        let name = node.name.clone();
        let said = match (on, matches!(node.state, RunState::PoweredOff(_))) {
            (false, true) => return Err(format!("{name} is powered off already")),
            (true, false) => return Err(format!("{name} is not powered off")),
            (false, false) => {
                system.pull_plug(i, 137);
                format!("{name} powered off: the far ends of its links go down when the next quantum opens\n")
            }
            (true, true) => {
                system.power_on(i);
                format!(
                    "{name} powered on: it starts over in its boot ROM; the far ends of its links come up when the next quantum opens\n"
                )
            }
        };
        // A node failing or coming back is news for a system that had stopped with every node
        // waiting: the run can go on.
        if matches!(self.ended, Some(SystemState::Stuck)) {
            self.ended = None;
        }
        Ok(said)
    }

    /// `links [N]`: the last N frames that crossed links, oldest first.
    pub(super) fn links(&self, n: usize) -> String {
        let Some(system) = self.system() else {
            return "this session debugs one node: it has no links\n".to_string();
        };
        let refusals = self.refusals_text(system);
        let log = system.link_log();
        if log.is_empty() {
            return format!("no frame has crossed a link yet\n{refusals}");
        }
        let shown = n.min(log.len());
        let events: Vec<&LinkEvent> = log.iter().skip(log.len() - shown).collect();
        let width = events
            .iter()
            .flat_map(|e| [self.end_name(e.from).len(), self.end_name(e.to).len()])
            .max()
            .unwrap_or(0)
            .max(4);
        let mut text = format!(
            "last {shown} of {} frame(s) (the log keeps {LINK_HISTORY}), oldest first:\n",
            system.link_events()
        );
        text.push_str(&format!(
            "{:<12}  {:<12}  {:<width$}  {:<width$}  {:>5}  fate\n",
            "sent (ns)", "arrives (ns)", "from", "to", "bytes"
        ));
        for e in events {
            let fate = match e.fate {
                Fate::Delivered => "intact",
                Fate::Dropped => "dropped",
                Fate::Corrupted => "corrupted",
                Fate::Refused => "refused",
            };
            text.push_str(&format!(
                "{:<12}  {:<12}  {:<width$}  {:<width$}  {:>5}  {fate}\n",
                e.sent,
                e.arrive,
                self.end_name(e.from),
                self.end_name(e.to),
                e.len
            ));
        }
        text.push_str(&refusals);
        text
    }

    /// One line per place the links refused frames on the way to (nothing when none was).
    fn refusals_text(&self, system: &System) -> String {
        let mut text = String::new();
        for (to, refused) in system.link_refusals() {
            text.push_str(&format!(
                "refused on the way to {}: {} dated outside the window, {} over a full queue\n",
                self.end_name(*to),
                refused.out_of_window,
                refused.queue_full
            ));
        }
        text
    }

    /// `time` on a system: the quantum under way, then each node's clocks and where it stands.
    pub(super) fn system_time(&self) -> String {
        let Some(system) = self.system() else { return String::new() };
        let mut text = match system.open_boundary() {
            Some(end) => format!(
                "quantum {} ns; last boundary at {} ns; the quantum under way ends at {end} ns\n",
                system.quantum_ns, system.time
            ),
            None => format!("quantum {} ns; the system stopped at {} ns\n", system.quantum_ns, system.time),
        };
        let width = system.nodes.iter().map(|n| n.name.len()).max().unwrap_or(0).max(4);
        text.push_str(&format!(
            "  node  {:<width$}  {:>12}  {:>12}  {:>16}  where\n",
            "name", "cycles", "instructions", "virtual time"
        ));
        for (i, node) in system.nodes.iter().enumerate() {
            let cpu = &node.machine.cpu;
            let at = if node.machine.bus.power_off().is_some() {
                "powered off"
            } else if system.open_boundary().is_none() {
                "stopped"
            } else if system.reached(i) {
                "at the boundary"
            } else if cpu.cycles <= cpu.clock.cycles_until(system.time) {
                "at the quantum's start"
            } else {
                "inside the quantum"
            };
            let mark = if i == self.node { '*' } else { ' ' };
            text.push_str(&format!(
                "{mark} {i:<4}  {:<width$}  {:>12}  {:>12}  {:>13} ns  {at}\n",
                node.name,
                cpu.cycles,
                cpu.instret,
                cpu.now()
            ));
        }
        text
    }

    /// How the system's run ended.
    pub(super) fn ended_text(&self, state: SystemState) -> String {
        let central = self
            .system()
            .and_then(|s| s.nodes.iter().find(|n| n.role == Role::Central))
            .map_or_else(|| "the central node".to_string(), |n| format!("the central node {}", n.name));
        let why = match state {
            SystemState::PoweredOff(code) => format!("{central} powered off with exit code {code}"),
            SystemState::Stuck => "every node waits for something that can never come".to_string(),
            SystemState::Disconnected => "every peer process has gone".to_string(),
            SystemState::TimeLimit => "virtual time ran out".to_string(),
            SystemState::PeerStalled => {
                self.system().and_then(System::failure).unwrap_or("a peer process stalled").to_string()
            }
        };
        format!("{why}: the system has stopped\n")
    }

    /// A resuming command on a system: runs toward `goal` (on the selected node) for at most
    /// `limit` of its cycles, crossing quantum boundaries as a plain run does (`moving_on` as
    /// for [`Monitor::run_to`]).
    pub(super) fn run_system_to(
        &mut self,
        goal: Goal,
        limit: u64,
        moving_on: bool,
    ) -> (Stop, Option<TrapRecord>) {
        if let Some(state) = self.ended {
            return (Stop::Ended(state), None);
        }
        let selected = self.node;
        let start = self.machine().cpu.cycles;
        let deadline = start.saturating_add(limit);
        let deadline_ns = self.machine().cpu.clock.time_of(deadline);
        if moving_on {
            self.skip[selected] = true;
        }
        self.run_system(goal, selected, deadline, deadline_ns)
    }

    /// The quantum loop of a resuming command.
    fn run_system(
        &mut self,
        goal: Goal,
        selected: usize,
        deadline: u64,
        deadline_ns: Time,
    ) -> (Stop, Option<TrapRecord>) {
        let mut steps = 0u64;
        let count = self.skip.len();
        loop {
            let opened = self.system_mut().map(|s| s.open_quantum(Time::MAX));
            let boundary = match opened {
                Some(Ok(boundary)) => boundary,
                Some(Err(state)) => return (self.end_run(state, selected), None),
                None => return (Stop::Stuck, None),
            };
            for node in std::iter::once(selected).chain((0..count).filter(|&j| j != selected)) {
                if let Some(stop) = self.run_node(node, goal, selected, (boundary, deadline), &mut steps) {
                    return stop;
                }
            }
            let Some(system) = self.system_mut() else { return (Stop::Stuck, None) };
            let before = system.link_events();
            let ended = match system.close_quantum(Time::MAX) {
                Some(state) => Err(state),
                None => system.open_quantum(Time::MAX),
            };
            if let Err(state) = ended {
                return (self.end_run(state, selected), None);
            }
            let log = system.link_log();
            let new = (system.link_events() - before).min(log.len() as u64) as usize;
            let carried: Vec<LinkEvent> = log.iter().skip(log.len() - new).cloned().collect();
            let delivered = system.delivered().to_vec();
            let time = system.time;
            if let Some(stop) = self.link_stop(&carried, &delivered) {
                return (stop, None);
            }
            if time >= deadline_ns {
                return (Stop::Limit(deadline), None);
            }
        }
    }

    /// Node `node`'s turn in the open quantum (ending at `bounds.0`; the selected node also
    /// stops at cycle `bounds.1`): `None` once it has reached the boundary.
    fn run_node(
        &mut self,
        node: usize,
        goal: Goal,
        selected: usize,
        (boundary, deadline): (Time, u64),
        steps: &mut u64,
    ) -> Turn {
        let system = self.system()?;
        if system.reached(node) {
            return None;
        }
        let cpu = &system.nodes[node].machine.cpu;
        let (cycles, target) = (cpu.cycles, cpu.clock.cycles_until(boundary));
        let (until, at_boundary) =
            if node == selected && deadline < target { (deadline, false) } else { (target, true) };
        let goal = if node == selected { goal } else { Goal::Continue };
        let unchecked = !self.checks(node) || (self.solo && node != selected);
        if goal == Goal::Continue && at_boundary && unchecked {
            let system = self.system_mut()?;
            system.finish_node(node);
            if system.nodes[node].machine.cpu.cycles != cycles {
                self.skip[node] = false;
            }
            return None;
        }
        self.node = node;
        let mut others = 0;
        let counter = if node == selected { steps } else { &mut others };
        let (stop, trap) = self.run_checked(goal, until, at_boundary, counter);
        match stop {
            Stop::Boundary => {}
            Stop::PoweredOff(_) if node != selected || goal == Goal::Continue => {}
            Stop::Limit(_) => {
                self.node = selected;
                return Some((stop, trap));
            }
            stop => {
                self.skip[node] = true;
                return Some((stop, trap));
            }
        }
        // Settle the node at the boundary as a plain run does; an interrupt taken there is a
        // step of its own, which a catchpoint may catch.
        let before = trap_marker(&self.machine().cpu);
        self.system_mut()?.finish_node(node);
        if trap_marker(&self.machine().cpu) != before {
            let trap = self.machine().cpu.traps.back().copied();
            if let Some(stop) = self.after_trap(trap) {
                self.skip[node] = true;
                return Some((stop, trap));
            }
            if node == selected {
                *counter += 1;
                if goal == Goal::Steps(*counter) {
                    return Some((Stop::Done, trap));
                }
            }
        }
        self.node = selected;
        None
    }

    /// Records that the system's run ended (writing what is left of the consoles' lines).
    fn end_run(&mut self, state: SystemState, selected: usize) -> Stop {
        self.node = selected;
        if let Some(system) = self.system_mut() {
            system.finish();
        }
        self.ended = Some(state);
        Stop::Ended(state)
    }

    /// The link break that fires at the boundary just crossed, if any: a frame its node sent
    /// was carried there, or a frame to its node was handed to its port after it.
    fn link_stop(&mut self, carried: &[LinkEvent], delivered: &[LinkEvent]) -> Option<Stop> {
        let sent = |e: &LinkEvent, node: Option<usize>| node.is_none_or(|n| is_node(e.from, n));
        let received = |e: &LinkEvent, node: Option<usize>| node.is_none_or(|n| is_node(e.to, n));
        let (id, node) = self.points.iter().find_map(|p| match p.kind {
            PointKind::Link(node)
                if carried.iter().any(|e| sent(e, node)) || delivered.iter().any(|e| received(e, node)) =>
            {
                Some((p.id, node))
            }
            _ => None,
        })?;
        self.count_hit(id);
        let mut lines: Vec<String> =
            carried.iter().filter(|e| sent(e, node)).map(|e| self.frame_line("carried", e)).collect();
        lines.extend(delivered.iter().filter(|e| received(e, node)).map(|e| self.frame_line("delivered", e)));
        Some(Stop::Link(id, lines))
    }
}

/// Whether a link's end is a port of `node`.
fn is_node(end: Target, node: usize) -> bool {
    matches!(end, Target::Port(e) if e.node == node)
}
