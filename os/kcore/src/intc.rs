//! The interrupt controller: which lines may interrupt, and which one is pending
//! (docs/devices.md). Lines are level-triggered; a handler clears the source at its device.

const INTC_BASE: usize = 0x1000_2000;
const ENABLE: *mut u32 = (INTC_BASE + 0x04) as *mut u32; // Enable Register (RW): bit n = line n
const CLAIM: *const u32 = (INTC_BASE + 0x08) as *const u32; // Claim Register (RO)

/// The timer's line.
pub const IRQ_TIMER: u32 = 0;
/// The console UART's line.
pub const IRQ_UART: u32 = 1;

/// Lets the timer and the UART interrupt the CPU.
pub fn init() {
    // Safety: ENABLE is the controller's enable register, identity-mapped for the kernel.
    unsafe { ENABLE.write_volatile((1 << IRQ_TIMER) | (1 << IRQ_UART)) }
}

/// The lowest pending and enabled line, if any.
pub fn claim() -> Option<u32> {
    // Safety: CLAIM is the controller's read-only claim register; reading it has no effect.
    let line = unsafe { CLAIM.read_volatile() };
    (line != u32::MAX).then_some(line)
}
