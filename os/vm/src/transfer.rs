//! Moving bytes in and out of a map on the kernel's behalf: reading and writing a task's memory
//! (`vm_read`, `vm_write`, and the kernel's own copy-in and copy-out) and copying a range
//! between maps (`vm_copy`).
//!
//! Every page is resolved by the fault handler with the access the caller asks, so these calls
//! see exactly what the task would, and are refused exactly where the task would fault. A read
//! or write that fails part-way may have done the pages before the failing one; a copy checks
//! both ranges first, so only running out of frames can stop it part-way.

use crate::addr::{VAddr, PAGE_SIZE};
use crate::entry::{Access, Prot};
use crate::error::{FaultError, VmError};
use crate::frame::PhysMem;
use crate::map::Map;
use crate::pmap::Pmap;
use crate::system::Vm;

impl<P: Pmap> Map<P> {
    /// Copies `buf.len()` bytes from `addr` into `buf`, as reads of the task.
    pub fn read<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        addr: VAddr,
        buf: &mut [u8],
    ) -> Result<(), FaultError> {
        let mut done = 0;
        while done < buf.len() {
            let at = u32::try_from(done)
                .ok()
                .and_then(|d| addr.checked_add(d))
                .ok_or(FaultError::InvalidAddress(addr))?;
            let chunk = (PAGE_SIZE as usize - at.page_offset()).min(buf.len() - done);
            let frame = self.fault(vm, at, Access::Read)?;
            vm.frames.mem().read(frame, at.page_offset(), &mut buf[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }

    /// Copies `data` to `addr`, as writes of the task.
    pub fn write<M: PhysMem>(&mut self, vm: &mut Vm<M>, addr: VAddr, data: &[u8]) -> Result<(), FaultError> {
        let mut done = 0;
        while done < data.len() {
            let at = u32::try_from(done)
                .ok()
                .and_then(|d| addr.checked_add(d))
                .ok_or(FaultError::InvalidAddress(addr))?;
            let chunk = (PAGE_SIZE as usize - at.page_offset()).min(data.len() - done);
            let frame = self.fault(vm, at, Access::Write)?;
            vm.frames.mem_mut().write(frame, at.page_offset(), &data[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }

    /// Checks that `start..start + size` is allocated and allows `prot` throughout.
    pub(crate) fn check_access(
        &self,
        start: VAddr,
        size: u32,
        prot: Prot,
    ) -> Result<(VAddr, VAddr), VmError> {
        let (start, end) = self.range(start, size)?;
        if !self.covered(start, end) {
            return Err(VmError::InvalidAddress);
        }
        if self.keys_overlapping(start, end).iter().any(|k| !self.entries[k].prot.contains(prot)) {
            return Err(VmError::ProtectionFailure);
        }
        Ok((start, end))
    }

    /// Copies `size` bytes (page multiple) from `src` in this map over `dst` in `target`, which
    /// must be allocated, readable and writable respectively (`vm_copy` between two maps).
    pub fn copy_to<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        src: VAddr,
        target: &mut Map<P>,
        dst: VAddr,
        size: u32,
    ) -> Result<(), VmError> {
        self.check_access(src, size, Prot::READ)?;
        target.check_access(dst, size, Prot::WRITE)?;
        for page in 0..size / PAGE_SIZE {
            let offset = page * PAGE_SIZE;
            let from = self.fault(vm, VAddr(src.0 + offset), Access::Read)?;
            vm.frames.retain(from);
            let to = target.fault(vm, VAddr(dst.0 + offset), Access::Write);
            if let Ok(to) = to {
                vm.frames.mem_mut().copy(from, to);
            }
            vm.frames.release(from);
            to?;
        }
        Ok(())
    }

    /// Copies `size` bytes (page multiple) from `src` over `dst` in this map; the ranges must
    /// not overlap (`vm_copy`).
    pub fn copy_within<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        src: VAddr,
        dst: VAddr,
        size: u32,
    ) -> Result<(), VmError> {
        let (src, src_end) = self.check_access(src, size, Prot::READ)?;
        let (dst, dst_end) = self.check_access(dst, size, Prot::WRITE)?;
        if src < dst_end && dst < src_end {
            return Err(VmError::InvalidArgument);
        }
        for page in 0..size / PAGE_SIZE {
            let offset = page * PAGE_SIZE;
            let from = self.fault(vm, VAddr(src.0 + offset), Access::Read)?;
            vm.frames.retain(from);
            let to = self.fault(vm, VAddr(dst.0 + offset), Access::Write);
            if let Ok(to) = to {
                vm.frames.mem_mut().copy(from, to);
            }
            vm.frames.release(from);
            to?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::addr::{VAddr, PAGE_SIZE};
    use crate::entry::Prot;
    use crate::error::{FaultError, VmError};
    use crate::frame::VecMem;
    use crate::map::{Map, Placement};
    use crate::pmap::TreePmap;
    use crate::system::{Counts, Vm};

    #[test]
    fn read_write_across_pages_and_copies() {
        let mut vm = Vm::new(VecMem::new(32));
        let mut a = Map::new(VAddr(0x1000), VAddr(0x100000), TreePmap::new()).unwrap();
        let mut b = Map::new(VAddr(0x1000), VAddr(0x100000), TreePmap::new()).unwrap();
        let x = a.allocate(&mut vm, Placement::Fixed(VAddr(0x10000)), 4 * PAGE_SIZE, Prot::DEFAULT).unwrap();
        let y = b.allocate(&mut vm, Placement::Fixed(VAddr(0x30000)), 2 * PAGE_SIZE, Prot::DEFAULT).unwrap();
        a.write(&mut vm, VAddr(x.0 + PAGE_SIZE - 2), b"span").unwrap();
        a.copy_to(&mut vm, x, &mut b, y, 2 * PAGE_SIZE).unwrap();
        let mut buf = [0u8; 4];
        b.read(&mut vm, VAddr(y.0 + PAGE_SIZE - 2), &mut buf).unwrap();
        assert_eq!(&buf, b"span");
        a.copy_within(&mut vm, x, VAddr(x.0 + 2 * PAGE_SIZE), 2 * PAGE_SIZE).unwrap();
        a.read(&mut vm, VAddr(x.0 + 3 * PAGE_SIZE - 2), &mut buf).unwrap();
        assert_eq!(&buf, b"span");
        assert_eq!(
            a.copy_within(&mut vm, x, VAddr(x.0 + PAGE_SIZE), PAGE_SIZE * 2),
            Err(VmError::InvalidArgument)
        );
        assert_eq!(a.copy_to(&mut vm, x, &mut b, y, 3 * PAGE_SIZE), Err(VmError::InvalidAddress));
        b.protect(&mut vm, y, PAGE_SIZE, false, Prot::READ).unwrap();
        assert_eq!(a.copy_to(&mut vm, x, &mut b, y, PAGE_SIZE), Err(VmError::ProtectionFailure));
        assert_eq!(b.write(&mut vm, y, b"no"), Err(FaultError::ProtectionFailure(y)));
        assert_eq!(
            a.read(&mut vm, VAddr(x.0 + 4 * PAGE_SIZE - 1), &mut buf),
            Err(FaultError::InvalidAddress(VAddr(x.0 + 4 * PAGE_SIZE)))
        );
        a.destroy(&mut vm);
        b.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }
}
