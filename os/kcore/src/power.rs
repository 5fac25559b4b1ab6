//! The power and test device: turning the node off with an exit code, or starting it over in
//! its boot ROM (docs/devices.md).

/// Writing a value to `EXIT` powers the node off; `orrery run` exits with its low byte.
const EXIT: *mut u32 = ox32::memmap::POWER_BASE as *mut u32;
/// Writing any value to `RESET` starts the node over in its boot ROM.
const RESET: *mut u32 = (ox32::memmap::POWER_BASE + 4) as *mut u32;

/// Exit code of a kernel panic.
pub const PANIC_EXIT_CODE: u32 = 255;

/// Powers the node off with exit code `code` (0 = success). Never returns.
pub fn power_off(code: u32) -> ! {
    // Safety: EXIT is the power device's write-only register, identity-mapped for the kernel.
    unsafe { EXIT.write_volatile(code) };
    loop {
        crate::arch::wait();
    }
}

/// Starts the node over in its boot ROM, as a power-on does (RAM cleared, devices and CPU
/// reset), its links left up. Never returns.
pub fn reset() -> ! {
    // Safety: RESET is the power device's write-only register, identity-mapped for the kernel.
    unsafe { RESET.write_volatile(0) };
    loop {
        crate::arch::wait();
    }
}
