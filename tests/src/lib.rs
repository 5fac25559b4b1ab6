//! Shared helpers of Orrery's whole-system tests: assemble a program, boot it on one node
//! with a capturing console, run it to a cycle budget and report what happened.
//!
//! Conventions: paths are relative to the repository root; programs are assembled with the
//! assembler's default options (base `RAM_BASE`, page-aligned sections); a node has
//! [`RAM_SIZE`] bytes of RAM and the default 100 MHz clock. Nothing here is random: the same
//! program and input always give the same [`Outcome`].

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};

use orrery_emulator::devices::block::Disk;
use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_emulator::system::{System, SystemOptions, SystemState};
use orrery_emulator::topology::Topology;
use orrery_toolchain::asm::{assemble, Options, Program};
use orrery_toolchain::disk::{self, AddFile};

/// RAM of every test node: 1 MiB.
pub const RAM_SIZE: u32 = 1 << 20;

/// What a run produced.
pub struct Outcome {
    /// Everything the guest wrote to its console, lossily decoded as UTF-8.
    pub console: String,
    /// How the run ended.
    pub state: RunState,
    /// The node after the run, for inspecting registers, memory and TLB counters.
    pub machine: Machine,
}

impl Outcome {
    /// The console followed by one line naming how the run ended: the text a snapshot
    /// records.
    pub fn transcript(&self) -> String {
        let end = match self.state {
            RunState::PoweredOff(code) => format!("powered off, exit code {code}"),
            other => format!("did not power off: {other:?}"),
        };
        format!("{}\n--- {end}", self.console)
    }
}

/// A console that keeps every byte the guest writes.
pub use orrery_emulator::console::Capture;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Assembles `source` (named `name` in messages) into an ELF image; panics with the
/// assembler's diagnostics, which is what a test wants.
pub fn assemble_source(name: &str, source: &str) -> Vec<u8> {
    match assemble(&[(name, source)], &Options::default()) {
        Ok(program) => program.to_elf(),
        Err(diagnostics) => panic!("{name} does not assemble:\n{diagnostics}"),
    }
}

/// Assembles the file at `path` (relative to the repository root), keeping every symbol
/// (the loader's table keeps one name per address).
pub fn program(path: &str) -> Program {
    let full = repo_root().join(path);
    let source =
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
    match assemble(&[(path, &source)], &Options::default()) {
        Ok(program) => program,
        Err(diagnostics) => panic!("{path} does not assemble:\n{diagnostics}"),
    }
}

/// Assembles the file at `path` (relative to the repository root) into an ELF image.
pub fn assemble_file(path: &str) -> Vec<u8> {
    program(path).to_elf()
}

/// Whether the tests run guest code with the JIT: `ORRERY_JIT=off` says no (CI runs the
/// whole-system tests both ways; the JIT must change nothing they see), anything else yes.
pub fn jit() -> bool {
    std::env::var("ORRERY_JIT").map_or(true, |v| v != "off")
}

/// A node with a capturing console and `input` queued on its UART, on the engine [`jit`]
/// names.
pub fn machine(input: &[u8]) -> (Machine, Capture) {
    let console = Capture::default();
    let mut config = MachineConfig::new(RAM_SIZE, Box::new(console.clone()));
    config.input = input.to_vec();
    let mut machine = Machine::new(config);
    machine.set_jit(jit());
    (machine, console)
}

/// Boots `elf` and runs it until it powers off, gets stuck, or has run `max_cycles`.
pub fn run_elf(elf: &[u8], input: &[u8], max_cycles: u64) -> Outcome {
    let (mut machine, console) = machine(input);
    if let Err(e) = machine.boot_elf(elf) {
        panic!("the image does not load: {e}");
    }
    let state = machine.run(max_cycles);
    Outcome { console: console.text(), state, machine }
}

/// Assembles the file at `path` (relative to the repository root) and runs it like
/// [`run_elf`].
pub fn run_asm(path: &str, input: &[u8], max_cycles: u64) -> Outcome {
    run_elf(&assemble_file(path), input, max_cycles)
}

/// Size of a disk image, as `cargo xtask build` makes it.
pub const DISK_SIZE: u64 = 32 << 20;

/// The `orrery` binary of this test run's profile, built if needed (for tests that start
/// another `orrery` process: gdb's target, the far half of a split system).
pub fn orrery_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows where it is");
    let profile_dir = exe.parent().and_then(Path::parent).expect("tests run from target/PROFILE/deps");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    // `--tests`: with the features `cargo test --workspace` gives the emulator's dependencies
    // (its dev-dependencies count), so that the binary that command built is the one wanted and
    // is not built again.
    build.args(["build", "--quiet", "-p", "orrery-emulator", "--bin", "orrery", "--tests"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.current_dir(repo_root()).status().expect("cargo runs");
    assert!(status.success(), "cannot build orrery");
    profile_dir.join("orrery")
}

/// `topologies/NAME` with the guest's kernel and the disk `disk` (for a test that boots the
/// OS on a copy of its own).
pub fn os_topology(name: &str, disk: &Path) -> orrery_emulator::topology::Topology {
    let dir = repo_root().join("topologies");
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", guest_dir().join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{disk:?}"));
    orrery_emulator::topology::Topology::parse(name, &text, &dir).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs the expect `script` (docs/testing.md) on `topology` as a [`Session`] on the engine
/// [`jit`] names, then removes `disk` (the topology's copy); the session at the end, or a
/// panic naming the step that failed, with the transcript.
///
/// [`Session`]: orrery_emulator::session::Session
pub fn run_script(
    topology: orrery_emulator::topology::Topology,
    disk: &Path,
    script: &str,
) -> orrery_emulator::session::Session {
    use orrery_emulator::session::{Script, Session};
    let script = Script::parse(script).unwrap_or_else(|e| panic!("the script does not parse: {e}"));
    let mut session = Session::topology(topology).unwrap_or_else(|e| panic!("{e}"));
    session.set_jit(jit());
    let result = script.run(&mut session);
    let _ = std::fs::remove_file(disk);
    if let Err(e) = result {
        panic!("{e}\n{}", session.transcript());
    }
    session
}

/// `target/ox32`, where `cargo xtask build` puts the guest (`ORRERY_GUEST_DIR`, set by
/// `cargo xtask test`).
pub fn guest_dir() -> PathBuf {
    let Some(dir) = std::env::var_os("ORRERY_GUEST_DIR") else {
        panic!(
            "ORRERY_GUEST_DIR is not set: this test boots the guest in target/ox32, built and \
             named by `cargo xtask test` (run that instead of `cargo test`)"
        );
    };
    PathBuf::from(dir)
}

/// The central kernel built by `cargo xtask build`.
pub fn kernel_image() -> Vec<u8> {
    let path = guest_dir().join("kernel.elf");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A new disk image like `cargo xtask build`'s `disk.img` — every program of
/// `guest_dir()/user.load` (the programs' loadable segments) as `/bin/<name>` — but one no run has written to (`disk.img` keeps what
/// `cargo xtask run` wrote). With `init`, the program of that name is `/bin/init` too. Written
/// to a temporary file named after `name`; the caller removes it.
pub fn pristine_disk(name: &str, init: Option<&str>) -> PathBuf {
    let user = guest_dir().join("user.load");
    let mut programs: Vec<PathBuf> = std::fs::read_dir(&user)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", user.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "elf"))
        .collect();
    programs.sort();
    let mut files = Vec::new();
    for program in programs {
        let stem = program.file_stem().and_then(|s| s.to_str()).expect("program names are UTF-8").to_string();
        if init.is_some() && stem == "init" {
            continue;
        }
        if init == Some(stem.as_str()) {
            files.push(AddFile { host: program.clone(), path: "/bin/init".to_string() });
        }
        files.push(AddFile { host: program, path: format!("/bin/{stem}") });
    }
    assert!(files.iter().any(|f| f.path == "/bin/init"), "no init for the disk in {}", user.display());
    let bytes = disk::create(DISK_SIZE, &files, &[]).unwrap_or_else(|e| panic!("disk image: {e}"));
    let path = std::env::temp_dir().join(format!("orrery-{}-{name}.img", std::process::id()));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// Runs `topologies/FILE` with the guest of [`guest_dir`] — its kernel, and a
/// [`pristine_disk`] with `init` as `/bin/init` — on `threads` host threads until it powers
/// off or nothing can happen any more (at most `limit_ns` of virtual time), with `input` typed
/// at the central's console up front. Returns every node's console, prefixed, and how the
/// system ended. The disk is removed afterwards.
pub fn run_topology(
    file: &str,
    init: Option<&str>,
    input: &[u8],
    threads: usize,
    limit_ns: u64,
) -> (String, SystemState) {
    let dir = repo_root().join("topologies");
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let disk = pristine_disk(&format!("topology-{n}-{}", init.unwrap_or("init")), init);
    let text = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", guest_dir().join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{disk:?}"));
    let topology = Topology::parse(file, &text, &dir).unwrap_or_else(|e| panic!("{e}"));
    let capture = Capture::default();
    let options = SystemOptions { terminal: Box::new(capture.clone()), input: input.to_vec(), stdin: false };
    let mut system = System::new(&topology, options).unwrap_or_else(|e| panic!("{e}"));
    for node in &mut system.nodes {
        node.machine.set_jit(jit());
    }
    let state = system.run(limit_ns, threads).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&disk);
    (capture.text(), state)
}

/// A node booted from a kernel image and driven like a person at its console: run it until it
/// waits for input, type a line, run it again. [`Terminal::transcript`] is what a terminal
/// would show: the console's output with each typed line after the output that preceded it
/// (the guest does not echo; a host terminal does). Lines are typed only when the node is
/// idle, so a program reading the console gets exactly its line, deterministically.
pub struct Terminal {
    /// The node.
    pub machine: Machine,
    /// The console's output and the typed lines, in order.
    pub transcript: String,
    console: Capture,
    input: Option<Sender<u8>>,
    seen: usize,
}

impl Terminal {
    /// A node with `ram` bytes of RAM and `disk` (if any) booted from the kernel ELF `kernel`.
    pub fn boot(kernel: &[u8], ram: u32, disk: Option<Disk>) -> Terminal {
        let console = Capture::default();
        let (input, host_input) = mpsc::channel();
        let mut config = MachineConfig::new(ram, Box::new(console.clone()));
        config.host_input = Some(host_input);
        config.disk = disk;
        let mut machine = Machine::new(config);
        machine.set_jit(jit());
        machine.boot_elf(kernel).unwrap_or_else(|e| panic!("the kernel does not load: {e}"));
        Terminal { machine, transcript: String::new(), console, input: Some(input), seen: 0 }
    }

    /// Runs up to `budget` more instructions (until the node is idle, powers off or is
    /// stuck); what it printed joins the transcript.
    pub fn run(&mut self, budget: u64) -> RunState {
        let state = self.machine.run(self.machine.cpu.cycles + budget);
        let text = self.console.text();
        self.transcript.push_str(&text[self.seen..]);
        self.seen = text.len();
        state
    }

    /// Types `line` and a newline at the console.
    pub fn type_line(&mut self, line: &str) {
        self.transcript.push_str(line);
        self.transcript.push('\n');
        self.send(line.bytes().chain([b'\n']));
    }

    /// Types `bytes` as keys on a terminal in raw mode (Ctrl-C is 0x03); the transcript gets
    /// what `orrery run` echoes for them (`^C` for Ctrl-C).
    pub fn type_keys(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.transcript.push_str(&String::from_utf8_lossy(orrery_emulator::console::echo_of(*byte)));
        }
        self.send(bytes.iter().copied());
    }

    /// Ends the console's input, as the end of a file on standard input does: once the guest
    /// has read what was typed, its console `read` returns 0.
    pub fn end_input(&mut self) {
        self.input = None;
    }

    fn send(&mut self, bytes: impl Iterator<Item = u8>) {
        let input = self.input.as_ref().expect("typing after the end of the input");
        for byte in bytes {
            input.send(byte).expect("the UART holds its receiver");
        }
    }

    /// Types each of `lines` once the node is idle waiting for it, then runs to the end (each
    /// run allowed `budget` instructions); returns how the node ended. `fill` may rewrite a
    /// line from the transcript so far (to type a pid the guest printed).
    pub fn session(&mut self, lines: &[&str], budget: u64, fill: impl Fn(&str, &str) -> String) -> RunState {
        let mut state = self.run(budget);
        for line in lines {
            assert_eq!(state, RunState::Idle, "the node should wait for {line:?}:\n{}", self.transcript);
            let line = fill(line, &self.transcript);
            self.type_line(&line);
            state = self.run(budget);
        }
        state
    }
}

/// A deterministic fault generator (xorshift64*) for links simulated in tests: each frame is
/// lost with probability `drop`, or has one bit flipped with probability `corrupt`.
pub struct Faults {
    state: u64,
    drop: f64,
    corrupt: f64,
    /// Frames lost so far.
    pub dropped: u32,
    /// Frames damaged so far.
    pub corrupted: u32,
}

impl Faults {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64, drop: f64, corrupt: f64) -> Faults {
        Faults { state: seed | 1, drop, corrupt, dropped: 0, corrupted: 0 }
    }

    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The frame after crossing the link, or `None` if it was lost.
    pub fn cross(&mut self, frame: &[u8]) -> Option<Vec<u8>> {
        if self.unit() < self.drop {
            self.dropped += 1;
            return None;
        }
        let mut frame = frame.to_vec();
        if self.unit() < self.corrupt {
            let at = (self.bits() % frame.len() as u64) as usize;
            frame[at] ^= 1 << (self.bits() % 8);
            self.corrupted += 1;
        }
        Some(frame)
    }
}

/// The transcript of an OS run from the start of init on (the shell's first prompt, `[cp] $`):
/// the boot before it is `topology_os`'s business.
pub fn from_init(transcript: &str) -> String {
    let at = transcript.find("[cp] $").unwrap_or(0);
    transcript[at..].to_string()
}
