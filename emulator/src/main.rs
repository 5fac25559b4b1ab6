//! `orrery`: the command line of the emulator.
//!
//! Exit status: the guest's exit code when it powers off; 2 when the command line or an image
//! is wrong; 124 when `--max-cycles` ran out; 125 when the guest waits for an interrupt that
//! can never come.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use orrery_emulator::console::ConsoleSpec;
use orrery_emulator::devices::block::Disk;
use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_emulator::monitor::gdb::GdbSpec;
use orrery_emulator::monitor::{self, Monitor, MonitorSpec, DEFAULT_LIMIT};
use orrery_emulator::profile::Profile;
use orrery_emulator::session::{Script, Session};
use orrery_emulator::system::{System, SystemOptions, SystemState, Target};
use orrery_emulator::time::Clock;
use orrery_emulator::topology::{self, Boot, Endpoint, LinkProps, LinkSpec, NodeSpec, Role, Topology};
use orrery_toolchain::input::{read_text_input, MAX_TEXT};

/// The ox32 machine emulator.
#[derive(Parser)]
#[command(name = "orrery", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What every command that boots a node takes: the image and the node's shape.
#[derive(Args)]
struct NodeArgs {
    /// The image: an ox32 ELF executable, or `.s` assembly source.
    image: PathBuf,
    /// RAM size, in bytes or with a K/M/G suffix.
    #[arg(long, default_value = "64M", value_parser = topology::parse_size)]
    ram: u32,
    /// Virtual CPU speed in MHz (instructions per virtual microsecond).
    #[arg(long, default_value_t = 100)]
    mhz: u64,
    /// Where the console goes: stdio, file:PATH, or tcp:HOST:PORT (waits for a client).
    #[arg(long, default_value = "stdio")]
    console: ConsoleSpec,
    /// Console input given up front, instead of reading the console's host side.
    #[arg(long)]
    input: Option<String>,
    /// A disk image for the block device (`oxdisk create` makes one); guest writes persist.
    #[arg(long)]
    disk: Option<PathBuf>,
    /// Execute guest code translated to host code (`on`, where supported: x86-64) or with the
    /// interpreter (`off`); the results are identical, cycle for cycle.
    #[arg(long, value_enum, default_value_t = Jit::default_choice())]
    jit: Jit,
    /// Run the executable as a user process, paging on, as `qemu-riscv32` runs a Linux one:
    /// page tables and a small kernel answering `write` and `exit` are added at the top of RAM
    /// (docs/bare-metal.md, "As a user process").
    #[arg(long)]
    user: bool,
}

/// The `--jit` choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Jit {
    /// Translate to host code (falls back to the interpreter where unsupported).
    On,
    /// Interpret.
    Off,
}

impl Jit {
    /// On where the host supports it.
    fn default_choice() -> Jit {
        if orrery_emulator::machine::JIT_SUPPORTED {
            Jit::On
        } else {
            Jit::Off
        }
    }

    fn on(self) -> bool {
        self == Jit::On
    }
}

/// Sets the engine of every node of `system`.
fn set_jit(system: &mut System, jit: Jit) {
    for node in &mut system.nodes {
        node.machine.set_jit(jit.on());
    }
}

impl NodeArgs {
    /// Builds the node and boots the image; `host_input` says whether the console's host side
    /// may feed input (it may not when input is given up front, or stdin belongs to a monitor).
    fn boot(self, host_input: bool) -> Result<Machine, String> {
        if let Some(host) = orrery_emulator::host::memory().filter(|host| u64::from(self.ram) > *host) {
            return Err(format!("--ram is {} MiB, more than this host's {} MiB", self.ram >> 20, host >> 20));
        }
        let elf = orrery_emulator::loader::read_executable(&self.image)?;
        let console = self.console.open(host_input && self.input.is_none())?;
        let mut config = MachineConfig::new(self.ram, console.output);
        config.clock = Clock::from_mhz(self.mhz);
        config.host_input = console.input;
        config.input = self.input.unwrap_or_default().into_bytes();
        config.disk = self.disk.as_deref().map(Disk::open).transpose()?;
        let mut machine = Machine::new(config);
        machine.set_jit(self.jit.on());
        let booted =
            if self.user { machine.boot_executable_user(&elf) } else { machine.boot_executable(&elf) };
        booted.map_err(|e| format!("{}: {e}", self.image.display()))?;
        Ok(machine)
    }
}

/// `orrery run`'s profiler (docs/monitor.md, "Profiling").
#[derive(Args)]
struct ProfileArgs {
    /// Sample where every node's CPU is, every `--profile-interval` cycles, and write each
    /// node's busiest functions to this file when the run ends.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Cycles between two samples.
    #[arg(long, default_value_t = 997, requires = "profile")]
    profile_interval: u64,
    /// Rows per node in the report.
    #[arg(long, default_value_t = 30, requires = "profile")]
    profile_top: usize,
    /// Also write every address sampled, kernel and user, with its samples, to this file (a
    /// line `NODE k|u ADDRESS SAMPLES`), to be mapped to source lines (docs/monitor.md).
    #[arg(long, requires = "profile")]
    profile_addresses: Option<PathBuf>,
    /// `NODE=ELF`: name NODE's kernel functions from this executable (a satellite's kernel
    /// arrives over its link, so the emulator has no names for it otherwise), e.g.
    /// `--symbols sat1=target/ox32/satellite.elf`. May be given once per node.
    #[arg(long, value_name = "NODE=ELF", requires = "profile")]
    symbols: Vec<String>,
}

impl ProfileArgs {
    /// Starts profiling `machines` (named), with the symbols given for them.
    fn start<'a>(&self, machines: impl Iterator<Item = (&'a str, &'a mut Machine)>) -> Result<(), String> {
        if self.profile.is_none() {
            return Ok(());
        }
        let mut given = Vec::new();
        for spec in &self.symbols {
            let Some((node, path)) = spec.split_once('=') else {
                return Err(format!("--symbols {spec}: give NODE=ELF"));
            };
            let bytes = orrery_emulator::loader::read_image(Path::new(path))?;
            let symbols =
                orrery_emulator::loader::read_symbols(&bytes).map_err(|e| format!("{path}: {e}"))?;
            given.push((node.to_string(), symbols, false));
        }
        for (name, machine) in machines {
            machine.profile = Some(Profile::new(self.profile_interval, machine.cpu.cycles));
            if let Some(entry) = given.iter_mut().find(|(node, _, _)| node == name) {
                machine.symbols = entry.1.clone();
                entry.2 = true;
            }
        }
        match given.iter().find(|(_, _, used)| !used) {
            Some((node, _, _)) => Err(format!("--symbols: there is no node `{node}`")),
            None => Ok(()),
        }
    }

    /// Writes the report of `machines` (named) to the `--profile` file.
    fn finish<'a>(&self, machines: impl Iterator<Item = (&'a str, &'a Machine)>) -> Result<(), String> {
        let Some(path) = &self.profile else {
            return Ok(());
        };
        let (mut report, mut addresses) = (String::new(), String::new());
        for (name, machine) in machines {
            if let Some(profile) = &machine.profile {
                report.push_str(&profile.report(name, &machine.symbols, self.profile_top));
                if self.profile_addresses.is_some() {
                    addresses.push_str(&profile.addresses(name));
                }
            }
        }
        if let Some(addresses_path) = &self.profile_addresses {
            write_file(addresses_path, addresses.as_bytes())?;
        }
        write_file(path, report.as_bytes())
    }
}

#[derive(Subcommand)]
enum Command {
    /// Boot a topology (a `.toml` file: every node, consoles prefixed `[name]`), or one node
    /// from an ox32 ELF executable (or an assembly file, assembled first); exit with the
    /// (central) guest's exit code.
    Run {
        #[command(flatten)]
        node: NodeArgs,
        /// Stop after this many virtual cycles of the (central) node (exit status 124).
        #[arg(long)]
        max_cycles: Option<u64>,
        /// Run a topology's nodes on this many host threads (the output does not change).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Drive the console with this script of send/expect steps (docs/testing.md): print
        /// the transcript, exit 0 when every expectation held, 1 naming the step that failed.
        #[arg(long)]
        expect: Option<PathBuf>,
        /// Record every frame that crosses a link of the topology in this file (a link trace:
        /// docs/pictures.md), for `orrery trace`.
        #[arg(long)]
        trace: Option<PathBuf>,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Read a link trace written by `orrery run TOPOLOGY --trace FILE` (docs/pictures.md).
    Trace {
        #[command(subcommand)]
        command: TraceCommand,
    },
    /// Draw a topology.
    Topology {
        #[command(subcommand)]
        command: TopologyCommand,
    },
    /// Debug one node (an image) or a whole system (a `.toml` topology): boot it and serve the
    /// monitor's commands (a terminal with line editing, a script, a pipe, or one TCP client).
    /// See docs/monitor.md. A console on stdio only prints: standard input belongs to the
    /// monitor.
    Debug {
        #[command(flatten)]
        node: NodeArgs,
        /// Run the commands in this file (echoed as `(orrery) cmd`), then exit.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Where the monitor talks: stdio, or tcp:HOST:PORT (waits for one client).
        #[arg(long, default_value = "stdio")]
        monitor: MonitorSpec,
        /// The most cycles one step/next/until/continue may run.
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: u64,
        /// Serve gdb's remote protocol at tcp:HOST:PORT instead of the monitor (docs/monitor.md,
        /// "gdb"): give gdb-multiarch the RV32 original of the image, then `target remote`.
        #[arg(long, value_name = "tcp:HOST:PORT", conflicts_with_all = ["script", "monitor"])]
        gdb: Option<GdbSpec>,
    },
    /// Run the CPU benchmark (a sieve in user mode with paging on) and print MIPS.
    Bench {
        /// Sieve rounds, 1 to 100000; each is about 1.1 million instructions.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=MAX_ROUNDS))]
        rounds: u32,
        /// Run the program on this many nodes at once (a star topology, at most 17: the
        /// central node has 16 ports) and report the aggregate MIPS.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=MAX_BENCH_NODES))]
        nodes: u16,
        /// Host threads for the nodes (with --nodes), 1 to 17.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=MAX_BENCH_NODES))]
        threads: u16,
        /// Quantum in virtual microseconds (with --nodes), 1 to 1000000.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        quantum_us: u64,
        /// The engine: `on` (the JIT), `off` (the interpreter); without it, both, one after
        /// the other (the JIT last, where supported).
        #[arg(long, value_enum)]
        jit: Option<Jit>,
    },
}

/// What `orrery trace` does.
#[derive(Subcommand)]
enum TraceCommand {
    /// Print every frame, a line each, with what it carried, and each message it completed.
    Show {
        /// The trace.
        trace: PathBuf,
    },
    /// Draw a sequence chart (SVG): a lifeline per node, an arrow per message.
    Chart {
        /// The trace.
        trace: PathBuf,
        /// Where the SVG goes.
        #[arg(short, long)]
        output: PathBuf,
        /// Only what was sent from this virtual time on (ns, or with a unit: 12ms, 350us).
        #[arg(long, value_parser = parse_time)]
        from: Option<u64>,
        /// Only what was sent until this virtual time (ns, or with a unit).
        #[arg(long, value_parser = parse_time)]
        to: Option<u64>,
        /// Only these nodes, in this order (comma-separated names).
        #[arg(long, value_delimiter = ',')]
        node: Vec<String>,
    },
    /// Write the trace as a pcap capture for Wireshark (link type 147, LINKTYPE_USER0).
    Pcap {
        /// The trace.
        trace: PathBuf,
        /// Where the capture goes.
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// What `orrery topology` does.
#[derive(Subcommand)]
enum TopologyCommand {
    /// Draw the topology as a graph (SVG): nodes with their RAM, links with their properties.
    Graph {
        /// The topology (`.toml`).
        topology: PathBuf,
        /// Where the SVG goes.
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// A virtual time: nanoseconds, or a number with `ns`, `us`, `ms` or `s`.
fn parse_time(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, scale) =
        [("ns", 1), ("us", 1_000), ("\u{b5}s", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)]
            .into_iter()
            .find_map(|(unit, scale)| text.strip_suffix(unit).map(|n| (n, scale)))
            .unwrap_or((text, 1));
    let value: f64 =
        number.trim().parse().map_err(|_| format!("`{text}` is not a time (try 12ms, 350us or 5000 ns)"))?;
    if !(0.0..=1e19).contains(&(value * scale as f64)) {
        return Err(format!("`{text}` is out of range"));
    }
    Ok((value * scale as f64).round() as u64)
}

/// Writes `bytes` to `path`, naming it in an error.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn trace_command(command: TraceCommand) -> Result<ExitCode, String> {
    use orrery_emulator::trace::Trace;
    match command {
        TraceCommand::Show { trace } => {
            let trace = Trace::load(&trace)?;
            let mut stdout = std::io::stdout();
            let _ = stdout.write_all(orrery_emulator::trace::decode::listing(&trace).as_bytes());
        }
        TraceCommand::Chart { trace, output, from, to, node } => {
            let trace = Trace::load(&trace)?;
            let options = orrery_emulator::trace::chart::ChartOptions { from, to, nodes: node };
            write_file(&output, orrery_emulator::trace::chart::chart(&trace, &options)?.as_bytes())?;
        }
        TraceCommand::Pcap { trace, output } => {
            let trace = Trace::load(&trace)?;
            write_file(&output, &orrery_emulator::trace::pcap::pcap(&trace))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn topology_command(command: TopologyCommand) -> Result<ExitCode, String> {
    match command {
        TopologyCommand::Graph { topology, output } => {
            let topology = Topology::load(&topology)?;
            write_file(&output, orrery_emulator::trace::graph::graph(&topology).as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The most sieve rounds `orrery bench` runs (about 110 billion instructions).
const MAX_ROUNDS: i64 = 100_000;
/// The most nodes `orrery bench --nodes` runs: the central node and one satellite on each of
/// its ports.
const MAX_BENCH_NODES: i64 = ox32::memmap::LINK_PORTS as i64 + 1;

/// Boots every node of a topology and runs the system.
fn run_topology(
    node: NodeArgs,
    max_cycles: Option<u64>,
    threads: usize,
    trace: Option<&Path>,
    profile: &ProfileArgs,
) -> Result<ExitCode, String> {
    if node.disk.is_some() {
        return Err(
            "--disk gives one node a disk; in a topology, give the central node `disk = \"FILE\"`".into()
        );
    }
    if node.user {
        return Err("--user runs one executable as a user process: give an executable, not a topology".into());
    }
    let topology = Topology::load(&node.image)?;
    let stdin = node.input.is_none();
    let scripted = node.input.is_some();
    let options = SystemOptions {
        terminal: Box::new(std::io::stdout()),
        input: node.input.unwrap_or_default().into_bytes(),
        stdin,
    };
    let mut system = System::new(&topology, options)?;
    set_jit(&mut system, node.jit);
    if let Some(path) = trace {
        let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        system.trace_to(Box::new(std::io::BufWriter::new(file)), &topology);
    }
    if scripted {
        system.end_input();
    }
    let central = system.nodes.iter().position(|n| n.role == Role::Central).unwrap_or(0);
    let limit = max_cycles.map_or(u64::MAX, |c| system.nodes[central].machine.cpu.clock.time_of(c));
    profile.start(system.nodes.iter_mut().map(|n| (n.name.as_str(), &mut n.machine)))?;
    let outcome = system.run(limit, threads);
    report_refusals(&system);
    system.finish_trace()?;
    profile.finish(system.nodes.iter().map(|n| (n.name.as_str(), &n.machine)))?;
    match outcome? {
        SystemState::PoweredOff(code) => Ok(ExitCode::from(code as u8)),
        SystemState::Disconnected => Ok(ExitCode::SUCCESS),
        SystemState::TimeLimit => {
            eprintln!("orrery: stopped at {} ns of virtual time (--max-cycles)", system.time);
            Ok(ExitCode::from(124))
        }
        SystemState::Stuck => {
            eprintln!("orrery: every node waits for something that can never come (at {} ns)", system.time);
            Ok(ExitCode::from(125))
        }
        SystemState::PeerStalled => Err(system.failure().unwrap_or("a peer process stalled").to_string()),
    }
}

/// Says on standard error what the links refused during the run, one line per destination.
fn report_refusals(system: &System) {
    for (to, refused) in system.link_refusals() {
        let to = match to {
            Target::Port(end) => format!("{}.{}", system.nodes[end.node].name, end.port),
            Target::Remote(r) => format!("the peer of remote link {r}"),
        };
        eprintln!(
            "orrery: links refused {} frame(s) to {to} dated outside the window and {} over a full queue",
            refused.out_of_window, refused.queue_full
        );
    }
}

fn run(
    node: NodeArgs,
    max_cycles: Option<u64>,
    threads: usize,
    trace: Option<&Path>,
    profile: &ProfileArgs,
) -> Result<ExitCode, String> {
    if node.image.extension().is_some_and(|e| e == "toml") {
        return run_topology(node, max_cycles, threads, trace, profile);
    }
    if trace.is_some() {
        return Err(
            "--trace records the frames between the nodes of a topology: give a `.toml` topology".into()
        );
    }
    let scripted = node.input.is_some();
    let mut machine = node.boot(true)?;
    if scripted {
        machine.end_input();
    }
    profile.start(std::iter::once(("node", &mut machine)))?;
    let code = run_machine(&mut machine, max_cycles.unwrap_or(u64::MAX));
    profile.finish(std::iter::once(("node", &machine)))?;
    Ok(code)
}

/// Runs one booted node to its end; the exit status `orrery run` gives.
fn run_machine(machine: &mut Machine, limit: u64) -> ExitCode {
    loop {
        match machine.run(limit) {
            RunState::PoweredOff(code) => return ExitCode::from(code as u8),
            RunState::Running => {
                eprintln!(
                    "orrery: stopped after {limit} cycles (--max-cycles) at pc {:#010x}",
                    machine.cpu.pc
                );
                return ExitCode::from(124);
            }
            RunState::Idle => {
                if !machine.wait_host() {
                    continue;
                }
            }
            RunState::Stuck => {
                eprintln!(
                    "orrery: the guest waits at pc {:#010x} for an interrupt that can never come",
                    machine.cpu.pc
                );
                return ExitCode::from(125);
            }
        }
    }
}

/// `orrery run … --expect SCRIPT`: the script types and checks; the transcript goes to
/// standard output, a failed step to standard error (exit status 1).
fn run_expect(
    node: NodeArgs,
    max_cycles: Option<u64>,
    threads: usize,
    script: &Path,
    trace: Option<&Path>,
) -> Result<ExitCode, String> {
    let text = read_text_input(script, MAX_TEXT)?;
    let steps = Script::parse(&text).map_err(|e| format!("{}: {e}", script.display()))?;
    if node.input.is_some() {
        return Err("--expect types the console input itself: leave out --input".into());
    }
    if max_cycles.is_some() || threads != 1 {
        return Err("--expect sets its own limits (`timeout` steps) and runs on one thread: leave out --max-cycles and --threads".into());
    }
    if node.user {
        return Err("--expect boots the image directly: leave out --user".into());
    }
    if node.disk.is_some() || node.console != ConsoleSpec::Stdio {
        return Err("--expect reads the console itself and boots an image without --disk: leave out --disk and --console".into());
    }
    let topology = if node.image.extension().is_some_and(|e| e == "toml") {
        Some(Topology::load(&node.image)?)
    } else {
        None
    };
    let mut session = match &topology {
        Some(topology) => Session::topology(topology.clone()),
        None => Session::image(&node.image, node.ram),
    }
    .map_err(|e| e.to_string())?;
    session.set_jit(node.jit.on());
    if let Some(path) = trace {
        let Some(topology) = &topology else {
            return Err(
                "--trace records the frames between the nodes of a topology: give a `.toml` topology".into(),
            );
        };
        let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        session.trace_to(Box::new(std::io::BufWriter::new(file)), topology)?;
    }
    let result = steps.run(&mut session);
    session.finish_trace()?;
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(session.transcript().as_bytes());
    let _ = stdout.flush();
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(message) => {
            eprintln!("orrery: {}: {message}", script.display());
            Ok(ExitCode::from(1))
        }
    }
}

/// Who drives an `orrery debug` session.
enum Front {
    /// The monitor: a script if given, else on `MonitorSpec`.
    Monitor(Option<String>, MonitorSpec),
    /// gdb's remote protocol.
    Gdb(GdbSpec),
}

impl Front {
    /// Runs the session on `session`.
    fn serve(&self, session: &mut Monitor<'_>) -> Result<(), String> {
        match self {
            Front::Monitor(script, spec) => monitor::session(session, script.as_deref(), spec),
            Front::Gdb(spec) => monitor::gdb::serve(session, spec),
        }
    }
}

fn debug(
    node: NodeArgs,
    script: Option<PathBuf>,
    monitor: MonitorSpec,
    limit: u64,
    gdb: Option<GdbSpec>,
) -> Result<ExitCode, String> {
    let script = match &script {
        Some(path) => Some(read_text_input(path, MAX_TEXT)?),
        None => None,
    };
    let front = match gdb {
        Some(spec) => Front::Gdb(spec),
        None => Front::Monitor(script, monitor),
    };
    if node.image.extension().is_some_and(|e| e == "toml") {
        return debug_topology(node, &front, limit);
    }
    // Standard input belongs to the monitor, so a console on stdio gets no host input.
    let host_input = node.console != ConsoleSpec::Stdio;
    let mut machine = node.boot(host_input)?;
    let mut session = Monitor::new(&mut machine).with_limit(limit);
    front.serve(&mut session)?;
    Ok(ExitCode::SUCCESS)
}

/// Debugs a whole topology: every node booted, the central one selected, consoles prefixed on
/// standard output (which only prints: standard input belongs to the monitor).
fn debug_topology(node: NodeArgs, front: &Front, limit: u64) -> Result<ExitCode, String> {
    if node.disk.is_some() {
        return Err(
            "--disk gives one node a disk; in a topology, give the central node `disk = \"FILE\"`".into()
        );
    }
    if node.user {
        return Err("--user runs one executable as a user process: give an executable, not a topology".into());
    }
    let topology = Topology::load(&node.image)?;
    let options = SystemOptions {
        terminal: Box::new(std::io::stdout()),
        input: node.input.unwrap_or_default().into_bytes(),
        stdin: false,
    };
    let mut system = System::new(&topology, options)?;
    set_jit(&mut system, node.jit);
    system.connect()?;
    let mut session = Monitor::for_system(&mut system).with_limit(limit);
    front.serve(&mut session)?;
    Ok(ExitCode::SUCCESS)
}

/// The benchmark program, assembled.
fn bench_program() -> Result<orrery_toolchain::asm::Program, String> {
    let source = include_str!("../../programs/asm/bench.s");
    let options = orrery_toolchain::asm::Options::default();
    orrery_toolchain::asm::assemble(&[("bench.s", source)], &options).map_err(|d| d.to_string())
}

/// Options of `orrery bench`.
struct BenchOptions {
    jit: Jit,
    rounds: u32,
    nodes: usize,
    threads: usize,
    quantum_us: u64,
}

/// The benchmark on many nodes at once: a star of `nodes` nodes, each running the sieve.
fn bench_system(options: BenchOptions) -> Result<ExitCode, String> {
    let program = bench_program()?;
    let elf_path = std::env::temp_dir().join(format!("orrery-bench-{}.elf", std::process::id()));
    std::fs::write(&elf_path, program.to_elf()).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    let node = |i: usize| NodeSpec {
        name: if i == 0 { "cp".into() } else { format!("sat{i}") },
        id: i as u32,
        role: if i == 0 { Role::Central } else { Role::Satellite },
        ram: 16 << 20,
        mhz: 100,
        boot: Boot::Image(elf_path.clone()),
        console: topology::Console::None,
        ports: if i == 0 { options.nodes as u32 - 1 } else { 1 },
        disk: None,
    };
    let links = (1..options.nodes)
        .map(|i| LinkSpec {
            a: Endpoint { node: 0, port: i as u32 - 1 },
            b: Endpoint { node: i, port: 0 },
            props: LinkProps::default(),
        })
        .collect();
    let topology = Topology {
        quantum_ns: options.quantum_us * 1000,
        nodes: (0..options.nodes).map(node).collect(),
        links,
        remotes: Vec::new(),
        peer_timeout: topology::DEFAULT_PEER_TIMEOUT,
    };
    let system_options =
        SystemOptions { terminal: Box::new(std::io::sink()), input: Vec::new(), stdin: false };
    let built = System::new(&topology, system_options);
    let _ = std::fs::remove_file(&elf_path);
    let mut system = built?;
    set_jit(&mut system, options.jit);
    let rounds_at = program.symbol("rounds").ok_or("bench.s lost its `rounds` symbol")?;
    for node in &mut system.nodes {
        node.machine.poke(rounds_at, &options.rounds.to_le_bytes()).map_err(|_| "cannot patch `rounds`")?;
    }
    let start = Instant::now();
    let state = system.run(u64::MAX, options.threads)?;
    let seconds = start.elapsed().as_secs_f64();
    if state != SystemState::PoweredOff(0) {
        return Err(format!("the benchmark failed: {state:?}"));
    }
    let instructions: u64 = system.nodes.iter().map(|n| n.machine.cpu.instret).sum();
    println!("program:       sieve of 65536 x {} rounds on each of {} nodes", options.rounds, options.nodes);
    println!("threads:       {}, quantum {} us", options.threads, options.quantum_us);
    println!("engine:        {}", engine_name(options.jit));
    println!("instructions:  {instructions} in all");
    println!("virtual time:  {:.3} s", system.time as f64 / 1e9);
    println!("wall time:     {seconds:.3} s");
    println!("MIPS: {:.0}", instructions as f64 / seconds / 1e6);
    Ok(ExitCode::SUCCESS)
}

/// How the bench report names an engine.
fn engine_name(jit: Jit) -> &'static str {
    if jit.on() && orrery_emulator::machine::JIT_SUPPORTED {
        "jit"
    } else {
        "interpreter"
    }
}

fn bench(options: BenchOptions) -> Result<ExitCode, String> {
    if options.nodes > 1 || options.threads > 1 {
        return bench_system(options);
    }
    let rounds = options.rounds;
    let program = bench_program()?;
    let mut machine = Machine::new(MachineConfig::new(16 << 20, Box::new(std::io::sink())));
    machine.set_jit(options.jit.on());
    machine.boot_elf(&program.to_elf()).map_err(|e| e.to_string())?;
    let rounds_at = machine.symbols.address_of("rounds").ok_or("bench.s lost its `rounds` symbol")?;
    machine.bus.poke(rounds_at, &rounds.to_le_bytes()).map_err(|_| "cannot patch `rounds`")?;
    let start = Instant::now();
    let state = machine.run(u64::MAX);
    let seconds = start.elapsed().as_secs_f64();
    if state != RunState::PoweredOff(0) {
        return Err(format!("the benchmark failed: {state:?}"));
    }
    let cpu = &machine.cpu;
    println!("program:       sieve of 65536 x {rounds} rounds, user mode, paging on");
    println!("engine:        {}", engine_name(options.jit));
    println!("instructions:  {}", cpu.instret);
    println!("virtual time:  {:.3} s at 100 MHz", cpu.now() as f64 / 1e9);
    println!("wall time:     {seconds:.3} s");
    println!("TLB:           {} hits, {} misses, {} flushes", cpu.tlb.hits, cpu.tlb.misses, cpu.tlb.flushes);
    if let Some((entered, translated, handed_over)) = machine.jit_stats() {
        println!("JIT:           {translated} blocks translated, {entered} entered from the dispatcher, {handed_over} slice ends interpreted");
    }
    println!("MIPS: {:.0}", cpu.instret as f64 / seconds / 1e6);
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp(None)
        .init();
    // A terminal in raw mode is put back even when the emulator panics.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        orrery_emulator::console::terminal::restore();
        report(info);
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { node, max_cycles, threads, expect: Some(script), trace, profile } => {
            if profile.profile.is_some() {
                Err("--profile samples a run without --expect: leave out one of them".into())
            } else {
                run_expect(node, max_cycles, threads, &script, trace.as_deref())
            }
        }
        Command::Run { node, max_cycles, threads, expect: None, trace, profile } => {
            run(node, max_cycles, threads, trace.as_deref(), &profile)
        }
        Command::Trace { command } => trace_command(command),
        Command::Topology { command } => topology_command(command),
        Command::Debug { node, script, monitor, limit, gdb } => debug(node, script, monitor, limit, gdb),
        Command::Bench { rounds, nodes, threads, quantum_us, jit } => {
            let engines = match jit {
                Some(jit) => vec![jit],
                None if orrery_emulator::machine::JIT_SUPPORTED => vec![Jit::Off, Jit::On],
                None => vec![Jit::Off],
            };
            engines.into_iter().try_fold(ExitCode::SUCCESS, |_, jit| {
                bench(BenchOptions { jit, rounds, nodes: nodes.into(), threads: threads.into(), quantum_us })
            })
        }
    };
    orrery_emulator::console::terminal::restore();
    result.unwrap_or_else(|message| {
        eprintln!("orrery: {message}");
        ExitCode::from(2)
    })
}
