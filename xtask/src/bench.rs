//! `cargo xtask bench-os`: boots the default topology with `satbench` (programs/user/satbench)
//! as init and prints its table — the figures of docs/satellites.md. The disk is a copy of the
//! built one made for the run (`target/ox32/bench.img`: every program in `/bin`, `/bin/init`
//! being `satbench`), and the topology is `topologies/default.toml` with that disk, so the
//! system, and hence every figure, is the one the tests boot. Everything is virtual time: the
//! table is the same on every run and on every host.
//!
//! After the table comes `link-bulk: KiB/s=N of=M`: N is satbench's `link-bulk` figure (a
//! 256 KiB file read from satellite 1 in 64 KiB calls, every byte crossing its link), M the
//! bandwidth of that link in the topology, in the same unit (KiB per second). The transport's
//! goal is N ≥ 0.8 × M.
//!
//! Then `remote-fork: us/KiB 256k=A 1m=B 4m=C ins/KiB 256k=D 1m=E 4m=F`: a remote fork
//! (`rfork` onto satellite 1, `exit`, `wait`) of a process whose image is about 256 KiB, 1 MiB
//! and 4 MiB, in virtual microseconds and central instructions per KiB of image (images move
//! page by page, so the cost per KiB should not grow with the size).
//!
//! And `fork-cow-256k: cow=N copy=M`: central instructions per `fork` + `exit` + `wait` of a
//! process with 256 KiB of touched heap, when the child exits at once (copy-on-write copies
//! nothing) and when it first writes every page of it (each page copied, as an eager fork would
//! copy them, plus the faults that do it). The VM's goal is N ≤ 0.10 × M.
//!
//! And `port-rpc: local=N local-us=T remote=M remote-us=U`: the central's instructions per
//! 8-byte request and answer between two processes on it, through ports (the goal: at most
//! 2,500, ten getpid round trips), and the three nodes' instructions for the same between a
//! client on satellite 1 and a server on satellite 2 (the central relaying), each with the
//! virtual time of one round trip. And `port-ool-1m: ool=A inline=B`: virtual µs to move 1 MiB
//! to another process of the central out of line (copy-on-write) and inline; and
//! `port-ool-1m-remote` the same to a process on satellite 1 (out of line: in pieces across
//! the link).
//!
//! And `vm-faults: node=N zero-fill=Z cow=C`, once for the central and once for satellite 1:
//! the node's instructions for one zero-fill fault and one copy-on-write fault, beyond the
//! store that took them.
//!
//! And `dsm: messages-per-write-fault=X fault-us=Y` (docs/dsm.md): with a DSM server on
//! satellite 1 and a task mapping its region on each of satellites 1 to 3, the messages between
//! the server and the kernels of other nodes than its own for one write fault on a page the
//! other two hold read-only, and the virtual time of that fault (the goal: X ≤ 4); and
//! `dsm-demo: us one-process=A sat1=B sat1-2=C sat1-3=D`, the histogram demo's virtual time in
//! one process of the central and over DSM on 1, 2 and 3 satellites.
//!
//! And `migration: us/KiB 1m=A 4m=B` (docs/migration.md): virtual microseconds per KiB of image
//! of one migration of a process (the mean of central → 1, 1 → 2 and 2 → central), for an
//! image of about 1 MiB and 4 MiB; and `balance: one-node=A balanced=B`, the virtual
//! milliseconds six CPU-bound processes started on satellite 1 take with the load balancer
//! off and on (the goal: A/B ≥ 2.5).
//!
//! And `prefetch: file-copy on=A off=B fewer=Rx shell on=C off=D fewer=Sx` (docs/migration.md,
//! *The prefetch cache*): the round trips per call of `cp` of a 256 KiB file and of a few shell
//! commands on satellite 1, with the prefetch cache and without, and how many times fewer the
//! cache makes (the goal: R ≥ 3).
//!
//! Last, a second boot, of `topologies/small.toml` (8 MiB central, 4 MiB satellite) with the
//! built programs, types `defpager` and `swaptest 16` at the shell, then both again placed on
//! the satellite with 8 MiB (docs/pagers.md, *The default pager*), and prints `swap: central
//! write=A read=B strided=C satellite write=D read=E strided=F`: each pass of `swaptest` over
//! a working set of twice the node's RAM, in KiB of it per virtual second — the swap's
//! throughput, every page of the satellite's crossing its link.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use orrery_emulator::topology::Topology;

use orrery_toolchain::disk::{self, AddFile};

use crate::guest::{self, Built, DISK_SIZE, USER_LOAD_DIR};
use crate::{repo_root, Result};

/// The program run as init.
const PROGRAM: &str = "satbench";

/// Builds the bench disk and topology from `built` and boots it with the `orrery` binary.
pub fn bench_os(built: &Built) -> Result<ExitCode> {
    let user_dir = built.ox32_dir.join(USER_LOAD_DIR);
    let mut files = Vec::new();
    for program in guest::programs_in(&user_dir)? {
        let Some(name) = program.file_stem().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        if name == "init" {
            continue;
        }
        if name == PROGRAM {
            files.push(AddFile { host: program.clone(), path: "/bin/init".to_string() });
        }
        files.push(AddFile { host: program, path: format!("/bin/{name}") });
    }
    if !files.iter().any(|f| f.path == "/bin/init") {
        return Err(format!("{} has no {PROGRAM}.elf", user_dir.display()));
    }
    let image = built.ox32_dir.join("bench.img");
    let bytes = disk::create(DISK_SIZE, &files, &[]).map_err(|e| format!("bench disk: {e}"))?;
    fs::write(&image, bytes).map_err(|e| format!("cannot write {}: {e}", image.display()))?;
    let topology = bench_topology(&built.ox32_dir, &image, "default.toml")?;
    let text = fs::read_to_string(&topology).map_err(|e| format!("{}: {e}", topology.display()))?;
    let parsed = Topology::parse(&topology.display().to_string(), &text, &built.ox32_dir)
        .map_err(|e| format!("{}: {e}", topology.display()))?;
    let link = parsed.links.first().ok_or_else(|| format!("{} has no link", topology.display()))?;
    let of = link.props.bandwidth_bps / 8 / 1024;
    let orrery = crate::host_binary("orrery-emulator", "orrery", false)?;
    let mut child = Command::new(&orrery)
        .arg("run")
        .arg(&topology)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", orrery.display()))?;
    let stdout = child.stdout.take().ok_or("the emulator's output is not piped")?;
    let (mut bulk, mut cow, mut fork, mut faults, mut rpc) = (None, None, None, Vec::new(), None);
    let (mut rpc_remote, mut ool, mut ool_remote, mut dsm, mut dsm_demo) = (None, None, None, None, None);
    let (mut migration, mut balance, mut prefetch) = (None, None, None);
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the emulator's output: {e}"))?;
        println!("{line}");
        if let Some((_, n)) = line.split_once("link-bulk KiB/s=") {
            bulk = n.trim().parse::<u64>().ok();
        }
        if let Some((_, figures)) = line.split_once("satbench: remote-fork ") {
            fork = figures.split(" (").next().map(str::to_string);
        }
        if let Some((_, figures)) = line.split_once("fork-cow-256k ") {
            cow = figures.split(" (").next().map(str::to_string);
        }
        if let Some((_, figures)) = line.split_once("satbench: port-rpc ") {
            rpc = figures.split(" (").next().map(str::to_string);
        }
        if let Some((_, figures)) = line.split_once("satbench: port-rpc-remote ") {
            rpc_remote = figures.split(" (").next().map(str::to_string);
        }
        if let Some((_, figures)) = line.split_once("satbench: port-ool-1m ") {
            ool = figures.split(" (").next().map(str::to_string);
        }
        if let Some((_, figures)) = line.split_once("satbench: port-ool-1m-remote ") {
            ool_remote = figures.split(" (").next().map(str::to_string);
        }
        if let Some((_, figures)) = line.split_once("dsm: messages-per-write-fault") {
            dsm = Some(format!("messages-per-write-fault{figures}"));
        }
        if let Some((_, figures)) = line.split_once("satbench: migration us/KiB") {
            migration = figures.split(" (").next().map(|f| format!("us/KiB{f}"));
        }
        if let Some((_, figures)) = line.split_once("satbench: prefetch: ") {
            prefetch = figures.split(" (").next().map(str::to_string);
        }
        if let Some((_, figures)) = line.split_once("satbench: balance: ") {
            balance = figures.split(" (").next().map(str::to_string);
        }
        if let Some((_, figures)) = line.split_once("dsm-demo: ") {
            dsm_demo = Some(figures.to_string());
        }
        if let Some((_, figures)) = line.split_once("vm-faults ") {
            faults.extend(figures.split(" (").next().map(str::to_string));
        }
    }
    let status = child.wait().map_err(|e| format!("waiting for {}: {e}", orrery.display()))?;
    match fork {
        Some(figures) => println!("remote-fork: {figures}"),
        None => return Err("satbench printed no remote-fork figures".to_string()),
    }
    match cow {
        Some(figures) => println!("fork-cow-256k: {figures}"),
        None => return Err("satbench printed no fork-cow-256k figures".to_string()),
    }
    match rpc.zip(rpc_remote) {
        Some((local, remote)) => println!("port-rpc: {local} {remote}"),
        None => return Err("satbench printed no port-rpc figures (local and remote)".to_string()),
    }
    match ool.zip(ool_remote) {
        Some((local, remote)) => println!("port-ool-1m: {local}\nport-ool-1m-remote: {remote}"),
        None => return Err("satbench printed no port-ool-1m figures (local and remote)".to_string()),
    }
    if faults.is_empty() {
        return Err("satbench printed no vm-faults figures".to_string());
    }
    for figures in faults {
        println!("vm-faults: {figures}");
    }
    match migration.zip(balance) {
        Some((migration, balance)) => println!("migration: {migration}\nbalance: {balance}"),
        None => return Err("satbench printed no migration or balance figures".to_string()),
    }
    match prefetch {
        Some(figures) => println!("prefetch: {figures}"),
        None => return Err("satbench printed no prefetch figures".to_string()),
    }
    match dsm.zip(dsm_demo) {
        Some((dsm, demo)) => println!("dsm: {dsm}\ndsm-demo: {demo}"),
        None => return Err("satbench printed no dsm figures".to_string()),
    }
    match bulk {
        Some(n) => println!("link-bulk: KiB/s={n} of={of}"),
        None => return Err("satbench printed no link-bulk figure".to_string()),
    }
    let swapped = swap(built, &orrery)?;
    Ok(if status.success() { swapped } else { crate::exit_code_of(status) })
}

/// The second boot: `defpager` and `swaptest` on `topologies/small.toml`'s central and
/// satellite; prints the `swap:` line.
fn swap(built: &Built, orrery: &Path) -> Result<ExitCode> {
    let user_dir = built.ox32_dir.join(USER_LOAD_DIR);
    let image = built.ox32_dir.join("bench-swap.img");
    let bytes = guest::disk_image(&user_dir)?;
    fs::write(&image, bytes).map_err(|e| format!("cannot write {}: {e}", image.display()))?;
    let topology = bench_topology(&built.ox32_dir, &image, "small.toml")?;
    let session = "defpager\nswaptest 16\nplace 1 sh -c defpager\nplace 1 sh -c \"swaptest 8\"\nexit 0\n";
    let output = Command::new(orrery)
        .arg("run")
        .arg(&topology)
        .args(["--input", session])
        .output()
        .map_err(|e| format!("cannot start {}: {e}", orrery.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    print!("{text}");
    let passes: Vec<&str> =
        text.lines().filter_map(|l| l.split_once("swaptest: passes in KiB/s: ").map(|(_, f)| f)).collect();
    match passes.as_slice() {
        [central, satellite] => println!("swap: central {central} satellite {satellite}"),
        _ => return Err("swaptest printed no figures for the central and the satellite".to_string()),
    }
    Ok(crate::exit_code_of(output.status))
}

/// `topologies/NAME` with the kernel of `ox32_dir` and the disk `image`, written next to them;
/// returns its path.
fn bench_topology(ox32_dir: &Path, image: &Path, name: &str) -> Result<std::path::PathBuf> {
    let default = repo_root().join("topologies").join(name);
    let text = fs::read_to_string(&default).map_err(|e| format!("{}: {e}", default.display()))?;
    let rom = repo_root().join("os/bootrom/bootrom.s");
    let text = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", ox32_dir.join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{image:?}"))
        .replace("\"../os/bootrom/bootrom.s\"", &format!("{rom:?}"));
    let path = ox32_dir.join(format!("bench-{name}"));
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
