//! The satellite boot ROM (`os/bootrom/bootrom.s`) against the link transport of `os/link`:
//! a host-side sender plays the central processor, sends an image over a link that loses and
//! damages frames, and the satellite must boot it, every time, identically.

use orrery_emulator::console::Capture;
use orrery_emulator::loader::read_rom;
use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_tests::Faults;
use orrery_toolchain::asm::{assemble, Options, Program};
use ox_link::arq::Sender;
use ox_link::boot::Plan;
use ox_link::frame::{self, Kind, CHANNEL_BOOT};

const QUANTUM_NS: u64 = 10_000;
const TIMEOUT_NS: u64 = 100_000;

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn satellite() -> (Machine, Capture) {
    let console = Capture::new();
    let mut config = MachineConfig::new(1 << 20, Box::new(console.clone()));
    config.node_id = 3;
    config.link_mtus = vec![1024];
    let mut machine = Machine::new(config);
    machine.boot_rom(&read_rom(&repo("os/bootrom/bootrom.s")).unwrap()).unwrap();
    (machine, console)
}

fn program(path: &str) -> Program {
    let text = std::fs::read_to_string(repo(path)).unwrap();
    assemble(&[(path, &text)], &Options::default()).unwrap()
}

/// What a boot over a faulty link did.
struct Boot {
    console: String,
    state: RunState,
    frames_sent: u32,
    retransmissions: u32,
    dropped: u32,
    corrupted: u32,
    time_ns: u64,
}

/// Boots `image` on a fresh satellite over a link with the given faults.
fn boot(image: &Program, faults: &mut Faults) -> Boot {
    let (mut sat, console) = satellite();
    let segments: Vec<(u32, &[u8])> = image
        .sections
        .iter()
        .filter(|s| !s.nobits && !s.bytes.is_empty())
        .map(|s| (s.addr, &s.bytes[..]))
        .collect();
    let mut sender = Sender::new(CHANNEL_BOOT, 1024, TIMEOUT_NS);
    let mut plan = Plan::new(&segments, image.entry, sender.max_payload());
    let mut payload = [0u8; 1024];
    let (mut now, mut frames_sent) = (0u64, 0u32);
    let mut state = RunState::Running;
    while now < 1_000_000_000 {
        now += QUANTUM_NS;
        let target = sat.cpu.clock.cycles_until(now);
        state = sat.run(target);
        if matches!(state, RunState::PoweredOff(_)) {
            break;
        }
        sat.idle_until(target);
        let port = sat.link_port(0).unwrap();
        for reply in port.take_sent() {
            if let Some(reply) = faults.cross(&reply.data) {
                sender.receive(&reply, now);
            }
        }
        let frame = if sender.is_idle() {
            plan.next_payload(&mut payload).map(|n| sender.send(&payload[..n], now).unwrap().to_vec())
        } else {
            sender.poll(now).map(<[u8]>::to_vec)
        };
        if let Some(frame) = frame {
            frames_sent += 1;
            if let Some(frame) = faults.cross(&frame) {
                sat.link_port(0).unwrap().deliver(frame);
            }
        }
    }
    let console = console.text();
    Boot {
        console,
        state,
        frames_sent,
        retransmissions: sender.retransmissions,
        dropped: faults.dropped,
        corrupted: faults.corrupted,
        time_ns: now,
    }
}

#[test]
fn a_clean_link_boots_the_image() {
    let boot = boot(&program("programs/asm/hello.s"), &mut Faults::new(1, 0.0, 0.0));
    assert_eq!(boot.state, RunState::PoweredOff(0));
    assert_eq!(boot.retransmissions, 0);
    insta::assert_snapshot!(format!(
        "{}--- {} frames, {} ns\n",
        boot.console, boot.frames_sent, boot.time_ns
    ));
}

#[test]
fn five_percent_loss_and_one_percent_corruption_still_boot() {
    let image = program("programs/asm/paging.s");
    let mut faults = Faults::new(42, 0.05, 0.01);
    let first = boot(&image, &mut faults);
    assert!(first.console.contains("bytes checked; starting it"), "{}", first.console);
    assert!(first.console.ends_with("kernel: no process left, powering off\n"), "{}", first.console);
    assert_eq!(first.state, RunState::PoweredOff(0));
    let again = boot(&image, &mut Faults::new(42, 0.05, 0.01));
    assert_eq!((again.console, again.time_ns), (first.console, first.time_ns), "deterministic");
    assert!(first.dropped > 0 || first.corrupted > 0, "faults were injected");
}

#[test]
fn heavy_loss_costs_retransmissions_but_never_a_wrong_image() {
    for seed in 1..=8 {
        let mut faults = Faults::new(seed, 0.3, 0.2);
        let boot = boot(&program("programs/asm/hello.s"), &mut faults);
        assert_eq!(boot.state, RunState::PoweredOff(0), "seed {seed}: {}", boot.console);
        assert!(boot.console.ends_with("Hello from ox32!\n"), "seed {seed}: {}", boot.console);
        assert!(boot.retransmissions > 0, "seed {seed}");
    }
}

/// Sends one data frame with `payload` as sequence `seq` and returns the ROM's reply frames.
fn exchange(sat: &mut Machine, seq: u32, payload: &[u8]) -> Vec<Vec<u8>> {
    let mut frame = [0u8; 1024];
    let n = frame::encode(&mut frame, Kind::Data, CHANNEL_BOOT, seq, payload);
    sat.link_port(0).unwrap().deliver(frame[..n].to_vec());
    let target = sat.cpu.cycles + 2_000_000;
    sat.run(target);
    sat.idle_until(target);
    sat.link_port(0).unwrap().take_sent().into_iter().map(|f| f.data).collect()
}

#[test]
fn bad_loads_and_mismatched_starts_are_refused() {
    let (mut sat, console) = satellite();
    // A LOAD below RAM is refused (and not acknowledged).
    let mut load = vec![1, 0, 0, 0];
    load.extend_from_slice(&0x1000u32.to_le_bytes());
    load.extend_from_slice(&[0; 8]);
    assert!(exchange(&mut sat, 0, &load).is_empty());
    // A good LOAD is acknowledged once, and its repeat is acknowledged again.
    load[4..8].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    let acks = exchange(&mut sat, 0, &load);
    assert_eq!(acks.len(), 1);
    let ack = frame::decode(&acks[0]).unwrap();
    assert_eq!((ack.kind, ack.seq), (Kind::Ack, 0));
    assert_eq!(exchange(&mut sat, 0, &load).len(), 1);
    // A START that claims other bytes is refused and the transfer starts over.
    let mut start = vec![2, 0, 0, 0];
    for word in [0x8000_0000u32, 8, 0xdead_beef] {
        start.extend_from_slice(&word.to_le_bytes());
    }
    assert!(exchange(&mut sat, 1, &start).is_empty());
    // Frames out of order or for another channel are dropped.
    assert!(exchange(&mut sat, 5, &load).is_empty());
    let mut other = [0u8; 64];
    let n = frame::encode(&mut other, Kind::Data, 9, 0, &load);
    sat.link_port(0).unwrap().deliver(other[..n].to_vec());
    sat.run(sat.cpu.cycles + 100_000);
    assert!(sat.link_port(0).unwrap().take_sent().is_empty());
    insta::assert_snapshot!(console.text());
}
