//! `programs/asm/hello.s` boots, prints its greeting and powers off with exit code 0.

use orrery_emulator::machine::RunState;
use orrery_tests::run_asm;

#[test]
fn hello_prints_its_greeting_and_exits_zero() {
    let outcome = run_asm("programs/asm/hello.s", b"", 100_000);
    assert_eq!(outcome.state, RunState::PoweredOff(0));
    insta::assert_snapshot!(outcome.transcript());
}

#[test]
fn hello_retires_exactly_its_instructions() {
    let outcome = run_asm("programs/asm/hello.s", b"", 100_000);
    let characters = "Hello from ox32!\n".len() as u64;
    // `li` and `la` of full addresses are two instructions each; each character takes
    // `lbu beqz sw addi j`; the end takes `lbu beqz`, a two-instruction `li` and the `sw`
    // that powers off (it retires; the node stops before the next one).
    let expected = 4 + 5 * characters + 5;
    let cpu = &outcome.machine.cpu;
    assert_eq!(cpu.instret, expected);
    assert_eq!(cpu.cycles, expected, "no waiting: every cycle retires an instruction");
    assert!(cpu.traps.is_empty(), "hello takes no traps: {:?}", cpu.traps);
}
