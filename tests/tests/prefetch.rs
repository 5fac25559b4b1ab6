//! The prefetch cache changes how many round trips a forwarded call costs, never what it does
//! (docs/migration.md, *The prefetch cache*). One session on `topologies/default.toml` types
//! the same commands twice, with the cache on and then off (`prefetch off`): shell commands
//! placed on satellite 1 (files written and read, a pipe, `ls`, `cd` and `pwd`, a missing
//! file), `ps` there, and the suites `satpipe` and `sigtest`, whose children run on satellites
//! (pipes across satellites, signals that interrupt forwarded calls). Their lines must be the
//! same both times; `stats 1` before and after shows that only the second pass copied the
//! callers' memory over the link.

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than the session needs.
const LIMIT_NS: u64 = 60_000_000_000;

/// The commands typed with the cache on, then again with it off.
const PASS: &str = "place 1 sh -c \"echo one > /pf; cat /pf; cat /pf /pf | wc; cd /bin; pwd; ls | wc; cat /nothere; rm /pf\"\n\
                    place 1 sh -c \"ps | wc\"\n\
                    satpipe\n\
                    sigtest\n";

/// The copies satellite 1 has served, from a `stats 1` line.
fn copies(line: &str) -> u32 {
    let (_, tail) = line.split_once("forwarded ").unwrap_or_else(|| panic!("no counters in {line}"));
    let copies = tail.split(", ").nth(1).and_then(|c| c.strip_suffix(" copies"));
    copies.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no copies in {line}"))
}

/// The lines the commands printed between two markers, without the console's prefix and
/// prompts, the timings, and `satpipe`'s pid (the second pass's processes have others).
fn pass<'a>(text: &'a str, from: &str, to: &str) -> Vec<&'a str> {
    let start = text.find(from).unwrap_or_else(|| panic!("no {from} in:\n{text}"));
    let end = text[start..].find(to).map(|i| start + i).unwrap_or_else(|| panic!("no {to} in:\n{text}"));
    text[start + from.len()..end]
        .lines()
        .filter_map(|l| l.strip_prefix("[cp] "))
        .map(|l| l.trim_start_matches("$ "))
        .filter(|l| !l.is_empty() && !l.contains("measure:") && !l.starts_with("[kernel]"))
        .filter(|l| !l.starts_with("satpipe: pid "))
        .collect()
}

#[test]
fn calls_without_the_cache_do_what_they_do_with_it() {
    let session = format!(
        "stats 1\necho =on=\n{PASS}echo =off=\nprefetch off\nprefetch\n{PASS}echo =end=\nstats 1\n\
         prefetch on\nprefetch\nexit 0\n"
    );
    let (text, state) = run_topology("default.toml", None, session.as_bytes(), 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "{text}");
    assert!(!text.contains("panic"), "{text}");
    let with = pass(&text, "=on=\n", "=off=");
    let mut without = pass(&text, "=off=\n", "=end=");
    assert_eq!(without.first(), Some(&"prefetch cache: off"), "{text}");
    without.remove(0);
    assert!(with.iter().any(|l| l.contains("satpipe: 0 failure(s)")), "{text}");
    assert!(with.iter().any(|l| l.contains("sigtest: 0 failure(s)")), "{text}");
    assert_eq!(without, with, "the cache changed a result:\n{text}");
    let counters: Vec<&str> = text.lines().filter(|l| l.contains("node 1: procs")).collect();
    assert_eq!(counters.len(), 2, "{text}");
    assert_eq!(copies(counters[0]), 0, "copies with the cache on:\n{text}");
    assert!(copies(counters[1]) > 100, "too few copies without the cache:\n{text}");
    assert!(text.contains("prefetch cache: on"), "{text}");
    insta::assert_snapshot!("commands", with.join("\n"));
}
