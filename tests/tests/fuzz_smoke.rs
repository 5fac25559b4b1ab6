//! The fuzz targets' smoke run (`fuzz/`, docs/reliability.md): each target's check — what one
//! input must satisfy, shared with the cargo-fuzz target through `fuzz/checks/` — runs here,
//! in every `cargo test`, on the target's seeds, on deterministic mutations of them and on
//! pseudo-random inputs. It is not coverage-guided (that is cargo-fuzz's job, with a nightly
//! compiler and minutes to hours per target); it keeps every target building and every
//! property holding on a few thousand inputs, so that a change that breaks one fails CI.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/checks/assemble.rs"]
mod assemble;
#[path = "../../fuzz/checks/decode.rs"]
mod decode;
#[path = "../../fuzz/checks/execute.rs"]
mod execute;
#[path = "../../fuzz/checks/fs.rs"]
mod fs;
#[cfg(target_arch = "x86_64")]
#[path = "../../fuzz/checks/jit.rs"]
mod jit;
#[path = "../../fuzz/checks/link.rs"]
mod link;
#[path = "../../fuzz/checks/load_elf.rs"]
mod load_elf;
#[path = "../../fuzz/checks/monitor.rs"]
mod monitor;
#[path = "../../fuzz/checks/proto.rs"]
mod proto;
#[path = "../../fuzz/checks/topology.rs"]
mod topology;

/// A small deterministic generator (a 64-bit linear congruential one, the high bits used).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n.max(1)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files of `dirs` (relative to the repository) whose names end with `ext` (any if empty).
fn files(dirs: &[&str], ext: &str) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(repo().join(dir)) else { continue };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
        paths.sort();
        for path in paths {
            if path.to_string_lossy().ends_with(ext) {
                found.push(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
            }
        }
    }
    found
}

/// `seed` changed in a few places: bytes replaced (by printable ones for `text`, so that
/// text stays text), a range deleted, a range repeated, or cut short.
fn mutate(seed: &[u8], rng: &mut Lcg, text: bool) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(4) {
            0 if !out.is_empty() => {
                let at = at.min(out.len() - 1);
                out[at] = if text { b" \n=[]\".0x1zA#-,:"[rng.below(16)] } else { rng.next() as u8 };
            }
            1 => {
                let end = (at + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + rng.below(64)).min(out.len());
                let piece = out[at..end].to_vec();
                out.splice(at..at, piece);
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Runs `check` on the seeds, `mutations` mutations of each, and `random` pseudo-random inputs
/// of up to `max_len` bytes (each starting with `prefix`, for the targets whose first bytes
/// choose a mode).
fn smoke(
    name: &str,
    seeds: &[Vec<u8>],
    mutations: usize,
    random: usize,
    max_len: usize,
    text: bool,
    check: fn(&[u8]),
) {
    let mut rng = Lcg(name
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)));
    let mut inputs = 0;
    for seed in seeds {
        check(seed);
        for _ in 0..mutations {
            check(&mutate(seed, &mut rng, text));
        }
        inputs += 1 + mutations;
    }
    for _ in 0..random {
        let len = rng.below(max_len + 1);
        check(&rng.bytes(len));
    }
    inputs += random;
    assert!(inputs > 0, "{name}: no inputs");
}

#[test]
fn decode() {
    smoke("decode", &files(&["fuzz/seeds/decode"], ""), 50, 5_000, 4096, false, decode::check);
}

#[test]
fn assemble() {
    let seeds = files(&["toolchain/tests/asm", "programs/asm"], ".s");
    assert!(seeds.len() > 5, "the assembler's seeds are the repository's .s files");
    smoke("assemble", &seeds, 100, 500, 512, true, assemble::check);
}

#[test]
fn execute() {
    smoke("execute", &[], 0, 2_000, 8193, false, execute::check);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn jit() {
    smoke("jit", &[], 0, 300, 4104, false, jit::check);
}

#[test]
fn load_elf() {
    let mut seeds = files(&["fuzz/seeds/load_elf"], ".elf");
    assert!(!seeds.is_empty(), "fuzz/seeds/load_elf holds executables");
    seeds.truncate(8);
    smoke("load_elf", &seeds, 500, 1_000, 4096, false, load_elf::check);
}

#[test]
fn topology() {
    let seeds = files(&["topologies", "topologies/linkdemo"], ".toml");
    assert!(seeds.len() > 3, "the parser's seeds are the repository's topologies");
    smoke("topology", &seeds, 200, 1_000, 1024, true, topology::check);
}

#[test]
fn monitor() {
    let seeds = files(&["fuzz/seeds/monitor"], "");
    assert!(!seeds.is_empty(), "fuzz/seeds/monitor holds sessions");
    smoke("monitor", &seeds, 40, 20, 256, true, monitor::check);
}

#[test]
fn proto() {
    smoke("proto", &net_messages(), 2_000, 20_000, 4096, false, proto::check);
}

/// `Net` messages for the proto target's seeds: an RPC's request and answer (the shape read in
/// place), a message with a right among its items, a lone `Delivered`.
fn net_messages() -> Vec<Vec<u8>> {
    use ox_proto::net::{InlineMessage, NetItem, NetKind, NetOp, NetRight, PortRef, Words};
    use ox_proto::NetEnvelope;
    let right = |kind, node, id| NetRight { kind, port: PortRef { node, id } };
    let (dest, reply) = (right(NetKind::Send, 2, 9), right(NetKind::SendOnce, 1, 4));
    let port = PortRef { node: 2, id: 3 };
    let request = InlineMessage { dest, reply: Some(reply), id: 7, items: &[b"8 bytes!"], delivered: &[] };
    let answer = InlineMessage { dest: reply, reply: None, id: 8, items: &[b"odd", b""], delivered: &[port] };
    let with_right = NetOp::Message {
        dest,
        reply: None,
        id: 9,
        items: vec![NetItem::Inline(vec![1; 5]), NetItem::Right(dest)],
    };
    let mut seeds: Vec<Vec<u8>> = [request, answer]
        .iter()
        .map(|message| {
            let mut scratch = Words::new();
            let encoded = NetEnvelope::encode_inline_message(1, 2, message, scratch.area());
            encoded.expect("a short message encodes").into_owned()
        })
        .collect();
    for op in [with_right, NetOp::Delivered { port }] {
        seeds.push(NetEnvelope::encode(1, 2, &op).expect("a short op encodes"));
    }
    seeds
}

#[test]
fn link() {
    smoke("link", &[], 0, 20_000, 4096, false, link::check);
}

#[test]
fn fs() {
    smoke("fs", &[], 0, 2_000, 256, false, fs::check);
}
