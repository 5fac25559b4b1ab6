//! Everything the kernel says in ox32's privileged dialect, and nothing else.
//!
//! The kernel is compiled for RV32IMA and translated by `rv2ox`, which maps `csrr*` with ox32
//! control-register numbers to `crr*`, `sret` to `eret`, `wfi` to `wait` and `sfence.vma` to
//! `tlbflush` (docs/isa.md §8). This module is the only place that writes those instructions:
//! the boot entry, the trap vector, the return to user mode, the context switch and small
//! accessors for the control registers.
//!
//! Conventions of the trap path:
//! - While a process runs in user mode, `scratch0` holds the top of its kernel stack; while the
//!   kernel runs, `scratch0` is 0. The vector swaps `sp` with `scratch0` and so tells the two
//!   apart: a zero means the trap came from the kernel (a kernel bug: it panics).
//! - A user trap saves every register and `epc` in a [`TrapFrame`] at the top of the process's
//!   kernel stack and calls the binary's `user_trap` on the stack below it. Returning from that call
//!   (or a new process's first switch to `user_return`) restores the frame and `eret`s to user
//!   mode with interrupts enabled. A trap from the kernel goes to
//!   [`kernel_trap`](crate::exception::kernel_trap), which panics.
//! - One exception: [`probe_load`] points `tvec` at a handler of its own for the one load
//!   it makes, so that finding out whether a device exists does not crash the kernel.
//! - The kernel itself always runs with `status.IE` = 0: it is never interrupted; the idle loop
//!   `wait`s and polls the interrupt controller.

use core::arch::{asm, global_asm};

/// The control registers the kernel uses (docs/isa.md §9.1), by the numbers of `ox32::cr`, as
/// the `u32`s `read_cr`/`write_cr` take.
pub mod cr {
    /// `tvec`: the trap vector.
    pub const TVEC: u32 = ox32::cr::TVEC as u32;
    /// `cause`: bit 31 interrupt, low bits the code or line.
    pub const CAUSE: u32 = ox32::cr::CAUSE as u32;
    /// `badaddr`: the faulting address or instruction word.
    pub const BADADDR: u32 = ox32::cr::BADADDR as u32;
    /// `scratch0`: the kernel stack top while in user mode, 0 in the kernel.
    pub const SCRATCH0: u32 = ox32::cr::SCRATCH0 as u32;
    /// `ptbr`: paging on, ASID and root table.
    pub const PTBR: u32 = ox32::cr::PTBR as u32;
    /// `cycle`: instructions retired, low half.
    pub const CYCLE: u32 = ox32::cr::CYCLE as u32;
    /// `time`: virtual nanoseconds, low half.
    pub const TIME: u32 = ox32::cr::TIME as u32;
    /// `timeh`: virtual nanoseconds, high half.
    pub const TIMEH: u32 = ox32::cr::TIMEH as u32;
}

pub use ox32::cr::{PTBR_ASID_SHIFT, PTBR_PAGING};

/// The registers of a user thread saved by the trap vector, at the top of its kernel stack.
/// `regs[i]` is `x(i)` (`regs[0]` is unused); the layout is fixed by the assembly below.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
pub struct TrapFrame {
    /// General registers, indexed by number.
    pub regs: [u32; 32],
    /// The user pc to resume at.
    pub epc: u32,
    pad: [u32; 3],
}

/// Bytes of a [`TrapFrame`]: the assembly's `FRAME_SIZE`.
pub const FRAME_SIZE: usize = 144;
const _: () = assert!(core::mem::size_of::<TrapFrame>() == FRAME_SIZE);

impl TrapFrame {
    /// A frame that enters user mode at `pc` with stack `sp` and every other register 0.
    pub fn new(pc: u32, sp: u32) -> TrapFrame {
        let mut frame = TrapFrame { regs: [0; 32], epc: pc, pad: [0; 3] };
        frame.regs[2] = sp;
        frame
    }
}

/// Callee-saved registers of a kernel thread, saved by [`swtch`].
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Context {
    /// Where `swtch` returns to.
    pub ra: u32,
    /// The kernel stack pointer.
    pub sp: u32,
    /// `s0`..`s11`.
    pub s: [u32; 12],
}

extern "C" {
    /// Saves the callee-saved registers in `old` and resumes the thread saved in `new`.
    ///
    /// # Safety
    /// `new` must hold a context saved by `swtch` or built by [`Context`] for a live kernel
    /// stack; `old` must stay valid until something switches back to it.
    pub fn swtch(old: *mut Context, new: *const Context);
    /// Restores the [`TrapFrame`] at `sp` and returns to user mode: the `ra` of a new
    /// process's first [`Context`].
    fn user_return();
    /// Copies the trap frame at `frame` to `at` (a frame slot at the top of the current
    /// kernel stack), makes `at` the stack pointer and returns to user mode with it.
    pub fn enter_user_at(frame: *const TrapFrame, at: u32) -> !;
    /// The trap vector, installed in `tvec` by [`init_traps`].
    fn trap_vector();
    /// `probe_word` in the assembly below: low word 1 and the value in the high word if the
    /// load from `addr` worked, 0 if it raised load-access.
    fn probe_word(addr: u32) -> u64;
}

/// Loads the word at `addr` (an identity-mapped device register), or `None` if there is
/// nothing there: the load-access fault of a hole is caught instead of being a kernel bug.
/// Any other trap during the load still goes to the kernel's trap path (and panics).
pub fn probe_load(addr: u32) -> Option<u32> {
    // Safety: `probe_word` only loads from `addr` with its own trap handler installed, then
    // restores `tvec`; the kernel runs with interrupts masked, so no interrupt can arrive in
    // between. It clobbers only caller-saved registers, as any function may.
    let result = unsafe { probe_word(addr) };
    (result as u32 == 1).then_some((result >> 32) as u32)
}

/// The address a new process's first context returns to.
pub fn user_return_address() -> u32 {
    user_return as *const () as u32
}

/// Points `tvec` at the trap vector and marks the kernel as running (`scratch0` = 0).
pub fn init_traps() {
    write_cr::<{ cr::TVEC }>(trap_vector as *const () as u32);
    write_cr::<{ cr::SCRATCH0 }>(0);
}

/// Reads control register `CR`.
#[inline(always)]
pub fn read_cr<const CR: u32>() -> u32 {
    let value: u32;
    // Safety: reading a control register has no side effects; CR is one of the numbers in
    // `cr`, which name registers the kernel may read.
    unsafe {
        asm!(".option push", ".option arch, +zicsr", "csrrs {0}, {cr}, zero", ".option pop",
             out(reg) value, cr = const CR, options(nomem, nostack));
    }
    value
}

/// Writes control register `CR`.
#[inline(always)]
pub fn write_cr<const CR: u32>(value: u32) {
    // Safety: the callers in this crate write tvec, scratch0 and ptbr with values that keep
    // the kernel mapped and its trap path intact (see each caller).
    unsafe {
        asm!(".option push", ".option arch, +zicsr", "csrrw zero, {cr}, {0}", ".option pop",
             in(reg) value, cr = const CR, options(nostack));
    }
}

/// The virtual time in nanoseconds since reset (read high, low, high until they agree).
pub fn time_ns() -> u64 {
    loop {
        let high = read_cr::<{ cr::TIMEH }>();
        let low = read_cr::<{ cr::TIME }>();
        if read_cr::<{ cr::TIMEH }>() == high {
            return ((high as u64) << 32) | low as u64;
        }
    }
}

/// Instructions retired since reset, low 32 bits.
pub fn cycles() -> u32 {
    read_cr::<{ cr::CYCLE }>()
}

/// Sleeps until an enabled interrupt line is pending (`wait`), whatever `status.IE` says.
pub fn wait() {
    // Safety: `wait` only pauses the hart; with IE = 0 no trap follows.
    unsafe { asm!("wfi", options(nomem, nostack)) }
}

/// Drops every TLB entry of address space `asid` (global entries stay).
pub fn flush_asid(asid: u32) {
    // Safety: flushing TLB entries never changes what a correct page table says.
    unsafe { asm!("sfence.vma zero, {0}", in(reg) asid, options(nostack)) }
}

/// Makes `root` (a physical frame address) the page table, with ASID `asid`, paging on.
///
/// # Safety
/// The table must map the kernel (code, data, stacks, devices) exactly as the current one does.
pub unsafe fn set_page_table(root: u32, asid: u32) {
    write_cr::<{ cr::PTBR }>(PTBR_PAGING | (asid << PTBR_ASID_SHIFT) | (root >> ox32::pte::PAGE_SHIFT));
}

// The boot entry, the trap vector, the return to user mode and the context switch. Offsets:
// x(i) at 4*i in the frame, epc at 128, FRAME_SIZE 144; Context: ra 0, sp 4, s0..s11 8..52.
global_asm!(
    r#"
    .option push
    .option arch, +zicsr
    .equ FRAME_SIZE, 144
    .equ SCRATCH0, 0x005
    .equ EPC, 0x002
    .equ STATUS, 0x000
    .equ TVEC, 0x001
    .equ CAUSE, 0x003
    .equ LOAD_ACCESS, 9

    .section .text.entry, "ax"
    .globl _start
_start:
    la      sp, __boot_stack_top
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  call    kmain
3:  j       3b

    .text
    .balign 4
    .globl trap_vector
trap_vector:
    csrrw   sp, SCRATCH0, sp
    beqz    sp, kernel_trap_entry
    addi    sp, sp, -FRAME_SIZE
    sw x1, 4(sp)
    sw x3, 12(sp)
    sw x4, 16(sp)
    sw x5, 20(sp)
    sw x6, 24(sp)
    sw x7, 28(sp)
    sw x8, 32(sp)
    sw x9, 36(sp)
    sw x10, 40(sp)
    sw x11, 44(sp)
    sw x12, 48(sp)
    sw x13, 52(sp)
    sw x14, 56(sp)
    sw x15, 60(sp)
    sw x16, 64(sp)
    sw x17, 68(sp)
    sw x18, 72(sp)
    sw x19, 76(sp)
    sw x20, 80(sp)
    sw x21, 84(sp)
    sw x22, 88(sp)
    sw x23, 92(sp)
    sw x24, 96(sp)
    sw x25, 100(sp)
    sw x26, 104(sp)
    sw x27, 108(sp)
    sw x28, 112(sp)
    sw x29, 116(sp)
    sw x30, 120(sp)
    sw x31, 124(sp)
    csrrw   t0, SCRATCH0, zero
    sw      t0, 8(sp)
    csrr    t0, EPC
    sw      t0, 128(sp)
    mv      a0, sp
    call    user_trap

    .globl user_return
user_return:
    lw      t0, 128(sp)
    csrw    EPC, t0
    addi    t0, sp, FRAME_SIZE
    csrw    SCRATCH0, t0
    li      t0, 4
    csrc    STATUS, t0
    csrsi   STATUS, 2
    lw x1, 4(sp)
    lw x3, 12(sp)
    lw x4, 16(sp)
    lw x5, 20(sp)
    lw x6, 24(sp)
    lw x7, 28(sp)
    lw x8, 32(sp)
    lw x9, 36(sp)
    lw x10, 40(sp)
    lw x11, 44(sp)
    lw x12, 48(sp)
    lw x13, 52(sp)
    lw x14, 56(sp)
    lw x15, 60(sp)
    lw x16, 64(sp)
    lw x17, 68(sp)
    lw x18, 72(sp)
    lw x19, 76(sp)
    lw x20, 80(sp)
    lw x21, 84(sp)
    lw x22, 88(sp)
    lw x23, 92(sp)
    lw x24, 96(sp)
    lw x25, 100(sp)
    lw x26, 104(sp)
    lw x27, 108(sp)
    lw x28, 112(sp)
    lw x29, 116(sp)
    lw x30, 120(sp)
    lw x31, 124(sp)
    lw      sp, 8(sp)
    sret

    .globl enter_user_at
enter_user_at:
    mv      sp, a1
    li      t0, 0
    li      t3, FRAME_SIZE
1:  add     t1, a0, t0
    lw      t2, 0(t1)
    add     t1, sp, t0
    sw      t2, 0(t1)
    addi    t0, t0, 4
    bltu    t0, t3, 1b
    j       user_return

kernel_trap_entry:
    csrrw   sp, SCRATCH0, sp
    addi    sp, sp, -FRAME_SIZE
    sw x1, 4(sp)
    sw x5, 20(sp)
    sw x8, 32(sp)
    sw x10, 40(sp)
    addi    t0, sp, FRAME_SIZE
    sw      t0, 8(sp)
    csrr    t0, EPC
    sw      t0, 128(sp)
    mv      a0, sp
    call    kernel_trap
4:  j       4b

    # probe_word(a0 = addr) -> a0 = 1, a1 = the word; or a0 = 0 after a load-access fault.
    .globl probe_word
probe_word:
    csrr    t1, TVEC
    la      t2, probe_fault
    csrw    TVEC, t2
    lw      a1, 0(a0)
    li      a0, 1
    csrw    TVEC, t1
    ret
    .balign 4
probe_fault:
    csrw    TVEC, t1
    csrr    t2, CAUSE
    li      t3, LOAD_ACCESS
    beq     t2, t3, 5f
    j       trap_vector
5:  li      a0, 0
    li      a1, 0
    ret

    .globl swtch
swtch:
    sw ra, 0(a0)
    sw sp, 4(a0)
    sw s0, 8(a0)
    sw s1, 12(a0)
    sw s2, 16(a0)
    sw s3, 20(a0)
    sw s4, 24(a0)
    sw s5, 28(a0)
    sw s6, 32(a0)
    sw s7, 36(a0)
    sw s8, 40(a0)
    sw s9, 44(a0)
    sw s10, 48(a0)
    sw s11, 52(a0)
    lw ra, 0(a1)
    lw sp, 4(a1)
    lw s0, 8(a1)
    lw s1, 12(a1)
    lw s2, 16(a1)
    lw s3, 20(a1)
    lw s4, 24(a1)
    lw s5, 28(a1)
    lw s6, 32(a1)
    lw s7, 36(a1)
    lw s8, 40(a1)
    lw s9, 44(a1)
    lw s10, 48(a1)
    lw s11, 52(a1)
    ret

    .section .bss.boot_stack, "aw", @nobits
    .balign 16
__boot_stack:
    .space 65536
    .globl __boot_stack_top
__boot_stack_top:
    .option pop
"#
);
