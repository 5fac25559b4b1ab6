//! Signals with Bach's semantics (docs/syscalls.md, *Signals*; docs/satellites.md, *Signals*),
//! end to end: the default topology (and the lossy one) booted with a disk whose `/bin/init`
//! is the test program `sigtest` (programs/user/sigtest). On the central it checks handlers,
//! `SIG_IGN`, default actions and wait statuses, `EINTR` from pipe reads, `sleep` and `pause`,
//! `SIGKILL`, caught faults, `SIGPIPE`, `SIGCHLD` and `exec`; on a satellite, a signal that
//! interrupts a read its stub is blocked in (the handler runs on the satellite), handlers run
//! while computing, default actions across the link, an ignored signal, a caught fault, and
//! the time from `kill` to a handler there. The run's exit code is the program's verdict.
//!
//! Images from `ORRERY_GUEST_DIR` (set by `cargo xtask test`); every run boots a fresh copy of
//! the disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use orrery_emulator::system::{System, SystemOptions, SystemState};
use orrery_emulator::topology::Topology;
use orrery_tests::Capture;
use ox_fs::{Fs, MemDisk, ROOT_INO};

/// More virtual time than any run here needs.
const LIMIT_NS: u64 = 20_000_000_000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn guest_dir() -> PathBuf {
    let Some(dir) = std::env::var_os("ORRERY_GUEST_DIR") else {
        panic!("ORRERY_GUEST_DIR is not set: run `cargo xtask test`, which builds and names target/ox32");
    };
    PathBuf::from(dir)
}

/// A fresh copy of the built disk whose `/bin/init` is `/bin/sigtest`.
fn disk_with_sigtest_init() -> PathBuf {
    let image = guest_dir().join("disk.img");
    let bytes = std::fs::read(&image).unwrap_or_else(|e| panic!("{}: {e}", image.display()));
    let mut fs = Fs::mount(MemDisk::from_bytes(bytes)).unwrap_or_else(|e| panic!("disk.img: {e:?}"));
    let sigtest = fs.lookup_at(ROOT_INO, "/bin/sigtest").unwrap_or_else(|e| panic!("/bin/sigtest: {e:?}"));
    let size = fs.stat(sigtest).expect("stat /bin/sigtest").size;
    let mut program = vec![0; size as usize];
    fs.read_at(sigtest, 0, &mut program).expect("read /bin/sigtest");
    let init = fs.lookup_at(ROOT_INO, "/bin/init").unwrap_or_else(|e| panic!("/bin/init: {e:?}"));
    fs.truncate(init, 0).expect("truncate /bin/init");
    assert_eq!(fs.write_at(init, 0, &program).expect("write /bin/init"), program.len());
    let bytes = fs.unmount().expect("unmount").into_bytes();
    static COPIES: AtomicUsize = AtomicUsize::new(0);
    let n = COPIES.fetch_add(1, Ordering::Relaxed);
    let copy = std::env::temp_dir().join(format!("orrery-signals-{}-{n}.img", std::process::id()));
    std::fs::write(&copy, bytes).unwrap_or_else(|e| panic!("{}: {e}", copy.display()));
    copy
}

/// Runs `topologies/NAME` with the sigtest init to its end; returns the transcript.
fn run(name: &str, threads: usize) -> String {
    let path = repo().join("topologies").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let disk = disk_with_sigtest_init();
    let text = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", guest_dir().join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{disk:?}"));
    let topology = Topology::parse(name, &text, &repo().join("topologies")).unwrap_or_else(|e| panic!("{e}"));
    let capture = Capture::default();
    let options = SystemOptions { terminal: Box::new(capture.clone()), input: Vec::new(), stdin: false };
    let mut system = System::new(&topology, options).unwrap_or_else(|e| panic!("{e}"));
    let state = system.run(LIMIT_NS, threads).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&disk);
    let text = capture.text();
    assert_eq!(state, SystemState::PoweredOff(0), "sigtest should pass:\n{text}");
    assert!(!text.contains("panic"), "{text}");
    assert!(!text.contains("FAILED"), "{text}");
    text
}

/// The program's verdict lines (`sigtest:`) and the kernels' reports of fatal faults, the
/// same whatever the links lose.
fn verdict(transcript: &str) -> Vec<&str> {
    transcript.lines().filter(|l| l.contains("sigtest:") || l.contains("killed by")).collect()
}

/// One test, three runs (each is long: sixty processes are placed on a satellite for the
/// crossing rounds): the snapshot, the same bytes on two threads, the same verdict over lossy
/// links.
#[test]
fn signals_behave_as_on_one_processor_on_the_central_and_across_the_link() {
    let transcript = run("default.toml", 1);
    let from = transcript.find("[cp] [kernel] starting init").expect("init starts");
    insta::assert_snapshot!("default", &transcript[from..]);
    for case in [
        "a signal interrupts a blocked read on a satellite: ok",
        "a handler runs while computing on a satellite: ok",
        "default action on a satellite: ok",
        "sigtest: 0 failure(s)",
    ] {
        assert!(transcript.contains(case), "{case}:\n{transcript}");
    }
    assert_eq!(run("default.toml", 2), transcript, "a second run, on two threads");
    let lossy = run("lossy.toml", 1);
    assert_eq!(verdict(&lossy), verdict(&transcript), "the lossy links' verdict");
}
