//! What each frame of a trace carried: its `ox-link` header, and the message it completed —
//! a boot transfer on channel 0, a satellite hello on channel 1, an `ox-proto` message on the
//! process channel 2 once its fragments are reassembled (docs/link-protocol.md,
//! docs/protocol.md).
//!
//! A data frame is taken as its receiver takes it: delivered intact, with the sequence number
//! its direction and channel expect next. A resend of a frame already taken, a frame after a
//! lost one, and a lost, damaged or refused frame carry nothing further.

use std::collections::HashMap;

use ox_link::frame::Kind as FrameKind;
use ox_proto::net::{NetOp, PortRef};
use ox_proto::{Body, Call, Message, Reassembler, Reply, Request, MAX_MESSAGE};

use crate::system::Fate;
use crate::trace::{fate_name, End, Trace};

/// The channel of the satellite hello messages.
const CHANNEL_SATELLITE: u16 = 1;
/// The process channel.
const CHANNEL_PROCESS: u16 = ox_proto::CHANNEL_PROCESS;

/// A message some frames carried, complete with the frame this one is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completed {
    /// The index of the record whose frame carried its first byte.
    pub first: usize,
    /// What it says.
    pub label: String,
}

/// What one frame was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The link header: `data ch 2 seq 5`, `ack ch 2 seq 5`, or why it is not a frame.
    pub header: String,
    /// What it carried, as far as this frame says: a fragment, a boot operation, a resend.
    pub content: String,
    /// The message it completed, if any.
    pub message: Option<Completed>,
}

/// The state of one direction of one channel.
struct Stream {
    /// The next sequence number the receiver takes.
    expected: u32,
    /// The process channel's reassembly.
    reassembler: Reassembler,
    /// The record of the first frame of the message under way.
    first: Option<usize>,
    /// The boot transfer under way: `LOAD`s and their bytes.
    loads: u32,
    load_bytes: u64,
}

impl Stream {
    fn new() -> Stream {
        Stream {
            expected: 0,
            reassembler: Reassembler::new(MAX_MESSAGE),
            first: None,
            loads: 0,
            load_bytes: 0,
        }
    }
}

/// Printable text of `data` if it is short and printable, for a label.
fn text(data: &[u8]) -> Option<String> {
    let printable = data.iter().all(|b| (0x20..0x7f).contains(b) || *b == b'\n');
    let shown = String::from_utf8_lossy(data).replace('\n', "\\n");
    (!data.is_empty() && data.len() <= 40 && printable).then(|| format!("\"{shown}\""))
}

fn call_label(call: &Call) -> String {
    let mut label = call.call.name().to_string();
    if call.call == ox_proto::Syscall::Exec {
        if let Ok((name, args)) = ox_proto::marshal::exec_from_data(&call.data) {
            for piece in std::iter::once(&name).chain(&args) {
                let piece = text(piece).unwrap_or_else(|| format!("({} bytes)", piece.len()));
                label.push_str(&format!(" {piece}"));
            }
            return label;
        }
    }
    if matches!(call.call, ox_proto::Syscall::Fork | ox_proto::Syscall::Rfork) {
        if let Some(pc) = ox_proto::marshal::fork_pc(&call.data) {
            return format!("{label} (resume {pc:#x})");
        }
    }
    match text(&call.data) {
        Some(t) => label.push_str(&format!(" {t}")),
        None if !call.data.is_empty() => label.push_str(&format!(" +{} bytes", call.data.len())),
        None => {}
    }
    label
}

fn reply_label(reply: &Reply) -> String {
    let mut label = match reply.result {
        Ok(r) => format!("Reply {r}"),
        Err(e) => format!("Reply {}", e.name()),
    };
    if let Some(signal) = reply.signal {
        label.push_str(&format!(" {}", signal.name()));
    }
    match text(&reply.data) {
        Some(t) => label.push_str(&format!(" {t}")),
        None if !reply.data.is_empty() => label.push_str(&format!(" +{} bytes", reply.data.len())),
        None => {}
    }
    label
}

/// A one-line description of an `ox-proto` message.
pub fn message_label(message: &Message) -> String {
    let pid = message.pid;
    match &message.body {
        Body::Request(request) => match request {
            Request::StubExecutes(call) if call.prefetched => {
                format!("StubExecutes {} (pid {pid})", call_label(call))
            }
            Request::StubExecutes(call) => format!("StubFetches {} (pid {pid})", call_label(call)),
            Request::Signal(signal) => format!("Signal {} (pid {pid})", signal.name()),
            Request::Exit(status) => format!("Exit {status:?} (pid {pid})"),
            Request::ForkImage { parent, size, .. } => {
                format!("ForkImage pid {pid} parent {parent} {size} bytes")
            }
            Request::ReadImage { offset, len } => format!("ReadImage pid {pid} @{offset} {len} bytes"),
            Request::WriteImage { offset, data } => {
                format!("WriteImage pid {pid} @{offset} {} bytes", data.len())
            }
            Request::Start { pc } => format!("Start pid {pid} pc {pc:#x}"),
            Request::ExecImage { size } => format!("ExecImage pid {pid} {size} bytes"),
            Request::Parent { ppid } => format!("Parent pid {pid} ppid {ppid}"),
            Request::ForkHere { parent, pc } => format!("ForkHere pid {pid} parent {parent} pc {pc:#x}"),
            Request::Freeze => format!("Freeze pid {pid}"),
            Request::Frozen { pc, asleep } => {
                format!("Frozen pid {pid} pc {pc:#x}{}", if *asleep { " asleep" } else { "" })
            }
            Request::Load(word) => format!("Load {word}"),
            Request::Stats => format!("Stats (pid {pid})"),
            Request::Net(net) => format!("Net {} node {} -> {}", net_label(&net.op), net.from, net.to),
            Request::CopyIn { addr, len } => format!("CopyIn pid {pid} @{addr:#x} {len} bytes"),
            Request::CopyOut { addr, data } => format!("CopyOut pid {pid} @{addr:#x} {} bytes", data.len()),
            Request::Prefetch(on) => format!("Prefetch {}", if *on { "on" } else { "off" }),
            Request::MoveSpace { node } => format!("MoveSpace pid {pid} to node {node}"),
        },
        Body::Reply(reply) => format!("{} (pid {pid})", reply_label(reply)),
        Body::ProtocolError(e) => format!("ProtocolError {:?} kind {} (pid {pid})", e.reason, e.kind),
        Body::Output(output) => format!("Output pid {pid} @{} {} bytes", output.offset, output.data().len()),
    }
}

/// A port message or a right's bookkeeping between nodes, in a few words.
fn net_label(op: &NetOp) -> String {
    let port = |p: &PortRef| format!("{}:{}", p.node, p.id);
    match op {
        NetOp::Message { dest, id, items, .. } => {
            format!("Message to {} id {id:#x}, {} items", port(&dest.port), items.len())
        }
        NetOp::Delivered { port: p } => format!("Delivered {}", port(p)),
        NetOp::AddRef { port: p, holder } => format!("AddRef {} for {holder}", port(p)),
        NetOp::Release { port: p, holder } => format!("Release {} by {holder}", port(p)),
        NetOp::Dead { port: p } => format!("Dead {}", port(p)),
        NetOp::NodeDead { node } => format!("NodeDead {node}"),
        NetOp::Moved { old, new } => format!("Moved {} to {}", port(old), port(new)),
        NetOp::Space { pid, names, .. } => format!("Space of pid {pid}, {} names", names.len()),
        NetOp::Piece { stream, offset, bytes } => {
            format!("Piece of stream {stream} @{offset} {} bytes", bytes.len())
        }
        NetOp::Taken { stream, upto, ok: true } => format!("Taken stream {stream} to {upto}"),
        NetOp::Taken { stream, .. } => format!("Refused stream {stream}"),
        NetOp::Batch(ops) => {
            let each: Vec<String> = ops.iter().map(net_label).collect();
            format!("Batch [{}]", each.join("; "))
        }
    }
}

fn word(bytes: &[u8], at: usize) -> u32 {
    bytes.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Decodes every frame of `trace`, in order.
pub fn decode(trace: &Trace) -> Vec<Decoded> {
    let mut streams: HashMap<(End, End, u16), Stream> = HashMap::new();
    let mut out = Vec::with_capacity(trace.records.len());
    for (index, record) in trace.records.iter().enumerate() {
        let frame = match ox_link::frame::decode(&record.bytes) {
            Ok(frame) => frame,
            Err(e) => {
                // Not ox-link (a guest of its own, such as programs/asm/linkdemo.s): the frame
                // is the message.
                let len = record.bytes.len();
                let header = format!("{len} bytes, not an ox-link frame ({e:?})");
                let label = match text(&record.bytes) {
                    Some(t) => format!("{len} bytes {t}"),
                    None => format!("{len} bytes"),
                };
                let message = (record.fate == Fate::Delivered).then_some(Completed { first: index, label });
                out.push(Decoded { header, content: String::new(), message });
                continue;
            }
        };
        let (channel, seq) = (frame.channel, frame.seq);
        if frame.kind == FrameKind::Ack {
            let header = format!("ack ch {channel} seq {seq}");
            // An acknowledgement carries nothing but its number: its fate, if not delivered.
            let content = if record.fate == Fate::Delivered {
                String::new()
            } else {
                fate_name(record.fate).to_string()
            };
            out.push(Decoded { header, content, message: None });
            continue;
        }
        let header = format!("data ch {channel} seq {seq} len {}", frame.payload.len());
        let stream = streams.entry((record.from, record.to, channel)).or_insert_with(Stream::new);
        let payload = frame.payload;
        let what = match channel {
            ox_link::frame::CHANNEL_BOOT => match ox_link::boot::parse(payload) {
                Some(ox_link::boot::Message::Load { addr, data }) => {
                    format!("LOAD {addr:#010x} {} bytes", data.len())
                }
                Some(ox_link::boot::Message::Start { entry, total, .. }) => {
                    format!("START entry {entry:#010x} total {total} bytes")
                }
                None => format!("boot payload of {} bytes", payload.len()),
            },
            CHANNEL_SATELLITE => match payload.get(1) {
                Some(1) => "Hello".to_string(),
                Some(2) => format!("HelloReply node {} ram {} KiB", word(payload, 4), word(payload, 8) >> 10),
                Some(3) => format!("Route node {} port {}", word(payload, 4), word(payload, 8)),
                _ => format!("satellite message of {} bytes", payload.len()),
            },
            CHANNEL_PROCESS => match ox_proto::FragmentHeader::decode(payload) {
                Ok((h, bytes)) => format!(
                    "fragment of message {} @{} {} of {} bytes{}",
                    h.id,
                    h.offset,
                    bytes.len(),
                    h.total,
                    if h.more { ", more" } else { "" }
                ),
                Err(e) => format!("not a fragment ({e:?})"),
            },
            _ => format!("{} bytes", payload.len()),
        };
        if record.fate != Fate::Delivered {
            let content = format!("{}: {what}", fate_name(record.fate));
            out.push(Decoded { header, content, message: None });
            continue;
        }
        if seq != stream.expected {
            let why = if seq.wrapping_sub(stream.expected) > u32::MAX / 2 {
                "resend, taken before"
            } else {
                "after a lost frame, not taken"
            };
            out.push(Decoded { header, content: format!("{why}: {what}"), message: None });
            continue;
        }
        stream.expected = stream.expected.wrapping_add(1);
        let first = *stream.first.get_or_insert(index);
        let message = match channel {
            ox_link::frame::CHANNEL_BOOT => match ox_link::boot::parse(payload) {
                Some(ox_link::boot::Message::Load { data, .. }) => {
                    stream.loads += 1;
                    stream.load_bytes += data.len() as u64;
                    None
                }
                Some(ox_link::boot::Message::Start { entry, .. }) => {
                    let label = format!(
                        "boot: {} LOADs, {} bytes; START {entry:#x}",
                        stream.loads, stream.load_bytes
                    );
                    stream.loads = 0;
                    stream.load_bytes = 0;
                    Some(label)
                }
                None => Some(what.clone()),
            },
            CHANNEL_PROCESS => match stream.reassembler.push(payload) {
                Ok(Some(bytes)) => Some(match Message::decode(&bytes) {
                    Ok(message) => message_label(&message),
                    Err(e) => format!("undecodable message ({e:?})"),
                }),
                Ok(None) => None,
                Err(e) => Some(format!("bad fragment ({e:?})")),
            },
            _ => Some(what.clone()),
        };
        if message.is_some() {
            stream.first = None;
        }
        let message = message.map(|label| Completed { first, label });
        out.push(Decoded { header, content: what, message });
    }
    out
}

/// The trace as text, a line per frame: `sent → arrive  from → to  header  content`, and the
/// message a frame completed on a line of its own.
pub fn listing(trace: &Trace) -> String {
    let mut out = String::new();
    for (record, decoded) in trace.records.iter().zip(decode(trace)) {
        out.push_str(&format!(
            "{:>12} {:>12}  {} -> {}  {}  {}\n",
            record.sent,
            record.arrive,
            trace.end_name(record.from),
            trace.end_name(record.to),
            decoded.header,
            decoded.content
        ));
        if let Some(message) = decoded.message {
            out.push_str(&format!("{:>27}  = {}\n", "", message.label));
        }
    }
    out
}
