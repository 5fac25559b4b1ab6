//! The block device: a disk of 512-byte sectors, backed by a host file (the disk image) or by
//! memory, that moves whole sectors to and from RAM by DMA.
//!
//! Registers (all 32-bit):
//! - `0x00 STATUS` (RO): bit 0 `BUSY` (a command is in flight), bit 1 `DONE` (the last command
//!   has completed and is not yet acknowledged), bit 2 `ERROR` (it completed with an error).
//! - `0x04 CTRL` (RW): bit 0 asserts the line while `DONE`.
//! - `0x08 CAPACITY` (RO): the disk's size in sectors.
//! - `0x0C SECTOR` (RW): the first sector of the next command.
//! - `0x10 COUNT` (RW): how many sectors the next command moves (1 to [`MAX_COUNT`]; reset 1).
//! - `0x14 ADDR` (RW): guest-physical address of the buffer in RAM (any byte address).
//! - `0x18 COMMAND` (WO): 1 read, 2 write, 3 flush; a store access fault while `BUSY`.
//! - `0x1C ACK` (WO): clears `DONE` and `ERROR` (any value); a store access fault while `BUSY`.
//! - `0x20 ERROR_CODE` (RO): why the last command failed ([`ERR_COMMAND`] ...), 0 otherwise.
//!
//! A command is checked when it is written: a malformed one (unknown command, sectors past the
//! end, a count of 0 or above [`MAX_COUNT`]) completes at once with `ERROR`. A good one is
//! carried out at once too — the data moves when `COMMAND` is written — but it completes
//! [`COMMAND_NS`] + [`SECTOR_NS`] per sector of virtual time later: until then `BUSY` is set, and
//! the guest must not look at the buffer. Completion therefore depends on virtual time only.
//!
//! The device cannot reach RAM itself; the bus is the one place that knows where RAM is. A
//! command that moves data leaves a [`Transfer`] that the machine takes with
//! [`Block::take_transfer`] right after the store that wrote `COMMAND` (a device store ends the
//! CPU's slice) and carries out through the bus; a buffer that is not all RAM comes back as
//! [`Block::fail_transfer`] and the command completes with [`ERR_ADDRESS`].
//!
//! Writes go straight through to the image file, so a disk persists across runs even if the
//! emulator is killed; `COMMAND_FLUSH` and dropping the device also ask the host to put the
//! file on stable storage.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::device::{Device, DeviceFault};
use crate::time::Time;

/// Bytes per sector.
pub const SECTOR_SIZE: usize = 512;
/// The most sectors one command moves (64 KiB).
pub const MAX_COUNT: u32 = 128;
/// Virtual time every command takes, in ns, before its sectors.
pub const COMMAND_NS: Time = 10_000;
/// Virtual time per sector moved, in ns (about 256 MB/s).
pub const SECTOR_NS: Time = 2_000;

/// Status Register (RO).
const STATUS: u32 = 0x00;
/// Control Register (RW).
const CTRL: u32 = 0x04;
/// Capacity in sectors (RO).
const CAPACITY: u32 = 0x08;
/// First sector of the next command (RW).
const SECTOR: u32 = 0x0c;
/// Sectors per command (RW).
const COUNT: u32 = 0x10;
/// DMA buffer address (RW).
const ADDR: u32 = 0x14;
/// Command Register (WO).
const COMMAND: u32 = 0x18;
/// Acknowledge Register (WO).
const ACK: u32 = 0x1c;
/// Error code of the last command (RO).
const ERROR_CODE: u32 = 0x20;

/// `STATUS` bit 0: a command is in flight.
pub const STATUS_BUSY: u32 = 1 << 0;
/// `STATUS` bit 1: the last command completed.
pub const STATUS_DONE: u32 = 1 << 1;
/// `STATUS` bit 2: the last command failed.
pub const STATUS_ERROR: u32 = 1 << 2;
/// `CTRL` bit 0: the line is asserted while `DONE`.
const CTRL_IE: u32 = 1;

/// `COMMAND`: copy `COUNT` sectors from `SECTOR` on into RAM at `ADDR`.
pub const COMMAND_READ: u32 = 1;
/// `COMMAND`: copy `COUNT` sectors from RAM at `ADDR` to the disk from `SECTOR` on.
pub const COMMAND_WRITE: u32 = 2;
/// `COMMAND`: put everything written so far on the host's stable storage.
pub const COMMAND_FLUSH: u32 = 3;

/// `ERROR_CODE`: the value written to `COMMAND` names no command.
pub const ERR_COMMAND: u32 = 1;
/// `ERROR_CODE`: `COUNT` is 0 or above [`MAX_COUNT`], or the sectors run past the end.
pub const ERR_RANGE: u32 = 2;
/// `ERROR_CODE`: the buffer `ADDR..ADDR + COUNT × 512` is not all RAM.
pub const ERR_ADDRESS: u32 = 3;
/// `ERROR_CODE`: the host could not read or write the image file.
pub const ERR_IO: u32 = 4;

/// Where a disk's sectors live.
#[derive(Debug)]
enum Backing {
    /// In memory, for tests: lost when the device goes.
    Memory(Vec<u8>),
    /// A host file, read and written in place.
    File(File),
}

/// A disk image: a whole number of sectors, in memory or in a host file.
#[derive(Debug)]
pub struct Disk {
    backing: Backing,
    sectors: u32,
}

impl Disk {
    /// Opens the image file at `path` for reading and writing; its size must be a non-zero
    /// multiple of [`SECTOR_SIZE`].
    pub fn open(path: &Path) -> Result<Disk, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open disk image {}: {e}", path.display()))?;
        let metadata = file.metadata().map_err(|e| format!("disk image {}: {e}", path.display()))?;
        if !metadata.is_file() {
            return Err(format!("disk image {} is not a regular file", path.display()));
        }
        let len = metadata.len();
        let sectors = len / SECTOR_SIZE as u64;
        if len == 0 || len % SECTOR_SIZE as u64 != 0 || sectors > u32::MAX as u64 {
            return Err(format!(
                "disk image {} is {len} bytes; a disk is a non-zero whole number of {SECTOR_SIZE}-byte sectors (oxdisk create makes one)",
                path.display()
            ));
        }
        Ok(Disk { backing: Backing::File(file), sectors: sectors as u32 })
    }

    /// A disk held in memory, with `bytes` as its contents (cut to whole sectors).
    pub fn memory(mut bytes: Vec<u8>) -> Disk {
        let sectors = (bytes.len() / SECTOR_SIZE).min(u32::MAX as usize);
        bytes.truncate(sectors * SECTOR_SIZE);
        Disk { backing: Backing::Memory(bytes), sectors: sectors as u32 }
    }

    /// The disk's size in sectors.
    pub fn sectors(&self) -> u32 {
        self.sectors
    }

    /// The contents of an in-memory disk (`None` for a file).
    pub fn contents(&self) -> Option<&[u8]> {
        match &self.backing {
            Backing::Memory(bytes) => Some(bytes),
            Backing::File(_) => None,
        }
    }

    /// Reads whole sectors from `sector` on into `buf` (a multiple of the sector size, in range).
    fn read(&mut self, sector: u32, buf: &mut [u8]) -> std::io::Result<()> {
        let start = sector as u64 * SECTOR_SIZE as u64;
        match &mut self.backing {
            Backing::Memory(bytes) => {
                buf.copy_from_slice(&bytes[start as usize..start as usize + buf.len()]);
                Ok(())
            }
            Backing::File(file) => {
                file.seek(SeekFrom::Start(start))?;
                file.read_exact(buf)
            }
        }
    }

    /// Writes whole sectors from `sector` on (a multiple of the sector size, in range).
    fn write(&mut self, sector: u32, data: &[u8]) -> std::io::Result<()> {
        let start = sector as u64 * SECTOR_SIZE as u64;
        match &mut self.backing {
            Backing::Memory(bytes) => {
                bytes[start as usize..start as usize + data.len()].copy_from_slice(data);
                Ok(())
            }
            Backing::File(file) => {
                file.seek(SeekFrom::Start(start))?;
                file.write_all(data)
            }
        }
    }

    /// Asks the host to put the file on stable storage.
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.backing {
            Backing::Memory(_) => Ok(()),
            Backing::File(file) => file.sync_data(),
        }
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            log::warn!("block: flushing the disk image failed: {e}");
        }
    }
}

/// Data a command moves between the disk and RAM, for the machine to carry out through the bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// Copy `data` (sectors already read from the disk) into RAM at `addr`.
    ToRam {
        /// Guest-physical address of the buffer.
        addr: u32,
        /// The sectors' bytes.
        data: Vec<u8>,
    },
    /// Read `len` bytes of RAM at `addr` and give them to [`Block::finish_write`].
    FromRam {
        /// Guest-physical address of the buffer.
        addr: u32,
        /// Bytes to read (a whole number of sectors).
        len: usize,
    },
}

/// The last command issued and not yet acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Command {
    /// When the guest wrote it.
    issued_at: Time,
    /// When it completes (it is `BUSY` before).
    done_at: Time,
    /// Its error code, 0 for success.
    error: u32,
}

/// A write command waiting for its data from RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PendingWrite {
    sector: u32,
    len: usize,
}

/// The block device.
#[derive(Debug)]
pub struct Block {
    disk: Disk,
    ctrl: u32,
    sector: u32,
    count: u32,
    addr: u32,
    last: Option<Command>,
    transfer: Option<Transfer>,
    pending_write: Option<PendingWrite>,
}

impl Block {
    /// A device in its reset state over `disk`.
    pub fn new(disk: Disk) -> Block {
        Block { disk, ctrl: 0, sector: 0, count: 1, addr: 0, last: None, transfer: None, pending_write: None }
    }

    /// The disk, for tests that look at an in-memory image.
    pub fn disk(&self) -> &Disk {
        &self.disk
    }

    /// The data movement the last command asks for, once; the machine carries it out.
    pub fn take_transfer(&mut self) -> Option<Transfer> {
        self.transfer.take()
    }

    /// The machine could not reach the buffer: the command completes now with [`ERR_ADDRESS`].
    pub fn fail_transfer(&mut self) {
        self.pending_write = None;
        self.finish_with(ERR_ADDRESS);
    }

    /// Gives a write command its data, read from RAM; writes it to the disk.
    pub fn finish_write(&mut self, data: &[u8]) {
        let Some(write) = self.pending_write.take() else { return };
        if data.len() != write.len {
            self.finish_with(ERR_ADDRESS);
        } else if let Err(e) = self.disk.write(write.sector, data) {
            log::warn!("block: writing sector {}: {e}", write.sector);
            self.finish_with(ERR_IO);
        }
    }

    /// Makes the command in flight complete with `error` at the time it was issued.
    fn finish_with(&mut self, error: u32) {
        if let Some(command) = &mut self.last {
            command.error = error;
            command.done_at = command.issued_at;
        }
    }

    fn busy(&self, now: Time) -> bool {
        self.last.is_some_and(|c| now < c.done_at)
    }

    fn status(&self, now: Time) -> u32 {
        match self.last {
            None => 0,
            Some(c) if now < c.done_at => STATUS_BUSY,
            Some(c) if c.error != 0 => STATUS_DONE | STATUS_ERROR,
            Some(_) => STATUS_DONE,
        }
    }

    /// Checks and starts a command at `now`; returns its error code and how long it takes.
    fn start(&mut self, command: u32) -> (u32, Time) {
        let sectors_ok = (1..=MAX_COUNT).contains(&self.count)
            && self.sector as u64 + self.count as u64 <= self.disk.sectors() as u64;
        let len = self.count as usize * SECTOR_SIZE;
        let took = COMMAND_NS + SECTOR_NS * self.count as Time;
        match command {
            COMMAND_READ | COMMAND_WRITE if !sectors_ok => (ERR_RANGE, 0),
            COMMAND_READ => {
                let mut data = vec![0; len];
                if let Err(e) = self.disk.read(self.sector, &mut data) {
                    log::warn!("block: reading sector {}: {e}", self.sector);
                    return (ERR_IO, 0);
                }
                self.transfer = Some(Transfer::ToRam { addr: self.addr, data });
                (0, took)
            }
            COMMAND_WRITE => {
                self.transfer = Some(Transfer::FromRam { addr: self.addr, len });
                self.pending_write = Some(PendingWrite { sector: self.sector, len });
                (0, took)
            }
            COMMAND_FLUSH => match self.disk.flush() {
                Ok(()) => (0, COMMAND_NS),
                Err(e) => {
                    log::warn!("block: flushing: {e}");
                    (ERR_IO, 0)
                }
            },
            _ => (ERR_COMMAND, 0),
        }
    }
}

impl Device for Block {
    fn name(&self) -> &'static str {
        "block"
    }

    fn read(&mut self, offset: u32, now: Time) -> Result<u32, DeviceFault> {
        match offset {
            STATUS => Ok(self.status(now)),
            CTRL => Ok(self.ctrl),
            CAPACITY => Ok(self.disk.sectors()),
            SECTOR => Ok(self.sector),
            COUNT => Ok(self.count),
            ADDR => Ok(self.addr),
            ERROR_CODE => Ok(self.last.filter(|c| now >= c.done_at).map_or(0, |c| c.error)),
            _ => Err(DeviceFault),
        }
    }

    fn write(&mut self, offset: u32, value: u32, now: Time) -> Result<(), DeviceFault> {
        match offset {
            CTRL => self.ctrl = value & CTRL_IE,
            SECTOR => self.sector = value,
            COUNT => self.count = value,
            ADDR => self.addr = value,
            COMMAND | ACK if self.busy(now) => return Err(DeviceFault),
            COMMAND => {
                self.transfer = None;
                self.pending_write = None;
                let (error, took) = self.start(value);
                self.last = Some(Command { issued_at: now, done_at: now.saturating_add(took), error });
            }
            ACK => self.last = None,
            _ => return Err(DeviceFault),
        }
        Ok(())
    }

    fn irq(&self, now: Time) -> bool {
        self.ctrl & CTRL_IE != 0 && self.last.is_some_and(|c| now >= c.done_at)
    }

    fn next_event(&self, now: Time) -> Option<Time> {
        let done_at = self.last?.done_at;
        (self.ctrl & CTRL_IE != 0 && done_at > now).then_some(done_at)
    }

    fn as_block(&mut self) -> Option<&mut Block> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device over a 16-sector in-memory disk whose sector n is filled with byte n.
    fn device() -> Block {
        let bytes = (0..16u8).flat_map(|n| [n; SECTOR_SIZE]).collect();
        Block::new(Disk::memory(bytes))
    }

    fn command(block: &mut Block, sector: u32, count: u32, addr: u32, command: u32, now: Time) {
        block.write(SECTOR, sector, now).unwrap();
        block.write(COUNT, count, now).unwrap();
        block.write(ADDR, addr, now).unwrap();
        block.write(COMMAND, command, now).unwrap();
    }

    #[test]
    fn a_read_moves_data_at_once_and_completes_after_its_latency() {
        let mut block = device();
        assert_eq!(block.read(CAPACITY, 0).unwrap(), 16);
        assert_eq!(block.read(STATUS, 0).unwrap(), 0);
        block.write(CTRL, 1, 0).unwrap();
        command(&mut block, 3, 2, 0x8000_0000, COMMAND_READ, 100);
        let Some(Transfer::ToRam { addr, data }) = block.take_transfer() else { panic!("no transfer") };
        assert_eq!((addr, data.len()), (0x8000_0000, 2 * SECTOR_SIZE));
        assert!(data[..SECTOR_SIZE].iter().all(|b| *b == 3) && data[SECTOR_SIZE..].iter().all(|b| *b == 4));
        assert_eq!(block.take_transfer(), None, "taken once");
        let done = 100 + COMMAND_NS + 2 * SECTOR_NS;
        assert_eq!(block.read(STATUS, done - 1).unwrap(), STATUS_BUSY);
        assert!(!block.irq(done - 1));
        assert_eq!(block.next_event(done - 1), Some(done));
        assert_eq!(block.write(COMMAND, COMMAND_READ, done - 1), Err(DeviceFault), "busy");
        assert_eq!(block.write(ACK, 0, done - 1), Err(DeviceFault), "busy");
        assert_eq!(block.read(STATUS, done).unwrap(), STATUS_DONE);
        assert!(block.irq(done));
        assert_eq!(block.next_event(done), None);
        block.write(ACK, 0, done).unwrap();
        assert_eq!(block.read(STATUS, done).unwrap(), 0);
        assert!(!block.irq(done));
    }

    #[test]
    fn a_write_reaches_the_disk_once_the_machine_gives_it_ram() {
        let mut block = device();
        command(&mut block, 15, 1, 0x8000_1000, COMMAND_WRITE, 0);
        assert_eq!(block.take_transfer(), Some(Transfer::FromRam { addr: 0x8000_1000, len: SECTOR_SIZE }));
        block.finish_write(&[0xab; SECTOR_SIZE]);
        let contents = block.disk().contents().unwrap();
        assert!(contents[15 * SECTOR_SIZE..].iter().all(|b| *b == 0xab));
        assert!(contents[14 * SECTOR_SIZE..15 * SECTOR_SIZE].iter().all(|b| *b == 14));
        assert_eq!(block.read(ERROR_CODE, u64::MAX).unwrap(), 0);
    }

    #[test]
    fn malformed_requests_complete_at_once_with_an_error() {
        let mut block = device();
        for (sector, count, cmd, error) in [
            (15, 2, COMMAND_READ, ERR_RANGE),
            (16, 1, COMMAND_WRITE, ERR_RANGE),
            (u32::MAX, 1, COMMAND_READ, ERR_RANGE),
            (0, 0, COMMAND_READ, ERR_RANGE),
            (0, MAX_COUNT + 1, COMMAND_READ, ERR_RANGE),
            (0, 1, 7, ERR_COMMAND),
        ] {
            command(&mut block, sector, count, 0x8000_0000, cmd, 50);
            assert_eq!(block.take_transfer(), None);
            assert_eq!(block.read(STATUS, 50).unwrap(), STATUS_DONE | STATUS_ERROR);
            assert_eq!(block.read(ERROR_CODE, 50).unwrap(), error);
            block.write(ACK, 0, 50).unwrap();
            assert_eq!(block.read(ERROR_CODE, 50).unwrap(), 0);
        }
    }

    #[test]
    fn a_buffer_outside_ram_fails_the_command_at_its_issue_time() {
        let mut block = device();
        command(&mut block, 0, 1, 0x1000_0000, COMMAND_WRITE, 70);
        assert!(block.take_transfer().is_some());
        block.fail_transfer();
        assert_eq!(block.read(STATUS, 70).unwrap(), STATUS_DONE | STATUS_ERROR);
        assert_eq!(block.read(ERROR_CODE, 70).unwrap(), ERR_ADDRESS);
        assert!(block.disk().contents().unwrap()[..SECTOR_SIZE].iter().all(|b| *b == 0), "nothing written");
    }

    #[test]
    fn bad_offsets_and_directions_fault() {
        let mut block = device();
        assert_eq!(block.read(COMMAND, 0), Err(DeviceFault), "write-only");
        assert_eq!(block.read(ACK, 0), Err(DeviceFault), "write-only");
        assert_eq!(block.write(STATUS, 0, 0), Err(DeviceFault), "read-only");
        assert_eq!(block.write(CAPACITY, 0, 0), Err(DeviceFault), "read-only");
        assert_eq!(block.read(0x24, 0), Err(DeviceFault), "no register");
        block.write(CTRL, 0xffff_ffff, 0).unwrap();
        assert_eq!(block.read(CTRL, 0).unwrap(), CTRL_IE);
    }

    #[test]
    fn a_file_disk_persists_writes() {
        let path = std::env::temp_dir().join(format!("orrery-block-unit-{}.img", std::process::id()));
        std::fs::write(&path, vec![0u8; 4 * SECTOR_SIZE]).unwrap();
        {
            let mut block = Block::new(Disk::open(&path).unwrap());
            command(&mut block, 2, 1, 0x8000_0000, COMMAND_WRITE, 0);
            block.take_transfer();
            block.finish_write(&[7; SECTOR_SIZE]);
            block.write(ACK, 0, COMMAND_NS + SECTOR_NS).unwrap();
            block.write(COMMAND, COMMAND_FLUSH, COMMAND_NS + SECTOR_NS).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes[2 * SECTOR_SIZE..3 * SECTOR_SIZE].iter().all(|b| *b == 7));
        std::fs::write(&path, [0u8; 100]).unwrap();
        assert!(Disk::open(&path).unwrap_err().contains("whole number"));
        std::fs::remove_file(&path).unwrap();
    }
}
