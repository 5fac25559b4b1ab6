//! The physical address space of one node: RAM, boot ROM and devices, routed by half-open
//! ranges.
//!
//! The bus refuses overlapping windows when devices are inserted, and turns every access that
//! hits nothing, writes ROM, or reaches a device with anything but an aligned 32-bit access into
//! a [`BusFault`], which the CPU raises as an access fault. RAM is one host allocation made with
//! `calloc` semantics (`vec![0; n]`), so the host only backs the pages a guest touches.
//!
//! The bus also keeps one bit per fetchable frame (RAM and ROM pages) saying whether the CPU
//! holds decoded instructions for it; stores into such a frame must drop the decoded copy.

use ox32::memmap::{BOOT_ROM_BASE, BOOT_ROM_SIZE, DEVICE_SIZE, INTC_BASE, RAM_BASE, RAM_MAX};
use ox32::pte::PAGE_SHIFT;

use crate::device::{Device, Dma};
use crate::devices::intc::Intc;
use crate::time::Time;

/// What the guest asked of a node's power ([`Bus::power_request`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerRequest {
    /// Start over in the boot ROM (the power device's `RESET`).
    Reset,
    /// Power off with this exit code.
    Off(u32),
}

/// An access the bus cannot complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusFault;

/// Why a device window could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapError(pub String);

impl std::fmt::Display for MapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MapError {}

/// What a write reached, for the CPU to know whether it may carry on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// RAM holding no decoded code.
    Ram,
    /// RAM in this fetchable frame, which holds decoded code.
    Code(usize),
    /// A device or interrupt controller register: interrupt state may have changed.
    Register,
    /// A device's data buffer ([`Device::write_is_inert`]): nothing the run loop looks at
    /// changed.
    Buffer,
}

/// A device attached at `base..base + DEVICE_SIZE`.
struct Mapped {
    base: u32,
    irq: Option<u32>,
    device: Box<dyn Device>,
}

/// One node's physical address space.
pub struct Bus {
    /// RAM contents; RAM starts at [`RAM_BASE`]. Read through [`Bus::ram`], written through
    /// the methods here or [`Bus::ram_mut`].
    ram: Vec<u8>,
    /// Whether RAM has been written only through this bus's own methods, which mark the pages
    /// they write in `written`: then every other page is still zero. Cleared by
    /// [`Bus::ram_mut`] (the CPU's and the JIT's direct stores).
    fresh: bool,
    /// Per RAM page, while `fresh`: written through `poke`, `write` or `set_ram_word`.
    written: Vec<bool>,
    /// Boot ROM contents; always [`BOOT_ROM_SIZE`] bytes.
    rom: Vec<u8>,
    devices: Vec<Mapped>,
    /// The index in `devices` of the window the last device access hit: a kernel moves a
    /// frame through one port's buffer a word at a time.
    last_device: usize,
    intc: Intc,
    /// Per fetchable frame (RAM frames, then ROM frames): decoded code exists for it.
    code_frames: Vec<bool>,
    /// Frames that held decoded code until a device's DMA wrote them ([`Bus::take_stale_code`]).
    stale_code: Vec<usize>,
}

impl Bus {
    /// A bus with `ram_size` bytes of zeroed RAM (rounded up to whole pages, at most
    /// [`RAM_MAX`]), an empty boot ROM and no devices.
    pub fn new(ram_size: u32) -> Bus {
        let ram_size = ram_size.min(RAM_MAX).next_multiple_of(1 << PAGE_SHIFT);
        let frames = (ram_size + BOOT_ROM_SIZE) >> PAGE_SHIFT;
        Bus {
            ram: vec![0; ram_size as usize],
            fresh: true,
            written: vec![false; (ram_size >> PAGE_SHIFT) as usize],
            rom: vec![0; BOOT_ROM_SIZE as usize],
            devices: Vec::new(),
            last_device: 0,
            intc: Intc::default(),
            code_frames: vec![false; frames as usize],
            stale_code: Vec::new(),
        }
    }

    /// RAM's contents.
    #[inline(always)]
    pub fn ram(&self) -> &[u8] {
        &self.ram
    }

    /// RAM's contents, for a direct store (the CPU's fast path, translated code).
    #[inline(always)]
    pub fn ram_mut(&mut self) -> &mut [u8] {
        self.fresh = false;
        &mut self.ram
    }

    /// Notes that RAM bytes `off..off + len` were written (while the bus is fresh).
    #[inline(always)]
    fn mark_written(&mut self, off: usize, len: usize) {
        if self.fresh && len > 0 {
            let pages = off >> PAGE_SHIFT..=(off + len - 1) >> PAGE_SHIFT;
            self.written[pages].iter_mut().for_each(|w| *w = true);
        }
    }

    /// The boot ROM's contents ([`BOOT_ROM_SIZE`] bytes).
    pub fn rom(&self) -> &[u8] {
        &self.rom
    }

    /// RAM size in bytes.
    pub fn ram_size(&self) -> u32 {
        self.ram.len() as u32
    }

    /// Attaches `device` at `base` (a window of [`DEVICE_SIZE`] bytes) on interrupt line `irq`.
    pub fn insert(&mut self, base: u32, irq: Option<u32>, device: Box<dyn Device>) -> Result<(), MapError> {
        let end = base as u64 + DEVICE_SIZE as u64;
        let overlaps = |start: u64, stop: u64| (base as u64) < stop && start < end;
        let ram = (RAM_BASE as u64, RAM_BASE as u64 + self.ram.len() as u64);
        let rom = (BOOT_ROM_BASE as u64, BOOT_ROM_BASE as u64 + BOOT_ROM_SIZE as u64);
        let intc = (INTC_BASE as u64, INTC_BASE as u64 + DEVICE_SIZE as u64);
        if !base.is_multiple_of(DEVICE_SIZE) || end > 1 << 32 {
            return Err(MapError(format!("{} window at {base:#x} is not page-aligned", device.name())));
        }
        for (start, stop, what) in
            [(ram.0, ram.1, "RAM"), (rom.0, rom.1, "boot ROM"), (intc.0, intc.1, "intc")]
        {
            if overlaps(start, stop) {
                return Err(MapError(format!("{} at {base:#x} overlaps {what}", device.name())));
            }
        }
        if let Some(other) = self.devices.iter().find(|m| m.base == base) {
            return Err(MapError(format!("{} at {base:#x} overlaps {}", device.name(), other.device.name())));
        }
        if let Some(line) = irq {
            if line >= ox32::memmap::IRQ_LINES || self.devices.iter().any(|m| m.irq == Some(line)) {
                return Err(MapError(format!("interrupt line {line} is invalid or taken")));
            }
        }
        self.devices.push(Mapped { base, irq, device });
        self.devices.sort_by_key(|m| m.base);
        Ok(())
    }

    /// The device attached at `base`, if any.
    pub fn device_mut(&mut self, base: u32) -> Option<&mut (dyn Device + 'static)> {
        // The windows are kept sorted by base.
        let index = self.devices.binary_search_by_key(&base, |m| m.base).ok()?;
        Some(self.devices[index].device.as_mut())
    }

    /// Every attached device with its base and line.
    pub fn devices(&self) -> impl Iterator<Item = (u32, Option<u32>, &dyn Device)> {
        self.devices.iter().map(|m| (m.base, m.irq, m.device.as_ref()))
    }

    /// Loads `bytes` into the boot ROM (from its start).
    pub fn load_rom(&mut self, bytes: &[u8]) -> Result<(), MapError> {
        if bytes.len() > self.rom.len() {
            return Err(MapError(format!(
                "boot ROM image is {} bytes; the ROM holds {}",
                bytes.len(),
                BOOT_ROM_SIZE
            )));
        }
        self.rom[..bytes.len()].copy_from_slice(bytes);
        self.drop_all_code();
        Ok(())
    }

    /// The offset into RAM of the `len` bytes at physical `pa`, if they are all RAM.
    #[inline(always)]
    pub fn ram_offset(&self, pa: u32, len: u32) -> Option<usize> {
        let off = pa.wrapping_sub(RAM_BASE) as usize;
        (off + len as usize <= self.ram.len() && pa >= RAM_BASE).then_some(off)
    }

    /// The fetchable frame (index into the code map) holding physical `pa`, if it is RAM or ROM.
    pub fn frame_of(&self, pa: u32) -> Option<usize> {
        if let Some(off) = self.ram_offset(pa, 1) {
            Some(off >> PAGE_SHIFT)
        } else if (BOOT_ROM_BASE..BOOT_ROM_BASE + BOOT_ROM_SIZE).contains(&pa) {
            Some((self.ram.len() + (pa - BOOT_ROM_BASE) as usize) >> PAGE_SHIFT)
        } else {
            None
        }
    }

    /// Number of fetchable frames.
    pub fn frames(&self) -> usize {
        self.code_frames.len()
    }

    /// The instruction word at index `idx` (0..1024) of fetchable frame `frame`.
    #[inline]
    pub fn fetch_word(&self, frame: usize, idx: usize) -> u32 {
        let off = (frame << PAGE_SHIFT) + idx * 4;
        let bytes = if off < self.ram.len() {
            &self.ram[off..off + 4]
        } else {
            let off = off - self.ram.len();
            &self.rom[off..off + 4]
        };
        u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }

    /// Whether decoded code exists for RAM frame `frame`.
    #[inline(always)]
    pub fn is_code(&self, frame: usize) -> bool {
        self.code_frames[frame]
    }

    /// The code map, one `bool` per fetchable frame, for translated code's inline store check.
    pub(crate) fn code_map(&self) -> *const bool {
        self.code_frames.as_ptr()
    }

    /// Records that decoded code exists (or no longer exists) for `frame`.
    pub fn set_code(&mut self, frame: usize, code: bool) {
        self.code_frames[frame] = code;
    }

    fn drop_all_code(&mut self) {
        self.code_frames.iter_mut().for_each(|c| *c = false);
    }

    /// The interrupt lines asserted at `now`.
    pub fn pending_lines(&self, now: Time) -> u32 {
        self.devices
            .iter()
            .filter_map(|m| m.irq.filter(|_| m.device.irq(now)))
            .fold(0, |lines, line| lines | 1 << line)
    }

    /// The lowest line that is pending and enabled at `now`.
    pub fn pending_interrupt(&self, now: Time) -> Option<u32> {
        self.intc.claim(self.pending_lines(now))
    }

    /// The earliest time after `now` at which some device's line may change by itself.
    pub fn next_event(&self, now: Time) -> Option<Time> {
        self.devices.iter().filter_map(|m| m.device.next_event(now)).min()
    }

    /// Moves host input into devices; returns whether anything arrived.
    pub fn poll_host(&mut self) -> bool {
        self.devices.iter_mut().fold(false, |any, m| m.device.poll_host() | any)
    }

    /// Whether some device may still receive host input.
    pub fn may_receive(&self) -> bool {
        self.devices.iter().any(|m| m.device.may_receive())
    }

    /// Blocks until some device receives host input; returns false when no device can.
    pub fn wait_host(&mut self) -> bool {
        match self.devices.iter_mut().find(|m| m.device.may_receive()) {
            Some(m) => m.device.wait_host(),
            None => false,
        }
    }

    /// Queues scripted console input, as if received.
    pub fn queue_input(&mut self, bytes: &[u8]) {
        self.devices.iter_mut().for_each(|m| m.device.queue_input(bytes));
    }

    /// Returns RAM (all zero again, backed by the host only as it is touched), the decoded
    /// code, the interrupt controller and every device to their reset state; the boot ROM
    /// stays.
    pub fn reset(&mut self) {
        self.ram = vec![0; self.ram.len()];
        self.fresh = true;
        self.written.iter_mut().for_each(|w| *w = false);
        self.code_frames.iter_mut().for_each(|c| *c = false);
        self.intc = Intc::default();
        self.devices.iter_mut().for_each(|m| m.device.reset());
    }

    /// Says that no host input will come past what devices were given so far.
    pub fn end_input(&mut self) {
        self.devices.iter_mut().for_each(|m| m.device.end_input());
    }

    /// The exit code if some device has powered the node off.
    pub fn power_off(&self) -> Option<u32> {
        self.devices.iter().find_map(|m| m.device.power_off())
    }

    /// What some device has asked of the node's power, a reset before a power-off: one look
    /// at the devices, for the run loop.
    pub fn power_request(&self) -> Option<PowerRequest> {
        self.devices.iter().find_map(|m| {
            let reset = m.device.reset_requested().then_some(PowerRequest::Reset);
            reset.or_else(|| m.device.power_off().map(PowerRequest::Off))
        })
    }

    fn device_at(&mut self, pa: u32, size: u32) -> Result<(&mut Mapped, u32), BusFault> {
        let last =
            self.devices.get(self.last_device).filter(|m| (m.base..m.base + DEVICE_SIZE).contains(&pa));
        let index = match last {
            Some(_) => self.last_device,
            None => self.devices.partition_point(|m| m.base <= pa).checked_sub(1).ok_or(BusFault)?,
        };
        self.last_device = index;
        let mapped = &mut self.devices[index];
        let offset = pa - mapped.base;
        if offset >= DEVICE_SIZE || size != 4 || !pa.is_multiple_of(4) {
            return Err(BusFault);
        }
        Ok((mapped, offset))
    }

    fn in_intc(pa: u32, size: u32) -> Result<Option<u32>, BusFault> {
        if !(INTC_BASE..INTC_BASE + DEVICE_SIZE).contains(&pa) {
            return Ok(None);
        }
        if size != 4 || !pa.is_multiple_of(4) {
            return Err(BusFault);
        }
        Ok(Some(pa - INTC_BASE))
    }

    /// Reads `size` (1, 2 or 4) bytes at `pa`, zero-extended. Alignment is the CPU's concern.
    pub fn read(&mut self, pa: u32, size: u32, now: Time) -> Result<u32, BusFault> {
        if let Some(off) = self.ram_offset(pa, size) {
            return Ok(read_le(&self.ram[off..], size));
        }
        if pa >= BOOT_ROM_BASE && pa as u64 + size as u64 <= (BOOT_ROM_BASE + BOOT_ROM_SIZE) as u64 {
            return Ok(read_le(&self.rom[(pa - BOOT_ROM_BASE) as usize..], size));
        }
        if let Some(offset) = Bus::in_intc(pa, size)? {
            let pending = self.pending_lines(now);
            return self.intc.read(offset, pending).map_err(|_| BusFault);
        }
        let (mapped, offset) = self.device_at(pa, size)?;
        mapped.device.read(offset, now).map_err(|_| BusFault)
    }

    /// Writes the low `size` (1, 2 or 4) bytes of `value` at `pa`. Returns what it reached: a
    /// frame holding decoded code (the caller drops that code), or a register whose write may
    /// change interrupt state.
    pub fn write(&mut self, pa: u32, size: u32, value: u32, now: Time) -> Result<Written, BusFault> {
        if let Some(off) = self.ram_offset(pa, size) {
            write_le(&mut self.ram[off..], size, value);
            self.mark_written(off, size as usize);
            let frame = off >> PAGE_SHIFT;
            return Ok(if self.code_frames[frame] { Written::Code(frame) } else { Written::Ram });
        }
        if let Some(offset) = Bus::in_intc(pa, size)? {
            return self.intc.write(offset, value).map(|_| Written::Register).map_err(|_| BusFault);
        }
        let (mapped, offset) = self.device_at(pa, size)?;
        let inert = mapped.device.write_is_inert(offset);
        mapped.device.write(offset, value, now).map_err(|_| BusFault)?;
        if let Some(dma) = mapped.device.take_dma() {
            self.dma(dma)?;
        }
        Ok(if inert { Written::Buffer } else { Written::Register })
    }

    /// Carries out the copy the device written last asked for ([`Device::take_dma`]); a fault
    /// if the bytes are not all RAM. RAM written so that held decoded code is remembered for
    /// [`Bus::take_stale_code`] (such a write is never inert: the CPU stops after it).
    fn dma(&mut self, dma: Dma) -> Result<(), BusFault> {
        let (Dma::ToRam { addr, len } | Dma::FromRam { addr, len }) = dma;
        let off = self.ram_offset(addr, u32::try_from(len).map_err(|_| BusFault)?).ok_or(BusFault)?;
        let device = &mut self.devices[self.last_device].device;
        let ram = &mut self.ram[off..off + len];
        match dma {
            Dma::FromRam { .. } => device.dma_from_ram(ram),
            Dma::ToRam { .. } => {
                device.dma_to_ram(ram);
                self.mark_written(off, len);
                if len > 0 {
                    for frame in off >> PAGE_SHIFT..=(off + len - 1) >> PAGE_SHIFT {
                        if std::mem::take(&mut self.code_frames[frame]) {
                            self.stale_code.push(frame);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The frames holding decoded code that a device's DMA has written since the last call:
    /// the machine drops their code before the CPU runs again.
    pub fn take_stale_code(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.stale_code)
    }

    /// Whether [`Bus::take_stale_code`] has frames to give.
    pub fn has_stale_code(&self) -> bool {
        !self.stale_code.is_empty()
    }

    /// Copies physical memory (RAM or ROM only, no devices) into `buf`, for loaders and the
    /// monitor. Fails if any byte is outside RAM and ROM.
    pub fn peek(&self, pa: u32, buf: &mut [u8]) -> Result<(), BusFault> {
        if let Some(off) = self.ram_offset(pa, buf.len() as u32) {
            buf.copy_from_slice(&self.ram[off..off + buf.len()]);
            return Ok(());
        }
        let off = pa.checked_sub(BOOT_ROM_BASE).ok_or(BusFault)? as usize;
        let bytes = self.rom.get(off..off + buf.len()).ok_or(BusFault)?;
        buf.copy_from_slice(bytes);
        Ok(())
    }

    /// Writes bytes into RAM (not ROM, not devices), dropping decoded code they cover.
    pub fn poke(&mut self, pa: u32, bytes: &[u8]) -> Result<(), BusFault> {
        let off = self.ram_offset(pa, bytes.len() as u32).ok_or(BusFault)?;
        self.ram[off..off + bytes.len()].copy_from_slice(bytes);
        self.mark_written(off, bytes.len());
        Ok(())
    }

    /// Zeroes `len` bytes of RAM at `pa` (not ROM, not devices), writing only the pages that
    /// are not zero already, and not even reading those a fresh bus never wrote (so fresh RAM
    /// stays untouched: the host does not map it).
    pub fn zero(&mut self, pa: u32, len: u32) -> Result<(), BusFault> {
        const ZEROS: [u8; 1 << PAGE_SHIFT] = [0; 1 << PAGE_SHIFT];
        let off = self.ram_offset(pa, len).ok_or(BusFault)?;
        let mut at = off;
        while at < off + len as usize {
            let end = (at | ((1 << PAGE_SHIFT) - 1)).min(off + len as usize - 1) + 1;
            let untouched = self.fresh && !self.written[at >> PAGE_SHIFT];
            let chunk = &mut self.ram[at..end];
            if !untouched && *chunk != ZEROS[..chunk.len()] {
                chunk.fill(0);
            }
            at = end;
        }
        Ok(())
    }

    /// Reads a word of RAM for the page walker; `None` if `pa` is not word-aligned RAM.
    #[inline(always)]
    pub fn ram_word(&self, pa: u32) -> Option<u32> {
        let off = self.ram_offset(pa, 4).filter(|_| pa.is_multiple_of(4))?;
        Some(read_le(&self.ram[off..], 4))
    }

    /// Writes a word of RAM for the page walker (setting accessed and dirty bits).
    pub fn set_ram_word(&mut self, pa: u32, value: u32) {
        if let Some(off) = self.ram_offset(pa, 4) {
            write_le(&mut self.ram[off..], 4, value);
            self.mark_written(off, 4);
        }
    }
}

/// Reads `size` little-endian bytes from the front of `bytes`.
#[inline(always)]
pub fn read_le(bytes: &[u8], size: u32) -> u32 {
    match size {
        1 => bytes[0] as u32,
        2 => u16::from_le_bytes([bytes[0], bytes[1]]) as u32,
        _ => u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
    }
}

/// Writes the low `size` bytes of `value`, little-endian, to the front of `bytes`.
#[inline(always)]
pub fn write_le(bytes: &mut [u8], size: u32, value: u32) {
    match size {
        1 => bytes[0] = value as u8,
        2 => bytes[..2].copy_from_slice(&(value as u16).to_le_bytes()),
        _ => bytes[..4].copy_from_slice(&value.to_le_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::link::LinkPort;
    use crate::devices::power::Power;
    use crate::devices::timer::Timer;
    use ox32::memmap::{LINK_BASE, POWER_BASE, TIMER_BASE};

    #[test]
    fn routes_ram_rom_and_devices() {
        let mut bus = Bus::new(0x10000);
        bus.insert(TIMER_BASE, Some(0), Box::new(Timer::new())).unwrap();
        bus.write(RAM_BASE + 8, 4, 0xdead_beef, 0).unwrap();
        assert_eq!(bus.read(RAM_BASE + 8, 4, 0), Ok(0xdead_beef));
        assert_eq!(bus.read(RAM_BASE + 9, 2, 0), Ok(0xadbe));
        assert_eq!(bus.read(RAM_BASE + 0x10000, 1, 0), Err(BusFault), "past the end of RAM");
        assert_eq!(bus.read(RAM_BASE + 0xfffe, 4, 0), Err(BusFault), "straddles the end of RAM");
        assert_eq!(bus.read(0, 4, 0), Err(BusFault), "nothing at 0");
        bus.load_rom(&[1, 2, 3, 4]).unwrap();
        assert_eq!(bus.read(BOOT_ROM_BASE, 4, 0), Ok(0x0403_0201));
        assert_eq!(bus.write(BOOT_ROM_BASE, 4, 0, 0), Err(BusFault), "ROM is read-only");
        assert_eq!(bus.read(TIMER_BASE, 4, 77), Ok(77));
        assert_eq!(bus.read(TIMER_BASE, 1, 77), Err(BusFault), "devices take words only");
        assert_eq!(bus.read(TIMER_BASE + 0x100, 4, 0), Err(BusFault), "no such register");
        assert_eq!(bus.read(POWER_BASE, 4, 0), Err(BusFault), "nothing mapped there");
    }

    #[test]
    fn zero_clears_only_what_is_asked() {
        let mut bus = Bus::new(0x10000);
        for pa in [RAM_BASE, RAM_BASE + 0x1ffc, RAM_BASE + 0x3000] {
            bus.write(pa, 4, 0xffff_ffff, 0).unwrap();
        }
        bus.zero(RAM_BASE + 4, 0x2ffc).unwrap();
        assert_eq!(bus.read(RAM_BASE, 4, 0), Ok(0xffff_ffff), "before the range");
        assert_eq!(bus.read(RAM_BASE + 0x1ffc, 4, 0), Ok(0), "inside it");
        assert_eq!(bus.read(RAM_BASE + 0x3000, 4, 0), Ok(0xffff_ffff), "after it");
        assert_eq!(bus.zero(RAM_BASE + 0xfffc, 8), Err(BusFault), "past the end of RAM");
    }

    #[test]
    fn a_write_says_what_it_reached() {
        let mut bus = Bus::new(0x10000);
        bus.insert(LINK_BASE, Some(8), Box::new(LinkPort::new(64))).unwrap();
        assert_eq!(bus.write(RAM_BASE, 4, 1, 0), Ok(Written::Ram));
        bus.set_code(0, true);
        assert_eq!(bus.write(RAM_BASE + 4, 2, 1, 0), Ok(Written::Code(0)));
        assert_eq!(bus.write(LINK_BASE + 0x400, 4, 1, 0), Ok(Written::Buffer), "a transmit buffer");
        assert_eq!(bus.write(LINK_BASE + 0x004, 4, 1, 0), Ok(Written::Register), "CTRL");
        assert_eq!(bus.write(INTC_BASE + 4, 4, 1, 0), Ok(Written::Register), "the interrupt controller");
    }

    #[test]
    fn a_link_port_moves_frames_to_and_from_ram_by_dma() {
        let mut bus = Bus::new(0x10000);
        bus.insert(LINK_BASE, Some(8), Box::new(LinkPort::new(64))).unwrap();
        let reg = |offset: u32| LINK_BASE + offset;
        bus.poke(RAM_BASE + 0x100, b"a frame from RAM").unwrap();
        assert_eq!(bus.read(reg(0x02c), 4, 0).map(|f| f & 2), Ok(2), "FEATURES says DMA");
        assert_eq!(bus.write(reg(0x034), 4, RAM_BASE + 0x100, 0), Ok(Written::Buffer), "TX_ADDR");
        assert_eq!(bus.write(reg(0x038), 4, 16, 0), Ok(Written::Buffer), "TX_LOAD");
        assert_eq!(bus.read(reg(0x400), 4, 0), Ok(u32::from_le_bytes(*b"a fr")), "in the buffer");
        bus.write(reg(0x00c), 4, 16, 0).unwrap();
        fn port(bus: &mut Bus) -> &mut LinkPort {
            bus.device_mut(LINK_BASE).and_then(|d| d.as_link_port()).unwrap()
        }
        assert_eq!(port(&mut bus).take_sent().remove(0).data, b"a frame from RAM");

        port(&mut bus).deliver(b"arrived!".to_vec());
        bus.write(reg(0x03c), 4, RAM_BASE + 0xffe, 0).unwrap();
        bus.set_code(0, true);
        bus.set_code(1, true);
        assert_eq!(bus.write(reg(0x040), 4, 64, 0), Ok(Written::Register), "RX_STORE: the frame's 8 bytes");
        let mut got = [0; 10];
        bus.peek(RAM_BASE + 0xffe, &mut got).unwrap();
        assert_eq!(&got, b"arrived!\0\0");
        assert_eq!(bus.take_stale_code(), vec![0, 1], "both frames it wrote held code");
        assert!(!bus.is_code(0) && !bus.is_code(1) && !bus.has_stale_code());
        assert_eq!(bus.read(reg(0x010), 4, 0), Ok(8), "RX_STORE does not pop");

        bus.write(reg(0x03c), 4, RAM_BASE + 0xfffc, 0).unwrap();
        assert_eq!(bus.write(reg(0x040), 4, 8, 0), Err(BusFault), "past the end of RAM");
        bus.write(reg(0x034), 4, LINK_BASE, 0).unwrap();
        assert_eq!(bus.write(reg(0x038), 4, 4, 0), Err(BusFault), "not RAM");
        bus.write(reg(0x034), 4, RAM_BASE, 0).unwrap();
        assert_eq!(bus.write(reg(0x038), 4, 0, 0), Err(BusFault), "no bytes");
        assert_eq!(bus.write(reg(0x038), 4, 68, 0), Err(BusFault), "over the MTU");
        assert_eq!(bus.read(reg(0x400), 4, 0), Ok(u32::from_le_bytes(*b"a fr")), "nothing copied");
        bus.write(reg(0x014), 4, 1, 0).unwrap();
        bus.write(reg(0x03c), 4, RAM_BASE, 0).unwrap();
        assert_eq!(bus.write(reg(0x040), 4, 4, 0), Ok(Written::Register), "no frame: nothing to copy");
        assert_eq!(bus.read(RAM_BASE, 4, 0), Ok(0));
    }

    #[test]
    fn rx_store_skips_headers_and_keeps_the_crc_of_what_it_copied() {
        let mut bus = Bus::new(0x10000);
        bus.insert(LINK_BASE, Some(8), Box::new(LinkPort::new(64))).unwrap();
        let reg = |offset: u32| LINK_BASE + offset;
        let port = bus.device_mut(LINK_BASE).and_then(|d| d.as_link_port()).unwrap();
        port.deliver(b"headers!first part".to_vec());
        port.deliver(b"headers!second".to_vec());
        bus.write(reg(0x044), 4, 8, 0).unwrap();
        assert_eq!(bus.read(reg(0x048), 4, 0), Ok(0), "RX_CRC: the CRC of nothing");
        bus.write(reg(0x03c), 4, RAM_BASE, 0).unwrap();
        bus.write(reg(0x040), 4, 64, 0).unwrap();
        bus.write(reg(0x014), 4, 1, 0).unwrap();
        bus.write(reg(0x03c), 4, RAM_BASE + 10, 0).unwrap();
        bus.write(reg(0x040), 4, 4, 0).unwrap();
        let mut got = [0; 16];
        bus.peek(RAM_BASE, &mut got).unwrap();
        assert_eq!(&got, b"first partseco\0\0", "each frame's bytes past the skip, cut to N");
        let crc = ox_link::crc::crc32_update(0, b"first partseco");
        assert_eq!(bus.read(reg(0x048), 4, 0), Ok(crc), "the CRC of the bytes copied, in order");
        bus.write(reg(0x044), 4, 40, 0).unwrap();
        bus.write(reg(0x03c), 4, RAM_BASE + 0x100, 0).unwrap();
        bus.write(reg(0x040), 4, 4, 0).unwrap();
        assert_eq!(bus.read(RAM_BASE + 0x100, 4, 0), Ok(0), "a skip past the frame copies nothing");
        assert_eq!(bus.read(reg(0x048), 4, 0), Ok(crc), "and takes nothing into the CRC");
        bus.write(reg(0x048), 4, 0, 0).unwrap();
        assert_eq!(bus.read(reg(0x048), 4, 0), Ok(0));
    }

    #[test]
    fn zero_clears_what_every_path_wrote() {
        let mut bus = Bus::new(0x10000);
        bus.poke(RAM_BASE + 0xffe, &[1, 2, 3, 4]).unwrap();
        bus.set_ram_word(RAM_BASE + 0x2000, 5);
        bus.zero(RAM_BASE, 0x3000).unwrap();
        assert_eq!((bus.read(RAM_BASE + 0xffe, 4, 0), bus.read(RAM_BASE + 0x2000, 4, 0)), (Ok(0), Ok(0)));
        bus.ram_mut()[0x5000] = 6;
        bus.zero(RAM_BASE + 0x4000, 0x2000).unwrap();
        assert_eq!(bus.ram()[0x5000], 0, "a direct store is seen too");
    }

    #[test]
    fn refuses_overlaps() {
        let mut bus = Bus::new(0x10000);
        bus.insert(POWER_BASE, None, Box::new(Power::new())).unwrap();
        assert!(bus.insert(POWER_BASE, None, Box::new(Power::new())).is_err());
        assert!(bus.insert(RAM_BASE, None, Box::new(Power::new())).is_err());
        assert!(bus.insert(INTC_BASE, None, Box::new(Power::new())).is_err());
        assert!(bus.insert(POWER_BASE + 4, None, Box::new(Power::new())).is_err());
        assert!(bus.insert(TIMER_BASE, Some(40), Box::new(Timer::new())).is_err());
    }

    #[test]
    fn interrupt_lines_go_through_the_controller() {
        let mut bus = Bus::new(0x10000);
        bus.insert(TIMER_BASE, Some(3), Box::new(Timer::new())).unwrap();
        bus.write(TIMER_BASE + 0x08, 4, 100, 0).unwrap();
        bus.write(TIMER_BASE + 0x0c, 4, 0, 0).unwrap();
        bus.write(TIMER_BASE + 0x10, 4, 1, 0).unwrap();
        assert_eq!(bus.pending_lines(100), 1 << 3);
        assert_eq!(bus.pending_interrupt(100), None, "not enabled");
        bus.write(INTC_BASE + 4, 4, 1 << 3, 0).unwrap();
        assert_eq!(bus.pending_interrupt(100), Some(3));
        assert_eq!(bus.read(INTC_BASE + 8, 4, 100), Ok(3));
        assert_eq!(bus.next_event(0), Some(100));
    }
}
