//! `orrery trace` and `orrery topology graph` from the command line, on a trace made here: an
//! `open` in two fragments and its reply, an acknowledgement, and a lost frame. A damaged
//! trace file is a clear error (exit status 2), never a panic; and random traces — frames of
//! random bytes, or well-formed frames of random payloads on every channel, with random fates
//! and times, and random damage to the file — parse or are refused, and what parses decodes
//! and draws well-formed SVG and pcap without a panic.

use std::path::PathBuf;
use std::process::{Command, Output};

use orrery_emulator::system::{Fate, Target};
use orrery_emulator::topology::{Endpoint, Topology};
use orrery_emulator::trace::{header, record_bytes};
use ox_link::frame::{encode, Kind};
use ox_proto::{Call, Env, Fragmenter, Message, Reply, Request, Syscall, CHANNEL_PROCESS};
use proptest::prelude::{any, prop, proptest, ProptestConfig, Strategy};

/// A scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orrery-pictures-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const TOPOLOGY: &str = "[[node]]\nname = \"cp\"\nrole = \"central\"\nmemory = \"1M\"\nimage = \"t.s\"\n\
                        [[node]]\nname = \"sat1\"\nrole = \"satellite\"\nmemory = \"1M\"\nimage = \"t.s\"\n\
                        [[link]]\na = \"cp.0\"\nb = \"sat1.0\"\nlatency_us = 5\n";

fn frames(message: &Message, id: u16, mut seq: u32, max_payload: usize) -> Vec<Vec<u8>> {
    let bytes = message.encode().unwrap();
    let mut fragmenter = Fragmenter::new(id, &bytes, max_payload).unwrap();
    let mut out = Vec::new();
    let mut payload = Vec::new();
    while fragmenter.write_next(&mut payload) {
        let mut frame = vec![0; 16 + payload.len()];
        encode(&mut frame, Kind::Data, CHANNEL_PROCESS, seq, &payload);
        out.push(frame);
        seq += 1;
    }
    out
}

/// A trace: `open("/etc/motd")` from sat1 in two fragments (the second lost once and sent
/// again), the acknowledgement, and the reply 3.
fn trace() -> Vec<u8> {
    let topology = Topology::parse("t.toml", TOPOLOGY, std::path::Path::new(".")).unwrap();
    let (cp, sat) =
        (Target::Port(Endpoint { node: 0, port: 0 }), Target::Port(Endpoint { node: 1, port: 0 }));
    let open = Message::request(
        12,
        Request::StubExecutes(Call {
            call: Syscall::Open,
            args: [0x12f00, 9, 0, 0, 0, 0],
            env: Env { uid: 1000, gid: 100 },
            data: b"/etc/motd".to_vec(),
            prefetched: true,
        }),
    );
    let request = frames(&open, 0, 0, 48);
    assert_eq!(request.len(), 2);
    let mut bytes = header(&topology);
    bytes.extend(record_bytes(Fate::Delivered, sat, cp, 1000, 2000, &request[0]));
    bytes.extend(record_bytes(Fate::Dropped, sat, cp, 1100, 2100, &request[1]));
    bytes.extend(record_bytes(Fate::Delivered, sat, cp, 5000, 6000, &request[1]));
    let mut ack = [0; 16];
    encode(&mut ack, Kind::Ack, CHANNEL_PROCESS, 1, &[]);
    bytes.extend(record_bytes(Fate::Dropped, cp, sat, 6400, 7400, &ack));
    bytes.extend(record_bytes(Fate::Delivered, cp, sat, 6500, 7500, &ack));
    let reply = frames(&Message::reply(12, Reply::ok(3)), 0, 0, 1008);
    bytes.extend(record_bytes(Fate::Delivered, cp, sat, 8000, 9000, &reply[0]));
    bytes
}

fn orrery(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orrery")).args(args).output().unwrap()
}

#[test]
fn trace_commands_read_a_trace() {
    let dir = scratch("commands");
    let path = dir.join("t.trace");
    std::fs::write(&path, trace()).unwrap();
    let path = path.to_str().unwrap();

    let show = orrery(&["trace", "show", path]);
    assert!(show.status.success(), "{}", String::from_utf8_lossy(&show.stderr));
    let text = String::from_utf8(show.stdout).unwrap();
    assert!(text.contains("lost: fragment of message 0"), "{text}");
    assert!(text.contains("= StubExecutes open \"/etc/motd\" (pid 12)"), "{text}");
    assert!(text.contains("ack ch 2 seq 1"), "{text}");
    // A lost acknowledgement says so (one delivered says nothing more).
    assert_eq!(
        text.lines().filter(|l| l.contains("ack ch 2 seq 1") && l.trim_end().ends_with("lost")).count(),
        1,
        "{text}"
    );
    assert!(text.contains("= Reply 3 (pid 12)"), "{text}");

    let svg = dir.join("chart.svg");
    let chart = orrery(&["trace", "chart", path, "-o", svg.to_str().unwrap(), "--node", "sat1,cp"]);
    assert!(chart.status.success(), "{}", String::from_utf8_lossy(&chart.stderr));
    let svg = std::fs::read_to_string(&svg).unwrap();
    orrery_emulator::trace::svg::check_well_formed(&svg).unwrap();
    assert_eq!(svg.matches("marker-end=").count(), 2, "{svg}");
    // The lost fragment and the lost acknowledgement.
    assert_eq!(svg.matches('\u{d7}').count(), 2, "{svg}");

    let unknown = orrery(&["trace", "chart", path, "-o", "/dev/null", "--node", "sat9"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no node `sat9`"));

    let pcap = dir.join("t.pcap");
    let out = orrery(&["trace", "pcap", path, "-o", pcap.to_str().unwrap()]);
    assert!(out.status.success());
    let pcap = std::fs::read(&pcap).unwrap();
    assert_eq!(&pcap[..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
    assert_eq!(&pcap[20..24], &147u32.to_le_bytes());

    let topology = dir.join("t.toml");
    std::fs::write(&topology, TOPOLOGY).unwrap();
    std::fs::write(dir.join("t.s"), "wfi\n").unwrap();
    let graph = dir.join("graph.svg");
    let out = orrery(&["topology", "graph", topology.to_str().unwrap(), "-o", graph.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let graph = std::fs::read_to_string(&graph).unwrap();
    orrery_emulator::trace::svg::check_well_formed(&graph).unwrap();
    assert!(graph.contains("5 \u{b5}s, 100 Mbit/s"), "{graph}");
    assert!(graph.contains("satellite, 1 MiB"), "{graph}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_records_the_same_trace_on_any_thread_count_and_with_expect() {
    let dir = scratch("run");
    let star3 = concat!(env!("CARGO_MANIFEST_DIR"), "/../topologies/linkdemo/star3.toml");
    let mut traces = Vec::new();
    for threads in ["1", "2"] {
        let path = dir.join(format!("t{threads}.trace"));
        let out = orrery(&["run", star3, "--threads", threads, "--trace", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        traces.push(std::fs::read(&path).unwrap());
    }
    assert!(traces[0] == traces[1], "the trace differs between one thread and two");
    let script = dir.join("s.expect");
    std::fs::write(&script, "expect \"powering off\"\nexit 0\n").unwrap();
    let path = dir.join("e.trace");
    let out =
        orrery(&["run", star3, "--expect", script.to_str().unwrap(), "--trace", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read(&path).unwrap() == traces[0], "--expect records the same frames");

    let trace = orrery_emulator::trace::Trace::parse(&traces[0]).unwrap();
    let svg = orrery_emulator::trace::chart::chart(&trace, &Default::default()).unwrap();
    orrery_emulator::trace::svg::check_well_formed(&svg).unwrap();
    assert_eq!(svg.matches("marker-end=").count(), trace.records.len(), "a raw frame is a message");
    assert!(trace.records.len() >= 6, "{} frames", trace.records.len());

    let image = orrery(&["run", "/nonexistent.s", "--trace", dir.join("x.trace").to_str().unwrap()]);
    assert_eq!(image.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&image.stderr).contains("give a `.toml` topology"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_trace_is_a_clear_error() {
    let dir = scratch("damaged");
    let bytes = trace();
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("cut.trace", bytes[..bytes.len() - 3].to_vec(), "truncated"),
        ("empty.trace", Vec::new(), "ORRTRACE"),
        ("version.trace", [&bytes[..8], &[9, 0], &bytes[10..]].concat(), "version 9"),
        ("tag.trace", [&bytes[..], b"XXXX"].concat(), "does not start with `FR`"),
    ];
    for (name, bytes, says) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        for command in ["show", "chart", "pcap"] {
            let mut args = vec!["trace", command, path.to_str().unwrap()];
            if command != "show" {
                args.extend(["-o", "/dev/null"]);
            }
            let out = orrery(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {command}: {stderr}");
            assert!(stderr.contains(name) && stderr.contains(says), "{name} {command}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
    let out = orrery(&["trace", "show", dir.join("missing.trace").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// One random record: fate, direction, times, and either random bytes or a frame of kind,
/// channel, sequence number and payload.
fn record() -> impl Strategy<Value = (u8, bool, u64, u64, bool, u8, u16, u32, Vec<u8>)> {
    (
        0u8..4,
        any::<bool>(),
        any::<u64>(),
        0u64..1_000_000,
        any::<bool>(),
        1u8..3,
        0u16..4,
        0u32..4,
        prop::collection::vec(any::<u8>(), 0..200),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_traces_decode_and_draw_without_a_panic(
        records in prop::collection::vec(record(), 0..40),
        damage in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    ) {
        let topology = Topology::parse("t.toml", TOPOLOGY, std::path::Path::new(".")).unwrap();
        let (cp, sat) = (Target::Port(Endpoint { node: 0, port: 0 }), Target::Port(Endpoint { node: 1, port: 0 }));
        let mut bytes = header(&topology);
        for (fate, up, sent, delay, raw, kind, channel, seq, payload) in records {
            let fate = [Fate::Delivered, Fate::Dropped, Fate::Corrupted, Fate::Refused][fate as usize];
            let (from, to) = if up { (sat, cp) } else { (cp, sat) };
            let frame = if raw {
                payload
            } else {
                let mut frame = vec![0; 16 + payload.len()];
                let kind = if kind == 1 { Kind::Data } else { Kind::Ack };
                encode(&mut frame, kind, channel, seq, &payload);
                frame
            };
            bytes.extend(record_bytes(fate, from, to, sent / 2, sent / 2 + delay, &frame));
        }
        let check = |bytes: &[u8]| {
            if let Ok(trace) = orrery_emulator::trace::Trace::parse(bytes) {
                let _ = orrery_emulator::trace::decode::listing(&trace);
                let options = orrery_emulator::trace::chart::ChartOptions::default();
                let svg = orrery_emulator::trace::chart::chart(&trace, &options).unwrap();
                orrery_emulator::trace::svg::check_well_formed(&svg).unwrap();
                let pcap = orrery_emulator::trace::pcap::pcap(&trace);
                assert!(pcap.len() >= 24 + 16 * trace.records.len());
            }
        };
        assert!(orrery_emulator::trace::Trace::parse(&bytes).is_ok());
        check(&bytes);
        let mut damaged = bytes.clone();
        for (at, value) in damage {
            let at = at % damaged.len();
            damaged[at] ^= value;
        }
        check(&damaged);
        check(&damaged[..damaged.len() / 2]);
    }
}
