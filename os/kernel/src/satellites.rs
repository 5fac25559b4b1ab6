//! Booting the satellites (Bach §13.1: the central processor loads the satellite kernel onto
//! each satellite over the links; the satellite's boot ROM only receives an image and jumps to
//! it). docs/boot.md tells the whole sequence.
//!
//! At startup, before init, the central kernel finds its link ports ([`linkport::count`]
//! probes them), assumes a satellite's boot ROM at the far end of each, and boots them all at
//! once: per port, an `ox_link` stop-and-wait sender on the boot channel carries the satellite
//! kernel (embedded at build time from `ORRERY_SATELLITE_IMAGE`, reduced to its `PT_LOAD`
//! segments by `cargo xtask build`; their file bytes at their physical addresses) as the `LOAD`s and `START` of an [`ox_link::boot::Plan`].
//! Once `START` is acknowledged the satellite kernel runs, and the central says `Hello` on
//! [`CHANNEL_SATELLITE`] and logs what the satellite reports about itself.
//!
//! **Satellites behind satellites** (docs/link-protocol.md, *Relaying*): a satellite reports
//! its link ports in its hello reply. Behind each port past its port 0 may wait another
//! satellite's boot ROM, which the central boots through it: frames for it carry its address
//! (its parent's node number × 16 + the parent's port), and the parent, which relays, sends
//! them out of that port. A satellite deeper than the central's own is reached through its
//! ancestors, so before booting its children the central gives each ancestor a `Route` to
//! it. At most [`LOADING`] images are on their way at a time, [`LOADING_PER_PORT`] through
//! one of the central's ports.
//!
//! The kernel is never interrupted, so this is a polling loop: it drains every port, hands
//! each frame to the boot its address names, sends what the protocol allows, resends what
//! timed out, and `wait`s for a frame or the earliest timeout (the timer armed at that
//! deadline). A satellite that has not answered within [`GIVE_UP_NS`] of the start of its
//! image is reported and left behind (and the satellites behind it with it); the system goes
//! on without it.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::fmt;

use goblin::elf::program_header::PT_LOAD;
use goblin::elf::Elf;
use ox_kcore::linkport::{self, FrameBuf, Port};
use ox_kcore::message::{HelloReply, Message, CHANNEL_SATELLITE, MAX_MESSAGE};
use ox_link::arq::{Receiver, Sender};
use ox_link::boot::Plan;
use ox_link::frame::{Frame, CHANNEL_BOOT};

use crate::global::Global;
use crate::{arch, intc, kprintln, timer};

include!(concat!(env!("OUT_DIR"), "/satellite.rs"));

/// Resend a frame after this long without its acknowledgement. A round trip of a full frame
/// is about 0.2 ms with the default link and a 100 MHz satellite, most of it the boot ROM
/// checking the CRC byte by byte; a satellite at 10 MHz still answers well within this.
const TIMEOUT_NS: u64 = 3_000_000;
/// Give up on a satellite that is not booted and answering this long after its image started.
const GIVE_UP_NS: u64 = 2_000_000_000;
/// Images on their way at once at most: each is stop-and-wait, and the central's time is
/// shared between them, so too many would each take longer than [`GIVE_UP_NS`].
const LOADING: usize = 16;
/// Images on their way through one port of the central at most: a relaying satellite's link
/// carries those of all the satellites behind it.
const LOADING_PER_PORT: usize = 8;
/// The largest node number a relaying satellite may have: addresses are 16 bits, four of
/// them the port.
const MAX_RELAY_NODE: u32 = 0xfff;

/// The satellite kernel's image: its loadable segments and its entry, and the byte count and
/// CRC of its `START` (the same for every satellite: computed once).
struct Image {
    segments: Vec<(u32, &'static [u8])>,
    entry: u32,
    checksum: (u32, u32),
}

impl Image {
    /// The embedded satellite kernel. It was built with this kernel, so a bad one is a bug.
    fn embedded() -> Image {
        let elf = Elf::parse(SATELLITE_IMAGE)
            .unwrap_or_else(|e| panic!("the embedded satellite kernel is not an ELF file: {e}"));
        let mut segments = Vec::new();
        for segment in elf.program_headers.iter().filter(|p| p.p_type == PT_LOAD && p.p_filesz > 0) {
            let (addr, offset, len) =
                (segment.p_paddr as u32, segment.p_offset as usize, segment.p_filesz as usize);
            let bytes = SATELLITE_IMAGE.get(offset..offset + len).unwrap_or_else(|| {
                panic!("the satellite kernel's segment at {addr:#010x} lies outside its file")
            });
            assert!(addr % 4 == 0, "the satellite kernel's segment at {addr:#010x} is not word-aligned");
            segments.push((addr, bytes));
        }
        let checksum = ox_link::boot::checksum(&segments);
        Image { segments, entry: elf.header.e_entry as u32, checksum }
    }

    /// Bytes of all segments.
    fn bytes(&self) -> usize {
        self.segments.iter().map(|(_, bytes)| bytes.len()).sum()
    }
}

/// Where one satellite's boot is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not started: its parent is not up and routed yet, or its port is busy.
    Waiting,
    /// Sending the image.
    Loading,
    /// Booted; waiting for the answer to `Hello`.
    Hello,
    /// Booted and answered.
    Up,
    /// Gave up on it.
    Lost,
}

/// Where a satellite hangs: on a port of the central, or on port `port` of satellite `node`.
pub struct Where(pub Port);

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.address() {
            0 => write!(f, "port {}", self.0.index()),
            address => write!(f, "port {} of node {}", address & 0xf, address >> 4),
        }
    }
}

/// The boot of the satellite behind one port (of the central, or of a relaying satellite).
struct Boot<'a> {
    /// The central's port towards it, with its address.
    port: Port,
    /// The boot of the satellite it hangs on, if not on the central.
    parent: Option<usize>,
    plan: Plan<'a>,
    boot: Sender,
    hello: Sender,
    replies: Receiver,
    /// Satellite messages to say after `Hello` (routes), one at a time.
    outbox: VecDeque<Message>,
    phase: Phase,
    /// The node index the satellite reported.
    node: u32,
    /// Its link ports, as it reported them.
    ports: u32,
    /// Whether the boots of the satellites behind it were made.
    explored: bool,
    /// When the loop next steps it (0: at once): a frame arrived, or a timeout.
    due: u64,
    /// Data frames sent on the boot channel, first copies only.
    frames: u32,
    /// Image bytes sent in `LOAD`s (with the padding to whole words).
    bytes: u32,
    give_up_at: u64,
    /// The incarnation its `Hello` tells it (how many times it was booted and died before).
    incarnation: u32,
}

impl<'a> Boot<'a> {
    fn new(port: Port, parent: Option<usize>, image: &'a Image) -> Boot<'a> {
        let mut boot = Sender::new(CHANNEL_BOOT, port.mtu(), TIMEOUT_NS);
        boot.set_port_checksums(port.checksums());
        let plan = Plan::new(&image.segments, image.entry, boot.max_payload()).with_checksum(image.checksum);
        Boot {
            port,
            parent,
            plan,
            boot,
            hello: Sender::new(CHANNEL_SATELLITE, port.mtu(), TIMEOUT_NS),
            replies: Receiver::new(CHANNEL_SATELLITE),
            outbox: VecDeque::new(),
            phase: Phase::Waiting,
            node: 0,
            ports: 0,
            explored: false,
            due: 0,
            frames: 0,
            bytes: 0,
            give_up_at: u64::MAX,
            incarnation: 0,
        }
    }

    /// Whether nothing more is to be done: up with every message said, or lost.
    fn finished(&self) -> bool {
        match self.phase {
            Phase::Up => self.outbox.is_empty() && self.hello.is_idle(),
            Phase::Lost => true,
            Phase::Waiting | Phase::Loading | Phase::Hello => false,
        }
    }

    /// Whether it is up and every route given to it is in place.
    fn routed(&self) -> bool {
        self.phase == Phase::Up && self.finished()
    }

    /// Starts sending the image at `now`.
    fn start(&mut self, now: u64) {
        self.phase = Phase::Loading;
        self.give_up_at = now + GIVE_UP_NS;
        self.due = 0;
    }

    /// When this boot next needs the CPU without a frame arriving.
    fn deadline(&self) -> u64 {
        [self.boot.deadline(), self.hello.deadline()].into_iter().flatten().fold(self.give_up_at, u64::min)
    }

    /// Handles a frame that arrived with this boot's address.
    fn on_frame(&mut self, frame: &Frame) {
        self.due = 0;
        let now = arch::time_ns();
        self.boot.receive_frame(frame, now);
        self.hello.receive_frame(frame, now);
        let received = self.replies.receive_frame(frame);
        if let Some(ack) = received.ack {
            self.port.send(&ack.frame());
        }
        if let Some(payload) = received.payload {
            self.answered(payload);
        }
    }

    /// Sends what may be sent, resends what timed out.
    fn step(&mut self, now: u64) {
        if matches!(self.phase, Phase::Waiting | Phase::Lost) {
            return;
        }
        if self.phase == Phase::Loading && self.boot.is_idle() {
            self.send_next(now);
        }
        if self.phase == Phase::Up && self.hello.is_idle() {
            if let Some(message) = self.outbox.pop_front() {
                self.say(message, now);
            }
        }
        for sender in [&mut self.boot, &mut self.hello] {
            if let Some(frame) = sender.poll(now) {
                // A full transmit queue loses the frame like the link would: the timeout
                // sends it again.
                self.port.send(frame);
            }
        }
        if !self.finished() && now >= self.give_up_at {
            kprintln!(
                "satellite on {} has not answered in {} ms; going on without it",
                Where(self.port),
                GIVE_UP_NS / 1_000_000
            );
            self.phase = Phase::Lost;
        }
        self.due = self.deadline();
    }

    /// Sends `message` on the satellite channel (whose sender is idle).
    fn say(&mut self, message: Message, now: u64) {
        let mut bytes = [0u8; MAX_MESSAGE];
        let len = message.encode(&mut bytes);
        if let Ok(frame) = self.hello.send(&bytes[..len], now) {
            self.port.send(frame);
        }
    }

    /// Sends the next boot payload, or, once `START` is acknowledged, says `Hello`. The
    /// payload is built straight into the frame the sender keeps, from the image's bytes.
    fn send_next(&mut self, now: u64) {
        let mut head = [0u8; 16];
        let Some((head_len, data, pad)) = self.plan.next_parts(&mut head) else {
            kprintln!(
                "booted satellite on {}: {} bytes in {} frames, {} retransmissions",
                Where(self.port),
                self.bytes,
                self.frames,
                self.boot.retransmissions
            );
            self.phase = Phase::Hello;
            let hello = Message::Hello { central: ox_kcore::ipcall::node(), incarnation: self.incarnation };
            self.say(hello, now);
            return;
        };
        if head[..4] == ox_link::boot::OP_LOAD.to_le_bytes() {
            self.bytes += (data.len() + pad) as u32;
        }
        self.frames += 1;
        if let Ok(frame) = self.boot.send_parts(&[&head[..head_len], data, &[0u8; 3][..pad]], now) {
            self.port.send(frame);
        }
    }

    /// The satellite's answer on its channel.
    fn answered(&mut self, payload: &[u8]) {
        match Message::decode(payload) {
            Some(Message::HelloReply(HelloReply { node, ram, free_frames, total_frames, ports }))
                if self.phase == Phase::Hello =>
            {
                kprintln!(
                    "satellite on {} answers: node {node}, {} KiB of RAM, {free_frames} of {total_frames} frames free",
                    Where(self.port),
                    ram / 1024
                );
                self.phase = Phase::Up;
                self.give_up_at = u64::MAX;
                self.node = node;
                self.ports = ports;
            }
            // A hello reply again (its acknowledgement was lost): acknowledged above.
            Some(Message::HelloReply(_)) => {}
            // A relay's port changed while it was being booted: what is behind it is booted
            // (or given up) with it all the same.
            Some(Message::LinkState { .. }) => {}
            other => kprintln!("satellite on {} sent {other:?}, not a hello reply", Where(self.port)),
        }
    }
}

/// The boots of the satellites hanging on the ports past 0 of satellite `boots[at]`, just up,
/// after giving each of its ancestors a route to it (so frames addressed to those ports find
/// their way). None if it has no such port, or a node number too large to be part of an
/// address.
/// The ancestors told are returned too (they have a route to say).
fn children<'a>(
    boots: &mut [Boot<'a>],
    at: usize,
    image: &'a Image,
    now: u64,
) -> (Vec<Boot<'a>>, Vec<usize>) {
    let (node, ports, port) = (boots[at].node, boots[at].ports, boots[at].port);
    if ports <= 1 {
        return (Vec::new(), Vec::new());
    }
    if node > MAX_RELAY_NODE {
        kprintln!("satellite node {node} has {ports} ports, but a node past {MAX_RELAY_NODE} cannot relay");
        return (Vec::new(), Vec::new());
    }
    let (mut child, mut ancestor, mut told) = (at, boots[at].parent, Vec::new());
    while let Some(up) = ancestor {
        let toward = u32::from(boots[child].port.address() & 0xf);
        boots[up].outbox.push_back(Message::Route { node, port: toward });
        boots[up].give_up_at = now + GIVE_UP_NS;
        boots[up].due = 0;
        told.push(up);
        (child, ancestor) = (up, boots[up].parent);
    }
    let more = (1..ports.min(linkport::MAX_PORTS))
        .map(|p| Boot::new(port.routed((node << 4 | p) as u16), Some(at), image))
        .collect();
    (more, told)
}

/// Whether the boot of `boots[at]`, waiting, may start as far as its ancestors go: each up
/// and routed. Lost if one is lost.
fn ready(boots: &[Boot], at: usize) -> Result<bool, ()> {
    let mut ancestor = boots[at].parent;
    while let Some(up) = ancestor {
        match boots[up].phase {
            Phase::Lost => return Err(()),
            _ if !boots[up].routed() => return Ok(false),
            _ => ancestor = boots[up].parent,
        }
    }
    Ok(true)
}

/// Starts the waiting boots that may start, oldest first, as far as [`LOADING`] and
/// [`LOADING_PER_PORT`] allow; those whose ancestor was lost are lost.
fn start_waiting(boots: &mut [Boot], waiting: &mut VecDeque<usize>, active: &mut Vec<usize>, now: u64) {
    if waiting.is_empty() {
        return;
    }
    let mut loading = [0usize; linkport::MAX_PORTS as usize];
    for &at in active.iter().filter(|&&at| boots[at].phase == Phase::Loading) {
        loading[boots[at].port.index() as usize] += 1;
    }
    let mut total: usize = loading.iter().sum();
    if total >= LOADING {
        return;
    }
    waiting.retain(|&at| {
        let port = boots[at].port.index() as usize;
        if total >= LOADING || loading[port] >= LOADING_PER_PORT {
            return true;
        }
        match ready(boots, at) {
            Ok(true) => {
                boots[at].start(now);
                active.push(at);
                loading[port] += 1;
                total += 1;
                false
            }
            Ok(false) => true,
            Err(()) => {
                boots[at].phase = Phase::Lost;
                false
            }
        }
    });
}

/// The boots of the satellites behind some ports of the central, and of those behind them as
/// they come up: what [`boot_all`] drives at the start, and a [`Reboot`] while the system runs.
struct Tree<'a> {
    image: &'a Image,
    boots: Vec<Boot<'a>>,
    /// Which boot each (port, address) is: frames are handed over by it.
    whose: BTreeMap<(u32, u16), usize>,
    /// The boots not started yet, in the order they were found, and those under way.
    waiting: VecDeque<usize>,
    active: Vec<usize>,
    /// The incarnation of the satellite at each address, if not 0.
    incarnations: BTreeMap<u16, u32>,
}

impl<'a> Tree<'a> {
    /// The boots of the satellites behind `ports`, each at the incarnation `incarnations`
    /// gives its address (0 if none).
    fn new(ports: &[Port], image: &'a Image, incarnations: BTreeMap<u16, u32>) -> Tree<'a> {
        let mut tree = Tree {
            image,
            boots: Vec::new(),
            whose: BTreeMap::new(),
            waiting: VecDeque::new(),
            active: Vec::new(),
            incarnations,
        };
        for &port in ports {
            tree.add(Boot::new(port, None, image));
        }
        tree
    }

    /// Adds `boot` to those waiting.
    fn add(&mut self, mut boot: Boot<'a>) {
        boot.incarnation = self.incarnations.get(&boot.port.address()).copied().unwrap_or(0);
        self.whose.insert((boot.port.index(), boot.port.address()), self.boots.len());
        self.waiting.push_back(self.boots.len());
        self.boots.push(boot);
    }

    /// Hands `frame`, from the central's port `port`, to the boot its address names; false
    /// if none does.
    fn on_frame(&mut self, port: u32, frame: &Frame) -> bool {
        let Some(&at) = self.whose.get(&(port, frame.address)) else { return false };
        self.boots[at].on_frame(frame);
        true
    }

    /// Starts the boots that may start, steps those due at `now`, and adds (and starts) the
    /// boots of the satellites behind those just up; whether every boot has finished.
    fn step(&mut self, now: u64) -> bool {
        start_waiting(&mut self.boots, &mut self.waiting, &mut self.active, now);
        let mut i = 0;
        while let Some(&at) = self.active.get(i) {
            if !self.boots[at].finished() && self.boots[at].due <= now {
                self.boots[at].step(now);
            }
            if self.boots[at].phase == Phase::Up && !self.boots[at].explored {
                self.boots[at].explored = true;
                let (more, told) = children(&mut self.boots, at, self.image, now);
                more.into_iter().for_each(|boot| self.add(boot));
                for t in told {
                    if !self.active.contains(&t) {
                        self.active.push(t);
                    }
                }
            }
            i += 1;
        }
        let boots = &self.boots;
        self.active.retain(|&at| !boots[at].finished());
        // Those just found start now, so that a boot still to come is always under way.
        start_waiting(&mut self.boots, &mut self.waiting, &mut self.active, now);
        self.active.is_empty() && self.waiting.is_empty()
    }

    /// When a boot under way next needs the CPU without a frame arriving.
    fn due(&self) -> Option<u64> {
        self.active.iter().map(|&at| self.boots[at].due).min()
    }

    /// The satellites booted and answering: port (with their address), node index and the
    /// receiver of their hello channel (which must go on acknowledging a repeated hello
    /// reply whose acknowledgement was lost).
    fn take_up(&mut self) -> Vec<(Port, u32, Receiver)> {
        let boots = core::mem::take(&mut self.boots);
        boots.into_iter().filter(|b| b.phase == Phase::Up).map(|b| (b.port, b.node, b.replies)).collect()
    }
}

/// The satellite kernel's image for boots after the first ([`Reboot`]): parsed once, kept for
/// the rest of the run.
static REBOOT_IMAGE: Global<Option<&'static Image>> = Global::new("satellite image for reboots", None);

/// Booting again a satellite on a port of the central that died and came back (its link is up
/// again, its boot ROM waiting), and the satellites behind it if it relays: a [`Tree`] of
/// boots exactly as at the start, stepped by the process channel's interrupts and ticks
/// (`remote`) while the system runs.
pub struct Reboot {
    port: Port,
    tree: Tree<'static>,
}

impl Reboot {
    /// Starts booting the satellite behind `port` (a port of the central) at `now`, and those
    /// behind it; each is told the incarnation `incarnations` gives its address (0 if none).
    pub fn new(port: Port, incarnations: BTreeMap<u16, u32>, now: u64) -> Reboot {
        let image = *REBOOT_IMAGE.lock().get_or_insert_with(|| Box::leak(Box::new(Image::embedded())));
        let mut tree = Tree::new(&[port], image, incarnations);
        tree.step(now);
        Reboot { port, tree }
    }

    /// Handles a frame that arrived for it, or for a satellite behind it; false if the frame
    /// is for neither.
    pub fn on_frame(&mut self, frame: &Frame) -> bool {
        self.tree.on_frame(self.port.index(), frame)
    }

    /// When it next needs the CPU without a frame arriving.
    pub fn due(&self) -> Option<u64> {
        self.tree.due()
    }

    /// Sends what may be sent at `now`, resends what timed out; once every boot has finished,
    /// the satellites booted and answering `Hello` (none if the first was given up,
    /// [`GIVE_UP_NS`] after its start): port, node index and the receiver of the hello
    /// channel of each.
    pub fn step(&mut self, now: u64) -> Option<Vec<(Port, u32, Receiver)>> {
        self.tree.step(now).then(|| self.tree.take_up())
    }
}

/// Boots the satellite behind every link port, and those behind them, and waits until each
/// answers (or is given up); returns those that answered: port (with their address), node
/// index and the receiver of their hello channel (which must go on acknowledging a repeated
/// hello reply whose acknowledgement was lost).
pub fn boot_all() -> Vec<(Port, u32, Receiver)> {
    let ports: Vec<Port> = (0..linkport::count()).filter_map(Port::probe).collect();
    if ports.is_empty() {
        kprintln!("no link ports: no satellites to boot");
        return Vec::new();
    }
    let image = Image::embedded();
    kprintln!(
        "{} link port(s); booting a satellite kernel of {} bytes in {} segment(s) on each",
        ports.len(),
        image.bytes(),
        image.segments.len()
    );
    let started = arch::time_ns();
    let mut tree = Tree::new(&ports, &image, BTreeMap::new());
    let enabled = intc::enabled();
    let lines = ports.iter().fold(1 << intc::IRQ_TIMER, |lines, port| lines | 1 << port.line());
    intc::set_enabled(lines);
    ports.iter().for_each(|port| port.set_rx_interrupt(true));
    let mut buf = FrameBuf::new();
    loop {
        let now = arch::time_ns();
        for port in &ports {
            while let Some(checked) = port.receive_frame(&mut buf) {
                // A damaged frame is dropped (its sender resends it), and so is one whose
                // address names no boot.
                if let Ok(frame) = checked {
                    tree.on_frame(port.index(), &frame);
                }
            }
        }
        if tree.step(now) {
            break;
        }
        if let Some(deadline) = tree.due() {
            timer::wake_at(deadline);
            arch::wait();
        }
    }
    ports.iter().for_each(|port| port.set_rx_interrupt(false));
    timer::stop();
    intc::set_enabled(enabled);
    let tried = tree.boots.len();
    let up = tree.take_up();
    let elapsed = arch::time_ns() - started;
    kprintln!(
        "{} of {tried} satellite(s) up after {}.{:03} ms",
        up.len(),
        elapsed / 1_000_000,
        elapsed / 1_000 % 1_000
    );
    up
}
