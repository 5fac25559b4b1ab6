//! Fuzzes the topology parser: any text gives either a topology within every documented limit
//! or one error with a line and column inside the text, never a panic.

use std::path::Path;

use orrery_emulator::topology::{Role, Topology, MAX_BANDWIDTH_BPS, MAX_NODES, MIN_BANDWIDTH_BPS, MTU_MAX};

/// One input of the target (`fuzz_targets/topology.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Topology::parse("fuzz.toml", text, Path::new("/")) {
        Ok(topology) => {
            assert!(!topology.nodes.is_empty() && topology.nodes.len() <= MAX_NODES);
            assert!(topology.nodes.iter().filter(|n| n.role == Role::Central).count() <= 1);
            assert!((1_000..=1_000_000_000).contains(&topology.quantum_ns));
            let props =
                topology.links.iter().map(|l| l.props).chain(topology.remotes.iter().map(|r| r.props));
            for p in props {
                assert!((MIN_BANDWIDTH_BPS..=MAX_BANDWIDTH_BPS).contains(&p.bandwidth_bps));
                assert!(p.mtu <= MTU_MAX && p.mtu >= 64 && p.mtu % 4 == 0);
                assert!(p.latency_ns <= 1_000_000_000);
            }
            for n in &topology.nodes {
                assert!(n.ram >= 4096 && n.mhz >= 1 && n.ports <= ox32::memmap::LINK_PORTS);
            }
        }
        Err(error) => {
            assert!(error.line >= 1 && error.line <= text.lines().count().max(1) + 1, "{error}");
            assert!(error.column >= 1 && !error.message.is_empty());
            let _ = error.to_string();
        }
    }
}
