//! Dead satellites (docs/reliability.md, *Dead satellites*): a satellite that powers off, or
//! whose `orrery` process goes away, is declared dead by the central; its processes are
//! killed (their parent's `wait` returns: the shell reports `SIGKILL`), calls about it fail
//! with `EHOSTDOWN`, placement skips it, and the rest of the system goes on.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use orrery_emulator::session::{Script, Session};
use orrery_emulator::topology::Topology;
use orrery_tests::{guest_dir, orrery_binary, os_topology, pristine_disk, repo_root};

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

/// The transcript from the start of init on (the boot is `topology_os`'s business).
fn from_init(transcript: &str) -> String {
    let at = transcript.find("[cp] $").unwrap_or(0);
    transcript[at..].to_string()
}

#[test]
fn a_satellite_that_powers_off_is_dead_and_its_processes_are_killed() {
    let disk = pristine_disk("dead-poweroff", None);
    let topology = os_topology("default.toml", &disk);
    let mut session = Session::topology(topology).unwrap_or_else(|e| panic!("{e}"));
    session.set_jit(orrery_tests::jit());
    let script = Script::parse(&script("poweroff sat3")).expect("the script parses");
    let result = script.run(&mut session);
    let _ = std::fs::remove_file(&disk);
    let transcript = session.transcript().to_string();
    result.unwrap_or_else(|e| panic!("{e}\n{transcript}"));
    assert!(transcript.contains("killed by SIGKILL"), "{transcript}");
    insta::assert_snapshot!(from_init(&transcript));
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
    let here = os_topology("default.toml", disk);
    let text = std::fs::read_to_string(repo_root().join("topologies/default.toml")).expect("default.toml");
    let central = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", guest_dir().join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{disk:?}"));
    let (nodes, _) = central.split_once("[[node]]\nname = \"sat3\"").expect("default.toml has sat3");
    let (_, links) = central.split_once("[[link]]").expect("default.toml has links");
    let links = links.replace("b = \"sat3.0\"", &format!("b = \"tcp-listen:127.0.0.1:{port}\""));
    let central = format!("{nodes}[[link]]{links}");
    let rom = repo_root().join("os/bootrom/bootrom.s");
    let far = format!(
        "[[node]]\nname = \"sat3\"\nid = 3\nrole = \"satellite\"\nmemory = \"16M\"\nrom = {rom:?}\n\n\
         [[link]]\na = \"sat3.0\"\nb = \"tcp:127.0.0.1:{port}\"\n"
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
