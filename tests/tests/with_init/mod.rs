//! Booting a topology with a user program as init, for the whole-system tests of programs
//! that judge themselves (`storm`, `satbench`): the program replaces `/bin/init` on a fresh
//! copy of the built disk, the topology (from `topologies/`) boots with that disk, and the run
//! goes to its end. The exit code is the program's verdict.
//!
//! Images from `ORRERY_GUEST_DIR` (set by `cargo xtask test`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use orrery_emulator::system::{System, SystemOptions, SystemState};
use orrery_emulator::topology::Topology;
use orrery_tests::Capture;
use ox_fs::{Fs, MemDisk, ROOT_INO};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn guest_dir() -> PathBuf {
    let Some(dir) = std::env::var_os("ORRERY_GUEST_DIR") else {
        panic!("ORRERY_GUEST_DIR is not set: run `cargo xtask test`, which builds and names target/ox32");
    };
    PathBuf::from(dir)
}

/// A fresh copy of the built disk whose `/bin/init` is `/bin/PROGRAM`.
fn disk_with_init(program: &str) -> PathBuf {
    let image = guest_dir().join("disk.img");
    let bytes = std::fs::read(&image).unwrap_or_else(|e| panic!("{}: {e}", image.display()));
    let mut fs = Fs::mount(MemDisk::from_bytes(bytes)).unwrap_or_else(|e| panic!("disk.img: {e:?}"));
    let path = format!("/bin/{program}");
    let ino = fs.lookup_at(ROOT_INO, &path).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let size = fs.stat(ino).unwrap_or_else(|e| panic!("stat {path}: {e:?}")).size;
    let mut code = vec![0; size as usize];
    fs.read_at(ino, 0, &mut code).unwrap_or_else(|e| panic!("read {path}: {e:?}"));
    let init = fs.lookup_at(ROOT_INO, "/bin/init").unwrap_or_else(|e| panic!("/bin/init: {e:?}"));
    fs.truncate(init, 0).expect("truncate /bin/init");
    assert_eq!(fs.write_at(init, 0, &code).expect("write /bin/init"), code.len());
    let bytes = fs.unmount().expect("unmount").into_bytes();
    static COPIES: AtomicUsize = AtomicUsize::new(0);
    let n = COPIES.fetch_add(1, Ordering::Relaxed);
    let copy = std::env::temp_dir().join(format!("orrery-{program}-{}-{n}.img", std::process::id()));
    std::fs::write(&copy, bytes).unwrap_or_else(|e| panic!("{}: {e}", copy.display()));
    copy
}

/// Runs `topologies/TOPOLOGY` with `program` as init, on `threads` host threads, for at most
/// `limit_ns` of virtual time; returns how the system ended and the transcript.
pub fn run(program: &str, topology: &str, threads: usize, limit_ns: u64) -> (SystemState, String) {
    let path = repo().join("topologies").join(topology);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let disk = disk_with_init(program);
    let text = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", guest_dir().join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{disk:?}"));
    let topology =
        Topology::parse(topology, &text, &repo().join("topologies")).unwrap_or_else(|e| panic!("{e}"));
    let capture = Capture::default();
    let options = SystemOptions { terminal: Box::new(capture.clone()), input: Vec::new(), stdin: false };
    let mut system = System::new(&topology, options).unwrap_or_else(|e| panic!("{e}"));
    let state = system.run(limit_ns, threads).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&disk);
    (state, capture.text())
}
