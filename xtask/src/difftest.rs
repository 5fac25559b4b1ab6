//! The differential suite: every program of `tests/differential` (package `difftest`, and the C
//! programs of `tests/differential/c`, built by clang) runs as the RV32 executable under
//! `qemu-riscv32` and as its ox32 translation on orrery; the two transcripts (stdout and
//! stderr, interleaved as written) and exit codes must be identical.
//!
//! qemu is the reference: the program is the same RV32 code on both machines, and only the
//! answer to its `ecall`s differs (qemu's Linux emulation there, ox-bare's trap handler here),
//! so a difference points at the translator or the emulator.
//!
//! orrery runs in this process ([`Machine`] with a capturing console), which also yields the
//! instructions retired. Programs run on `jobs` threads; each is timed on both machines, and
//! the heaviest program's orrery/qemu wall-time ratio is reported.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use orrery_emulator::machine::{Machine, MachineConfig, RunState};

use crate::guest::{Built, Image};
use crate::Result;

/// The package of the differential programs.
const PACKAGE: &str = "difftest";
/// RAM of the orrery node: `orrery run`'s default.
const RAM_SIZE: u32 = 64 << 20;
/// Most instructions a program may run on orrery.
const MAX_INSTRUCTIONS: u64 = 20_000_000_000;
/// Longest a program may run under qemu.
const QEMU_TIMEOUT: Duration = Duration::from_secs(300);

/// How the suite went.
pub struct Summary {
    /// Programs that differed or did not finish.
    pub failed: usize,
}

/// One machine's run of one program.
struct Run {
    output: Vec<u8>,
    /// The exit code, or what happened instead.
    end: Result<u8>,
    seconds: f64,
}

/// The C programs of `tests/differential/c`, each built by `cargo xtask bare`'s C path.
fn c_programs() -> Result<Vec<Image>> {
    let dir = crate::repo_root().join("tests/differential/c");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "c"))
        .collect();
    sources.sort();
    let out_dir = crate::repo_root().join("target/ox32/difftest-c");
    sources
        .iter()
        .map(|source| {
            let name = source.file_stem().and_then(|s| s.to_str()).unwrap_or("c").to_string();
            let ox = out_dir.join(format!("{name}.elf"));
            let rv = crate::bare::bare_c(source, &name, &ox)?;
            Ok(Image { package: "difftest-c".into(), name, rv, ox })
        })
        .collect()
}

/// Both runs of one program.
struct Outcome {
    name: String,
    qemu: Run,
    orrery: Run,
    instret: u64,
}

/// Runs the programs named in `names` (all when empty) and prints one line each, the details
/// of every mismatch, figures, and last `N passed, M failed`.
pub fn run(built: &Built, qemu: &Path, names: &[String], jobs: Option<usize>) -> Result<Summary> {
    let mut programs: Vec<Image> = built.images.iter().filter(|i| i.package == PACKAGE).cloned().collect();
    programs.extend(c_programs()?);
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    if !names.is_empty() {
        for name in names {
            if !programs.iter().any(|p| &p.name == name) {
                return Err(format!("no differential program named `{name}` (tests/differential/src/bin)"));
            }
        }
        programs.retain(|p| names.contains(&p.name));
    }
    if programs.is_empty() {
        return Err("the guest build produced no differential programs".into());
    }
    let jobs =
        jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    eprintln!("xtask: differential suite: {} programs, {jobs} at a time", programs.len());

    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(programs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(program) = programs.get(i) else { break };
                let outcome = run_one(program, qemu);
                report(&outcome);
                if let Ok(mut all) = outcomes.lock() {
                    all.push(outcome);
                }
            });
        }
    });
    let outcomes = std::mem::take(&mut *outcomes.lock().map_err(|_| "a test thread panicked".to_string())?);

    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let passed = outcomes.len() - failed;
    let total_instret: u64 = outcomes.iter().map(|o| o.instret).sum();
    let qemu_seconds: f64 = outcomes.iter().map(|o| o.qemu.seconds).sum();
    let orrery_seconds: f64 = outcomes.iter().map(|o| o.orrery.seconds).sum();
    println!(
        "figures: {:.1} M instructions retired on orrery in all; orrery {:.2} s ({:.0} MIPS), qemu {:.2} s; \
         suite {:.2} s",
        total_instret as f64 / 1e6,
        orrery_seconds,
        total_instret as f64 / orrery_seconds.max(1e-9) / 1e6,
        qemu_seconds,
        started.elapsed().as_secs_f64()
    );
    if let Some(heaviest) = outcomes.iter().max_by_key(|o| o.instret) {
        println!(
            "heaviest: {} — {:.1} M instructions; orrery {:.3} s, qemu {:.3} s: orrery/qemu = {:.2}",
            heaviest.name,
            heaviest.instret as f64 / 1e6,
            heaviest.orrery.seconds,
            heaviest.qemu.seconds,
            heaviest.orrery.seconds / heaviest.qemu.seconds.max(1e-9)
        );
    }
    println!("{passed} passed, {failed} failed");
    Ok(Summary { failed })
}

impl Outcome {
    fn passed(&self) -> bool {
        matches!((&self.qemu.end, &self.orrery.end), (Ok(a), Ok(b)) if a == b)
            && self.qemu.output == self.orrery.output
    }
}

fn run_one(program: &Image, qemu: &Path) -> Outcome {
    let qemu_run = run_qemu(qemu, &program.rv);
    let (orrery_run, instret) = run_orrery(&program.ox);
    Outcome { name: program.name.clone(), qemu: qemu_run, orrery: orrery_run, instret }
}

/// Prints one program's line, and for a failure what differs.
fn report(outcome: &Outcome) {
    let mut text = String::new();
    let status = if outcome.passed() { "ok  " } else { "FAIL" };
    text.push_str(&format!(
        "{status} {:<14} exit {:<4} {:>9.2} M instr   orrery {:>7.3} s   qemu {:>7.3} s\n",
        outcome.name,
        match &outcome.orrery.end {
            Ok(code) => code.to_string(),
            Err(_) => "-".into(),
        },
        outcome.instret as f64 / 1e6,
        outcome.orrery.seconds,
        outcome.qemu.seconds
    ));
    if !outcome.passed() {
        let end = |r: &Result<u8>| match r {
            Ok(code) => format!("exit code {code}"),
            Err(e) => e.clone(),
        };
        text.push_str(&format!(
            "     qemu:   {}\n     orrery: {}\n",
            end(&outcome.qemu.end),
            end(&outcome.orrery.end)
        ));
        if outcome.qemu.output != outcome.orrery.output {
            text.push_str(&first_difference(&outcome.qemu.output, &outcome.orrery.output));
        }
    }
    print!("{text}");
    let _ = std::io::stdout().flush();
}

/// The first line where two transcripts differ, from each.
fn first_difference(qemu: &[u8], orrery: &[u8]) -> String {
    let qemu = String::from_utf8_lossy(qemu);
    let orrery = String::from_utf8_lossy(orrery);
    let mut a = qemu.split_inclusive('\n');
    let mut b = orrery.split_inclusive('\n');
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (x, y) => {
                let show =
                    |l: Option<&str>| l.map(|l| format!("{l:?}")).unwrap_or_else(|| "(end of output)".into());
                return format!(
                    "     first difference at line {line}:\n       qemu:   {}\n       orrery: {}\n",
                    show(x),
                    show(y)
                );
            }
        }
    }
}

/// Runs the RV32 executable under qemu-riscv32, stdout and stderr on one pipe.
fn run_qemu(qemu: &Path, rv: &Path) -> Run {
    let started = Instant::now();
    // `exec ... 2>&1` puts both streams on one pipe, in the order the program wrote them.
    let child = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" \"$1\" 2>&1")
        .arg(qemu)
        .arg(rv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            return Run { output: Vec::new(), end: Err(format!("cannot start qemu: {e}")), seconds: 0.0 }
        }
    };
    let reader = child.stdout.take().map(|mut stdout| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stdout.read_to_end(&mut bytes);
            bytes
        })
    });
    let end = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                use std::os::unix::process::ExitStatusExt;
                break match (status.code(), status.signal()) {
                    (Some(code), _) => Ok(code as u8),
                    (None, Some(signal)) => Err(format!("killed by signal {signal}")),
                    (None, None) => Err("ended without status".into()),
                };
            }
            Ok(None) if started.elapsed() > QEMU_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("timed out after {} s", QEMU_TIMEOUT.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => break Err(format!("waiting for qemu: {e}")),
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let output = reader.and_then(|r| r.join().ok()).unwrap_or_default();
    Run { output, end, seconds }
}

/// A console that keeps what the guest writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("console lock poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs the ox32 executable on one orrery node in this process; also returns the
/// instructions retired.
fn run_orrery(ox: &PathBuf) -> (Run, u64) {
    let started = Instant::now();
    let image = match std::fs::read(ox) {
        Ok(image) => image,
        Err(e) => {
            let end = Err(format!("cannot read {}: {e}", ox.display()));
            return (Run { output: Vec::new(), end, seconds: 0.0 }, 0);
        }
    };
    let console = Capture::default();
    let mut machine = Machine::new(MachineConfig::new(RAM_SIZE, Box::new(console.clone())));
    if let Err(e) = machine.boot_elf(&image) {
        let end = Err(format!("does not load: {e}"));
        return (Run { output: Vec::new(), end, seconds: 0.0 }, 0);
    }
    let end = match machine.run(MAX_INSTRUCTIONS) {
        RunState::PoweredOff(code) => Ok(code as u8),
        RunState::Running => Err(format!("still running after {MAX_INSTRUCTIONS} cycles")),
        other => Err(format!("stopped: {other:?}")),
    };
    let seconds = started.elapsed().as_secs_f64();
    let output = console.0.lock().map(|b| b.clone()).unwrap_or_default();
    (Run { output, end, seconds }, machine.cpu.instret)
}
