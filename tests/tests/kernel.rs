//! The Rust kernel (`os/kernel`) on one node: boot to the shell that init starts, then
//! `runtests` typed at it, which runs `hello`, `forktest`, `faulttest`, `ls /bin`, `boots` and
//! `usertests`, each transcript a snapshot; `exit $?` then ends the shell, and with it init,
//! so the run's exit code is the verdict of `usertests`.
//!
//! The images come from `cargo xtask build` (`ORRERY_GUEST_DIR` = `target/ox32`, set by
//! `cargo xtask test`): the kernel, and the programs, put on a fresh disk image for each test
//! (a boot writes to it), except the one that boots twice over one disk to see that the file
//! system persists; one test boots without a disk, where the kernel runs its embedded
//! programs and usertests skips the file tests. Console input is typed a line at a time, each
//! when the node is idle with every process blocked (the shell at its prompt, usertests'
//! console test in `read`). Everything runs in virtual time, so two runs print the same bytes.

use std::path::Path;

use orrery_emulator::devices::block::Disk;
use orrery_emulator::machine::RunState;
use orrery_tests::{kernel_image, pristine_disk, Terminal};

/// RAM of the node: the emulator's default.
const RAM_SIZE: u32 = 64 << 20;
/// More instructions than any typed line needs (the whole run takes about 30 million).
const BUDGET: u64 = 2_000_000_000;
/// What is typed, each line when the node waits for one: the self-test, the line usertests'
/// console test reads, and the shell's exit with the self-test's status.
const SESSION: &[&str] = &["runtests", "a line typed at the console", "exit $?"];

/// What one boot printed and how it ended.
struct Run {
    console: String,
    state: RunState,
    /// The cycle at which the node first went idle (the shell's first prompt).
    idle_at: u64,
}

/// Boots the kernel (with the disk image `disk`, if any), and types [`SESSION`].
fn boot(disk: Option<&Path>) -> Run {
    let disk = disk.map(|path| Disk::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    let mut terminal = Terminal::boot(&kernel_image(), RAM_SIZE, disk);
    let state = terminal.run(BUDGET);
    assert_eq!(state, RunState::Idle, "the shell should wait for input:\n{}", terminal.transcript);
    let idle_at = terminal.machine.cpu.cycles;
    let state = terminal.session(SESSION, BUDGET, |line, _| line.to_string());
    Run { console: terminal.transcript, state, idle_at }
}

/// A fresh disk for one test (`name`).
fn fresh_disk(name: &str) -> std::path::PathBuf {
    pristine_disk(&format!("kernel-{name}"), None)
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

    insta::assert_snapshot!(
        "boot",
        section(&run.console, "[kernel] Orrery kernel", "runtests: starting hello")
    );
    for program in ["hello", "forktest", "faulttest", "ls", "boots", "usertests"] {
        let transcript =
            section(&run.console, &format!("runtests: starting {program}"), &format!("runtests: {program} "));
        insta::assert_snapshot!(program, transcript);
    }
    insta::assert_snapshot!(
        "shutdown",
        section(&run.console, "runtests: usertests exited", "[kernel] init exited")
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
        section(&second.console, "runtests: starting boots", "runtests: boots ")
    );
}

/// The log header's place in an image: `log_start` from the superblock.
fn log_header_offset(image: &[u8]) -> usize {
    u32::from_le_bytes([image[36], image[37], image[38], image[39]]) as usize * ox_fs::BLOCK_SIZE
}

#[test]
fn a_damaged_disk_is_not_mounted_and_the_kernel_says_why() {
    let disk = fresh_disk("damaged");
    let mut image = std::fs::read(&disk).unwrap();
    // A cleared bitmap: every block in use is marked free, so a new file would overwrite one.
    image[ox_fs::BLOCK_SIZE..2 * ox_fs::BLOCK_SIZE].fill(0);
    std::fs::write(&disk, &image).unwrap();
    let run = boot(Some(&disk));
    let after = std::fs::read(&disk).unwrap();
    let _ = std::fs::remove_file(&disk);
    assert!(
        run.console
            .contains("[kernel] disk of 8192 blocks: damaged file system: metadata block 0 is marked free"),
        "{}",
        run.console
    );
    assert!(run.console.contains("not mounted, no file system (repair it with `oxdisk check --repair`)\n"));
    assert!(!run.console.contains("[kernel] mounted /"), "{}", run.console);
    assert!(run.console.contains("usertests: no file system: skipping the "), "{}", run.console);
    assert_eq!(run.state, RunState::PoweredOff(0), "{}", run.console);
    assert!(after == image, "the damaged disk was written to");
}

#[test]
fn a_committed_log_is_replayed_at_boot() {
    let disk = fresh_disk("replay");
    let mut image = std::fs::read(&disk).unwrap();
    // A crash between the commit point and the install: the header names block 1 (the bitmap),
    // whose new contents are in the log, while the disk's bitmap is cleared.
    let header = log_header_offset(&image);
    let bitmap = image[ox_fs::BLOCK_SIZE..2 * ox_fs::BLOCK_SIZE].to_vec();
    image[header + 4..header + 8].copy_from_slice(&1u32.to_le_bytes());
    image[header + 8..header + 12].copy_from_slice(&1u32.to_le_bytes());
    image[header + ox_fs::BLOCK_SIZE..header + 2 * ox_fs::BLOCK_SIZE].copy_from_slice(&bitmap);
    image[ox_fs::BLOCK_SIZE..2 * ox_fs::BLOCK_SIZE].fill(0);
    std::fs::write(&disk, &image).unwrap();
    let run = boot(Some(&disk));
    let _ = std::fs::remove_file(&disk);
    assert!(
        run.console.contains("[kernel] log: replayed 1 blocks of a committed transaction\n"),
        "{}",
        run.console
    );
    assert!(run.console.contains("[kernel] mounted / (8192 blocks, "), "{}", run.console);
    assert_eq!(run.state, RunState::PoweredOff(0), "{}", run.console);
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
        section(&run.console, "[kernel] Orrery kernel", "runtests: starting hello")
    );
    insta::assert_snapshot!(
        "no_disk_programs",
        section(&run.console, "runtests: starting ls", "runtests: boots ")
    );
}
