//! Topology files: the nodes of a system and the links between them, in TOML.
//!
//! [`Topology::parse`] reads the text and checks everything a run depends on, and every mistake
//! comes back as a [`TopologyError`] with the line and column of the offending value, the
//! source line with a caret, and a hint. The format is specified in `docs/topology.md`.
//!
//! Invariants of a parsed [`Topology`]: node names are unique; exactly one node is the central
//! processor; every link endpoint names an existing node and a port below
//! [`ox32::memmap::LINK_PORTS`]; no port is used twice; every satellite has a route to the
//! central processor; ports of a node are numbered without gaps from 0 (port `n` exists only
//! if ports `0..n` do); every count, size and rate is within the limits below (at most
//! [`MAX_NODES`] nodes, bandwidths from [`MIN_BANDWIDTH_BPS`], the nodes' memory together no
//! more than the host's), so nothing a topology says can make the emulator divide by zero or
//! grow without bound.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use orrery_toolchain::input::{read_text_input, MAX_TEXT};

use crate::console::ConsoleSpec;

mod compact;

/// The role of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The central processor: owns the disk and the devices.
    Central,
    /// A satellite (peripheral) processor: CPU, memory, timer and links.
    Satellite,
}

/// How a node starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Boot {
    /// Load this ELF executable (or `.s` source) into RAM and start at its entry.
    Image(PathBuf),
    /// Load this boot ROM image (`.s` source or a flat `.bin`) and start at the ROM's base.
    Rom(PathBuf),
}

/// Where a node's console goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Console {
    /// The terminal, each line prefixed with `[name] `.
    Terminal,
    /// A file or a TCP socket, unprefixed.
    Host(ConsoleSpec),
    /// Nowhere.
    None,
}

/// One node, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// Unique name.
    pub name: String,
    /// The node's index in the whole system (its `nodeid`): its position in the file unless
    /// the file says otherwise (a system split across processes numbers its nodes across them).
    pub id: u32,
    /// Central or satellite.
    pub role: Role,
    /// RAM size in bytes.
    pub ram: u32,
    /// Virtual CPU speed in MHz.
    pub mhz: u64,
    /// What it boots.
    pub boot: Boot,
    /// Where its console goes.
    pub console: Console,
    /// How many link ports it has (ports `0..ports`).
    pub ports: u32,
    /// The disk image behind its block device (central processor only).
    pub disk: Option<PathBuf>,
}

/// One end of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Index into [`Topology::nodes`].
    pub node: usize,
    /// Port number on that node.
    pub port: u32,
}

/// Injected faults on a link: each frame is dropped or corrupted with these probabilities,
/// drawn from a generator seeded with `seed`, so a run is still reproducible.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    /// Probability that a frame is lost.
    pub drop: f64,
    /// Probability that one byte of a frame is flipped.
    pub corrupt: f64,
    /// Seed of the fault generator.
    pub seed: u64,
}

/// How a link carries frames.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkProps {
    /// One-way latency in virtual nanoseconds.
    pub latency_ns: u64,
    /// Bandwidth in bits per virtual second.
    pub bandwidth_bps: u64,
    /// Largest frame, in bytes.
    pub mtu: u32,
    /// Injected faults, if any.
    pub faults: Option<Faults>,
}

impl Default for LinkProps {
    fn default() -> LinkProps {
        LinkProps {
            latency_ns: DEFAULT_LATENCY_NS,
            bandwidth_bps: DEFAULT_BANDWIDTH_BPS,
            mtu: MTU_MAX,
            faults: None,
        }
    }
}

/// One link between two nodes of this topology, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    /// One end.
    pub a: Endpoint,
    /// The other end.
    pub b: Endpoint,
    /// How it carries frames.
    pub props: LinkProps,
}

/// How a link to another emulator process is carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteMode {
    /// TCP, in lockstep: listen on the address and accept the peer (`tcp-listen:HOST:PORT`).
    Listen,
    /// TCP, in lockstep: connect to the peer at the address (`tcp:HOST:PORT`).
    Connect,
    /// UDP datagrams, best effort and not in lockstep: bind the address and exchange frames
    /// with `peer` (`udp:HOST:PORT@PEER_HOST:PEER_PORT`).
    Udp {
        /// The peer's `HOST:PORT`.
        peer: String,
    },
}

/// One link from a node of this topology to a node in another `orrery` process.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteSpec {
    /// The local end.
    pub local: Endpoint,
    /// Listen or connect.
    pub mode: RemoteMode,
    /// `HOST:PORT`.
    pub addr: String,
    /// How it carries frames (the sending side applies its own).
    pub props: LinkProps,
}

/// A whole system, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    /// Length of a quantum in virtual nanoseconds: nodes run a quantum at a time and frames
    /// cross links at quantum boundaries.
    pub quantum_ns: u64,
    /// The nodes, in file order.
    pub nodes: Vec<NodeSpec>,
    /// The links between nodes of this file, in file order.
    pub links: Vec<LinkSpec>,
    /// The links to other processes, in file order.
    pub remotes: Vec<RemoteSpec>,
    /// How long a peer process may keep this one waiting (for its handshake, or at a quantum
    /// boundary) before the run ends with an error.
    pub peer_timeout: Duration,
}

impl Topology {
    /// The index of the central node, if it is in this topology (it may be in another process).
    pub fn central(&self) -> Option<usize> {
        self.nodes.iter().position(|n| n.role == Role::Central)
    }
}

/// The largest frame a link port can carry (the size of its buffers).
pub const MTU_MAX: u32 = 1024;
/// Default one-way latency: 10 µs.
pub const DEFAULT_LATENCY_NS: u64 = 10_000;
/// Default bandwidth: 100 Mbit/s.
pub const DEFAULT_BANDWIDTH_BPS: u64 = 100_000_000;
/// Default quantum: 10 µs.
pub const DEFAULT_QUANTUM_NS: u64 = 10_000;
/// The most nodes in one topology file.
pub const MAX_NODES: usize = 256;
/// The slowest link: 1 kbit/s (`bandwidth_mbps = 0.001`).
pub const MIN_BANDWIDTH_BPS: u64 = 1_000;
/// The fastest link: 1 Tbit/s (`bandwidth_mbps = 1000000`).
pub const MAX_BANDWIDTH_BPS: u64 = 1_000_000_000_000;
/// Default wall-clock patience with a peer process: 60 s.
pub const DEFAULT_PEER_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest `peer_timeout_s`: one day.
pub const MAX_PEER_TIMEOUT_S: u64 = 86_400;

/// A mistake in a topology file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopologyError {
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
    /// The text of the line.
    pub source_line: String,
    /// How many columns the caret underlines.
    pub width: usize,
}

impl fmt::Display for TopologyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:{}:{}: error: {}", self.file, self.line, self.column, self.message)?;
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        writeln!(f, "{pad} |")?;
        let (shown, caret, width) = excerpt(&self.source_line, self.column - 1, self.width.max(1));
        writeln!(f, "{number} | {shown}")?;
        write!(f, "{pad} | {}{}", " ".repeat(caret), "^".repeat(width))?;
        if let Some(hint) = &self.hint {
            write!(f, "\n{pad} = hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TopologyError {}

/// The most characters of a source line an error shows.
const SHOWN_LINE: usize = 120;

/// A line cut to at most [`SHOWN_LINE`] characters around the caret at character `column`
/// (`…` marks a cut), with where the caret and its `width` fall in it.
fn excerpt(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= SHOWN_LINE {
        return (line.to_string(), column, width);
    }
    let start = column.saturating_sub(SHOWN_LINE / 3).min(chars.len().saturating_sub(SHOWN_LINE));
    let end = (start + SHOWN_LINE).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut caret = column - start;
    if start > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    let width = width.min(SHOWN_LINE - (column - start).min(SHOWN_LINE)).max(1);
    (shown, caret, width)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopology {
    system: Option<RawSystem>,
    #[serde(default)]
    node: Vec<Spanned<RawNode>>,
    #[serde(default)]
    link: Vec<Spanned<RawLink>>,
    #[serde(default)]
    tree: Vec<Spanned<compact::RawTree>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    quantum_us: Option<Spanned<u64>>,
    peer_timeout_s: Option<Spanned<u64>>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    name: Spanned<String>,
    /// A group of alike nodes: how many (their `name` holds `{n}`), see [`compact`].
    count: Option<Spanned<u32>>,
    /// The number `{n}` of the group's first node (default 1).
    first: Option<Spanned<u32>>,
    id: Option<Spanned<u32>>,
    role: Spanned<String>,
    memory: Option<Spanned<String>>,
    mhz: Option<Spanned<u64>>,
    image: Option<Spanned<String>>,
    rom: Option<Spanned<String>>,
    console: Option<Spanned<String>>,
    disk: Option<Spanned<String>>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    a: Spanned<String>,
    b: Spanned<String>,
    latency_us: Option<Spanned<f64>>,
    bandwidth_mbps: Option<Spanned<f64>>,
    mtu: Option<Spanned<u32>>,
    drop: Option<Spanned<f64>>,
    corrupt: Option<Spanned<f64>>,
    seed: Option<Spanned<u64>>,
}

/// Builds errors that point into one file.
struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    fn error(&self, span: Range<usize>, message: impl Into<String>, hint: Option<String>) -> TopologyError {
        let start = span.start.min(self.text.len());
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..].find('\n').map_or(self.text.len(), |i| start + i);
        let source_line = self.text[line_start..line_end].trim_end_matches('\r').to_string();
        let line = self.text[..start].matches('\n').count() + 1;
        let column = self.text[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end);
        let width = self.text[start..end].chars().count().max(1);
        TopologyError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
            hint,
            source_line,
            width,
        }
    }

    fn at<T>(&self, value: &Spanned<T>, message: impl Into<String>, hint: Option<String>) -> TopologyError {
        self.error(value.span(), message, hint)
    }
}

/// Parses `64M`, `512K`, `1G` or a byte count.
pub fn parse_size(text: &str) -> Result<u32, String> {
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, ""),
    };
    let shift = match unit {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        _ => return Err(format!("unknown size unit `{unit}` (use K, M or G)")),
    };
    let value: u64 = digits.parse().map_err(|_| format!("`{text}` is not a size"))?;
    let bytes = value.checked_shl(shift).filter(|b| b >> shift == value).unwrap_or(u64::MAX);
    if bytes < 4096 || bytes > ox32::memmap::RAM_MAX as u64 {
        return Err(format!("memory must be between 4K and 2G, not {text}"));
    }
    Ok(bytes as u32)
}

/// The default RAM size of a node.
const DEFAULT_RAM: u32 = 64 << 20;

impl Topology {
    /// Reads and checks the topology file at `path`; relative paths inside it are taken
    /// relative to the file's folder.
    pub fn load(path: &Path) -> Result<Topology, String> {
        let text = read_text_input(path, MAX_TEXT)?;
        let base = path.parent().unwrap_or(Path::new(""));
        Topology::parse(&path.display().to_string(), &text, base).map_err(|e| e.to_string())
    }

    /// Parses and checks topology text; `file` names it in errors and `base` anchors relative
    /// paths.
    pub fn parse(file: &str, text: &str, base: &Path) -> Result<Topology, TopologyError> {
        let loc = Locator { file, text };
        let raw: RawTopology = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            loc.error(span, e.message().to_string(), None)
        })?;
        let system = raw.system.unwrap_or(RawSystem { quantum_us: None, peer_timeout_s: None });
        let quantum_ns = match system.quantum_us {
            Some(q) if *q.get_ref() == 0 || *q.get_ref() > 1_000_000 => {
                return Err(loc.at(&q, "quantum_us must be between 1 and 1000000", None));
            }
            Some(q) => q.into_inner() * 1000,
            None => DEFAULT_QUANTUM_NS,
        };
        let peer_timeout = match system.peer_timeout_s {
            Some(t) if *t.get_ref() == 0 || *t.get_ref() > MAX_PEER_TIMEOUT_S => {
                return Err(loc.at(
                    &t,
                    format!("peer_timeout_s must be between 1 and {MAX_PEER_TIMEOUT_S}"),
                    None,
                ));
            }
            Some(t) => Duration::from_secs(*t.get_ref()),
            None => DEFAULT_PEER_TIMEOUT,
        };
        if raw.node.is_empty() {
            return Err(loc.error(0..0, "the topology has no nodes", Some(example_node())));
        }
        let raw_nodes = compact::expand_nodes(&raw.node, &loc)?;
        let host_memory = crate::host::memory();
        let mut total_ram: u64 = 0;
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut nodes = Vec::new();
        let mut central = None;
        for node in &raw_nodes {
            let index = nodes.len();
            let name = node.name.get_ref().clone();
            let valid_name = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && name.starts_with(|c: char| c.is_ascii_alphabetic());
            if !valid_name {
                return Err(loc.at(
                    &node.name,
                    format!("`{name}` is not a node name"),
                    Some("a name starts with a letter and has letters, digits, `-` and `_`".into()),
                ));
            }
            if let Some(first) = names.get(&name) {
                let first_line = loc.at(&raw_nodes[*first].name, "", None).line;
                return Err(loc.at(
                    &node.name,
                    format!("duplicate node name `{name}`"),
                    Some(format!(
                        "node names must be unique; `{name}` is first defined on line {first_line}"
                    )),
                ));
            }
            names.insert(name.clone(), index);
            let role = match node.role.get_ref().as_str() {
                "central" => Role::Central,
                "satellite" => Role::Satellite,
                other => {
                    return Err(loc.at(
                        &node.role,
                        format!("unknown role `{other}`"),
                        Some("a node's role is `central` or `satellite`".into()),
                    ))
                }
            };
            if role == Role::Central {
                if let Some(first) = central {
                    let first: &NodeSpec = &nodes[first];
                    return Err(loc.at(
                        &node.role,
                        "a second central processor",
                        Some(format!(
                            "a system has exactly one central node; `{}` is already central",
                            first.name
                        )),
                    ));
                }
                central = Some(index);
            }
            let ram = match &node.memory {
                Some(m) => parse_size(m.get_ref()).map_err(|e| loc.at(m, e, None))?,
                None => DEFAULT_RAM,
            };
            total_ram += u64::from(ram);
            if let Some(complaint) = host_memory.and_then(|host| memory_complaint(total_ram, host)) {
                let (message, hint) = complaint;
                return Err(match &node.memory {
                    Some(m) => loc.at(m, message, hint),
                    None => loc.at(&node.name, message, hint),
                });
            }
            let mhz = match &node.mhz {
                Some(m) if *m.get_ref() == 0 || *m.get_ref() > 100_000 => {
                    return Err(loc.at(m, "mhz must be between 1 and 100000", None));
                }
                Some(m) => *m.get_ref(),
                None => 100,
            };
            let boot = match (&node.image, &node.rom) {
                (Some(image), None) => Boot::Image(base.join(image.get_ref())),
                (None, Some(rom)) => Boot::Rom(base.join(rom.get_ref())),
                (Some(_), Some(rom)) => {
                    return Err(loc.at(
                        rom,
                        "a node boots either an `image` or a `rom`, not both",
                        Some("`image` loads an executable into RAM; `rom` loads a boot ROM".into()),
                    ))
                }
                (None, None) => {
                    return Err(loc.at(
                        &node.name,
                        format!("node `{name}` has nothing to boot"),
                        Some(
                            "give it `image = \"path/to/kernel.elf\"` or `rom = \"path/to/bootrom.s\"`"
                                .into(),
                        ),
                    ))
                }
            };
            let console = match &node.console {
                None => Console::Terminal,
                Some(c) if c.get_ref() == "terminal" || c.get_ref() == "stdio" => Console::Terminal,
                Some(c) if c.get_ref() == "none" => Console::None,
                Some(c) => Console::Host(c.get_ref().parse::<ConsoleSpec>().map_err(|e| {
                    loc.at(
                        c,
                        e,
                        Some("a console is `terminal`, `none`, `file:PATH` or `tcp:HOST:PORT`".into()),
                    )
                })?),
            };
            let id = node.id.as_ref().map_or(index as u32, |id| *id.get_ref());
            if let Some(other) = nodes.iter().find(|n: &&NodeSpec| n.id == id) {
                let message = format!("node id {id} is also `{}`'s", other.name);
                let hint =
                    Some("give every node its own `id` (by default a node's id is its position)".into());
                return Err(match &node.id {
                    Some(spanned) => loc.at(spanned, message, hint),
                    None => loc.at(&node.name, message, hint),
                });
            }
            let disk = match &node.disk {
                Some(disk) if role == Role::Satellite => {
                    return Err(loc.at(
                        disk,
                        format!("satellite `{name}` cannot have a disk"),
                        Some("a satellite has only CPU, memory, timer and links; give the disk to the central node".into()),
                    ))
                }
                Some(disk) => Some(base.join(disk.get_ref())),
                None => None,
            };
            nodes.push(NodeSpec { name, id, role, ram, mhz, boot, console, ports: 0, disk });
        }
        // Each port used, with the span of what uses it (a link's end, or a tree's children).
        let mut used: HashMap<Endpoint, Range<usize>> = HashMap::new();
        let mut links = Vec::new();
        let mut remotes = Vec::new();
        for spanned in &raw.link {
            let link = spanned.get_ref();
            let remote = parse_remote(link.b.get_ref()).map_err(|(m, h)| loc.at(&link.b, m, h))?;
            let mut ends = Vec::new();
            let texts = if remote.is_some() { vec![&link.a] } else { vec![&link.a, &link.b] };
            for text in texts {
                let end = parse_endpoint(text.get_ref(), &names).map_err(|(m, h)| loc.at(text, m, h))?;
                if let Some(other) = used.get(&end) {
                    let line = loc.error(other.clone(), "", None).line;
                    return Err(loc.at(
                        text,
                        format!("port {} of `{}` is used twice", end.port, nodes[end.node].name),
                        Some(format!("the link on line {line} already uses it; give this link another port")),
                    ));
                }
                used.insert(end, link.a.span());
                ends.push(end);
            }
            let props = parse_props(link, links.len() + remotes.len(), &loc)?;
            match remote {
                Some((mode, addr)) => remotes.push(RemoteSpec { local: ends[0], mode, addr, props }),
                None if ends[0].node == ends[1].node => {
                    return Err(loc.at(&link.b, "a link joins a node to itself", None));
                }
                None => links.push(LinkSpec { a: ends[0], b: ends[1], props }),
            }
        }
        for tree in &raw.tree {
            let index = links.len() + remotes.len();
            links.extend(compact::tree_links(tree.get_ref(), &names, &nodes, &mut used, index, &loc)?);
        }
        let central = match central {
            Some(c) => Some(c),
            None if !remotes.is_empty() => None,
            None => {
                return Err(loc.at(
                    &raw_nodes[0].role,
                    "no node is the central processor",
                    Some("give exactly one node `role = \"central\"` (or link this file to the process that has it)".into()),
                ))
            }
        };
        for end in used.keys() {
            let node = &mut nodes[end.node];
            node.ports = node.ports.max(end.port + 1);
        }
        for (index, node) in nodes.iter().enumerate() {
            if let Some(missing) =
                (0..node.ports).find(|p| !used.contains_key(&Endpoint { node: index, port: *p }))
            {
                let spanned = &raw_nodes[index].name;
                return Err(loc.at(
                    spanned,
                    format!("node `{}` uses port {} but not port {missing}", node.name, node.ports - 1),
                    Some("number each node's ports from 0 without gaps".into()),
                ));
            }
        }
        // The central processor is reached directly, or through a link to another process.
        let roots: Vec<usize> = central.into_iter().chain(remotes.iter().map(|r| r.local.node)).collect();
        let reachable = reachable_from(&roots, nodes.len(), &links);
        if let Some(lost) = (0..nodes.len()).find(|i| !reachable[*i]) {
            let hint = match central {
                Some(c) => format!(
                    "add a [[link]] joining it to `{}` or to a satellite that has a route",
                    nodes[c].name
                ),
                None => "add a [[link]] joining it to a node that has a route".to_string(),
            };
            return Err(loc.at(
                &raw_nodes[lost].name,
                format!("satellite `{}` has no route to the central processor", nodes[lost].name),
                Some(hint),
            ));
        }
        Ok(Topology { quantum_ns, nodes, links, remotes, peer_timeout })
    }
}

/// Why the nodes' memory, `total` bytes so far, cannot be given on a host with `host` bytes.
fn memory_complaint(total: u64, host: u64) -> Option<Complaint> {
    (total > host).then(|| {
        (
            format!("the nodes' memory adds up to {} MiB, more than this host's {} MiB", total >> 20, host >> 20),
            Some("RAM is allocated as the guest touches it, but a guest may touch all of it; give the nodes less memory".into()),
        )
    })
}

fn example_node() -> String {
    "add at least one [[node]] with name, role, and image or rom".into()
}

/// Converts microseconds to nanoseconds, refusing negative or absurd values.
fn micros(value: &Spanned<f64>) -> Result<u64, String> {
    let us = *value.get_ref();
    if !(0.0..=1e6).contains(&us) {
        return Err("latency_us must be from 0 to 1000000".into());
    }
    Ok((us * 1000.0).round() as u64)
}

/// A message and a hint, before they are placed in the file.
type Complaint = (String, Option<String>);

/// The most node names the hint of an unknown node lists.
const NAMES_LISTED: usize = 24;

/// That `name` is no node of `names`, with a hint listing them (the first [`NAMES_LISTED`]).
fn unknown_node(name: &str, names: &HashMap<String, usize>) -> Complaint {
    let mut known: Vec<&str> = names.keys().map(String::as_str).collect();
    known.sort_unstable();
    let listed = known.iter().take(NAMES_LISTED).copied().collect::<Vec<&str>>().join(", ");
    let hint = match known.len() {
        n if n > NAMES_LISTED => format!("the nodes are: {listed}, … ({n} in all)"),
        _ => format!("the nodes are: {listed}"),
    };
    (format!("unknown node `{name}`"), Some(hint))
}

/// Parses `node.port`.
fn parse_endpoint(text: &str, names: &HashMap<String, usize>) -> Result<Endpoint, Complaint> {
    let Some((name, port)) = text.rsplit_once('.') else {
        return Err((
            format!("`{text}` is not an endpoint"),
            Some("an endpoint is NODE.PORT, as in `sat1.0`".into()),
        ));
    };
    let Some(&node) = names.get(name) else {
        return Err(unknown_node(name, names));
    };
    let port = match port.parse::<u32>() {
        Ok(p) if p < ox32::memmap::LINK_PORTS => p,
        _ => {
            return Err((
                format!("`{port}` is not a port number"),
                Some(format!("ports are numbered 0 to {}", ox32::memmap::LINK_PORTS - 1)),
            ))
        }
    };
    Ok(Endpoint { node, port })
}

/// A link's latency, bandwidth, MTU and faults; `index` seeds the fault generator by default.
fn parse_props(link: &RawLink, index: usize, loc: &Locator<'_>) -> Result<LinkProps, TopologyError> {
    let latency_ns = match &link.latency_us {
        Some(l) => micros(l).map_err(|m| loc.at(l, m, None))?,
        None => DEFAULT_LATENCY_NS,
    };
    let bandwidth_bps = match &link.bandwidth_mbps {
        Some(b) if !(MIN_BANDWIDTH_BPS as f64..=MAX_BANDWIDTH_BPS as f64).contains(&(b.get_ref() * 1e6)) => {
            return Err(loc.at(
                b,
                "bandwidth_mbps must be from 0.001 (1 kbit/s) to 1000000 (1 Tbit/s)",
                None,
            ));
        }
        Some(b) => ((b.get_ref() * 1e6).round() as u64).clamp(MIN_BANDWIDTH_BPS, MAX_BANDWIDTH_BPS),
        None => DEFAULT_BANDWIDTH_BPS,
    };
    let mtu = match &link.mtu {
        Some(m) if !(64..=MTU_MAX).contains(m.get_ref()) || m.get_ref() % 4 != 0 => {
            return Err(loc.at(m, format!("mtu must be a multiple of 4 from 64 to {MTU_MAX}"), None));
        }
        Some(m) => *m.get_ref(),
        None => MTU_MAX,
    };
    let rate = |r: &Option<Spanned<f64>>, what: &str| -> Result<f64, TopologyError> {
        match r {
            Some(r) if !(0.0..=1.0).contains(r.get_ref()) => {
                Err(loc.at(r, format!("{what} is a probability from 0 to 1"), None))
            }
            Some(r) => Ok(*r.get_ref()),
            None => Ok(0.0),
        }
    };
    let drop = rate(&link.drop, "drop")?;
    let corrupt = rate(&link.corrupt, "corrupt")?;
    let seed = link.seed.as_ref().map_or(index as u64 + 1, |s| *s.get_ref());
    let faults = (drop > 0.0 || corrupt > 0.0).then_some(Faults { drop, corrupt, seed });
    Ok(LinkProps { latency_ns, bandwidth_bps, mtu, faults })
}

/// `tcp-listen:HOST:PORT` or `tcp:HOST:PORT` (a link to another process), or `None` for a
/// local endpoint.
fn parse_remote(text: &str) -> Result<Option<(RemoteMode, String)>, Complaint> {
    let host_port =
        |addr: &str| addr.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
    let (mode, addr) = if let Some(addr) = text.strip_prefix("tcp-listen:") {
        (RemoteMode::Listen, addr)
    } else if let Some(addr) = text.strip_prefix("tcp:") {
        (RemoteMode::Connect, addr)
    } else if let Some(rest) = text.strip_prefix("udp:") {
        let Some((bind, peer)) = rest.split_once('@').filter(|(b, p)| host_port(b) && host_port(p)) else {
            return Err((
                format!("`{text}` needs HOST:PORT@PEER_HOST:PEER_PORT"),
                Some("a UDP link binds the first address and talks to the second".into()),
            ));
        };
        (RemoteMode::Udp { peer: peer.to_string() }, bind)
    } else {
        return Ok(None);
    };
    if !host_port(addr) {
        return Err((
            format!("`{text}` needs HOST:PORT"),
            Some("a link to another process is `tcp-listen:HOST:PORT`, `tcp:HOST:PORT` or `udp:HOST:PORT@PEER`".into()),
        ));
    }
    Ok(Some((mode, addr.to_string())))
}

/// Which nodes can reach one of `roots` over links.
fn reachable_from(roots: &[usize], count: usize, links: &[LinkSpec]) -> Vec<bool> {
    let mut seen = vec![false; count];
    let mut stack = roots.to_vec();
    for root in roots {
        seen[*root] = true;
    }
    while let Some(node) = stack.pop() {
        for link in links {
            for (from, to) in [(link.a.node, link.b.node), (link.b.node, link.a.node)] {
                if from == node && !seen[to] {
                    seen[to] = true;
                    stack.push(to);
                }
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Topology, TopologyError> {
        Topology::parse("t.toml", text, Path::new("/base"))
    }

    const TWO: &str = r#"
[[node]]
name = "cp"
role = "central"
image = "kernel.elf"

[[node]]
name = "sat1"
role = "satellite"
memory = "16M"
mhz = 50
rom = "rom.s"
console = "none"

[[link]]
a = "cp.0"
b = "sat1.0"
latency_us = 2.5
mtu = 512
drop = 0.05
"#;

    #[test]
    fn a_valid_file_gives_every_field() {
        let t = parse(TWO).unwrap();
        assert_eq!(t.quantum_ns, DEFAULT_QUANTUM_NS);
        assert_eq!(t.nodes[0].boot, Boot::Image("/base/kernel.elf".into()));
        assert_eq!((t.nodes[1].ram, t.nodes[1].mhz, t.nodes[1].ports), (16 << 20, 50, 1));
        assert_eq!(t.nodes[1].console, Console::None);
        let props = &t.links[0].props;
        assert_eq!((props.latency_ns, props.mtu, props.bandwidth_bps), (2500, 512, DEFAULT_BANDWIDTH_BPS));
        assert_eq!(props.faults, Some(Faults { drop: 0.05, corrupt: 0.0, seed: 1 }));
    }

    #[test]
    fn only_the_central_node_has_a_disk() {
        let text = TWO.replace("image = \"kernel.elf\"", "image = \"kernel.elf\"\ndisk = \"disk.img\"");
        assert_eq!(parse(&text).unwrap().nodes[0].disk, Some("/base/disk.img".into()));
        let text = TWO.replace("console = \"none\"", "console = \"none\"\ndisk = \"disk.img\"");
        let e = parse(&text).unwrap_err();
        assert_eq!((e.line, e.column, e.message.as_str()), (14, 8, "satellite `sat1` cannot have a disk"));
    }

    #[test]
    fn a_long_line_is_shown_around_the_caret() {
        let text = format!("x = \"{}\"\n", "a".repeat(100_000));
        let e = parse(&text).unwrap_err();
        let shown = e.to_string();
        assert!(shown.len() < 1000, "{shown}");
        assert!(shown.starts_with("t.toml:1:1: error: unknown field `x`"), "{shown}");
        let (line, caret, width) = excerpt(&"b".repeat(1000), 500, 2000);
        assert_eq!((line.chars().count(), caret, width), (SHOWN_LINE + 2, 41, SHOWN_LINE - 40));
    }

    #[test]
    fn errors_point_at_the_value() {
        let text = TWO.replace("b = \"sat1.0\"", "b = \"sat9.0\"");
        let e = parse(&text).unwrap_err();
        assert_eq!((e.line, e.column, e.message.as_str()), (17, 5, "unknown node `sat9`"));
        assert_eq!(e.hint.as_deref(), Some("the nodes are: cp, sat1"));
        assert_eq!(
            e.to_string(),
            "t.toml:17:5: error: unknown node `sat9`\n   |\n17 | b = \"sat9.0\"\n   |     ^^^^^^^^\n   = hint: the nodes are: cp, sat1"
        );
    }
}
