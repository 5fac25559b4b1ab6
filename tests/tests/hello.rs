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

#[test]
fn a_profile_of_every_cycle_counts_each_label_exactly() {
    use orrery_emulator::profile::Profile;
    let (mut machine, _console) = orrery_tests::machine(b"");
    machine.boot_elf(&orrery_tests::assemble_file("programs/asm/hello.s")).expect("hello loads");
    machine.profile = Some(Profile::new(1, 0));
    assert_eq!(machine.run(100_000), RunState::PoweredOff(0));
    let profile = machine.profile.as_ref().expect("still profiling");
    // A sample after every instruction, at the pc it leaves: `_start`'s two `li`/`la` pairs
    // leave three samples in `_start` and one in `print`; each of the 17 characters five in
    // `print`; the end one more in `print` (the `lbu`), the taken `beqz` and the `li` three in
    // `done`, and the store that powers off one in `halt`.
    assert_eq!(
        profile.report("hello", &machine.symbols, 10),
        "node hello: 94 samples, one every 1 cycles\n   92.55%        87  print\n    3.19%         3  _start\n    3.19%         3  done\n    1.06%         1  halt\n"
    );
}
