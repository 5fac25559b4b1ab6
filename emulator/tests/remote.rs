//! A system split across two `orrery` processes: the central node in one, the satellites in
//! the other, joined by TCP links on loopback. Kept in lockstep, the two halves print exactly
//! what the same system prints in one process.

use std::path::Path;

use orrery_emulator::admission::{Refusals, LINK_WINDOW_NS};
use orrery_emulator::console::Capture;
use orrery_emulator::remote::MAX_FRAMES_PER_QUANTUM;
use orrery_emulator::system::{System, SystemOptions, SystemState, Target};
use orrery_emulator::topology::{Endpoint, Topology};

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

/// The central node of the link demo, listening for one peer process; `system` is extra
/// `[system]` text.
fn listening_central(system_text: &str) -> (System, Capture) {
    let demo = demo();
    system(&format!(
        "[system]\n{system_text}\n[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {demo:?}\n[[link]]\na = \"cp.0\"\nb = \"tcp-listen:127.0.0.1:0\"\n"
    ))
}

/// A peer process played by the test: connects to `addr`, shakes hands (quantum 10 µs, MTU
/// 1024), drains what the system sends, and gives the stream to `script`.
fn fake_peer(
    addr: std::net::SocketAddr,
    script: impl FnOnce(std::net::TcpStream) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    use std::io::{Read, Write};
    std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let mut hello = Vec::from(*b"HORRY");
        hello.extend_from_slice(&1u32.to_le_bytes());
        hello.extend_from_slice(&10_000u64.to_le_bytes());
        hello.extend_from_slice(&1024u32.to_le_bytes());
        stream.write_all(&hello).unwrap();
        let mut theirs = [0u8; 21];
        stream.read_exact(&mut theirs).unwrap();
        let mut drain = stream.try_clone().unwrap();
        std::thread::spawn(move || std::io::copy(&mut drain, &mut std::io::sink()));
        script(stream);
    })
}

/// A frame message: arrival time and eight bytes.
fn frame(arrive: u64) -> Vec<u8> {
    let mut message = vec![b'F'];
    message.extend_from_slice(&arrive.to_le_bytes());
    message.extend_from_slice(&8u16.to_le_bytes());
    message.extend_from_slice(b"intruder");
    message
}

/// A boundary marker.
fn marker(boundary: u64) -> Vec<u8> {
    let mut message = vec![b'B'];
    message.extend_from_slice(&boundary.to_le_bytes());
    message
}

/// Plays `per_quantum(k)` and the marker for every boundary `k` × 10 µs, until the system goes.
fn peer_script(
    per_quantum: impl Fn(u64) -> Vec<u8> + Send + 'static,
) -> impl FnOnce(std::net::TcpStream) + Send {
    use std::io::Write;
    move |stream| {
        let mut out = std::io::BufWriter::new(stream);
        for k in 1u64.. {
            let mut message = per_quantum(k);
            message.extend_from_slice(&marker(k * 10_000));
            if out.write_all(&message).is_err() {
                break;
            }
        }
    }
}

const CP0: Target = Target::Port(Endpoint { node: 0, port: 0 });

#[test]
fn frames_a_peer_dates_outside_the_window_are_refused_and_counted() {
    let (mut cp, _) = listening_central("");
    let addr = cp.listening_addrs()[0];
    let peer = fake_peer(
        addr,
        peer_script(|k| match k {
            1..=50 => [frame(u64::MAX), frame(k * 10_000 + LINK_WINDOW_NS + 1)].concat(),
            _ => Vec::new(),
        }),
    );
    assert_eq!(cp.run(1_000_000_000, 1).unwrap(), SystemState::PoweredOff(0));
    assert_eq!(cp.link_refusals(), &[(CP0, Refusals { out_of_window: 100, queue_full: 0 })]);
    drop(cp);
    peer.join().unwrap();
}

#[test]
fn a_peer_flooding_one_quantum_is_bounded() {
    let (mut cp, out) = listening_central("");
    let addr = cp.listening_addrs()[0];
    let peer = fake_peer(
        addr,
        peer_script(|k| match k {
            1 => frame(10_000).repeat(400_000),
            _ => Vec::new(),
        }),
    );
    assert_eq!(cp.run(1_000_000_000, 1).unwrap(), SystemState::PoweredOff(0));
    let queue_full = 400_000 - MAX_FRAMES_PER_QUANTUM as u64;
    assert_eq!(cp.link_refusals(), &[(CP0, Refusals { out_of_window: 0, queue_full })]);
    let replies = text(&out).matches("intruder").count();
    assert_eq!(replies, 64, "the port's receive queue holds 64 frames:\n{}", text(&out));
    drop(cp);
    peer.join().unwrap();
}

#[test]
fn a_stalled_peer_ends_the_run_with_an_error() {
    let (mut cp, _) = listening_central("peer_timeout_s = 1");
    let addr = cp.listening_addrs()[0];
    let peer = fake_peer(addr, |stream| {
        std::thread::sleep(std::time::Duration::from_secs(4));
        drop(stream);
    });
    let started = std::time::Instant::now();
    let error = cp.run(1_000_000_000, 1).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "took {:?}", started.elapsed());
    assert_eq!(
        error,
        format!("link to 127.0.0.1:0: the peer process did not reach the boundary at 10000 ns within 1 s (peer_timeout_s); ending the run")
    );
    assert_eq!(cp.failure(), Some(error.as_str()));
    peer.join().unwrap();
}

#[test]
fn a_peer_that_never_comes_or_never_shakes_hands_ends_the_run() {
    let (mut cp, _) = listening_central("peer_timeout_s = 1");
    let error = cp.run(1_000_000_000, 1).unwrap_err();
    assert_eq!(error, "accept on 127.0.0.1:0: no peer came within 1 s (peer_timeout_s)");

    let (mut cp, _) = listening_central("peer_timeout_s = 1");
    let addr = cp.listening_addrs()[0];
    let silent = std::thread::spawn(move || {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(3));
        drop(stream);
    });
    let error = cp.run(1_000_000_000, 1).unwrap_err();
    assert_eq!(error, "127.0.0.1:0: no handshake within 1 s (peer_timeout_s)");
    silent.join().unwrap();
}

/// A listening end whose peer went away takes a peer that comes back, shakes hands with it as
/// at the start, and from then on reads and writes the times of the new peer's clock, which
/// started at 0 at the boundary it came.
#[test]
fn a_peer_that_comes_back_is_taken_in_its_own_time() {
    use orrery_emulator::remote::Pending;
    use orrery_emulator::topology::{LinkProps, RemoteMode, RemoteSpec};
    use std::io::{Read, Write};
    use std::time::Duration;
    let spec = RemoteSpec {
        local: Endpoint { node: 0, port: 0 },
        mode: RemoteMode::Listen,
        addr: "127.0.0.1:0".into(),
        props: LinkProps::default(),
    };
    let pending = Pending::new(&spec).unwrap();
    let addr = pending.local_addr().unwrap();
    // The first peer meets one boundary and goes away.
    let first = fake_peer(addr, |stream| {
        let mut out = stream.try_clone().unwrap();
        out.write_all(&marker(10_000)).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        stream.shutdown(std::net::Shutdown::Both).unwrap();
    });
    let mut link = pending.open(10_000, Duration::from_secs(5)).unwrap();
    link.send(&[], 10_000);
    assert!(link.receive(10_000).is_empty());
    assert!(link.is_open());
    link.send(&[], 20_000);
    assert!(link.receive(20_000).is_empty());
    assert!(!link.is_open() && link.rejoinable(), "the first peer has gone");
    first.join().unwrap();
    assert!(!link.rejoin(10_000, 30_000), "nobody came back yet");

    // The second peer: its clock starts at 0; it sends a frame arriving at 5 µs and its first
    // marker, and reports the first frame and marker it is sent.
    let second = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let mut hello = Vec::from(*b"HORRY");
        hello.extend_from_slice(&1u32.to_le_bytes());
        hello.extend_from_slice(&10_000u64.to_le_bytes());
        hello.extend_from_slice(&1024u32.to_le_bytes());
        stream.write_all(&hello).unwrap();
        let mut theirs = [0u8; 21];
        stream.read_exact(&mut theirs).unwrap();
        stream.write_all(&[frame(5_000), marker(10_000)].concat()).unwrap();
        let mut word = [0u8; 8];
        let mut kind = [0u8; 1];
        stream.read_exact(&mut kind).unwrap();
        assert_eq!(kind[0], b'F');
        stream.read_exact(&mut word).unwrap();
        let arrive = u64::from_le_bytes(word);
        let mut rest = [0u8; 3];
        stream.read_exact(&mut rest).unwrap();
        stream.read_exact(&mut kind).unwrap();
        assert_eq!(kind[0], b'B');
        stream.read_exact(&mut word).unwrap();
        (arrive, u64::from_le_bytes(word))
    });
    link.await_peer(Duration::from_secs(5));
    assert!(link.rejoin(10_000, 50_000), "the peer came back");
    assert!(link.is_open());
    link.send(&[(55_000, vec![7])], 60_000);
    assert_eq!(link.receive(60_000), vec![(55_000, b"intruder".to_vec())]);
    assert_eq!(second.join().unwrap(), (5_000, 10_000), "the peer's own times");
    link.bye();
    assert!(!link.rejoinable(), "after goodbye nobody is taken");
}
