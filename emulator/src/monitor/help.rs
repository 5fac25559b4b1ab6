//! `help`: one table of every command, its syntax, a sentence and an example.

use crate::monitor::parse::quote;

/// One command's help.
pub struct Topic {
    /// The name and its aliases; the first is the name `help` lists.
    pub names: &'static [&'static str],
    /// The syntax.
    pub syntax: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// An example line.
    pub example: &'static str,
}

/// Every command, in the order `help` lists them.
pub const TOPICS: &[Topic] = &[
    Topic {
        names: &["step", "s", "si", "stepi"],
        syntax: "step [N]",
        summary: "execute N instructions (default 1); taking an interrupt or a trap counts as one",
        example: "step 3",
    },
    Topic {
        names: &["next", "n", "ni"],
        syntax: "next",
        summary: "step over a call: a jal/jalr with rd = ra runs until it returns (pc = the return address, sp back)",
        example: "next",
    },
    Topic {
        names: &["continue", "c", "cont"],
        syntax: "continue [MAX-CYCLES]",
        summary: "run until a breakpoint, watchpoint, catchpoint, power-off or the cycle limit",
        example: "continue",
    },
    Topic {
        names: &["until", "u"],
        syntax: "until ADDR",
        summary: "run until pc = ADDR (breakpoints still stop)",
        example: "until next_process",
    },
    Topic {
        names: &["break", "b"],
        syntax: "break ADDR|SYMBOL  |  break trap [KIND]  |  break link [NODE]",
        summary: "stop before the instruction at ADDR executes; `break trap` stops when a trap is taken (KIND: an exception name such as load-page-fault or syscall, or interrupt; none = any); `break link` (a system) stops at the quantum boundary where NODE (any node) sends a frame or one is delivered to it. On a system, breakpoints belong to the selected node",
        example: "break trap load-page-fault",
    },
    Topic {
        names: &["watch"],
        syntax: "watch ADDR [r|w|rw]",
        summary: "stop after an instruction reads (r), writes (w, the default) or either (rw) the 4 bytes at virtual ADDR",
        example: "watch current_process w",
    },
    Topic {
        names: &["delete", "d"],
        syntax: "delete [N]",
        summary: "delete breakpoint/watchpoint/catchpoint N, or all of them",
        example: "delete 2",
    },
    Topic {
        names: &["info"],
        syntax: "info breakpoints  |  info registers",
        summary: "list breakpoints, watchpoints and catchpoints with their hit counts (or show the registers)",
        example: "info breakpoints",
    },
    Topic {
        names: &["regs", "registers"],
        syntax: "regs",
        summary: "the pc, the 32 general registers and the control registers, decoded",
        example: "regs",
    },
    Topic {
        names: &["set"],
        syntax: "set REG VALUE",
        summary: "set a general register or pc",
        example: "set a0 0x2a",
    },
    Topic {
        names: &["x"],
        syntax: "x/FMT VADDR",
        summary: "examine memory at a virtual address (through the page tables, ignoring permissions); FMT = [count][x|b|i|s]: hex words, bytes, instructions, string",
        example: "x/8x sp",
    },
    Topic {
        names: &["xp"],
        syntax: "xp/FMT PADDR",
        summary: "examine memory at a physical address (RAM and boot ROM; devices are not read)",
        example: "xp/4i 0x80000000",
    },
    Topic {
        names: &["disas", "disassemble"],
        syntax: "disas [ADDR] [N]",
        summary: "disassemble N instructions (default 8) from ADDR (default pc), with symbols",
        example: "disas map_page 6",
    },
    Topic {
        names: &["bt", "backtrace", "where"],
        syntax: "bt",
        summary: "backtrace by the frame-pointer chain (s0); says so when s0 does not hold one",
        example: "bt",
    },
    Topic {
        names: &["mmu"],
        syntax: "mmu",
        summary: "mode, paging on/off, ptbr (ASID, root table), tvec and TLB counters",
        example: "mmu",
    },
    Topic {
        names: &["pt"],
        syntax: "pt [ASID|ROOT]",
        summary: "the page-table tree rooted at ptbr's root, or of address space ASID (below 512: the root last written to ptbr with that ASID), or at ROOT (a frame number below 0x100000, or a page-aligned physical address or symbol), with contiguous pages coalesced into ranges",
        example: "pt root_table",
    },
    Topic {
        names: &["tlb"],
        syntax: "tlb",
        summary: "every valid TLB entry (slot, page, ASID or global, frame, flags) and the hit/miss/flush counters",
        example: "tlb",
    },
    Topic {
        names: &["translate", "tr"],
        syntax: "translate VADDR [r|w|x] [user|kernel]",
        summary: "the page walk of VADDR step by step (without setting A/D), its result or the exact fault, and what the TLB holds for it; defaults: r, the current mode",
        example: "translate 0x00600000 r user",
    },
    Topic {
        names: &["traps"],
        syntax: "traps [N]",
        summary: "the last N traps taken (default 10): cycle, cause, epc, badaddr",
        example: "traps 5",
    },
    Topic {
        names: &["time"],
        syntax: "time",
        summary: "cycles, instructions retired and virtual time; on a system, of every node, with the quantum under way and where each node stands in it",
        example: "time",
    },
    Topic {
        names: &["nodes"],
        syntax: "nodes",
        summary: "the nodes of the system: index, name, role, running/waiting/powered off, pc; * marks the selected one",
        example: "nodes",
    },
    Topic {
        names: &["node"],
        syntax: "node N|NAME",
        summary: "select a node by index or name: every other command applies to it (a stop on another node selects that one)",
        example: "node 0",
    },
    Topic {
        names: &["poweroff"],
        syntax: "poweroff NODE",
        summary: "pull the plug on a satellite (by index or name): it stops at once, and the far ends of its links go down when the next quantum opens",
        example: "poweroff sat3",
    },
    Topic {
        names: &["poweron"],
        syntax: "poweron NODE",
        summary: "power a satellite that is off on again: it starts over in its boot ROM (RAM cleared, devices reset, its clock going on), and the far ends of its links come up when the next quantum opens",
        example: "poweron sat3",
    },
    Topic {
        names: &["links"],
        syntax: "links [N]",
        summary: "the last N frames that crossed links (default 10): sent and arrival times in ns, from and to NODE.PORT, length, fate",
        example: "links 5",
    },
    Topic {
        names: &["help", "h", "?"],
        syntax: "help [COMMAND]",
        summary: "list the commands, or explain one",
        example: "help translate",
    },
    Topic {
        names: &["quit", "q", "exit"],
        syntax: "quit",
        summary: "end the session",
        example: "quit",
    },
];

/// `help [CMD]`.
pub fn help(topic: Option<&str>) -> Result<String, String> {
    match topic {
        None => {
            let mut text = String::from("commands (help COMMAND for more):\n");
            for t in TOPICS {
                text.push_str(&format!("  {:<38} {}\n", t.syntax, t.names[0]));
            }
            text.push_str("ADDR and VALUE: 0x hex, decimal, a register (pc, sp, a0, epc, badaddr), a symbol, with + or - between them (main+0x10)\n");
            Ok(text)
        }
        Some(name) => {
            let name = name.split('/').next().unwrap_or(name);
            let t = TOPICS
                .iter()
                .find(|t| t.names.contains(&name))
                .ok_or_else(|| format!("no command named {}; try `help`", quote(name)))?;
            let aliases = if t.names.len() > 1 {
                format!("aliases: {}\n", t.names[1..].join(", "))
            } else {
                String::new()
            };
            Ok(format!("{}\n{}\n{aliases}example: {}\n", t.syntax, t.summary, t.example))
        }
    }
}
