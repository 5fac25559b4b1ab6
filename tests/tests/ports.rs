//! Ports across nodes from a user's seat (docs/ports.md, *Across nodes*): the key-value example
//! `kv` with its server on satellite 1 and clients on satellites 2 and 3 and the central, found
//! through the name service; then the server's satellite powers off, and a client watching the
//! server's port on satellite 3 is told it is gone (a dead-name notification caused by a node's
//! death), and the next client finds no server.

use orrery_tests::{from_init, os_topology, pristine_disk, run_script};

const SCRIPT: &str = r#"timeout 20s
expect "$ "
sendline place 1 sh -c "kv serve" &
expect "kv: serving kv"
sendline place 2 sh -c "kv put colour blue"
expect "$ "
sendline place 3 sh -c "kv put shape round"
expect "$ "
sendline place 3 sh -c "kv get colour"
expect "blue"
expect "$ "
sendline place 2 sh -c "kv list"
expect "shape"
expect "$ "
sendline kv del colour
expect "$ "
sendline kv get colour
expect "ENOENT"
expect "$ "
sendline place 3 sh -c "kv watch" &
expect "kv: watching the server"
poweroff sat1
expect "kv: the server is gone"
sendline kv get shape
expect "no server"
expect "$ "
sendline stats 2
expect "$ "
sendline exit 0
exit 0
"#;

#[test]
fn a_key_value_server_on_one_satellite_serves_the_others_until_its_node_dies() {
    let disk = pristine_disk("ports-kv", None);
    let session = run_script(os_topology("default.toml", &disk), &disk, SCRIPT);
    let transcript = session.transcript();
    assert!(transcript.contains("kv: the server is gone"), "{transcript}");
    insta::assert_snapshot!(from_init(transcript));
}
