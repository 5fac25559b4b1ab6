//! Link traces: every frame that crossed a link during a run, and what can be made of them.
//!
//! `orrery run TOPOLOGY --trace FILE` writes a trace ([`Tracer`]); [`Trace::parse`] reads one
//! back, checking every byte (a damaged file is an error naming where, never a panic);
//! [`decode`] names what each frame carried (the `ox-link` header, the boot operations, the
//! `ox-proto` messages once their fragments are reassembled); [`chart`] draws a sequence
//! chart, [`pcap`] writes a capture for Wireshark, and [`graph`] draws a topology. The format
//! is specified in `docs/pictures.md`.
//!
//! Format version 1, all fields little-endian:
//!
//! ```text
//! header:  "ORRTRACE"  version: u16 = 1  reserved: u16 = 0  nodes: u32  links: u32
//!   node:  role: u8 (0 central, 1 satellite)  reserved: u8  name_len: u16  ram: u32  name
//!   link:  a_node: u32  a_port: u32  b_node: u32  b_port: u32
//! record:  "FR"  fate: u8  reserved: u8  from_node: u32  from_port: u32  to_node: u32
//!          to_port: u32  sent_ns: u64  arrive_ns: u64  len: u32  bytes
//! ```
//!
//! Records follow the header up to the end of the file, in the order the links took the
//! frames (deterministic: the same at any `--threads`). A node of `u32::MAX` is the peer
//! process of remote link `port`. The bytes are the frame as its sender sent it.

pub mod chart;
pub mod decode;
pub mod graph;
pub mod pcap;
pub mod svg;

use std::io::Write;

use crate::system::{Fate, Target};
use crate::topology::{Endpoint, Role, Topology};

/// The first eight bytes of a trace.
pub const MAGIC: &[u8; 8] = b"ORRTRACE";
/// The format version this emulator writes and reads.
pub const VERSION: u16 = 1;
/// The fixed part of a record, before its bytes.
pub const RECORD_HEADER: usize = 40;
/// The most nodes a trace may name (as a topology).
pub const MAX_NODES: u32 = 4096;
/// The most links a trace may name.
pub const MAX_LINKS: u32 = 65536;
/// The longest frame a record may hold.
pub const MAX_FRAME: u32 = 1 << 20;
/// The node number of a remote link's peer process.
pub const REMOTE: u32 = u32::MAX;

/// A node as a trace names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceNode {
    /// Its name.
    pub name: String,
    /// Central or satellite.
    pub role: Role,
    /// RAM in bytes.
    pub ram: u32,
}

/// One end of a frame's journey: a port of a node, or the peer process of a remote link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct End {
    /// Node index, or [`REMOTE`].
    pub node: u32,
    /// Port (or remote link number).
    pub port: u32,
}

/// One frame crossing a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// What the link did with it.
    pub fate: Fate,
    /// Sender.
    pub from: End,
    /// Receiver.
    pub to: End,
    /// Virtual send time, ns.
    pub sent: u64,
    /// Virtual arrival time (or when it would have arrived), ns.
    pub arrive: u64,
    /// The frame as sent.
    pub bytes: Vec<u8>,
}

/// A whole trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The nodes, in topology order.
    pub nodes: Vec<TraceNode>,
    /// The links, as pairs of ends.
    pub links: Vec<(End, End)>,
    /// Every frame, in the order the links took them.
    pub records: Vec<Record>,
}

fn fate_code(fate: Fate) -> u8 {
    match fate {
        Fate::Delivered => 0,
        Fate::Dropped => 1,
        Fate::Corrupted => 2,
        Fate::Refused => 3,
    }
}

fn fate_of(code: u8) -> Option<Fate> {
    match code {
        0 => Some(Fate::Delivered),
        1 => Some(Fate::Dropped),
        2 => Some(Fate::Corrupted),
        3 => Some(Fate::Refused),
        _ => None,
    }
}

/// How a fate reads in text.
pub fn fate_name(fate: Fate) -> &'static str {
    match fate {
        Fate::Delivered => "delivered",
        Fate::Dropped => "lost",
        Fate::Corrupted => "corrupted",
        Fate::Refused => "refused",
    }
}

fn end_of(target: Target) -> End {
    match target {
        Target::Port(e) => End { node: e.node as u32, port: e.port },
        Target::Remote(r) => End { node: REMOTE, port: r as u32 },
    }
}

fn end_bytes(out: &mut Vec<u8>, end: Endpoint) {
    out.extend_from_slice(&(end.node as u32).to_le_bytes());
    out.extend_from_slice(&end.port.to_le_bytes());
}

/// Encodes the header of a trace of `topology`.
pub fn header(topology: &Topology) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(topology.nodes.len() as u32).to_le_bytes());
    out.extend_from_slice(&(topology.links.len() as u32).to_le_bytes());
    for node in &topology.nodes {
        out.push(if node.role == Role::Central { 0 } else { 1 });
        out.push(0);
        let name = &node.name.as_bytes()[..node.name.len().min(u16::MAX as usize)];
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&node.ram.to_le_bytes());
        out.extend_from_slice(name);
    }
    for link in &topology.links {
        end_bytes(&mut out, link.a);
        end_bytes(&mut out, link.b);
    }
    out
}

/// Encodes one record.
pub fn record_bytes(fate: Fate, from: Target, to: Target, sent: u64, arrive: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORD_HEADER + bytes.len());
    out.extend_from_slice(b"FR");
    out.push(fate_code(fate));
    out.push(0);
    for end in [end_of(from), end_of(to)] {
        out.extend_from_slice(&end.node.to_le_bytes());
        out.extend_from_slice(&end.port.to_le_bytes());
    }
    out.extend_from_slice(&sent.to_le_bytes());
    out.extend_from_slice(&arrive.to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
    out
}

/// Writes a trace as a run goes: the header first, then a record per frame. A write error
/// is kept (the run goes on) and reported by [`Tracer::finish`].
pub struct Tracer {
    out: Box<dyn Write + Send>,
    error: Option<String>,
}

impl Tracer {
    /// Starts a trace of `topology` on `out`.
    pub fn new(mut out: Box<dyn Write + Send>, topology: &Topology) -> Tracer {
        let error = out.write_all(&header(topology)).err().map(|e| e.to_string());
        Tracer { out, error }
    }

    /// Records one frame.
    pub fn frame(&mut self, fate: Fate, from: Target, to: Target, sent: u64, arrive: u64, bytes: &[u8]) {
        if self.error.is_none() {
            let record = record_bytes(fate, from, to, sent, arrive, bytes);
            self.error = self.out.write_all(&record).err().map(|e| e.to_string());
        }
    }

    /// Flushes; says whether every write succeeded.
    pub fn finish(&mut self) -> Result<(), String> {
        if self.error.is_none() {
            self.error = self.out.flush().err().map(|e| e.to_string());
        }
        match &self.error {
            Some(e) => Err(format!("writing the trace: {e}")),
            None => Ok(()),
        }
    }
}

/// A reader of little-endian fields that names what is missing.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let left = self.bytes.len() - self.at;
        if left < n {
            return Err(format!(
                "the trace is truncated at byte {}: {what} needs {n} bytes, {left} are left",
                self.at
            ));
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        let b = self.take(8, what)?;
        let mut w = [0; 8];
        w.copy_from_slice(b);
        Ok(u64::from_le_bytes(w))
    }
}

impl Trace {
    /// Reads a trace file.
    pub fn load(path: &std::path::Path) -> Result<Trace, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Trace::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and checks a whole trace.
    pub fn parse(bytes: &[u8]) -> Result<Trace, String> {
        let mut c = Cursor { bytes, at: 0 };
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err("not an Orrery link trace: it does not start with `ORRTRACE`".into());
        }
        c.at = MAGIC.len();
        let version = c.u16("the version")?;
        if version != VERSION {
            return Err(format!("trace format version {version}; this orrery reads version {VERSION}"));
        }
        if c.u16("the header")? != 0 {
            return Err("the header's reserved field is not 0".into());
        }
        let nodes = c.u32("the node count")?;
        let links = c.u32("the link count")?;
        if nodes == 0 || nodes > MAX_NODES {
            return Err(format!("the header gives {nodes} nodes (1 to {MAX_NODES})"));
        }
        if links > MAX_LINKS {
            return Err(format!("the header gives {links} links (at most {MAX_LINKS})"));
        }
        let mut trace = Trace { nodes: Vec::new(), links: Vec::new(), records: Vec::new() };
        for i in 0..nodes {
            let role = match c.u8("a node's role")? {
                0 => Role::Central,
                1 => Role::Satellite,
                other => return Err(format!("node {i} has role {other} (0 central, 1 satellite)")),
            };
            c.u8("a node")?;
            let len = c.u16("a node's name length")?;
            let ram = c.u32("a node's RAM")?;
            let name = c.take(len as usize, "a node's name")?;
            let name = std::str::from_utf8(name).map_err(|_| format!("node {i}'s name is not UTF-8"))?;
            trace.nodes.push(TraceNode { name: name.to_string(), role, ram });
        }
        let check = |end: End, what: &str| -> Result<End, String> {
            if end.node as usize >= trace.nodes.len() && end.node != REMOTE {
                return Err(format!("{what} names node {} of {}", end.node, trace.nodes.len()));
            }
            Ok(end)
        };
        for i in 0..links {
            let a = End { node: c.u32("a link")?, port: c.u32("a link")? };
            let b = End { node: c.u32("a link")?, port: c.u32("a link")? };
            let what = format!("link {i}");
            trace.links.push((check(a, &what)?, check(b, &what)?));
        }
        while c.at < bytes.len() {
            let start = c.at;
            let n = trace.records.len();
            let what = format!("record {n} (at byte {start})");
            if c.take(2, &what)? != b"FR" {
                return Err(format!("{what} does not start with `FR`: the file is damaged"));
            }
            let code = c.u8(&what)?;
            let fate = fate_of(code).ok_or_else(|| format!("{what} has fate {code} (0 to 3)"))?;
            c.u8(&what)?;
            let from = check(End { node: c.u32(&what)?, port: c.u32(&what)? }, &what)?;
            let to = check(End { node: c.u32(&what)?, port: c.u32(&what)? }, &what)?;
            let sent = c.u64(&what)?;
            let arrive = c.u64(&what)?;
            if arrive < sent {
                return Err(format!("{what} arrives at {arrive} ns, before it was sent at {sent} ns"));
            }
            let len = c.u32(&what)?;
            if len > MAX_FRAME {
                return Err(format!("{what} holds a frame of {len} bytes (at most {MAX_FRAME})"));
            }
            let bytes = c.take(len as usize, &what)?.to_vec();
            trace.records.push(Record { fate, from, to, sent, arrive, bytes });
        }
        Ok(trace)
    }

    /// How an end reads: `cp.0`, or `peer 1` for a remote link's peer process.
    pub fn end_name(&self, end: End) -> String {
        match self.nodes.get(end.node as usize) {
            Some(node) => format!("{}.{}", node.name, end.port),
            None => format!("peer {}", end.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Trace, MAGIC};

    fn sample() -> Vec<u8> {
        let text = "[[node]]\nname = \"cp\"\nrole = \"central\"\nmemory = \"1M\"\nimage = \"a.s\"\n\
                    [[node]]\nname = \"s\"\nrole = \"satellite\"\nmemory = \"1M\"\nimage = \"a.s\"\n\
                    [[link]]\na = \"cp.0\"\nb = \"s.0\"\n";
        let topology =
            crate::topology::Topology::parse("t.toml", text, std::path::Path::new(".")).expect("topology");
        let mut bytes = super::header(&topology);
        let (from, to) = (
            crate::system::Target::Port(topology.links[0].a),
            crate::system::Target::Port(topology.links[0].b),
        );
        bytes.extend(super::record_bytes(crate::system::Fate::Dropped, from, to, 5, 9, b"abc"));
        bytes
    }

    #[test]
    fn round_trips() {
        let trace = Trace::parse(&sample()).expect("parses");
        assert_eq!(trace.nodes.len(), 2);
        assert_eq!(trace.records.len(), 1);
        assert_eq!(trace.records[0].bytes, b"abc");
        assert_eq!(trace.end_name(trace.records[0].to), "s.0");
    }

    #[test]
    fn every_truncation_and_damage_is_an_error() {
        let bytes = sample();
        for n in 0..bytes.len() {
            let parsed = Trace::parse(&bytes[..n]);
            // Cut exactly at the end of the header, the trace is valid and empty.
            if let Ok(trace) = parsed {
                assert!(trace.records.is_empty(), "cut at {n}");
            }
        }
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xff;
            let _ = Trace::parse(&damaged);
        }
        assert!(Trace::parse(b"hello").unwrap_err().contains("ORRTRACE"));
        let mut late = sample();
        late.extend_from_slice(b"XX");
        assert!(Trace::parse(&late).unwrap_err().contains("record 1"));
        assert_eq!(&bytes[..8], MAGIC);
    }
}
