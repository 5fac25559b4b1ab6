//! The interrupt controller: which lines may interrupt, and which one is pending
//! (docs/devices.md). Lines are level-triggered; a handler clears the source at its device.

const INTC_BASE: usize = ox32::memmap::INTC_BASE as usize;
const ENABLE: *mut u32 = (INTC_BASE + 0x04) as *mut u32; // Enable Register (RW): bit n = line n
const CLAIM: *const u32 = (INTC_BASE + 0x08) as *const u32; // Claim Register (RO)

/// The timer's line.
pub const IRQ_TIMER: u32 = ox32::memmap::IRQ_TIMER;
/// The console UART's line.
pub const IRQ_UART: u32 = ox32::memmap::IRQ_UART;

/// The line of link port 0; port n uses `IRQ_LINK0 + n`.
pub const IRQ_LINK0: u32 = ox32::memmap::IRQ_LINK_BASE;

/// Lets the timer and the UART interrupt the CPU.
pub fn init() {
    set_enabled((1 << IRQ_TIMER) | (1 << IRQ_UART));
}

/// The lines that may interrupt the CPU (and wake it from `wait`): bit n = line n.
pub fn enabled() -> u32 {
    // Safety: ENABLE is the controller's enable register; reading it has no effect.
    unsafe { ENABLE.read_volatile() }
}

/// Sets the lines that may interrupt the CPU (and wake it from `wait`).
pub fn set_enabled(lines: u32) {
    // Safety: ENABLE is the controller's enable register, identity-mapped for the kernel.
    unsafe { ENABLE.write_volatile(lines) }
}

/// The lowest pending and enabled line, if any.
pub fn claim() -> Option<u32> {
    // Safety: CLAIM is the controller's read-only claim register; reading it has no effect.
    let line = unsafe { CLAIM.read_volatile() };
    (line != u32::MAX).then_some(line)
}
