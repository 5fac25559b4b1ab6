//! One node: a CPU, its bus with RAM, boot ROM and devices, and the loop that runs it in
//! virtual time.
//!
//! [`Machine::run`] advances the node to a given cycle. Between slices it delivers interrupts
//! and moves host input into devices; a slice never runs past the next device event (a timer
//! deadline), so interrupts arrive at exactly the same cycle on every run. A node that executes
//! `wait` skips ahead to its next event.
//!
//! A node with a disk also carries out the block device's DMA between slices: the store that
//! writes the device's `COMMAND` ends the slice, and the data moves through the bus before the
//! next instruction (see [`crate::devices::block`]).

use std::io::Write;
use std::sync::mpsc::Receiver;

use ox32::memmap::{
    BLOCK_BASE, BOOT_ROM_BASE, DEVICE_SIZE, IRQ_BLOCK, IRQ_LINK_BASE, IRQ_TIMER, IRQ_UART, LINK_BASE,
    LINK_PORTS, POWER_BASE, TIMER_BASE, UART_BASE,
};
use ox32::pte::PAGE_SHIFT;
use ox32::Reg;

use crate::bus::{Bus, BusFault, PowerRequest};
use crate::cpu::exec::{self, Exit};
use crate::cpu::op::CodeCache;
use crate::cpu::Cpu;
use crate::devices::block::{Block, Disk, Transfer};
use crate::devices::link::{Frame, LinkPort};
use crate::devices::power::Power;
use crate::devices::timer::Timer;
use crate::devices::uart::Uart;
use crate::loader::{self, LoadError, Symbols};
use crate::mmu::Access;
use crate::profile::Profile;
use crate::time::Clock;

/// The longest slice, in cycles: bounds how long host input waits to be seen.
pub const MAX_SLICE: u64 = 1 << 20;

/// How to build a node.
pub struct MachineConfig {
    /// The node's index (the `nodeid` control register).
    pub node_id: u32,
    /// RAM size in bytes.
    pub ram_size: u32,
    /// The CPU's virtual clock.
    pub clock: Clock,
    /// Where the console's output goes.
    pub console: Box<dyn Write + Send>,
    /// Console input available from the start (deterministic).
    pub input: Vec<u8>,
    /// Console input from the host as it arrives (not deterministic).
    pub host_input: Option<Receiver<u8>>,
    /// The MTU of each link port, port 0 first.
    pub link_mtus: Vec<u32>,
    /// The disk behind the block device, if the node has one.
    pub disk: Option<Disk>,
}

impl MachineConfig {
    /// Node 0 with `ram_size` bytes of RAM, a 100 MHz clock and its console on `console`.
    pub fn new(ram_size: u32, console: Box<dyn Write + Send>) -> MachineConfig {
        MachineConfig {
            node_id: 0,
            ram_size,
            clock: Clock::default(),
            console,
            input: Vec::new(),
            host_input: None,
            link_mtus: Vec::new(),
            disk: None,
        }
    }
}

/// Where a node stands after [`Machine::run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// It reached the requested cycle and can go on.
    Running,
    /// The guest powered it off with this exit code.
    PoweredOff(u32),
    /// It waits for an interrupt that only host input can bring.
    Idle,
    /// It waits for an interrupt that nothing can bring: no event is due and no input can come.
    Stuck,
}

/// What a sleeping CPU waits for, as [`Machine::run`] last found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sleep {
    /// A device event at this cycle (a timer deadline) is the first that can wake it.
    Until(u64),
    /// No device event can wake it, and no host input can come.
    Forever,
}

/// One node.
pub struct Machine {
    /// The processor.
    pub cpu: Cpu,
    /// The physical address space. A device changed through it from outside (not by the CPU)
    /// must be reached through [`Machine::link_port`] or [`Machine::block`] instead, which
    /// tell a sleeping node to look at its devices again.
    pub bus: Bus,
    /// Symbols of the loaded image.
    pub symbols: Symbols,
    /// Where the CPU was, every so many cycles, if profiling (`orrery run --profile`).
    pub profile: Option<Profile>,
    code: CodeCache,
    #[cfg(all(target_arch = "x86_64", unix))]
    jit: Option<Box<crate::jit::Jit>>,
    waiting: bool,
    has_disk: bool,
    /// While the CPU sleeps in `wait`: what can wake it, if nothing from outside changes a
    /// device. `run` then lets time pass without asking every device again each time (most
    /// nodes of a large system sleep most quanta). Forgotten when a slice runs and whenever
    /// something from outside may change a device: a frame delivered or taken, input typed,
    /// a link going down, a plug pulled.
    asleep: Option<Sleep>,
    /// How many link ports the node has.
    ports: u32,
    /// Whether a slice ran since [`Machine::take_sent`] last looked at the ports (only then
    /// can they hold frames).
    sent_unseen: bool,
}

/// Whether this host can run the JIT (`--jit on`).
pub const JIT_SUPPORTED: bool = cfg!(all(target_arch = "x86_64", unix));

impl Machine {
    /// A node in its reset state with the standard devices.
    pub fn new(config: MachineConfig) -> Machine {
        let mut bus = Bus::new(config.ram_size);
        let mut uart = Uart::new(config.console);
        uart.queue_input(&config.input);
        if let Some(host) = config.host_input {
            uart.attach_host_input(host);
        }
        let standard: [(u32, Option<u32>, Box<dyn crate::device::Device>); 3] = [
            (UART_BASE, Some(IRQ_UART), Box::new(uart)),
            (TIMER_BASE, Some(IRQ_TIMER), Box::new(Timer::new())),
            (POWER_BASE, None, Box::new(Power::new())),
        ];
        for (base, irq, device) in standard {
            // The standard map is fixed and disjoint; a failure here is a bug in this file.
            bus.insert(base, irq, device).expect("standard device map overlaps");
        }
        for (port, mtu) in config.link_mtus.iter().enumerate().take(LINK_PORTS as usize) {
            let base = LINK_BASE + port as u32 * DEVICE_SIZE;
            // Ports sit in their own windows above the standard devices.
            bus.insert(base, Some(IRQ_LINK_BASE + port as u32), Box::new(LinkPort::new(*mtu)))
                .expect("link port windows overlap");
        }
        let has_disk = config.disk.is_some();
        let ports = config.link_mtus.len().min(LINK_PORTS as usize) as u32;
        if let Some(disk) = config.disk {
            // The block window sits between the standard devices and the link ports.
            bus.insert(BLOCK_BASE, Some(IRQ_BLOCK), Box::new(Block::new(disk)))
                .expect("block device window overlaps");
        }
        let code = CodeCache::new(bus.frames());
        let mut cpu = Cpu::new(config.node_id, BOOT_ROM_BASE, config.clock);
        cpu.ram_size = bus.ram_size();
        Machine {
            cpu,
            bus,
            symbols: Symbols::default(),
            profile: None,
            code,
            #[cfg(all(target_arch = "x86_64", unix))]
            jit: None,
            waiting: false,
            has_disk,
            asleep: None,
            ports,
            sent_unseen: true,
        }
    }

    /// Runs guest code with the JIT (`on`, where [`JIT_SUPPORTED`]) or the interpreter. The
    /// choice changes nothing the guest or an observer can see but speed. Returns whether the
    /// JIT is now in use.
    pub fn set_jit(&mut self, on: bool) -> bool {
        #[cfg(all(target_arch = "x86_64", unix))]
        {
            self.jit = on.then(|| Box::new(crate::jit::Jit::new()));
            on
        }
        #[cfg(not(all(target_arch = "x86_64", unix)))]
        {
            let _ = on;
            false
        }
    }

    /// Whether the JIT is in use.
    pub fn jit_enabled(&self) -> bool {
        #[cfg(all(target_arch = "x86_64", unix))]
        {
            self.jit.is_some()
        }
        #[cfg(not(all(target_arch = "x86_64", unix)))]
        {
            false
        }
    }

    /// The JIT's state, if it is in use (for tests that shrink its cache or make every block
    /// hot).
    #[cfg(all(target_arch = "x86_64", unix))]
    pub(crate) fn jit_mut(&mut self) -> Option<&mut crate::jit::Jit> {
        self.jit.as_deref_mut()
    }

    /// The JIT's counters, if it is in use: blocks entered, blocks translated, slices whose
    /// end the interpreter ran.
    pub fn jit_stats(&self) -> Option<(u64, u64, u64)> {
        #[cfg(all(target_arch = "x86_64", unix))]
        {
            self.jit.as_deref().map(|j| (j.blocks_run, j.cache.translated, j.handed_over))
        }
        #[cfg(not(all(target_arch = "x86_64", unix)))]
        {
            None
        }
    }

    /// Runs one slice of at most `budget` cycles with the chosen engine.
    fn slice(&mut self, budget: u64, trace: bool) -> Exit {
        if self.bus.has_stale_code() {
            // A device's DMA wrote over decoded code (the bus cleared the frames' marks).
            for frame in self.bus.take_stale_code() {
                self.code.drop_frame(frame);
            }
        }
        #[cfg(all(target_arch = "x86_64", unix))]
        if let Some(jit) = self.jit.as_deref_mut().filter(|_| !trace) {
            return crate::jit::run(&mut self.cpu, &mut self.bus, &mut self.code, jit, budget);
        }
        let _ = trace;
        exec::run(&mut self.cpu, &mut self.bus, &mut self.code, budget)
    }

    /// Loads an ox32 executable and prepares a direct boot: `pc` = its entry, `a0` = node
    /// index, `a1` = RAM size.
    pub fn boot_elf(&mut self, bytes: &[u8]) -> Result<(), LoadError> {
        let image = loader::load_elf(&mut self.bus, bytes)?;
        self.boot_image(image);
        Ok(())
    }

    /// [`Machine::boot_elf`] for an executable read by [`loader::read_executable`], whose
    /// symbols are read from its file when first asked for.
    pub fn boot_executable(&mut self, executable: &loader::Executable) -> Result<(), LoadError> {
        let image = loader::load_executable(&mut self.bus, executable)?;
        self.boot_image(image);
        Ok(())
    }

    /// Prepares a direct boot of `image`, loaded already.
    fn boot_image(&mut self, image: loader::Image) {
        self.prepare_boot(&image);
        self.symbols = image.symbols;
    }

    /// What every boot of a loaded image does: `pc` = its entry, `a0` = node index, `a1` = RAM
    /// size, no code decoded or translated from before.
    fn prepare_boot(&mut self, image: &loader::Image) {
        self.asleep = None;
        self.code.clear();
        for frame in 0..self.bus.frames() {
            self.bus.set_code(frame, false);
        }
        self.cpu.pc = image.entry;
        self.cpu.set_reg(Reg::A0, self.cpu.node_id);
        self.cpu.set_reg(Reg::A1, self.bus.ram_size());
    }

    /// Loads an ox32 executable to run as a user process with paging on (`orrery run --user`,
    /// [`crate::userboot`]): page tables and a small kernel at the top of RAM, which enters
    /// the program in user mode and answers its system calls. Registers start at 0.
    pub fn boot_elf_user(&mut self, bytes: &[u8]) -> Result<(), LoadError> {
        let image = loader::load_elf(&mut self.bus, bytes)?;
        self.boot_image_user(image)
    }

    /// [`Machine::boot_elf_user`] for an executable read by [`loader::read_executable`].
    pub fn boot_executable_user(&mut self, executable: &loader::Executable) -> Result<(), LoadError> {
        let image = loader::load_executable(&mut self.bus, executable)?;
        self.boot_image_user(image)
    }

    /// Prepares `image`, loaded already, to run as a user process.
    fn boot_image_user(&mut self, image: loader::Image) -> Result<(), LoadError> {
        self.prepare_boot(&image);
        self.cpu.pc = crate::userboot::prepare(&mut self.bus, &image)?;
        self.symbols = image.symbols;
        Ok(())
    }

    /// Writes bytes into RAM from outside the guest (a loader, the monitor), dropping any
    /// decoded instructions they replace.
    pub fn poke(&mut self, pa: u32, bytes: &[u8]) -> Result<(), BusFault> {
        self.bus.poke(pa, bytes)?;
        let last = pa.wrapping_add(bytes.len().saturating_sub(1) as u32);
        for page in (pa >> PAGE_SHIFT)..=(last >> PAGE_SHIFT) {
            if let Some(frame) = self.bus.frame_of(page << PAGE_SHIFT).filter(|f| self.bus.is_code(*f)) {
                self.code.drop_frame(frame);
                self.bus.set_code(frame, false);
            }
        }
        Ok(())
    }

    /// Loads a boot ROM image and resets the PC to the ROM's base (how a satellite starts).
    pub fn boot_rom(&mut self, bytes: &[u8]) -> Result<(), LoadError> {
        self.bus.load_rom(bytes).map_err(|e| LoadError(e.to_string()))?;
        self.asleep = None;
        self.code.clear();
        self.cpu.pc = BOOT_ROM_BASE;
        Ok(())
    }

    /// Link port `port`, if the node has it (to deliver a frame, or change its carrier: a
    /// sleeping CPU looks at its devices again).
    pub fn link_port(&mut self, port: u32) -> Option<&mut LinkPort> {
        self.asleep = None;
        self.port(port)
    }

    fn port(&mut self, port: u32) -> Option<&mut LinkPort> {
        self.bus.device_mut(LINK_BASE.checked_add(port.checked_mul(DEVICE_SIZE)?)?)?.as_link_port()
    }

    /// Takes the frames each link port sent since the last call, oldest first, with the
    /// port's number; ports that sent none are left out. Looks at no port when no slice ran
    /// since.
    pub fn take_sent(&mut self) -> Vec<(u32, Vec<Frame>)> {
        if !std::mem::take(&mut self.sent_unseen) {
            return Vec::new();
        }
        let mut sent = Vec::new();
        for port in 0..self.ports {
            let Some(frames) = self.port(port).map(LinkPort::take_sent).filter(|f| !f.is_empty()) else {
                continue;
            };
            // Room in the transmit queue may raise the port's line.
            self.asleep = None;
            sent.push((port, frames));
        }
        sent
    }

    /// The block device, if the node has a disk.
    pub fn block(&mut self) -> Option<&mut Block> {
        self.asleep = None;
        self.block_device()
    }

    fn block_device(&mut self) -> Option<&mut Block> {
        self.bus.device_mut(BLOCK_BASE)?.as_block()
    }

    /// Carries out the block device's pending DMA through the bus (RAM only).
    fn service_block(&mut self) {
        let Some(transfer) = self.block_device().and_then(Block::take_transfer) else { return };
        let moved = match transfer {
            Transfer::ToRam { addr, data } => self.poke(addr, &data).map(|()| None),
            Transfer::FromRam { addr, len } => {
                let mut data = vec![0; len];
                match self.bus.ram_offset(addr, len as u32) {
                    Some(_) => self.bus.peek(addr, &mut data).map(|()| Some(data)),
                    None => Err(BusFault),
                }
            }
        };
        let Some(block) = self.block_device() else { return };
        match moved {
            Ok(Some(data)) => block.finish_write(&data),
            Ok(None) => {}
            Err(BusFault) => block.fail_transfer(),
        }
    }

    /// Lets virtual time pass while the CPU waits for an interrupt, up to cycle `cycles`
    /// (a node idle until a frame arrives at the next quantum boundary).
    pub fn idle_until(&mut self, cycles: u64) {
        if self.waiting {
            self.cpu.cycles = self.cpu.cycles.max(cycles);
            if let Some(profile) = &mut self.profile {
                profile.waiting(self.cpu.cycles);
            }
        }
    }

    /// Lets virtual time pass up to cycle `cycles` with the CPU running nothing, as a machine
    /// that hangs (a frozen node: `System` and `Session::freeze`).
    pub fn hang_until(&mut self, cycles: u64) {
        self.cpu.cycles = self.cpu.cycles.max(cycles);
    }

    /// Whether the CPU is sleeping in `wait`.
    pub fn is_waiting(&self) -> bool {
        self.waiting
    }

    /// Runs until the CPU has counted `until` cycles, the guest powers off, or it waits for
    /// an interrupt that only the host or nothing can bring.
    pub fn run(&mut self, until: u64) -> RunState {
        let trace = log::log_enabled!(target: "orrery::insn", log::Level::Trace);
        if let Some(state) = self.sleep_on(until) {
            return state;
        }
        loop {
            if self.has_disk {
                self.service_block();
            }
            match self.bus.power_request() {
                // The power device's `RESET`: as a power-on, the links left as they are.
                Some(PowerRequest::Reset) => self.power_on(),
                Some(PowerRequest::Off(code)) => {
                    self.bus.poll_host();
                    return RunState::PoweredOff(code);
                }
                None => {}
            }
            self.bus.poll_host();
            let now = self.cpu.now();
            if let Some(line) = self.bus.pending_interrupt(now) {
                self.waiting = false;
                self.cpu.interrupt(line);
            }
            if self.cpu.cycles >= until {
                return RunState::Running;
            }
            let next_event = self.bus.next_event(now).map(|t| self.cpu.clock.cycles_until(t));
            if self.waiting {
                let host = self.bus.may_receive();
                match next_event {
                    Some(cycle) => {
                        self.asleep = (!host).then_some(Sleep::Until(cycle));
                        self.cpu.cycles = cycle.min(until);
                    }
                    None if host => return RunState::Idle,
                    None => {
                        self.asleep = Some(Sleep::Forever);
                        return RunState::Stuck;
                    }
                }
                if let Some(profile) = &mut self.profile {
                    profile.waiting(self.cpu.cycles);
                }
                continue;
            }
            let limit = next_event.unwrap_or(u64::MAX).min(until);
            let mut budget = if trace { 1 } else { (limit - self.cpu.cycles).clamp(1, MAX_SLICE) };
            if let Some(profile) = &self.profile {
                budget = budget.min(profile.budget(self.cpu.cycles));
            }
            if trace {
                self.trace_instruction();
            }
            self.asleep = None;
            self.sent_unseen = true;
            if self.slice(budget, trace) == Exit::Wait {
                self.waiting = self.bus.pending_interrupt(self.cpu.now()).is_none();
            }
            if let Some(profile) = &mut self.profile {
                profile.running(self.cpu.cycles, self.cpu.pc, self.cpu.reg(Reg::RA), self.cpu.kernel());
            }
        }
    }

    /// What `run` does for a CPU that sleeps with nothing new to wake it before `until`: the
    /// same as its loop, without asking every device again. `None` when the loop must look.
    fn sleep_on(&mut self, until: u64) -> Option<RunState> {
        let sleep = self.asleep.filter(|_| self.waiting)?;
        if self.cpu.cycles >= until {
            return Some(RunState::Running);
        }
        match sleep {
            Sleep::Forever => Some(RunState::Stuck),
            Sleep::Until(wake) if wake > until => {
                self.cpu.cycles = until;
                if let Some(profile) = &mut self.profile {
                    profile.waiting(self.cpu.cycles);
                }
                Some(RunState::Running)
            }
            Sleep::Until(_) => None,
        }
    }

    /// Powers the node off from outside, as pulling its plug would (the power device's `EXIT`
    /// written with `code`): it stops at once, and the far ends of its links see them go down.
    pub fn pull_plug(&mut self, code: u32) {
        self.asleep = None;
        let now = self.cpu.now();
        // The power device always takes the write.
        let _ = self.bus.write(ox32::memmap::POWER_BASE, 4, code, now);
    }

    /// Powers the node on again after it powered off: RAM cleared, devices and CPU reset, and
    /// the CPU at the boot ROM, as at the start; its clock goes on from where it is (virtual
    /// time does not go back). A node booted from an image rather than a ROM starts at the ROM
    /// base all the same, and finds no ROM there.
    pub fn power_on(&mut self) {
        self.bus.reset();
        self.code.clear();
        #[cfg(all(target_arch = "x86_64", unix))]
        if self.jit.is_some() {
            self.jit = Some(Box::new(crate::jit::Jit::new()));
        }
        let mut cpu = Cpu::new(self.cpu.node_id, BOOT_ROM_BASE, self.cpu.clock);
        (cpu.ram_size, cpu.cycles, cpu.instret) = (self.bus.ram_size(), self.cpu.cycles, self.cpu.instret);
        self.cpu = cpu;
        self.waiting = false;
        self.asleep = None;
    }

    /// Queues `bytes` on the console as if they had just been received (scripted input given
    /// while the node runs: deterministic when given at the same virtual time).
    pub fn type_input(&mut self, bytes: &[u8]) {
        self.asleep = None;
        self.bus.queue_input(bytes);
    }

    /// Says that the console input ends after the bytes queued so far (scripted input, as
    /// `--input` gives it): once the guest has read them, the UART reports the end.
    pub fn end_input(&mut self) {
        self.asleep = None;
        self.bus.end_input();
    }

    /// Blocks until host input arrives or ends; returns false when none ever can.
    pub fn wait_host(&mut self) -> bool {
        self.asleep = None;
        self.bus.wait_host()
    }

    /// Executes exactly one instruction (or takes one trap), delivering a pending interrupt
    /// first. Returns what the CPU did, for the monitor.
    pub fn step(&mut self) -> RunState {
        let until = self.cpu.cycles + 1;
        self.run(until)
    }

    fn trace_instruction(&mut self) {
        let pc = self.cpu.pc;
        let word = self.cpu.translate(&mut self.bus, pc, Access::Fetch).ok().and_then(|pa| {
            let mut bytes = [0; 4];
            self.bus.peek(pa, &mut bytes).ok().map(|_| u32::from_le_bytes(bytes))
        });
        let symbols = &self.symbols;
        let text = match word.map(|w| (w, ox32::decode(w))) {
            Some((w, Ok(inst))) => {
                format!("{w:08x}  {}", ox32::disassemble(&inst, pc, &|a| symbols.describe(a)))
            }
            Some((w, Err(e))) => format!("{w:08x}  <illegal: {e}>"),
            None => "<no instruction>".to_string(),
        };
        let at = symbols.describe(pc).map(|s| format!(" <{s}>")).unwrap_or_default();
        log::trace!(target: "orrery::insn", "node {} {pc:08x}{at}: {text}", self.cpu.node_id);
    }
}
