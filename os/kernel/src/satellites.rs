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
//! The kernel is never interrupted, so this is a polling loop: it drains every port, sends
//! what the protocol allows, resends what timed out, and `wait`s for a frame or the earliest
//! timeout (the timer armed at that deadline). A satellite that has not answered within
//! [`GIVE_UP_NS`] is reported and left behind; the system goes on without it.

use alloc::vec::Vec;

use goblin::elf::program_header::PT_LOAD;
use goblin::elf::Elf;
use ox_kcore::linkport::{self, Port, MAX_MTU};
use ox_kcore::message::{HelloReply, Message, CHANNEL_SATELLITE, MAX_MESSAGE};
use ox_link::arq::{Receiver, Sender};
use ox_link::boot::Plan;
use ox_link::frame::CHANNEL_BOOT;

use crate::{arch, intc, kprintln, timer};

include!(concat!(env!("OUT_DIR"), "/satellite.rs"));

/// Resend a frame after this long without its acknowledgement. A round trip of a full frame
/// is about 0.2 ms with the default link and a 100 MHz satellite, most of it the boot ROM
/// checking the CRC byte by byte; a satellite at 10 MHz still answers well within this.
const TIMEOUT_NS: u64 = 3_000_000;
/// Give up on a satellite that is not booted and answering after this long.
const GIVE_UP_NS: u64 = 2_000_000_000;

/// The satellite kernel's image: its loadable segments and its entry.
struct Image {
    segments: Vec<(u32, &'static [u8])>,
    entry: u32,
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
        Image { segments, entry: elf.header.e_entry as u32 }
    }

    /// Bytes of all segments.
    fn bytes(&self) -> usize {
        self.segments.iter().map(|(_, bytes)| bytes.len()).sum()
    }
}

/// Where one satellite's boot is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Sending the image.
    Loading,
    /// Booted; waiting for the answer to `Hello`.
    Hello,
    /// Booted and answered.
    Up,
    /// Gave up on it.
    Lost,
}

/// The boot of the satellite behind one port.
struct Boot<'a> {
    port: Port,
    plan: Plan<'a>,
    boot: Sender,
    hello: Sender,
    replies: Receiver,
    phase: Phase,
    /// The node index the satellite reported.
    node: u32,
    /// Data frames sent on the boot channel, first copies only.
    frames: u32,
    /// Image bytes sent in `LOAD`s (with the padding to whole words).
    bytes: u32,
    give_up_at: u64,
}

impl<'a> Boot<'a> {
    fn new(port: Port, image: &'a Image, now: u64) -> Boot<'a> {
        let boot = Sender::new(CHANNEL_BOOT, port.mtu(), TIMEOUT_NS);
        let plan = Plan::new(&image.segments, image.entry, boot.max_payload());
        Boot {
            port,
            plan,
            boot,
            hello: Sender::new(CHANNEL_SATELLITE, port.mtu(), TIMEOUT_NS),
            replies: Receiver::new(CHANNEL_SATELLITE),
            phase: Phase::Loading,
            node: 0,
            frames: 0,
            bytes: 0,
            give_up_at: now + GIVE_UP_NS,
        }
    }

    fn finished(&self) -> bool {
        matches!(self.phase, Phase::Up | Phase::Lost)
    }

    /// When this boot next needs the CPU without a frame arriving.
    fn deadline(&self) -> u64 {
        [self.boot.deadline(), self.hello.deadline()].into_iter().flatten().fold(self.give_up_at, u64::min)
    }

    /// Handles what arrived, sends what may be sent, resends what timed out.
    fn step(&mut self, now: u64, buf: &mut [u8; MAX_MTU]) {
        if self.finished() {
            return;
        }
        while let Some(len) = self.port.receive(buf) {
            let frame = &buf[..len];
            self.boot.receive(frame);
            self.hello.receive(frame);
            let received = self.replies.receive(frame);
            if let Some(ack) = received.ack {
                self.port.send(&ack);
            }
            if let Some(payload) = received.payload {
                self.answered(payload);
            }
        }
        if self.phase == Phase::Loading && self.boot.is_idle() {
            self.send_next(now);
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
                "satellite on port {} has not answered in {} ms; going on without it",
                self.port.index(),
                GIVE_UP_NS / 1_000_000
            );
            self.phase = Phase::Lost;
        }
    }

    /// Sends the next boot payload, or, once `START` is acknowledged, says `Hello`.
    fn send_next(&mut self, now: u64) {
        let mut payload = [0u8; MAX_MTU];
        let Some(len) = self.plan.next_payload(&mut payload) else {
            kprintln!(
                "booted satellite on port {}: {} bytes in {} frames, {} retransmissions",
                self.port.index(),
                self.bytes,
                self.frames,
                self.boot.retransmissions
            );
            self.phase = Phase::Hello;
            let mut hello = [0u8; MAX_MESSAGE];
            let len = Message::Hello { central: ox_kcore::ipcall::node() }.encode(&mut hello);
            if let Ok(frame) = self.hello.send(&hello[..len], now) {
                self.port.send(frame);
            }
            return;
        };
        if matches!(ox_link::boot::parse(&payload[..len]), Some(ox_link::boot::Message::Load { .. })) {
            self.bytes += (len - 8) as u32;
        }
        self.frames += 1;
        if let Ok(frame) = self.boot.send(&payload[..len], now) {
            self.port.send(frame);
        }
    }

    /// The satellite's answer on its channel.
    fn answered(&mut self, payload: &[u8]) {
        match Message::decode(payload) {
            Some(Message::HelloReply(HelloReply { node, ram, free_frames, total_frames })) => {
                kprintln!(
                    "satellite on port {} answers: node {node}, {} KiB of RAM, {free_frames} of {total_frames} frames free",
                    self.port.index(),
                    ram / 1024
                );
                self.phase = Phase::Up;
                self.node = node;
            }
            other => kprintln!("satellite on port {} sent {other:?}, not a hello reply", self.port.index()),
        }
    }
}

/// Boots the satellite behind every link port and waits until each answers (or is given up);
/// returns those that answered: port, node index and the receiver of their hello channel
/// (which must go on acknowledging a repeated hello reply whose acknowledgement was lost).
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
    let mut boots: Vec<Boot> = ports.iter().map(|&port| Boot::new(port, &image, started)).collect();
    let enabled = intc::enabled();
    let lines = ports.iter().fold(1 << intc::IRQ_TIMER, |lines, port| lines | 1 << port.line());
    intc::set_enabled(lines);
    ports.iter().for_each(|port| port.set_rx_interrupt(true));
    let mut buf = [0u8; MAX_MTU];
    loop {
        let now = arch::time_ns();
        boots.iter_mut().for_each(|boot| boot.step(now, &mut buf));
        if boots.iter().all(Boot::finished) {
            break;
        }
        let deadline = boots.iter().filter(|b| !b.finished()).map(Boot::deadline).min();
        timer::wake_at(deadline.unwrap_or(now));
        arch::wait();
    }
    ports.iter().for_each(|port| port.set_rx_interrupt(false));
    timer::stop();
    intc::set_enabled(enabled);
    let up = boots.iter().filter(|b| b.phase == Phase::Up).count();
    let elapsed = arch::time_ns() - started;
    kprintln!(
        "{up} of {} satellite(s) up after {}.{:03} ms",
        boots.len(),
        elapsed / 1_000_000,
        elapsed / 1_000 % 1_000
    );
    boots.into_iter().filter(|b| b.phase == Phase::Up).map(|b| (b.port, b.node, b.replies)).collect()
}
