//! Dead satellites (docs/reliability.md, *Dead satellites*): a satellite that powers off, or
//! whose `orrery` process goes away, is declared dead by the central; its processes are
//! killed (their parent's `wait` returns: the shell reports `SIGKILL`), calls about it fail
//! with `EHOSTDOWN`, placement skips it, and the rest of the system goes on; when its process
//! comes back, it is booted again and placed on. And a peer that poses as a satellite and lies
//! about processes it does not hold is refused, and counted.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use orrery_emulator::session::{Script, Session};
use orrery_emulator::topology::Topology;
use orrery_tests::{from_init, guest_dir, orrery_binary, os_topology, pristine_disk, repo_root, run_script};

/// A job on satellite 3 (`cat` waiting for console input), then satellite 3 dies (`DIE`), then
/// what a user would try. `] ready` is the job's output, not the echo of the typed command.
fn script(die: &str) -> String {
    format!(
        r#"timeout 10s
expect "$ "
sendline place 3 sh -c "echo ready; cat"
expect "] ready"
sleep 20ms
{die}
expect "is dead"
expect "$ "
sendline stats 3
expect "EHOSTDOWN"
sendline place 3 echo hi
expect "EHOSTDOWN"
sendline place least-loaded sh -c "echo elsewhere"
expect "elsewhere\n"
expect "$ "
sendline ps
expect "$ "
sendline exit 0
exit 0
"#
    )
}

#[test]
fn a_satellite_that_powers_off_is_dead_and_its_processes_are_killed() {
    let disk = pristine_disk("dead-poweroff", None);
    let session = run_script(os_topology("default.toml", &disk), &disk, &script("poweroff sat3"));
    let transcript = session.transcript();
    assert!(transcript.contains("killed by SIGKILL"), "{transcript}");
    insta::assert_snapshot!(from_init(transcript));
}

/// The central's heap in use, from each `stats 0` line of `transcript`.
fn central_heap(transcript: &str) -> Vec<u64> {
    transcript
        .lines()
        .filter(|l| l.contains("node 0: procs"))
        .filter_map(|l| l.split_once(" heap ")?.1.split_once('/')?.0.parse().ok())
        .collect()
}

/// A satellite that comes back takes its old link's slot in its next incarnation (docs/
/// reliability.md, *A satellite that comes back*): the old link is dropped, so returns are
/// not bounded by the central's heap. Three returns of satellite 3, the central's heap read
/// after each.
#[test]
fn a_satellite_that_comes_back_keeps_nothing_of_the_centrals_heap() {
    let disk = pristine_disk("dead-returns", None);
    let cycle = "poweroff sat3\nexpect \"is dead\"\nsleep 50ms\npoweron sat3\nexpect \"is back: booted again\"\nsendline stats 0\nexpect \"$ \"\n";
    let script = format!(
        "timeout 20s\nexpect \"$ \"\nsendline stats 0\nexpect \"$ \"\n{}sendline exit 0\nexit 0\n",
        cycle.repeat(3)
    );
    let session = run_script(os_topology("default.toml", &disk), &disk, &script);
    let transcript = session.transcript();
    let heap = central_heap(transcript);
    assert_eq!(heap.len(), 4, "{transcript}");
    // The first return also makes what the central keeps once (the satellite kernel's image
    // for boots, parsed); every return takes the old incarnation's slot, so none keeps more.
    assert!(heap[1] <= heap[0] + 256, "the first return kept {} bytes: {heap:?}", heap[1] - heap[0]);
    assert_eq!(heap[2], heap[1], "a return kept part of the heap: {heap:?}");
    assert_eq!(heap[3], heap[1], "a return kept part of the heap: {heap:?}");
}

/// Satellite 3 powers off with a job on it, then is powered on again (the expect script's
/// `poweron`): its boot ROM waits again, the central boots it again, and a job placed on it
/// runs there; the old job stays dead. All in one process, so the transcript is a snapshot.
#[test]
fn a_satellite_powered_on_again_is_booted_again_and_placed_on() {
    let disk = pristine_disk("dead-poweron", None);
    let script = r#"timeout 10s
expect "$ "
sendline place 3 sh -c "echo ready; cat"
expect "] ready"
sleep 20ms
poweroff sat3
expect "is dead"
expect "killed by SIGKILL"
expect "$ "
sleep 50ms
poweron sat3
expect "is back: booted again"
sendline place 3 sh -c "echo hello again; where"
expect "hello again\n"
expect "$ "
sendline ps
expect "$ "
sendline stats 3
expect "$ "
sendline exit 0
exit 0
"#;
    let session = run_script(os_topology("default.toml", &disk), &disk, script);
    let transcript = session.transcript();
    assert!(transcript.contains("satellite node 3 (port 2) is back: booted again"), "{transcript}");
    let after = transcript.split_once("is back: booted again").map_or("", |(_, after)| after);
    assert!(after.contains("where: satellite node 3"), "{transcript}");
    insta::assert_snapshot!(from_init(transcript));
}

/// A process being moved to satellite 3 (`spin` with 4 MiB of heap, all written by the time
/// it is asked to move: its image takes about a third of a virtual second to cross) when
/// satellite 3 powers off: `migrate` fails with
/// `EHOSTDOWN` and the process runs on at home, its memory intact (`spin` checks every page
/// each round, and exits 1 if one changed).
#[test]
fn a_migration_whose_target_dies_mid_transfer_leaves_the_process_where_it_was() {
    let disk = pristine_disk("dead-migration", None);
    let script = r#"timeout 10s
expect "$ "
sendline spin 4096 4 &
expect "[4]"
expect "$ "
sleep 300ms
sendline migrate 4 3
sleep 100ms
poweroff sat3
expect "is dead"
expect "migrate: 4: EHOSTDOWN"
expect "$ "
sendline where 4
expect "4 spin: the central processor"
expect "spin: "
expect "on node 0"
sendline exit 0
exit 0
"#;
    let session = run_script(os_topology("default.toml", &disk), &disk, script);
    let transcript = session.transcript();
    assert!(!transcript.contains("changed"), "{transcript}");
    insta::assert_snapshot!(from_init(transcript));
}

/// With the load balancer on, satellite 3 powers off and is booted again: the balancer tells
/// its new incarnation to report its load, and four `spin`s started on satellite 2 spread
/// over at least three nodes, satellite 3 among them (a satellite that never reported would
/// hold every decision back). Which other nodes they end on depends on when each move
/// settles against when the spins end (one run ended two on the central, after the first
/// there had finished).
#[test]
fn a_satellite_booted_again_takes_part_in_load_balancing() {
    let disk = pristine_disk("dead-balance", None);
    let script = r#"timeout 20s
expect "$ "
sendline balance on
expect "$ "
poweroff sat3
expect "is dead"
sleep 50ms
poweron sat3
expect "is back: booted again"
sendline place 2 sh -c "spin 0 1 & spin 0 1 & spin 0 1 & spin 0 1"
expect "$ "
sleep 3s
sendline balance off
expect "$ "
sendline exit 0
exit 0
"#;
    let session = run_script(os_topology("default.toml", &disk), &disk, script);
    let transcript = session.transcript();
    assert!(transcript.contains("on node 3\n"), "no spin ended on the rebooted satellite 3:\n{transcript}");
    let nodes = (0..4).filter(|node| transcript.contains(&format!("on node {node}\n"))).count();
    assert!(nodes >= 3, "the spins ended on {nodes} nodes only:\n{transcript}");
    insta::assert_snapshot!(from_init(transcript));
}

/// A free TCP port on the loopback interface (bound, then let go).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.local_addr().expect("its address").port()
}

/// Ends the far half of the system when the test ends, whatever happens.
struct FarHalf(Child);

impl Drop for FarHalf {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `default.toml` split in two: the central with satellites 1 and 2 here, its port 2 listening
/// on `port`; satellite 3 in another `orrery` process, written to `dir`, that connects to it.
fn split(disk: &Path, dir: &Path, port: u16) -> (Topology, std::path::PathBuf) {
    split_with(disk, dir, port, true)
}

/// [`split`], the central's end of the link listening (`central_listens`) and satellite 3's
/// dialing, or the other way round.
fn split_with(disk: &Path, dir: &Path, port: u16, central_listens: bool) -> (Topology, std::path::PathBuf) {
    let (near_end, far_end) = if central_listens { ("tcp-listen", "tcp") } else { ("tcp", "tcp-listen") };
    let here = os_topology("default.toml", disk);
    let text = std::fs::read_to_string(repo_root().join("topologies/default.toml")).expect("default.toml");
    let central = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", guest_dir().join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{disk:?}"));
    let (nodes, _) = central.split_once("[[node]]\nname = \"sat3\"").expect("default.toml has sat3");
    let (_, links) = central.split_once("[[link]]").expect("default.toml has links");
    let links = links.replace("b = \"sat3.0\"", &format!("b = \"{near_end}:127.0.0.1:{port}\""));
    let central = format!("{nodes}[[link]]{links}");
    let rom = repo_root().join("os/bootrom/bootrom.s");
    let far = format!(
        "[[node]]\nname = \"sat3\"\nid = 3\nrole = \"satellite\"\nmemory = \"16M\"\nrom = {rom:?}\n\n\
         [[link]]\na = \"sat3.0\"\nb = \"{far_end}:127.0.0.1:{port}\"\n"
    );
    let far_path = dir.join("sat3.toml");
    std::fs::write(&far_path, far).expect("the far half's topology is written");
    let topologies = repo_root().join("topologies");
    let topology =
        Topology::parse("split.toml", &central, &topologies).unwrap_or_else(|e| panic!("{e}\n{central}"));
    assert_eq!(topology.nodes.len(), here.nodes.len() - 1);
    (topology, far_path)
}

#[test]
fn a_satellite_whose_process_goes_away_is_dead_and_its_processes_are_killed() {
    let disk = pristine_disk("dead-split", None);
    let dir = std::env::temp_dir().join(format!("orrery-dead-split-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let port = free_port();
    let (topology, far_path) = split(&disk, &dir, port);
    let child = Command::new(orrery_binary())
        .arg("run")
        .arg(&far_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the far half starts");
    let mut far = FarHalf(child);
    let mut session = Session::topology(topology).unwrap_or_else(|e| panic!("{e}"));
    let script = script("sleep 1ms");
    let (before, after) = script.split_once("sleep 1ms\n").expect("the script has the death's place");
    let before = Script::parse(before).expect("the script parses");
    let after = Script::parse(after).expect("the script parses");
    let result = before.run(&mut session).and_then(|()| {
        // The far half's process goes away, as if it were killed.
        let _ = far.0.kill();
        let _ = far.0.wait();
        after.run(&mut session)
    });
    let _ = std::fs::remove_file(&disk);
    let _ = std::fs::remove_dir_all(&dir);
    let transcript = session.transcript().to_string();
    result.unwrap_or_else(|e| panic!("{e}\n{transcript}"));
    assert!(transcript.contains("satellite node 3 (port 2) is dead: its link is down"), "{transcript}");
    assert!(transcript.contains("killed by SIGKILL"), "{transcript}");
    assert!(transcript.contains("stats: node 3: EHOSTDOWN"), "{transcript}");
}

/// Starts the far half of [`split`] (satellite 3 in its own `orrery` process).
fn start_far(far_path: &Path) -> FarHalf {
    let child = Command::new(orrery_binary())
        .arg("run")
        .arg(far_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the far half starts");
    FarHalf(child)
}

/// Satellite 3's process is killed (its job with it), then started again: the central boots
/// it again, and a job placed on it runs there.
#[test]
fn a_satellite_whose_process_comes_back_is_booted_again_and_placed_on() {
    comes_back(true);
}

/// The same with the ends the other way round: satellite 3's process listens and the central
/// dials it; started again, it listens again, and the central dials it again.
#[test]
fn a_listening_satellite_that_comes_back_is_dialed_again_and_booted() {
    comes_back(false);
}

/// Satellite 3's process (the central's end listening, or dialing) killed and started again.
fn comes_back(central_listens: bool) {
    let name = if central_listens { "dead-back" } else { "dead-dialed" };
    let disk = pristine_disk(name, None);
    let dir = std::env::temp_dir().join(format!("orrery-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let port = free_port();
    let (topology, far_path) = split_with(&disk, &dir, port, central_listens);
    let mut far = start_far(&far_path);
    let mut session = Session::topology(topology).unwrap_or_else(|e| panic!("{e}"));
    session.set_jit(orrery_tests::jit());
    let before = r#"timeout 10s
expect "$ "
sendline place 3 sh -c "echo ready; cat"
expect "] ready"
sleep 20ms
"#;
    let dead = r#"timeout 10s
expect "is dead: its link is down"
expect "killed by SIGKILL"
expect "$ "
sendline stats 3
expect "EHOSTDOWN"
expect "$ "
"#;
    let back = r#"timeout 10s
expect "is back: booted again"
sendline place 3 sh -c "echo hello again; where"
expect "hello again\n"
expect "$ "
sendline stats 3
expect "$ "
sendline exit 0
exit 0
"#;
    let run =
        |text: &str, session: &mut Session| Script::parse(text).expect("the script parses").run(session);
    let result = run(before, &mut session).and_then(|()| {
        // The far half's process goes away, as if it were killed; then it starts again.
        let _ = far.0.kill();
        let _ = far.0.wait();
        run(dead, &mut session)?;
        far = start_far(&far_path);
        run(back, &mut session)
    });
    drop(far);
    let _ = std::fs::remove_file(&disk);
    let _ = std::fs::remove_dir_all(&dir);
    let transcript = session.transcript().to_string();
    result.unwrap_or_else(|e| panic!("{e}\n{transcript}"));
    assert!(transcript.contains("satellite node 3 (port 2) is dead: its link is down"), "{transcript}");
    assert!(
        transcript.contains("satellite node 3 (port 2): its link is up again; booting it"),
        "{transcript}"
    );
    assert!(transcript.contains("satellite on port 2 answers: node 3"), "{transcript}");
    assert!(transcript.contains("satellite node 3 (port 2) is back: booted again"), "{transcript}");
    let after = transcript.split_once("is back: booted again").map_or("", |(_, after)| after);
    assert!(after.contains("where: satellite node 3"), "{transcript}");
    assert!(after.contains("stats: node 3:") || after.contains("node 3: procs"), "{transcript}");
    assert!(!after.contains("EHOSTDOWN"), "{transcript}");
}

/// What the rogue peer sends once it is "booted": requests and answers about processes that do
/// not live behind its link, and port messages it has no business sending, each of which the
/// central must drop and count (and bookkeeping about nothing, which it must ignore).
fn forgeries() -> Vec<Vec<u8>> {
    use ox_proto::net::{Net, NetItem, NetKind, NetOp, NetRight, PortRef};
    use ox_proto::{Call, Env, Message, Reply, Request, Signal, Syscall, WaitStatus};
    let net = |from: u32, to: u32, op: NetOp| Message::request(0, Request::Net(Net { to, from, op }));
    let write = Call {
        call: Syscall::Write,
        args: [1, 0, 6, 0, 0, 0],
        env: Env::default(),
        data: b"pwned\n".to_vec(),
        prefetched: true,
    };
    [
        // The shell (pid 2, on the central) writes to the console: a request from a link the
        // process does not live behind.
        Message::request(2, Request::StubExecutes(write)),
        // init (pid 1) exits; init is interrupted.
        Message::request(1, Request::Exit(WaitStatus::Exited(0))),
        Message::request(1, Request::Signal(Signal::Kill)),
        // An answer to nothing anyone asked this link.
        Message::reply(1, Reply::ok(7)),
        // Ports: a message claiming another node's name; a death notice only the central
        // gives; a message for a port the central never exported, carrying a right.
        net(1, 0, NetOp::Delivered { port: PortRef { node: 0, id: 1 } }),
        net(3, 0, NetOp::NodeDead { node: 1 }),
        net(
            3,
            0,
            NetOp::Message {
                dest: NetRight { kind: NetKind::Send, port: PortRef { node: 0, id: 999 } },
                reply: None,
                id: 1,
                items: vec![NetItem::Right(NetRight {
                    kind: NetKind::Send,
                    port: PortRef { node: 3, id: 9 },
                })],
            },
        ),
        // A piece of a region nobody announced; a message announcing a region of 1 GiB in
        // pieces (refused: more than the central's memory), for a port it never exported.
        net(3, 0, NetOp::Piece { stream: 7, offset: 0, bytes: vec![1; 16] }),
        net(
            3,
            0,
            NetOp::Message {
                dest: NetRight { kind: NetKind::Send, port: PortRef { node: 0, id: 999 } },
                reply: None,
                id: 2,
                items: vec![NetItem::Stream { stream: 8, size: 1 << 30 }],
            },
        ),
        // And bookkeeping about nothing, which changes nothing, alone or in a batch.
        net(3, 0, NetOp::Release { port: PortRef { node: 0, id: 1 }, holder: 3 }),
        net(3, 0, NetOp::Moved { old: PortRef { node: 0, id: 77 }, new: PortRef { node: 3, id: 1 } }),
        net(
            3,
            0,
            NetOp::Batch(vec![
                NetOp::Release { port: PortRef { node: 0, id: 1 }, holder: 3 },
                NetOp::Delivered { port: PortRef { node: 3, id: 5 } },
            ]),
        ),
        // A death notice only the central gives, hidden in a batch for satellite 1: the
        // central relays it unread (its envelope is a batch's), and satellite 1 refuses it.
        net(3, 1, NetOp::Batch(vec![NetOp::NodeDead { node: 2 }])),
    ]
    .iter()
    .map(|m| m.encode().expect("a forged message encodes"))
    .collect()
}

/// A peer that poses as satellite 3 over a TCP link to the central: it acknowledges the boot
/// image and answers `Hello` as a satellite would, then sends [`forgeries`] on the process
/// channel, and a frame of garbage; it keeps the lockstep until the central goes away.
fn rogue(addr: String, quantum: u64) -> std::thread::JoinHandle<Result<u32, String>> {
    use orrery_emulator::remote::Pending;
    use orrery_emulator::topology::{Endpoint, LinkProps, RemoteMode, RemoteSpec};
    use ox_link::arq::{Receiver, Sender};
    use ox_link::frame;
    std::thread::spawn(move || {
        let spec = RemoteSpec {
            local: Endpoint { node: 0, port: 0 },
            mode: RemoteMode::Connect,
            addr,
            props: LinkProps::default(),
        };
        let mut link = Pending::new(&spec)?.open(quantum, std::time::Duration::from_secs(60))?;
        let (mut boot, mut hello, mut process) = (Receiver::new(0), Receiver::new(1), Receiver::new(2));
        let mut hello_tx = Sender::new(1, 1024, 3_000_000);
        let mut forged = Sender::with_window(2, 1024, 3_000_000, 16);
        let mut queued = false;
        let mut up_at = None;
        let mut boundary = 0;
        // Acknowledgements and answers made at one boundary leave at the next.
        let mut answers: Vec<Vec<u8>> = Vec::new();
        while link.is_open() {
            boundary += quantum;
            let mut out = std::mem::take(&mut answers);
            if let Some(frame) = hello_tx.poll(boundary) {
                out.push(frame.to_vec());
            }
            // Some time after the boot, the forgeries, and a frame no CRC can vouch for.
            if up_at.is_some_and(|t| boundary > t + 200_000_000) && !queued {
                for (id, bytes) in forgeries().iter().enumerate() {
                    let fragments = ox_proto::Fragmenter::new(id as u16, bytes, forged.max_payload())
                        .map_err(|e| format!("{e:?}"))?;
                    for fragment in fragments {
                        forged.queue(&fragment).map_err(|e| format!("{e:?}"))?;
                    }
                }
                out.push(vec![0xa5; 40]);
                queued = true;
            }
            forged.check_timeout(boundary);
            while let Some(frame) = forged.next_frame() {
                out.push(frame.to_vec());
                forged.transmitted(boundary);
            }
            let dated: Vec<(u64, Vec<u8>)> = out.into_iter().map(|f| (boundary + 10_000, f)).collect();
            link.send(&dated, boundary);
            for (_, bytes) in link.receive(boundary) {
                let Ok(f) = frame::decode(&bytes) else { continue };
                hello_tx.receive_frame(&f, boundary);
                forged.receive_frame(&f, boundary);
                let received = match f.channel {
                    0 => boot.receive_frame(&f),
                    1 => hello.receive_frame(&f),
                    _ => process.receive_frame(&f),
                };
                answers.extend(received.ack.map(|a| a.frame().to_vec()));
                // `Hello` (version 3, kind 1): answer as node 3, 16 MiB, every frame free, one port.
                if f.channel == 1 && received.payload.is_some_and(|p| p.starts_with(&[3, 1])) {
                    let mut reply = vec![3, 2, 0, 0];
                    for word in [3u32, 16 << 20, 4096, 4096, 1] {
                        reply.extend_from_slice(&word.to_le_bytes());
                    }
                    answers.push(hello_tx.send(&reply, boundary).map_err(|e| format!("{e:?}"))?.to_vec());
                    up_at = Some(boundary);
                }
            }
        }
        Ok(u32::from(queued))
    })
}

#[test]
fn a_peer_that_lies_about_processes_it_does_not_hold_is_refused() {
    let disk = pristine_disk("dead-rogue", None);
    let dir = std::env::temp_dir().join(format!("orrery-dead-rogue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let port = free_port();
    let (topology, _) = split(&disk, &dir, port);
    let peer = rogue(format!("127.0.0.1:{port}"), topology.quantum_ns);
    let script = r#"timeout 10s
expect "$ "
sleep 500ms
sendline stats 0
expect "$ "
sendline echo still here
expect "still here\n"
sendline exit 0
exit 0
"#;
    let session = run_script(topology, &disk, script);
    let _ = std::fs::remove_dir_all(&dir);
    let transcript = session.transcript().to_string();
    drop(session);
    let sent =
        peer.join().expect("the peer's thread").unwrap_or_else(|e| panic!("the peer: {e}\n{transcript}"));
    assert_eq!(sent, 1, "the peer never got to send its forgeries:\n{transcript}");
    assert!(transcript.contains("satellite on port 2 answers: node 3"), "{transcript}");
    assert!(!transcript.contains("pwned"), "{transcript}");
    assert!(transcript.contains("init: the shell ended with status 0"), "{transcript}");
    // The four process forgeries and three of the port ones were dropped and counted, and the
    // stray piece, the refused region and its message.
    let stats = transcript.lines().find(|l| l.contains("node 0: procs")).expect("stats 0 printed");
    assert!(stats.contains("; dropped 10;"), "{stats}");
    // The death notice in a batch reached satellite 1, which refused it: nobody died.
    let refusal =
        transcript.lines().find(|l| l.starts_with("[sat1]") && l.contains("refused a message: BadNet"));
    assert!(refusal.is_some(), "{transcript}");
    assert!(!transcript.contains("is dead"), "{transcript}");
}

/// A satellite that hangs with its link up (`freeze`): the central's request to it waits for
/// an acknowledgement that never comes, and after 2 s of virtual time the satellite is dead.
#[test]
fn a_satellite_that_hangs_is_dead_after_two_seconds_without_an_acknowledgement() {
    let disk = pristine_disk("dead-freeze", None);
    let before = r#"timeout 10s
expect "$ "
freeze sat3
sendline stats 3
"#;
    let after = r#"timeout 10s
expect "is dead: no acknowledgement for 2 s"
expect "$ "
sendline place least-loaded sh -c "echo elsewhere"
expect "elsewhere\n"
expect "$ "
sendline exit 0
exit 0
"#;
    let mut session = Session::topology(os_topology("default.toml", &disk)).unwrap_or_else(|e| panic!("{e}"));
    session.set_jit(orrery_tests::jit());
    let mut asked = 0;
    let result = Script::parse(before).expect("the script parses").run(&mut session).and_then(|()| {
        asked = session.now_ns();
        Script::parse(after).expect("the script parses").run(&mut session)
    });
    let _ = std::fs::remove_file(&disk);
    let transcript = session.transcript().to_string();
    result.unwrap_or_else(|e| panic!("{e}\n{transcript}"));
    assert!(transcript.contains("stats: node 3: EHOSTDOWN"), "{transcript}");
    assert!(session.now_ns() - asked >= 2_000_000_000, "declared dead before its 2 s");
}
