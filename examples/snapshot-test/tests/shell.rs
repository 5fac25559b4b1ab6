//! A user program on the Orrery OS: boot `topologies/default.toml` (the guest built by
//! `cargo xtask build`), run `hello` at the shell, and snapshot the session from the first
//! prompt on (the boot messages before it name build details: sizes, instruction counts).

use orrery_harness::Guest;

#[test]
fn hello_runs_at_the_shell() {
    let topology = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../topologies/default.toml");
    let kernel = topology.with_file_name("../target/ox32/kernel.elf");
    assert!(kernel.exists(), "build the guest first: cargo xtask build (no {})", kernel.display());
    let mut guest = Guest::boot(&topology).expect("the default topology boots");
    guest.expect("[cp] $ ").unwrap();
    guest.type_line("hello snapshot").unwrap();
    guest.expect("$ ").unwrap();
    guest.type_line("echo the status was $?").unwrap();
    guest.expect("$ ").unwrap();
    guest.end_input();
    assert_eq!(guest.wait_exit().unwrap(), 0);
    insta::assert_snapshot!(guest.transcript_from("[cp] $ "));
}

#[test]
fn ctrl_c_ends_a_command_on_a_satellite() {
    let topology = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../topologies/default.toml");
    let mut guest = Guest::boot(&topology).expect("the default topology boots");
    guest.expect("[cp] $ ").unwrap();
    guest.type_line("place least-loaded sh").unwrap();
    guest.expect("$ ").unwrap();
    guest.type_line("cat").unwrap();
    // cat prints nothing: let it start on its satellite before pressing Ctrl-C.
    guest.run_for(std::time::Duration::from_millis(50));
    guest.type_keys(b"\x03").unwrap();
    guest.expect("$ ").unwrap();
    guest.type_line("echo status $?").unwrap();
    guest.expect("status 130").unwrap();
    guest.end_input();
    assert_eq!(guest.wait_exit().unwrap(), 0);
    insta::assert_snapshot!(guest.transcript_from("[cp] $ "));
}
