//! The block device driver (docs/devices.md, "Block device"): whole file-system blocks in and
//! out of the disk by DMA, for [`ox_fs`] through its [`BlockDevice`] trait.
//!
//! One file-system block is [`SECTORS_PER_BLOCK`] 512-byte sectors, moved by one command
//! straight between the disk and the caller's buffer (kernel memory: RAM is identity-mapped, so
//! its address is the physical address the device wants). The device is present only on a
//! node with a disk; [`Disk::probe`] finds out by reading `CAPACITY`, a hole faulting instead.
//!
//! Completion is **polled**: the driver issues a command and waits for `DONE` with the CPU in
//! `wait` (the device's line is enabled at the controller and `CTRL.0` set, so `DONE` wakes the
//! CPU at the completion's virtual time without burning instructions), then acknowledges it
//! before it returns. The calling process keeps the CPU meanwhile, so the file system is never
//! entered by two processes at once and needs no sleep lock; a command takes 10 µs + 16 µs of
//! virtual time. The line is therefore never asserted when a process runs.

use ox_fs::{Block, BlockDevice, Error, BLOCK_SIZE};
use ox_kcore::{arch, intc};

const BLOCK_BASE: usize = 0x1000_4000;
const STATUS: usize = 0x00; // Status Register (RO): bit 0 BUSY, bit 1 DONE, bit 2 ERROR
const CTRL: usize = 0x04; // Control Register (RW): bit 0 line asserted while DONE
const CAPACITY: usize = 0x08; // Capacity Register (RO): the disk's size in sectors
const SECTOR: usize = 0x0C; // Sector Register (RW): first sector of the next command
const COUNT: usize = 0x10; // Count Register (RW): sectors the next command moves
const ADDR: usize = 0x14; // Address Register (RW): physical address of the buffer
const COMMAND: usize = 0x18; // Command Register (WO): 1 READ, 2 WRITE, 3 FLUSH
const ACK: usize = 0x1C; // Acknowledge Register (WO): clears DONE and ERROR
const ERROR_CODE: usize = 0x20; // Error Code Register (RO): why the last command failed

const STATUS_BUSY: u32 = 1 << 0;
const STATUS_ERROR: u32 = 1 << 2;
const CTRL_DONE_IRQ: u32 = 1 << 0;

const CMD_READ: u32 = 1;
const CMD_WRITE: u32 = 2;
const CMD_FLUSH: u32 = 3;

/// The device's interrupt line.
pub const IRQ_BLOCK: u32 = 2;
/// Bytes of one sector.
pub const SECTOR_SIZE: usize = 512;
/// Sectors of one file-system block.
pub const SECTORS_PER_BLOCK: u32 = (BLOCK_SIZE / SECTOR_SIZE) as u32;

fn read_reg(offset: usize) -> u32 {
    // Safety: the block device's registers are identity-mapped for the kernel, and `Disk`
    // exists only once `probe` found the device; reading a register has no effect but the
    // value (STATUS and ERROR_CODE are plain reads).
    unsafe { ((BLOCK_BASE + offset) as *const u32).read_volatile() }
}

fn write_reg(offset: usize, value: u32) {
    // Safety: as for `read_reg`; the driver writes COMMAND and ACK only when the device is not
    // BUSY, the one state in which they fault.
    unsafe { ((BLOCK_BASE + offset) as *mut u32).write_volatile(value) }
}

/// The disk behind the block device.
pub struct Disk {
    blocks: u32,
    /// Commands issued (reads, writes and flushes).
    pub commands: u64,
}

impl Disk {
    /// The disk, if this node has one.
    pub fn probe() -> Option<Disk> {
        let sectors = arch::probe_load((BLOCK_BASE + CAPACITY) as u32)?;
        write_reg(CTRL, CTRL_DONE_IRQ);
        intc::set_enabled(intc::enabled() | (1 << IRQ_BLOCK));
        Some(Disk { blocks: sectors / SECTORS_PER_BLOCK, commands: 0 })
    }

    /// Runs one command and waits for it; `Err(Io)` (after saying why) if it failed.
    fn command(&mut self, command: u32, block: u32, addr: u32) -> Result<(), Error> {
        self.commands += 1;
        write_reg(SECTOR, block * SECTORS_PER_BLOCK);
        write_reg(COUNT, SECTORS_PER_BLOCK);
        write_reg(ADDR, addr);
        write_reg(COMMAND, command);
        while read_reg(STATUS) & STATUS_BUSY != 0 {
            arch::wait();
        }
        let failed = read_reg(STATUS) & STATUS_ERROR != 0;
        let code = read_reg(ERROR_CODE);
        write_reg(ACK, 0);
        if failed {
            crate::kprintln!("disk: command {command} on block {block} failed with error code {code}");
            return Err(Error::Io);
        }
        Ok(())
    }
}

impl BlockDevice for Disk {
    fn block_count(&self) -> u32 {
        self.blocks
    }

    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), Error> {
        if block >= self.blocks {
            return Err(Error::Io);
        }
        // The data lands in `buf` before `command` returns (it waits for DONE).
        self.command(CMD_READ, block, buf.as_mut_ptr() as u32)
    }

    fn write(&mut self, block: u32, buf: &Block) -> Result<(), Error> {
        if block >= self.blocks {
            return Err(Error::Io);
        }
        self.command(CMD_WRITE, block, buf.as_ptr() as u32)
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.command(CMD_FLUSH, 0, 0)
    }
}
