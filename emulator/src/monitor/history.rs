//! The machine's histories: `traps` (the last traps taken) and `time` (its clocks; a system's
//! are in [`super::nodes`]).

use ox32::trap::describe_cause;

use crate::cpu::TRAP_HISTORY;
use crate::monitor::format::{hex, sym_suffix};
use crate::monitor::Monitor;

impl Monitor<'_> {
    /// `traps [N]`: the last `n` traps, oldest first.
    pub(super) fn traps(&self, n: usize) -> String {
        let traps = &self.machine().cpu.traps;
        if traps.is_empty() {
            return "no traps taken yet\n".to_string();
        }
        let shown = n.min(traps.len());
        let mut text = format!(
            "last {shown} of {} trap(s) kept (the history keeps {TRAP_HISTORY}), oldest first:\n",
            traps.len()
        );
        text.push_str("cycle        cause                   epc                               badaddr\n");
        for t in traps.iter().skip(traps.len() - shown) {
            let epc = format!("{}{}", hex(t.epc), sym_suffix(&self.machine().symbols, t.epc));
            text.push_str(&format!(
                "{:<12} {:<23} {epc:<33} {}\n",
                t.cycle,
                describe_cause(t.cause),
                hex(t.badaddr)
            ));
        }
        text
    }

    /// `time`: cycles, instructions retired and virtual time (on a system, of every node).
    pub(super) fn time(&self) -> String {
        if self.system().is_some() {
            return self.system_time();
        }
        let cpu = &self.machine().cpu;
        let ns = cpu.now();
        format!(
            "cycles {}, instructions retired {}, virtual time {ns} ns ({}.{:06} ms) at {} ps per cycle\n",
            cpu.cycles,
            cpu.instret,
            ns / 1_000_000,
            ns % 1_000_000,
            cpu.clock.period_ps
        )
    }
}
