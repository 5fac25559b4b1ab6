//! A link port's DMA seen from a guest: a frame stored by `RX_STORE` over code the CPU has
//! decoded (and the JIT translated) runs as the new code, and `TX_LOAD` sends what RAM holds.

use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_toolchain::asm::{assemble, Options};

const GUEST: &str = "
        .equ LINK, 0x10010000
        .text
        .globl _start
_start:
        li      a0, 0               # first pass: target returns at once
        call    target
        call    target              # twice, so that a JIT has translated it
        li      s0, LINK
        la      t0, target
        sw      t0, 0x3c(s0)        # RX_ADDR = target
        lw      t1, 0x10(s0)        # RX_LEN
        sw      t1, 0x40(s0)        # RX_STORE: the frame over target
        sw      zero, 0x14(s0)      # RX_POP
        la      t0, message
        sw      t0, 0x34(s0)        # TX_ADDR = message
        li      t1, 12
        sw      t1, 0x38(s0)        # TX_LOAD
        sw      t1, 0x0c(s0)        # TX_SEND
        li      a0, 1
        call    target
        j       .
        .balign 4096
target:
        beqz    a0, back
        li      t0, 0x10003000
        li      t1, 1
        sw      t1, 0(t0)           # the old code powers off with 1
back:
        ret
        .balign 4
message:
        .ascii  \"sent by DMA!\"
";

#[test]
fn dma_over_decoded_code_runs_the_new_code() {
    let new_code =
        assemble(&[("n.s", "li t0, 0x10003000\nli t1, 7\nsw t1, 0(t0)\nj .\n")], &Options::default())
            .unwrap();
    let frame = new_code.sections.iter().find(|s| s.name == ".text").unwrap().bytes.clone();
    let program = assemble(&[("t.s", GUEST)], &Options::default()).unwrap_or_else(|d| panic!("{d}"));
    for jit in [false, true] {
        let mut config = MachineConfig::new(1 << 20, Box::new(std::io::sink()));
        config.link_mtus = vec![64];
        let mut m = Machine::new(config);
        if jit && !m.set_jit(true) {
            continue;
        }
        m.boot_elf(&program.to_elf()).unwrap();
        m.link_port(0).unwrap().deliver(frame.clone());
        assert_eq!(m.run(1_000_000), RunState::PoweredOff(7), "jit {jit}");
        let sent = m.link_port(0).unwrap().take_sent();
        assert_eq!(sent.len(), 1, "jit {jit}");
        assert_eq!(sent[0].data, b"sent by DMA!", "jit {jit}");
    }
}
