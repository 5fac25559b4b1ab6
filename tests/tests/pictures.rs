//! Pictures of a run (docs/pictures.md): a link trace of a short real run is the same bytes
//! on one host thread and on two, decodes fully, and makes a well-formed sequence chart, a
//! pcap capture with a record per frame, and a topology graph; a damaged trace is an error,
//! never a panic; and the chart shown in docs/satellites.md is what the documented command
//! draws today, over the window from the fork on the satellite to the child's exit
//! (`ORRERY_UPDATE_PICTURES=1` rewrites both).

use std::path::{Path, PathBuf};

use orrery_emulator::system::{Fate, System, SystemOptions, SystemState};
use orrery_emulator::topology::Topology;
use orrery_emulator::trace::chart::{chart, ChartOptions};
use orrery_emulator::trace::decode::decode;
use orrery_emulator::trace::graph::graph;
use orrery_emulator::trace::pcap::{pcap, LINKTYPE, PSEUDO_HEADER};
use orrery_emulator::trace::svg::check_well_formed;
use orrery_emulator::trace::Trace;
use orrery_tests::Capture;

/// What the run of docs/satellites.md types: a file, then a shell whose forks land on
/// satellite 1, a shell there, and a `cat` forked by it (a fork on the satellite) that opens
/// the file (a forwarded `open`).
const INPUT: &str = "echo hello > /motd\nplace 1 sh\nsh\ncat /motd\n";
/// The chart's nodes, as the command in docs/satellites.md gives them; its window is found in
/// the trace ([`window`]): from the fork on the satellite to the child's exit.
const NODES: &str = "cp,sat1";
/// The committed chart.
const CHART: &str = "docs/pictures/satellite-fork-open.svg";

fn repo() -> PathBuf {
    orrery_tests::repo_root()
}

/// `topologies/NAME` with the guest's kernel and a fresh disk (removed by the caller).
fn topology(name: &str, disk: &Path) -> Topology {
    orrery_tests::os_topology(name, disk)
}

/// Runs `topologies/NAME` with `input` on `threads` threads; returns the trace's bytes and
/// the consoles.
fn traced_run(name: &str, input: &str, threads: usize) -> (Vec<u8>, String) {
    let disk = orrery_tests::pristine_disk(&format!("pictures-{name}-{threads}"), None);
    let topology = topology(name, &disk);
    let consoles = Capture::default();
    let options = SystemOptions {
        terminal: Box::new(consoles.clone()),
        input: input.as_bytes().to_vec(),
        stdin: false,
    };
    let mut system = System::new(&topology, options).unwrap_or_else(|e| panic!("{e}"));
    for node in &mut system.nodes {
        node.machine.set_jit(orrery_tests::jit());
    }
    let trace = Capture::default();
    system.trace_to(Box::new(trace.clone()), &topology);
    system.end_input();
    let state = system.run(10_000_000_000, threads).unwrap_or_else(|e| panic!("{e}"));
    system.finish_trace().expect("the trace is written");
    let _ = std::fs::remove_file(&disk);
    let text = consoles.text();
    assert!(matches!(state, SystemState::PoweredOff(0) | SystemState::Stuck), "{state:?}:\n{text}");
    (trace.take(), text)
}

/// The window of the chart in docs/satellites.md: from the send of `StubExecutes fork` to the
/// arrival of the child's `Exit`, widened to whole tenths of a millisecond, as `--from` and
/// `--to` take them (`187.2ms`).
fn window(trace: &Trace) -> (String, String) {
    let decoded = decode(trace);
    let find = |wanted: &str| {
        decoded.iter().enumerate().find_map(|(i, d)| {
            let m = d.message.as_ref()?;
            m.label.contains(wanted).then_some((m.first, i))
        })
    };
    let (fork, _) = find("StubExecutes fork").expect("the trace has the fork");
    let (_, exit) = find("Exit Exited(0) (pid 6)").expect("the trace has the child's exit");
    let tenth = 100_000;
    let from = trace.records[fork].sent / tenth;
    let to = trace.records[exit].arrive.div_ceil(tenth);
    let ms = |tenths: u64| format!("{}.{}ms", tenths / 10, tenths % 10);
    (ms(from), ms(to))
}

fn millis(text: &str) -> u64 {
    let number: f64 = text.trim_end_matches("ms").parse().expect("a time in ms");
    (number * 1e6).round() as u64
}

fn doc_chart(trace: &Trace, from: &str, to: &str) -> String {
    let options = ChartOptions {
        from: Some(millis(from)),
        to: Some(millis(to)),
        nodes: NODES.split(',').map(String::from).collect(),
    };
    chart(trace, &options).expect("the chart is drawn")
}

#[test]
fn a_traced_run_is_deterministic_decodes_and_draws() {
    let (one, text) = traced_run("default.toml", INPUT, 1);
    let (two, _) = traced_run("default.toml", INPUT, 2);
    assert!(text.contains("hello"), "{text}");
    assert!(one == two, "the trace differs between one thread and two");
    let trace = Trace::parse(&one).expect("the trace parses");
    assert_eq!(trace.nodes.len(), 4);
    assert!(trace.records.len() > 500, "{} records", trace.records.len());

    let decoded = decode(&trace);
    for (record, d) in trace.records.iter().zip(&decoded) {
        assert!(!d.header.contains("not an ox-link frame"), "{d:?}");
        assert!(record.arrive >= record.sent);
        if let Some(message) = &d.message {
            assert!(
                !message.label.contains("undecodable") && !message.label.contains("bad fragment"),
                "{d:?}"
            );
        }
    }
    let labels: Vec<&str> =
        decoded.iter().filter_map(|d| d.message.as_ref()).map(|m| m.label.as_str()).collect();
    for wanted in [
        "boot: ",
        "HelloReply node 1",
        "ForkImage pid 5",
        "StubExecutes fork",
        "ForkHere pid 6 parent 5",
        "StubExecutes exec \"cat\" \"cat\" \"/motd\" (pid 6)",
        "ExecImage pid 6",
        "StubExecutes open \"/motd\" (pid 6)",
        "Reply 6 \"hello\\n\" (pid 6)",
        "Exit Exited(0) (pid 6)",
    ] {
        assert!(labels.iter().any(|l| l.contains(wanted)), "no message like {wanted:?} in {labels:#?}");
    }

    let (from, to) = window(&trace);
    let svg = doc_chart(&trace, &from, &to);
    check_well_formed(&svg).unwrap_or_else(|e| panic!("the chart is not well-formed: {e}"));
    assert_eq!(svg.matches("marker-end=").count(), 26, "{svg}");
    assert!(svg.contains("StubExecutes open &quot;/motd&quot; (pid 6)"));
    let whole = chart(&trace, &ChartOptions::default()).expect("the whole chart");
    check_well_formed(&whole).unwrap_or_else(|e| panic!("the whole chart is not well-formed: {e}"));

    let capture = pcap(&trace);
    assert_eq!(&capture[..4], &0xa1b2_3c4du32.to_le_bytes());
    assert_eq!(&capture[4..8], &[2, 0, 4, 0]);
    assert_eq!(&capture[20..24], &LINKTYPE.to_le_bytes());
    let mut at = 24;
    let mut packets = 0;
    while at < capture.len() {
        let word = |i: usize| u32::from_le_bytes(capture[at + i..at + i + 4].try_into().expect("4 bytes"));
        let (sec, nsec, incl, orig) = (word(0), word(4), word(8), word(12));
        let record = &trace.records[packets];
        assert_eq!(u64::from(sec) * 1_000_000_000 + u64::from(nsec), record.sent);
        assert!(nsec < 1_000_000_000);
        assert_eq!(incl, orig);
        assert_eq!(orig as usize, PSEUDO_HEADER + record.bytes.len());
        assert_eq!(&capture[at + 16 + PSEUDO_HEADER..at + 16 + incl as usize], &record.bytes[..]);
        at += 16 + incl as usize;
        packets += 1;
    }
    assert_eq!(at, capture.len());
    assert_eq!(packets, trace.records.len(), "one pcap record per frame");

    let dir = repo().join("topologies");
    for name in ["default.toml", "lossy.toml", "star8.toml"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("topology");
        let topology = Topology::parse(name, &text, &dir).unwrap_or_else(|e| panic!("{e}"));
        let svg = graph(&topology);
        check_well_formed(&svg).unwrap_or_else(|e| panic!("{name}'s graph is not well-formed: {e}"));
        for node in &topology.nodes {
            assert!(svg.contains(&format!(">{}</text>", node.name)), "{name}: no {}", node.name);
        }
        assert_eq!(svg.matches("<line").count(), topology.links.len() + topology.remotes.len());
    }

    // The chart of docs/satellites.md is what the documented command draws today.
    let committed = repo().join(CHART);
    let doc_path = repo().join("docs/satellites.md");
    let command = format!("--node {NODES} --from {from} --to {to} -o {CHART}");
    if std::env::var_os("ORRERY_UPDATE_PICTURES").is_some() {
        std::fs::write(&committed, &svg).unwrap_or_else(|e| panic!("{}: {e}", committed.display()));
        let doc = std::fs::read_to_string(&doc_path).expect("docs/satellites.md");
        let start = doc.find(&format!("--node {NODES} --from ")).expect("the doc shows the command");
        let end = start + doc[start..].find('\n').expect("the command ends its line");
        let doc = format!("{}{command}{}", &doc[..start], &doc[end..]);
        std::fs::write(&doc_path, doc).expect("docs/satellites.md is written");
    }
    let on_disk = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        on_disk == svg,
        "{CHART} is not what the run draws today: check the new chart, then rewrite it with \
         ORRERY_UPDATE_PICTURES=1 (which also writes the window into docs/satellites.md)"
    );
    let doc = std::fs::read_to_string(&doc_path).expect("docs/satellites.md");
    assert!(doc.contains(&command), "docs/satellites.md should show the command with `{command}`");
}

#[test]
fn lost_frames_are_marked_and_damaged_traces_are_errors() {
    let (bytes, _) = traced_run("lossy.toml", "", 1);
    let trace = Trace::parse(&bytes).expect("the trace parses");
    let failed = trace.records.iter().filter(|r| r.fate != Fate::Delivered).count();
    assert!(failed > 0, "the lossy links lost nothing");
    let decoded = decode(&trace);
    let boots =
        decoded.iter().filter_map(|d| d.message.as_ref()).filter(|m| m.label.starts_with("boot: ")).count();
    assert_eq!(boots, 3, "every satellite's boot transfer decodes");
    let svg = chart(&trace, &ChartOptions::default()).expect("the chart");
    check_well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg.matches('\u{d7}').count() >= failed, "every lost or damaged frame is marked");

    // Damage: every cut and a flipped byte every few hundred bytes; an error or a trace that
    // decodes and draws, never a panic.
    let header = bytes.len() - trace.records.iter().map(|r| 40 + r.bytes.len()).sum::<usize>();
    for cut in (0..header + 200).chain([bytes.len() - 1]) {
        if let Ok(t) = Trace::parse(&bytes[..cut]) {
            assert!(t.records.len() < trace.records.len());
        }
    }
    assert!(Trace::parse(&bytes[..bytes.len() - 1]).unwrap_err().contains("truncated"));
    for at in (0..bytes.len()).step_by(397) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5a;
        if let Ok(t) = Trace::parse(&damaged) {
            let _ = decode(&t);
            let _ = chart(&t, &ChartOptions::default());
            let _ = pcap(&t);
        }
    }
    assert!(Trace::parse(b"not a trace").unwrap_err().contains("ORRTRACE"));
}
