//! The Rust kernel (`os/kernel`) on one node: boot, then init running `hello`, `forktest`,
//! `faulttest`, `ls /bin`, `boots` and `usertests`, each transcript a snapshot, and the run's
//! exit code the verdict of `usertests`.
//!
//! The images come from `cargo xtask build` (`ORRERY_GUEST_DIR` = `target/ox32`, set by
//! `cargo xtask test`): the kernel, and the disk image `disk.img` with every program in `/bin`.
//! Each test boots a fresh copy of the disk (a boot writes to it), except the one that boots
//! twice over one copy to see that the file system persists; one test boots without a disk,
//! where the kernel runs its embedded programs and usertests skips the file tests. Console input is scripted and deterministic: the node runs until it is
//! idle with every process blocked (usertests' console test sleeping in `read`), then the
//! line arrives. Everything runs in virtual time, so two runs print the same bytes.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use orrery_emulator::devices::block::Disk;
use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_tests::Capture;

/// RAM of the node: the emulator's default.
const RAM_SIZE: u32 = 64 << 20;
/// More instructions than the whole run needs (it takes about 30 million).
const BUDGET: u64 = 2_000_000_000;
/// The line usertests' console test reads.
const INPUT: &[u8] = b"a line typed at the console\n";

/// `target/ox32`, as `cargo xtask test` names it.
fn guest_dir() -> PathBuf {
    let Some(dir) = std::env::var_os("ORRERY_GUEST_DIR") else {
        panic!(
            "ORRERY_GUEST_DIR is not set: the kernel tests boot target/ox32/kernel.elf, built and \
             named by `cargo xtask test` (run that instead of `cargo test`)"
        );
    };
    PathBuf::from(dir)
}

/// The kernel image built by `cargo xtask build`.
fn kernel_image() -> Vec<u8> {
    let path = guest_dir().join("kernel.elf");
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (run `cargo xtask test`)", path.display()))
}

/// A fresh copy of the disk image built by `cargo xtask build`, for one test (`name`).
fn fresh_disk(name: &str) -> PathBuf {
    let image = guest_dir().join("disk.img");
    let copy = std::env::temp_dir().join(format!("orrery-kernel-{}-{name}.img", std::process::id()));
    std::fs::copy(&image, &copy)
        .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", image.display(), copy.display()));
    copy
}

/// What one boot printed and how it ended.
struct Run {
    console: String,
    state: RunState,
    /// The cycle at which the node first went idle waiting for input.
    idle_at: u64,
}

/// Boots the kernel (with the disk image `disk`, if any), runs it to its first idle point,
/// types [`INPUT`], and runs it to the end.
fn boot(disk: Option<&Path>) -> Run {
    let console = Capture::default();
    let (input, host_input) = mpsc::channel();
    let mut config = MachineConfig::new(RAM_SIZE, Box::new(console.clone()));
    config.host_input = Some(host_input);
    config.disk = disk.map(|path| Disk::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    let mut machine = Machine::new(config);
    machine.boot_elf(&kernel_image()).unwrap_or_else(|e| panic!("kernel.elf does not load: {e}"));
    let state = machine.run(BUDGET);
    assert_eq!(state, RunState::Idle, "the node should go idle waiting for input:\n{}", console.text());
    let idle_at = machine.cpu.cycles;
    for byte in INPUT {
        input.send(*byte).expect("the UART holds its receiver");
    }
    drop(input);
    let state = machine.run(BUDGET);
    Run { console: console.text(), state, idle_at }
}

/// The part of `console` from the line starting with `from` up to and including the line
/// starting with `to`.
fn section<'a>(console: &'a str, from: &str, to: &str) -> &'a str {
    let start = console.find(from).unwrap_or_else(|| panic!("no {from:?} in:\n{console}"));
    let end =
        console[start..].find(to).map(|i| start + i).unwrap_or_else(|| panic!("no {to:?} after {from:?}"));
    let end = console[end..].find('\n').map_or(console.len(), |i| end + i + 1);
    &console[start..end]
}

#[test]
fn boot_runs_every_program_and_usertests_passes() {
    let disk = fresh_disk("programs");
    let run = boot(Some(&disk));
    let _ = std::fs::remove_file(&disk);
    assert_eq!(run.state, RunState::PoweredOff(0), "usertests' verdict:\n{}", run.console);
    assert!(run.console.contains("ALL TESTS PASSED"), "{}", run.console);
    assert!(!run.console.contains("panic"), "{}", run.console);
    assert!(!run.console.contains("skipping the"), "{}", run.console);

    insta::assert_snapshot!("boot", section(&run.console, "[kernel] Orrery kernel", "init: starting hello"));
    for program in ["hello", "forktest", "faulttest", "ls", "boots", "usertests"] {
        let transcript =
            section(&run.console, &format!("init: starting {program}"), &format!("init: {program} "));
        insta::assert_snapshot!(program, transcript);
    }
    insta::assert_snapshot!(
        "shutdown",
        section(&run.console, "init: usertests exited", "[kernel] init exited")
    );
}

#[test]
fn two_boots_print_the_same_bytes() {
    let (a, b) = (fresh_disk("same-a"), fresh_disk("same-b"));
    let (first, second) = (boot(Some(&a)), boot(Some(&b)));
    let (disk_a, disk_b) = (std::fs::read(&a), std::fs::read(&b));
    let _ = (std::fs::remove_file(&a), std::fs::remove_file(&b));
    assert_eq!(first.idle_at, second.idle_at, "the node went idle at different cycles");
    assert_eq!(first.console, second.console);
    assert!(disk_a.unwrap() == disk_b.unwrap(), "the two disks differ after the same run");
}

#[test]
fn a_file_written_in_one_boot_is_read_after_a_restart() {
    let disk = fresh_disk("persist");
    let first = boot(Some(&disk));
    let second = boot(Some(&disk));
    let bytes = std::fs::read(&disk).unwrap_or_else(|e| panic!("{}: {e}", disk.display()));
    let _ = std::fs::remove_file(&disk);
    assert_eq!(first.state, RunState::PoweredOff(0), "{}", first.console);
    assert_eq!(second.state, RunState::PoweredOff(0), "{}", second.console);
    assert!(first.console.contains("boots: this is boot 1 of this disk\n"), "{}", first.console);
    assert!(second.console.contains("boots: this is boot 2 of this disk\n"), "{}", second.console);
    // The host reads what the guest wrote, and the image is consistent.
    let mut fs = ox_fs::Fs::mount(ox_fs::MemDisk::from_bytes(bytes)).expect("the image mounts");
    assert_eq!(fs.read_file("/var/boots").expect("/var/boots exists"), b"2\n");
    let report = ox_fs::check(&mut fs).expect("the check runs");
    assert!(report.is_clean(), "{report:?}");
    insta::assert_snapshot!(
        "restart",
        section(&second.console, "[kernel] mounted", "[kernel] no link ports")
    );
    insta::assert_snapshot!(
        "restart_boots",
        section(&second.console, "init: starting boots", "init: boots ")
    );
}

#[test]
fn without_a_disk_the_kernel_runs_its_embedded_programs() {
    let run = boot(None);
    assert_eq!(run.state, RunState::PoweredOff(0), "usertests' verdict:\n{}", run.console);
    assert!(run.console.contains("[kernel] no disk: no file system (console only)\n"), "{}", run.console);
    assert!(run.console.contains("usertests: no file system: skipping the "), "{}", run.console);
    assert!(run.console.contains("ALL TESTS PASSED"), "{}", run.console);
    insta::assert_snapshot!(
        "no_disk",
        section(&run.console, "[kernel] Orrery kernel", "init: starting hello")
    );
    insta::assert_snapshot!("no_disk_programs", section(&run.console, "init: starting ls", "init: boots "));
}
