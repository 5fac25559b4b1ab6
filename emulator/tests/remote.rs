//! A system split across two `orrery` processes: the central node in one, the satellites in
//! the other, joined by TCP links on loopback. Kept in lockstep, the two halves print exactly
//! what the same system prints in one process.

use std::path::Path;

use orrery_emulator::console::Capture;
use orrery_emulator::system::{System, SystemOptions, SystemState};
use orrery_emulator::topology::Topology;

fn demo() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../programs/asm/linkdemo.s").display().to_string()
}

fn system(text: &str) -> (System, Capture) {
    let topology = Topology::parse("split.toml", text, Path::new("/")).unwrap();
    let capture = Capture::default();
    let options = SystemOptions { terminal: Box::new(capture.clone()), input: Vec::new(), stdin: false };
    (System::new(&topology, options).unwrap(), capture)
}

fn text(capture: &Capture) -> String {
    capture.text()
}

#[test]
fn a_split_system_prints_what_the_whole_one_prints() {
    let demo = demo();
    // The whole system in one process.
    let mut whole = format!("[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {demo:?}\n");
    for i in 1..=3 {
        whole += &format!("[[node]]\nname = \"sat{i}\"\nrole = \"satellite\"\nimage = {demo:?}\n");
    }
    for i in 1..=3 {
        whole += &format!("[[link]]\na = \"cp.{}\"\nb = \"sat{i}.0\"\nlatency_us = {}\n", i - 1, 3 * i);
    }
    let (mut one, one_out) = system(&whole);
    assert_eq!(one.run(1_000_000_000, 1).unwrap(), SystemState::PoweredOff(0));
    let one_out = text(&one_out);

    // The central half listens (on ports the system picks), the satellite half connects.
    let mut central = format!("[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {demo:?}\n");
    for i in 1..=3 {
        central += &format!(
            "[[link]]\na = \"cp.{}\"\nb = \"tcp-listen:127.0.0.1:0\"\nlatency_us = {}\n",
            i - 1,
            3 * i
        );
    }
    let (mut cp, cp_out) = system(&central);
    let addrs = cp.listening_addrs();
    assert_eq!(addrs.len(), 3);
    let mut satellites = String::new();
    for i in 1..=3 {
        satellites +=
            &format!("[[node]]\nname = \"sat{i}\"\nid = {i}\nrole = \"satellite\"\nimage = {demo:?}\n");
    }
    for (i, addr) in addrs.iter().enumerate() {
        satellites +=
            &format!("[[link]]\na = \"sat{}.0\"\nb = \"tcp:{addr}\"\nlatency_us = {}\n", i + 1, 3 * (i + 1));
    }
    let (mut sats, sats_out) = system(&satellites);
    let other = std::thread::spawn(move || sats.run(1_000_000_000, 1).unwrap());
    assert_eq!(cp.run(1_000_000_000, 1).unwrap(), SystemState::PoweredOff(0));
    assert_eq!(other.join().unwrap(), SystemState::Disconnected);

    let lines = |out: &str, prefix: &str| -> Vec<String> {
        out.lines().filter(|l| l.starts_with(prefix)).map(str::to_string).collect()
    };
    assert_eq!(lines(&text(&cp_out), "[cp]"), lines(&one_out, "[cp]"));
    assert_eq!(lines(&text(&sats_out), "[sat"), lines(&one_out, "[sat"));
    assert!(text(&cp_out).contains("after 3 replies"), "{}", text(&cp_out));
    assert_eq!(cp.time, one.time, "the same virtual time");
}

#[test]
fn processes_that_disagree_on_the_quantum_refuse_to_run() {
    let demo = demo();
    let (mut cp, _) = system(&format!(
        "[system]\nquantum_us = 10\n[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {demo:?}\n[[link]]\na = \"cp.0\"\nb = \"tcp-listen:127.0.0.1:0\"\n"
    ));
    let addr = cp.listening_addrs()[0];
    let (mut sat, _) = system(&format!(
        "[system]\nquantum_us = 20\n[[node]]\nname = \"sat\"\nid = 1\nrole = \"satellite\"\nimage = {demo:?}\n[[link]]\na = \"sat.0\"\nb = \"tcp:{addr}\"\n"
    ));
    let other = std::thread::spawn(move || sat.run(1_000_000, 1));
    let error = cp.run(1_000_000, 1).unwrap_err();
    assert!(error.contains("disagree: quantum 10000 ns"), "{error}");
    assert!(other.join().unwrap().is_err());
}

/// A free UDP port on loopback (bound, read, released).
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn a_udp_link_carries_frames_between_processes() {
    let demo = demo();
    let (cp_port, sat_port) = (free_udp_port(), free_udp_port());
    let (mut sat, sat_out) = system(&format!(
        "[[node]]\nname = \"sat1\"\nid = 1\nrole = \"satellite\"\nimage = {demo:?}\n[[link]]\na = \"sat1.0\"\nb = \"udp:127.0.0.1:{sat_port}@127.0.0.1:{cp_port}\"\n"
    ));
    let (mut cp, cp_out) = system(&format!(
        "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {demo:?}\n[[link]]\na = \"cp.0\"\nb = \"udp:127.0.0.1:{cp_port}@127.0.0.1:{sat_port}\"\n"
    ));
    // Both sockets are bound before either side runs, so the first datagrams wait for them.
    let other = std::thread::spawn(move || sat.run(2_000_000_000, 1).unwrap());
    assert_eq!(cp.run(1_000_000_000, 1).unwrap(), SystemState::PoweredOff(0));
    assert_eq!(other.join().unwrap(), SystemState::TimeLimit, "a UDP peer never says goodbye");
    assert!(text(&sat_out).contains("[sat1] got: ping on port 0"), "{}", text(&sat_out));
    assert!(text(&cp_out).contains("[cp] quiet for 1 ms after"), "{}", text(&cp_out));
}
