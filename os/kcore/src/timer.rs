//! The timer: scheduler ticks in virtual time (docs/devices.md).
//!
//! A tick is [`ox_abi::TICK_NS`] of the node's virtual clock. The tick count is the clock
//! divided by the tick length, so it never drifts, and the compare register is always set to
//! the start of the next tick: the interrupt fires on tick boundaries, at the same cycle on
//! every run.

use ox_abi::TICK_NS;

use crate::arch;
use crate::global::Global;

/// The tick boundary [`arm_next_tick`] armed the compare register for last (0: none yet).
/// The idle loop arms the next tick after every wait, most often within the tick it armed
/// last time: then the boundary is this one, found without a 64-bit division (a call of some
/// 60 instructions on a 32-bit processor, on the way from an interrupt to the process it
/// wakes).
static NEXT_TICK: Global<u64> = Global::new("timer", 0);

const TIMER_BASE: usize = ox32::memmap::TIMER_BASE as usize;
const CMP_LO: *mut u32 = (TIMER_BASE + 0x08) as *mut u32; // Compare Register, bits 31..0 (RW)
const CMP_HI: *mut u32 = (TIMER_BASE + 0x0c) as *mut u32; // Compare Register, bits 63..32 (RW)
const CTRL: *mut u32 = (TIMER_BASE + 0x10) as *mut u32; // Control Register (RW): bit 0 enable

/// Starts the tick interrupt.
pub fn start() {
    arm_next_tick();
    // Safety: CTRL is the timer's control register; bit 0 enables its interrupt.
    unsafe { CTRL.write_volatile(1) }
}

/// Stops the tick interrupt (the idle loop, when no one waits for a tick).
pub fn stop() {
    // Safety: as for `start`; clearing bit 0 also lowers the line.
    unsafe { CTRL.write_volatile(0) }
}

/// Ticks since boot.
pub fn ticks() -> u32 {
    (arch::time_ns() / TICK_NS) as u32
}

/// The timer interrupt: moves the compare value to the next tick, which clears the line.
pub fn on_interrupt() {
    arm_next_tick();
}

/// Arms the interrupt for virtual time `at_ns` (for a timeout: `wait` wakes then at the
/// latest); [`start`] goes back to ticks.
pub fn wake_at(at_ns: u64) {
    arm(at_ns);
    // Safety: as for `start`.
    unsafe { CTRL.write_volatile(1) }
}

fn arm_next_tick() {
    let now = arch::time_ns();
    let mut next = NEXT_TICK.lock();
    // The boundary after `now` is `next` if `now` lies in the tick that ends there; most
    // often otherwise the one after it (`next` is a boundary: a multiple of the tick), found
    // without a 64-bit division (a call of some 30 instructions).
    if !(now < *next && *next - now <= TICK_NS) {
        let after = *next + TICK_NS;
        *next = if *next <= now && now < after { after } else { (now / TICK_NS + 1) * TICK_NS };
    }
    arm(*next);
}

fn arm(next: u64) {
    // Safety: CMP_LO/CMP_HI are the timer's compare registers. The high half goes to its
    // maximum first so no intermediate value lies in the past (docs/devices.md).
    unsafe {
        CMP_HI.write_volatile(u32::MAX);
        CMP_LO.write_volatile(next as u32);
        CMP_HI.write_volatile((next >> 32) as u32);
    }
}
