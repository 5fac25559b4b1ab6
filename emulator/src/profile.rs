//! A sampling profiler of the guest: every `interval` cycles of a node, where its CPU was.
//!
//! `orrery run TOPOLOGY --profile FILE` turns it on for every node and writes, per node, the
//! functions that held the CPU most (docs/monitor.md, "Profiling"). A sample is taken when the
//! node's cycle count crosses a multiple of the interval: in kernel mode it counts for the
//! kernel function holding the `pc` (named from the node's symbols), in user mode for `(user)`
//! (every process shares the same user addresses), and while the CPU sleeps in `wait` for
//! `(waiting)`. Sampling by virtual cycles makes a profile as deterministic as the run itself:
//! the same topology and input give the same report, byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::loader::Symbols;

/// Where a sample found the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    /// In kernel mode at this `pc`, with this return address in `ra`.
    Kernel(u32, u32),
    /// In user mode at this `pc`.
    User(u32),
    /// Asleep in `wait`.
    Waiting,
}

/// A report's row: the samples of one function, and of each of its callers.
type Row = (u64, BTreeMap<String, u64>);

/// The samples of one node.
#[derive(Clone, Debug)]
pub struct Profile {
    interval: u64,
    next: u64,
    samples: BTreeMap<Place, u64>,
}

impl Profile {
    /// A profile sampling every `interval` cycles (at least 1) from cycle `now` on.
    pub fn new(interval: u64, now: u64) -> Profile {
        let interval = interval.max(1);
        Profile { interval, next: (now / interval + 1) * interval, samples: BTreeMap::new() }
    }

    /// How many cycles the CPU may run from `cycles` before the next sample is due.
    pub fn budget(&self, cycles: u64) -> u64 {
        self.next.saturating_sub(cycles).max(1)
    }

    /// Counts the samples due by `cycles` for the CPU at `pc` (in kernel mode or not), `ra`
    /// holding what may be the caller's return address.
    pub fn running(&mut self, cycles: u64, pc: u32, ra: u32, kernel: bool) {
        self.take(cycles, if kernel { Place::Kernel(pc, ra) } else { Place::User(pc) });
    }

    /// Counts the samples due by `cycles` as time spent waiting for an interrupt.
    pub fn waiting(&mut self, cycles: u64) {
        self.take(cycles, Place::Waiting);
    }

    fn take(&mut self, cycles: u64, place: Place) {
        if cycles < self.next {
            return;
        }
        let due = (cycles - self.next) / self.interval + 1;
        *self.samples.entry(place).or_default() += due;
        self.next += due * self.interval;
    }

    /// Samples taken so far.
    pub fn total(&self) -> u64 {
        self.samples.values().sum()
    }

    /// The report for node `name`: its samples by function, most first, the first `top` of
    /// them (ties by name), each with its share of all samples; under each kernel function its
    /// three commonest callers, as named by the return address in `ra` (exact for a function
    /// that calls no other: `memcpy`, `crc32_update`; a function that calls others has its
    /// own address there once it has made a call, and that is not shown).
    pub fn report(&self, name: &str, symbols: &Symbols, top: usize) -> String {
        let function = |pc: u32| match symbols.name_of(pc) {
            Some(function) => function.to_string(),
            None => format!("{:#010x}", pc & !0xff),
        };
        let mut by_name: BTreeMap<String, Row> = BTreeMap::new();
        for (place, n) in &self.samples {
            let (key, caller) = match place {
                Place::Kernel(pc, ra) => {
                    let key = function(*pc);
                    let caller = symbols.name_of(*ra).filter(|c| *c != key).map(str::to_string);
                    (key, caller)
                }
                Place::User(_) => ("(user)".to_string(), None),
                Place::Waiting => ("(waiting)".to_string(), None),
            };
            let row = by_name.entry(key).or_default();
            row.0 += n;
            if let Some(caller) = caller {
                *row.1.entry(caller).or_default() += n;
            }
        }
        let mut rows: Vec<(String, Row)> = by_name.into_iter().collect();
        rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
        let total = self.total();
        let share = |n: u64| n as f64 * 100.0 / total.max(1) as f64;
        let mut out = String::new();
        let _ = writeln!(out, "node {name}: {total} samples, one every {} cycles", self.interval);
        for (key, (n, callers)) in rows.iter().take(top) {
            let _ = writeln!(out, "  {:6.2}% {n:>9}  {key}", share(*n));
            let mut callers: Vec<(&String, &u64)> = callers.iter().collect();
            callers.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            for (caller, c) in callers.into_iter().take(3) {
                let _ =
                    writeln!(out, "  {:>17}    from {caller} ({:.0}%)", "", *c as f64 * 100.0 / *n as f64);
            }
        }
        if rows.len() > top {
            let rest: u64 = rows[top..].iter().map(|(_, (n, _))| n).sum();
            let _ = writeln!(out, "  {:6.2}% {rest:>9}  ({} more)", share(rest), rows.len() - top);
        }
        out
    }

    /// The samples of node `name` by address: a line `NAME k|u ADDRESS SAMPLES` for each
    /// address sampled in kernel (`k`) or user (`u`) mode, kernel first, each in address
    /// order (`--profile-addresses`). An address maps to a source line through the RV32
    /// original of the image, whose addresses the translated one keeps (docs/monitor.md).
    pub fn addresses(&self, name: &str) -> String {
        let mut by_address: BTreeMap<(bool, u32), u64> = BTreeMap::new();
        for (place, n) in &self.samples {
            let key = match place {
                Place::Kernel(pc, _) => (false, *pc),
                Place::User(pc) => (true, *pc),
                Place::Waiting => continue,
            };
            *by_address.entry(key).or_default() += n;
        }
        let mut out = String::new();
        for ((user, pc), n) in by_address {
            let _ = writeln!(out, "{name} {} {pc:#010x} {n}", if user { 'u' } else { 'k' });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_fall_on_multiples_of_the_interval() {
        let mut p = Profile::new(100, 30);
        assert_eq!(p.budget(30), 70);
        p.running(99, 0x1000, 0, true);
        assert_eq!(p.total(), 0);
        p.running(100, 0x1000, 0, true);
        assert_eq!(p.total(), 1);
        assert_eq!(p.budget(100), 100);
        p.waiting(450);
        p.running(460, 0x2000, 0, false);
        assert_eq!(p.total(), 4);
        let report = p.report("cp", &Symbols::default(), 10);
        assert_eq!(
            report,
            "node cp: 4 samples, one every 100 cycles\n   75.00%         3  (waiting)\n   25.00%         1  0x00001000\n"
        );
    }

    #[test]
    fn the_addresses_sum_a_kernel_address_over_its_callers_and_list_user_addresses_after() {
        let mut p = Profile::new(1, 0);
        p.running(1, 0x8000_0010, 0x8000_0100, true);
        p.running(2, 0x8000_0010, 0x8000_0200, true);
        p.running(3, 0x0001_0000, 0, false);
        p.running(4, 0x8000_0004, 0, true);
        p.waiting(5);
        p.running(6, 0x0001_0000, 0, false);
        assert_eq!(
            p.addresses("cp"),
            "cp k 0x80000004 1\ncp k 0x80000010 2\ncp u 0x00010000 2\n",
            "waiting has no address"
        );
    }

    #[test]
    fn the_report_keeps_the_top_rows_and_sums_the_rest() {
        let mut p = Profile::new(1, 0);
        for (i, pc) in [0x100u32, 0x200, 0x200, 0x300, 0x300, 0x300].iter().enumerate() {
            p.running(i as u64 + 1, *pc, 0, true);
        }
        let report = p.report("sat1", &Symbols::default(), 2);
        assert!(report.contains("50.00%         3  0x00000300"), "{report}");
        assert!(report.contains("16.67%         1  (1 more)"), "{report}");
    }
}
