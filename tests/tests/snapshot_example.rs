//! `examples/snapshot-test`, a crate outside the workspace that snapshot-tests guests with
//! `orrery-harness` and insta as a user's crate would (docs/testing.md), passes its tests:
//! `cargo test` runs there, in a target directory of its own under `target/`.

use std::process::Command;

use orrery_tests::{guest_dir, repo_root};

#[test]
fn the_snapshot_test_example_passes() {
    // The example's shell test boots topologies/default.toml, which names target/ox32.
    let kernel = guest_dir().join("kernel.elf");
    assert!(kernel.exists(), "no {}: build the guest first", kernel.display());
    let root = repo_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "--locked", "--manifest-path"])
        .arg(root.join("examples/snapshot-test/Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target/snapshot-example"))
        .env("INSTA_UPDATE", "no")
        .output()
        .expect("cargo runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the example's tests failed:\n{text}");
    assert!(text.contains("test result: ok. 4 passed"), "{text}");
    assert!(text.contains("test result: ok. 2 passed"), "{text}");
}
