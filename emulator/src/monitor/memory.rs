//! Registers, memory, disassembly and the backtrace: `regs`, `set`, `x`, `xp`, `disas`, `bt`.
//!
//! Memory is read with `Bus::peek` (RAM and boot ROM only: reading a device register could
//! change the device, so devices are refused). Virtual addresses go through the debugger's
//! view of the page tables ([`Monitor::debug_translate`]), one page at a time.

use ox32::cr::{self};
use ox32::trap::describe_cause;
use ox32::{Instruction, Reg};

use crate::monitor::format::{hex, instruction, string_literal, sym_suffix};
use crate::monitor::mmu::status_names;
use crate::monitor::parse::{quote, Format};
use crate::monitor::Monitor;

/// The longest string `x/s` shows.
const MAX_STRING: usize = 256;

/// The deepest backtrace `bt` follows.
const MAX_FRAMES: usize = 64;

/// Instructions `disas` shows when not told.
const DISAS_DEFAULT: u32 = 8;

impl Monitor<'_> {
    /// The word at physical `pa`, if it is RAM or ROM.
    pub(super) fn peek_word(&self, pa: u32) -> Option<u32> {
        let mut bytes = [0; 4];
        self.machine().bus.peek(pa, &mut bytes).ok().map(|_| u32::from_le_bytes(bytes))
    }

    /// Reads `buf.len()` bytes at `addr` (virtual unless `physical`), page by page.
    fn read(&mut self, addr: u32, physical: bool, buf: &mut [u8]) -> Result<(), String> {
        let mut done = 0usize;
        while done < buf.len() {
            let va = addr.wrapping_add(done as u32);
            let in_page = (0x1000 - (va & 0xfff) as usize).min(buf.len() - done);
            let pa = if physical { va } else { self.debug_translate(va)? };
            self.machine().bus.peek(pa, &mut buf[done..done + in_page]).map_err(|_| {
                if physical || pa == va {
                    format!("cannot read {}: not RAM or ROM", hex(pa))
                } else {
                    format!("cannot read {} (physical {}): not RAM or ROM", hex(va), hex(pa))
                }
            })?;
            done += in_page;
        }
        Ok(())
    }

    /// The word at `addr` in the debugger's view, or why not.
    fn read_word(&mut self, addr: u32, physical: bool) -> Result<u32, String> {
        let mut bytes = [0; 4];
        self.read(addr, physical, &mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    /// `=> [mode] pc <sym>: instruction`: where the CPU stands and what it executes next (on a
    /// system, `=> NODE [mode] ...`).
    pub(super) fn location(&mut self) -> String {
        let pc = self.machine().cpu.pc;
        let mode = if self.machine().cpu.kernel() { "kernel" } else { "user" };
        let node = self.system().map(|s| format!("{} ", s.nodes[self.node].name)).unwrap_or_default();
        let at = format!("=> {node}[{mode}] {}{}", hex(pc), sym_suffix(&self.machine().symbols, pc));
        let fetched = match self.cpu_translate(pc, crate::mmu::Access::Fetch) {
            Ok(pa) => self
                .peek_word(pa)
                .ok_or_else(|| format!("fetch-access: physical {} is not RAM or ROM", hex(pa))),
            Err(fault) => Err(format!("{}: {}", fault.exception.name(), fault.reason)),
        };
        match fetched {
            Ok(word) if pc & 3 == 0 => format!("{at}: {}\n", instruction(&self.machine().symbols, word, pc)),
            Ok(_) => format!("{at}: (pc is not a multiple of 4: fetch-misaligned)\n"),
            Err(why) => format!("{at}: (the fetch will fault: {why})\n"),
        }
    }

    /// The decoded instruction the CPU executes next, if it can be fetched.
    pub(super) fn next_instruction(&mut self) -> Option<Instruction> {
        let pc = self.machine().cpu.pc;
        let pa = self.cpu_translate(pc, crate::mmu::Access::Fetch).ok()?;
        ox32::decode(self.peek_word(pa)?).ok()
    }

    /// `regs`.
    pub(super) fn regs(&self) -> String {
        let cpu = &self.machine().cpu;
        let mut text = format!(
            "pc   {}{}  ({} mode)\n",
            hex(cpu.pc),
            sym_suffix(&self.machine().symbols, cpu.pc),
            if cpu.kernel() { "kernel" } else { "user" }
        );
        for row in 0..8 {
            let cells: Vec<String> = (0..4)
                .filter_map(|col| Reg::new(row * 4 + col))
                .map(|r| format!("{:<4} {}", r.abi_name(), hex(cpu.reg(r))))
                .collect();
            text.push_str(&cells.join("  "));
            text.push('\n');
        }
        let c = &cpu.cr;
        text.push_str(&format!(
            "status   {} ({})  tvec {}  epc {}{}\n",
            hex(c.status.bits()),
            status_names(c.status),
            hex(c.tvec),
            hex(c.epc),
            sym_suffix(&self.machine().symbols, c.epc)
        ));
        text.push_str(&format!(
            "cause    {} ({})  badaddr {}\n",
            hex(c.cause),
            describe_cause(c.cause),
            hex(c.badaddr)
        ));
        text.push_str(&format!(
            "scratch0 {}  scratch1 {}  ptbr {} (paging {}, ASID {}, root frame {:#07x})\n",
            hex(c.scratch0),
            hex(c.scratch1),
            hex(c.ptbr),
            if cpu.paging() { "on" } else { "off" },
            cpu.asid(),
            c.ptbr & cr::PTBR_PPN_MASK
        ));
        text
    }

    /// `set REG VALUE`: a general register or `pc`.
    pub(super) fn set(&mut self, name: &str, value: u32) -> Result<String, String> {
        if name == "pc" {
            self.machine_mut().cpu.pc = value;
            return Ok(format!("pc = {}{}\n", hex(value), sym_suffix(&self.machine().symbols, value)));
        }
        let Some(reg) = Reg::parse(name) else {
            if cr::by_name(name).is_some() {
                return Err(format!(
                    "cannot set control register {}: only pc and the general registers",
                    quote(name)
                ));
            }
            return Err(format!("no register named {}", quote(name)));
        };
        if reg == Reg::ZERO {
            return Err("zero is hard-wired to 0".to_string());
        }
        self.machine_mut().cpu.set_reg(reg, value);
        Ok(format!("{} = {}\n", reg.abi_name(), hex(value)))
    }

    /// `x/FMT` and `xp/FMT`.
    pub(super) fn examine(
        &mut self,
        physical: bool,
        format: Format,
        count: u32,
        addr: u32,
    ) -> Result<String, String> {
        let mut text = String::new();
        match format {
            Format::Hex => {
                for row in 0..count.div_ceil(4) {
                    let start = addr.wrapping_add(row * 16);
                    let n = (count - row * 4).min(4);
                    let mut words = Vec::new();
                    for k in 0..n {
                        words.push(hex(self.read_word(start.wrapping_add(4 * k), physical)?));
                    }
                    text.push_str(&format!(
                        "{}{}: {}\n",
                        hex(start),
                        self.label(start, physical),
                        words.join(" ")
                    ));
                }
            }
            Format::Bytes => {
                for row in 0..count.div_ceil(16) {
                    let start = addr.wrapping_add(row * 16);
                    let n = (count - row * 16).min(16) as usize;
                    let mut bytes = vec![0u8; n];
                    self.read(start, physical, &mut bytes)?;
                    let cells: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    text.push_str(&format!(
                        "{}{}: {}\n",
                        hex(start),
                        self.label(start, physical),
                        cells.join(" ")
                    ));
                }
            }
            Format::Instructions => {
                for k in 0..count {
                    let at = addr.wrapping_add(4 * k);
                    let word = self.read_word(at, physical)?;
                    let marker = if !physical && at == self.machine().cpu.pc { "=> " } else { "   " };
                    text.push_str(&format!(
                        "{marker}{}{}: {word:08x}  {}\n",
                        hex(at),
                        self.label(at, physical),
                        instruction(&self.machine().symbols, word, at)
                    ));
                }
            }
            Format::String => {
                let mut at = addr;
                for _ in 0..count {
                    let start = at;
                    let mut bytes = Vec::new();
                    let mut terminated = false;
                    while bytes.len() < MAX_STRING {
                        let mut b = [0u8];
                        self.read(at, physical, &mut b)?;
                        at = at.wrapping_add(1);
                        if b[0] == 0 {
                            terminated = true;
                            break;
                        }
                        bytes.push(b[0]);
                    }
                    let more = if terminated { "" } else { "..." };
                    text.push_str(&format!(
                        "{}{}: {}{more}\n",
                        hex(start),
                        self.label(start, physical),
                        string_literal(&bytes)
                    ));
                }
            }
        }
        Ok(text)
    }

    /// ` <sym>` for a virtual address (symbols name link addresses, which are virtual).
    fn label(&self, addr: u32, physical: bool) -> String {
        if physical {
            String::new()
        } else {
            sym_suffix(&self.machine().symbols, addr)
        }
    }

    /// `disas [ADDR] [N]`: instructions from `addr`, with a header line where a symbol starts.
    pub(super) fn disas(&mut self, addr: u32, count: Option<u32>) -> Result<String, String> {
        let count = count.unwrap_or(DISAS_DEFAULT);
        let mut text = String::new();
        for k in 0..count {
            let at = addr.wrapping_add(4 * k);
            if let Some(name) = self.machine().symbols.at(at) {
                text.push_str(&format!("{name}:\n"));
            }
            let marker = if at == self.machine().cpu.pc { "=> " } else { "   " };
            match self.read_word(at, false) {
                Ok(word) => text.push_str(&format!(
                    "{marker}{}{}: {word:08x}  {}\n",
                    hex(at),
                    sym_suffix(&self.machine().symbols, at),
                    instruction(&self.machine().symbols, word, at)
                )),
                Err(why) if k == 0 => return Err(why),
                Err(why) => {
                    text.push_str(&format!("(stopped: {why})\n"));
                    break;
                }
            }
        }
        Ok(text)
    }

    /// `bt`: the frame-pointer chain. Frames follow the RV32 convention with frame pointers:
    /// `s0` holds the caller's `sp` at entry; the return address is at `s0 - 4` and the
    /// caller's `s0` at `s0 - 8`.
    pub(super) fn backtrace(&mut self) -> String {
        let cpu = &self.machine().cpu;
        let (pc, ra, sp, mut fp) = (cpu.pc, cpu.reg(Reg::RA), cpu.reg(Reg::SP), cpu.regs[8]);
        let mut text = format!("#0  {}{}\n", hex(pc), sym_suffix(&self.machine().symbols, pc));
        let mut depth = 1;
        let mut previous = sp;
        loop {
            let why = if fp == 0 {
                Some("s0 is 0".to_string())
            } else if fp & 3 != 0 {
                Some(format!("s0 = {} is not word-aligned", hex(fp)))
            } else if fp < previous || (depth > 1 && fp == previous) || fp - previous > 1 << 20 {
                Some(format!("s0 = {} is not a frame above sp {}", hex(fp), hex(previous)))
            } else {
                None
            };
            let read = |m: &mut Self, at: u32| m.read_word(at, false);
            let frame = match why {
                Some(why) => Err(why),
                None => read(self, fp.wrapping_sub(4))
                    .and_then(|r| read(self, fp.wrapping_sub(8)).map(|f| (r, f))),
            };
            match frame {
                Ok((ret, next)) => {
                    text.push_str(&format!(
                        "#{depth:<2} {}{}\n",
                        hex(ret),
                        sym_suffix(&self.machine().symbols, ret)
                    ));
                    depth += 1;
                    if depth > MAX_FRAMES {
                        text.push_str(&format!("(stopped after {MAX_FRAMES} frames)\n"));
                        break;
                    }
                    previous = fp;
                    fp = next;
                }
                Err(why) if depth == 1 => {
                    text.push_str(&format!(
                        "no frame-pointer chain: {why}\n(the code may not keep frame pointers; ra = {}{} may be the caller)\n",
                        hex(ra),
                        sym_suffix(&self.machine().symbols, ra)
                    ));
                    break;
                }
                Err(why) => {
                    text.push_str(&format!("(chain ends: {why})\n"));
                    break;
                }
            }
        }
        text
    }
}
