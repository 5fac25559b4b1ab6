//! The block device end to end: `programs/asm/disk.s` reads the superblock of an image that
//! `oxdisk`'s library built, writes a sector and powers off; the write is in the image file
//! afterwards. And, in process: runs are cycle-for-cycle identical, DMA into RAM that holds
//! decoded code runs the new code, and buffers outside RAM fail the command, not the emulator.

use std::path::PathBuf;
use std::process::Command;

use orrery_emulator::devices::block::{Disk, SECTOR_SIZE};
use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_toolchain::asm::{assemble, Options};
use orrery_toolchain::disk::{self, AddFile};

/// A scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orrery-block-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn disk_s() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/disk.s")).unwrap()
}

/// Assembles `source` and boots it on a node with `disk`.
fn machine(source: &str, disk: Disk) -> Machine {
    let program = assemble(&[("t.s", source)], &Options::default()).unwrap_or_else(|d| panic!("{d}"));
    let mut config = MachineConfig::new(1 << 20, Box::new(std::io::sink()));
    config.disk = Some(disk);
    let mut machine = Machine::new(config);
    machine.boot_elf(&program.to_elf()).unwrap();
    machine
}

#[test]
fn disk_s_reads_the_superblock_and_its_write_persists() {
    let dir = scratch("cli");
    let motd = dir.join("motd");
    std::fs::write(&motd, b"persistent\n").unwrap();
    let add = AddFile { host: motd, path: "/etc/motd".into() };
    let image = dir.join("disk.img");
    std::fs::write(&image, disk::create(1 << 20, &[add], &[]).unwrap()).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .args(["run", concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/disk.s")])
        .arg("--disk")
        .arg(&image)
        .args(["--input", ""])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout, "magic: OXFS\nwrote the last sector\na read past the end fails\n");

    // The emulator has exited: the write is in the file, and the file system is untouched.
    let bytes = std::fs::read(&image).unwrap();
    assert_eq!(bytes.len(), 1 << 20);
    let last = &bytes[bytes.len() - SECTOR_SIZE..];
    assert!(last.starts_with(b"written by disk.s\n") && last[18..].iter().all(|b| *b == 0));
    let mut fs = disk::open(bytes).unwrap();
    assert_eq!(disk::cat(&mut fs, "/etc/motd").unwrap(), b"persistent\n");
    assert!(disk::fsck(&mut fs).unwrap().is_clean());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_topology_gives_the_central_node_its_disk() {
    let dir = scratch("topology");
    let image = dir.join("disk.img");
    std::fs::write(&image, disk::create(1 << 20, &[], &[]).unwrap()).unwrap();
    std::fs::write(dir.join("disk.s"), disk_s()).unwrap();
    let topology = dir.join("one.toml");
    std::fs::write(
        &topology,
        "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = \"disk.s\"\ndisk = \"disk.img\"\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .arg("run")
        .arg(&topology)
        .args(["--input", ""])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("[cp] magic: OXFS"));
    let bytes = std::fs::read(&image).unwrap();
    assert!(bytes[bytes.len() - SECTOR_SIZE..].starts_with(b"written by disk.s"));

    let missing = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .arg("run")
        .arg(&topology)
        .arg("--disk")
        .arg(&image)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("give the central node `disk"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_image_file_is_a_clear_error() {
    let dir = scratch("badimage");
    let image = dir.join("odd.img");
    std::fs::write(&image, [0u8; 1000]).unwrap();
    for disk in [image.clone(), dir.join("missing.img")] {
        let output = Command::new(env!("CARGO_BIN_EXE_orrery"))
            .args(["run", concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/hello.s")])
            .arg("--disk")
            .arg(&disk)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("disk image") && !stderr.contains("panicked"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn runs_are_cycle_for_cycle_identical() {
    let image = disk::create(1 << 20, &[], &[]).unwrap();
    let run = || {
        let mut m = machine(&disk_s(), Disk::memory(image.clone()));
        let state = m.run(10_000_000);
        let last = m.block().unwrap().disk().contents().unwrap()[(1 << 20) - SECTOR_SIZE..][..17].to_vec();
        (state, m.cpu.cycles, m.cpu.instret, last)
    };
    let first = run();
    assert_eq!(first.0, RunState::PoweredOff(0));
    assert_eq!(first.3, b"written by disk.s");
    assert_eq!(run(), first);
}

#[test]
fn dma_replaces_decoded_code() {
    // Sector 0 holds code that powers off with 7; `target` first powers off with 1... once it
    // has been decoded, the read overwrites it, and jumping there must run the new code.
    let new_code =
        assemble(&[("n.s", "li t0, 0x10003000\nli t1, 7\nsw t1, 0(t0)\nj .\n")], &Options::default())
            .unwrap();
    let mut sector = new_code.sections.iter().find(|s| s.name == ".text").unwrap().bytes.clone();
    sector.resize(SECTOR_SIZE, 0);
    let source = "
        .equ BLOCK, 0x10004000
        .text
        .globl _start
_start:
        li      a0, 0               # first pass: target returns at once
        call    target
        li      s0, BLOCK
        sw      zero, 0x0c(s0)      # SECTOR 0
        la      t0, target
        sw      t0, 0x14(s0)        # ADDR = target
        li      t0, 1
        sw      t0, 0x18(s0)        # COMMAND = READ
wait_done:
        lw      t0, 0(s0)
        andi    t0, t0, 1
        bnez    t0, wait_done
        li      a0, 1
        call    target
        j       .
        .balign 512
target:
        beqz    a0, back
        li      t0, 0x10003000
        li      t1, 1
        sw      t1, 0(t0)
back:
        ret
        .space  512
";
    let mut m = machine(source, Disk::memory(sector));
    assert_eq!(m.run(1_000_000), RunState::PoweredOff(7));
}

#[test]
fn buffers_outside_ram_fail_the_command() {
    for addr in ["0x10000000", "0x00000000", "0x800ffe00 + 4"] {
        let source = format!(
            "
        .equ BLOCK, 0x10004000
        .text
        .globl _start
_start:
        li      s0, BLOCK
        li      t0, {addr}
        sw      t0, 0x14(s0)        # ADDR
        li      t0, 2
        sw      t0, 0x18(s0)        # COMMAND = WRITE
        lw      t0, 0(s0)           # STATUS: DONE | ERROR at once
        lw      t1, 0x20(s0)        # ERROR_CODE
        slli    t1, t1, 4
        or      t1, t1, t0
        li      t0, 0x10003000
        sw      t1, 0(t0)           # exit (ERROR_CODE << 4) | STATUS
        j       .
"
        );
        let mut m = machine(&source, Disk::memory(vec![0xee; 4 * SECTOR_SIZE]));
        assert_eq!(m.run(1_000_000), RunState::PoweredOff(3 << 4 | 6), "buffer at {addr}");
        let contents = m.block().unwrap().disk().contents().unwrap();
        assert!(contents.iter().all(|b| *b == 0xee), "nothing was written");
    }
}
