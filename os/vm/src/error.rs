//! The typed errors of map operations and of faults.
//!
//! [`VmError`] follows Mach's `kern_return_t` values for the calls on a map; [`FaultError`] is
//! what resolving one access can end in, with the faulting address where there is one, so the
//! kernel can raise a catchable signal (or `EFAULT`) for a bad access and `ENOMEM` (or a kill)
//! for a lack of memory.

use core::fmt;

use crate::addr::{ObjectId, PageIndex, VAddr};

/// Why an operation on a map failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VmError {
    /// Part of the range lies outside the map, or is not allocated where it must be
    /// (`KERN_INVALID_ADDRESS`).
    InvalidAddress,
    /// No room: a fixed range overlaps an allocated one, or no hole is big enough
    /// (`KERN_NO_SPACE`).
    NoSpace,
    /// A protection above the maximum, or an access the protection forbids
    /// (`KERN_PROTECTION_FAILURE`).
    ProtectionFailure,
    /// A malformed request: an unaligned address or size, an empty range, overlapping source and
    /// destination (`KERN_INVALID_ARGUMENT`).
    InvalidArgument,
    /// No frame (or page-table memory) left to complete the operation
    /// (`KERN_RESOURCE_SHORTAGE`).
    ResourceShortage,
}

impl fmt::Display for VmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            VmError::InvalidAddress => "invalid address",
            VmError::NoSpace => "no space",
            VmError::ProtectionFailure => "protection failure",
            VmError::InvalidArgument => "invalid argument",
            VmError::ResourceShortage => "resource shortage",
        };
        f.write_str(text)
    }
}

/// Why an access could not be resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultError {
    /// No entry maps the address.
    InvalidAddress(VAddr),
    /// The entry's current protection forbids the access.
    ProtectionFailure(VAddr),
    /// No frame (or page-table memory) for the page.
    OutOfFrames,
    /// The page belongs to an object with an external pager and is not resident, or is locked
    /// against the access: the pager must supply or unlock it (then the access is retried).
    PagerRequest {
        /// The object whose pager is asked.
        object: ObjectId,
        /// The page wanted, inside that object.
        index: PageIndex,
    },
}

impl From<FaultError> for VmError {
    fn from(error: FaultError) -> VmError {
        match error {
            FaultError::InvalidAddress(_) | FaultError::PagerRequest { .. } => VmError::InvalidAddress,
            FaultError::ProtectionFailure(_) => VmError::ProtectionFailure,
            FaultError::OutOfFrames => VmError::ResourceShortage,
        }
    }
}

impl fmt::Display for FaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultError::InvalidAddress(a) => write!(f, "no mapping at {:#010x}", a.0),
            FaultError::ProtectionFailure(a) => write!(f, "access forbidden at {:#010x}", a.0),
            FaultError::OutOfFrames => f.write_str("out of frames"),
            FaultError::PagerRequest { object, index } => {
                write!(f, "page {} of object {} is with its pager", index.0, object.0)
            }
        }
    }
}

/// A [`Pmap`](crate::Pmap) could not get memory for its page tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OutOfFrames;
