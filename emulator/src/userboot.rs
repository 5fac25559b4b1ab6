//! `orrery run --user`: an executable run as a user process, paging on, the way `qemu-riscv32`
//! runs its RV32 original as a Linux process.
//!
//! After the direct boot has loaded the segments, [`prepare`] adds what a kernel would: page
//! tables mapping each `PT_LOAD` segment at its virtual address to its physical one, user
//! pages with the segment's rights (R, W, X from `p_flags`), a 64 KiB user stack, and a small
//! kernel (assembled here, kernel-only pages) that turns paging on with ASID 1, enters the
//! program in user mode with `sp` at the top of that stack and every other register 0, and
//! answers its system calls with the Linux numbers ox-bare uses (`docs/bare-metal.md`):
//! `write` (64) to fd 1 or 2 sends the bytes to the UART, `exit` (93) and `exit_group` (94)
//! power the node off with the code; any other call returns `-ENOSYS`. Any other trap prints
//! its cause, epc and badaddr and powers off with status 127, like ox-bare's own handler.
//!
//! All of it lives in the top 256 KiB of RAM ([`AREA`]), which the image must leave free.

use ox32::memmap::{POWER_BASE, RAM_BASE, UART_BASE};

use crate::bus::Bus;
use crate::loader::{Image, LoadError};

/// The bytes at the top of RAM kept for the stack, the kernel and the page tables.
pub const AREA: u32 = 256 << 10;
/// The user stack's size (at the bottom of [`AREA`]).
const STACK: u32 = 64 << 10;
const PAGE: u32 = 4096;

/// Page-table entry bits (`docs/isa.md` §10.1).
const V: u32 = 1;
const R: u32 = 2;
const W: u32 = 4;
const X: u32 = 8;
const U: u32 = 16;
const G: u32 = 32;
const A: u32 = 64;
const D: u32 = 128;

/// The ASID the program runs under.
const ASID: u32 = 1;

/// The kernel, assembled at the address given in `KBASE`: `_start` enters the program; `trap`
/// answers its system calls.
const KERNEL: &str = r#"
        .text
        .globl _start
_start:
        la      t0, trap
        crrw    zero, tvec, t0
        li      t0, PTBR
        crrw    zero, ptbr, t0
        li      t0, ENTRY
        crrw    zero, epc, t0
        crrwi   zero, status, 0         # PKM = 0: eret goes to user mode, interrupts off
        li      sp, STACK_TOP
        li      t0, 0
        li      a0, 0
        li      a1, 0
        eret

trap:
        crrw    zero, scratch0, t0
        crrw    zero, scratch1, t1
        crrs    t0, status, zero
        andi    t0, t0, 4               # PKM: a trap taken in the kernel itself
        bnez    t0, fatal
        crrs    t0, cause, zero
        li      t1, 7                   # syscall
        bne     t0, t1, fatal
        li      t0, 64
        beq     a7, t0, sys_write
        li      t0, 93
        beq     a7, t0, sys_exit
        li      t0, 94
        beq     a7, t0, sys_exit
        li      a0, -38                 # -ENOSYS
        j       done
sys_exit:
        li      t0, POWER
        sw      a0, 0(t0)
halt:
        j       halt
sys_write:
        addi    t0, a0, -1
        li      t1, 2
        bltu    t0, t1, fd_ok           # fd 1 or 2
        li      a0, -9                  # -EBADF
        j       done
fd_ok:
        la      t0, save
        sw      t2, 0(t0)
        sw      t3, 4(t0)
        mv      t0, a1                  # the user's buffer, read through its mapping
        add     t1, a1, a2
        li      t2, UART
write_loop:
        beq     t0, t1, written
        lbu     t3, 0(t0)
        sw      t3, 0(t2)
        addi    t0, t0, 1
        j       write_loop
written:
        mv      a0, a2
        la      t0, save
        lw      t2, 0(t0)
        lw      t3, 4(t0)
done:
        crrs    t0, epc, zero
        addi    t0, t0, 4
        crrw    zero, epc, t0
        crrs    t0, scratch0, zero
        crrs    t1, scratch1, zero
        eret

# Any other trap: "orrery --user: unexpected trap: cause C, epc E, badaddr B", status 127.
fatal:
        la      a1, msg_trap
        jal     ra, puts
        crrs    a0, cause, zero
        jal     ra, hex
        la      a1, msg_epc
        jal     ra, puts
        crrs    a0, epc, zero
        jal     ra, hex
        la      a1, msg_badaddr
        jal     ra, puts
        crrs    a0, badaddr, zero
        jal     ra, hex
        li      t0, UART
        li      t1, 10
        sw      t1, 0(t0)
        li      a0, 127
        j       sys_exit

# puts: the NUL-terminated string at a1 to the UART.
puts:
        li      t0, UART
puts_loop:
        lbu     t1, 0(a1)
        beqz    t1, puts_end
        sw      t1, 0(t0)
        addi    a1, a1, 1
        j       puts_loop
puts_end:
        jr      ra

# hex: a0 as 0x and eight hex digits.
hex:
        li      t0, UART
        li      t1, 48                  # '0'
        sw      t1, 0(t0)
        li      t1, 120                 # 'x'
        sw      t1, 0(t0)
        li      a2, 8
hex_loop:
        srli    t1, a0, 28
        slli    a0, a0, 4
        li      a1, 10
        bltu    t1, a1, hex_digit
        addi    t1, t1, 39              # 'a' - '0' - 10
hex_digit:
        addi    t1, t1, 48
        sw      t1, 0(t0)
        addi    a2, a2, -1
        bnez    a2, hex_loop
        jr      ra

msg_trap:
        .asciz  "orrery --user: unexpected trap: cause "
msg_epc:
        .asciz  ", epc "
msg_badaddr:
        .asciz  ", badaddr "

        .data
save:
        .space  16
"#;

/// Builds the page tables and the kernel for a loaded `image` and returns where the node
/// starts: the kernel's `_start`, in kernel mode with paging still off.
pub fn prepare(bus: &mut Bus, image: &Image) -> Result<u32, LoadError> {
    let err = |msg: String| Err(LoadError(msg));
    let ram_end = RAM_BASE as u64 + bus.ram_size() as u64;
    if (bus.ram_size() as u64) < 2 * AREA as u64 {
        return err(format!("--user needs at least {} KiB of RAM", (2 * AREA) >> 10));
    }
    let area = (ram_end - AREA as u64) as u32;
    let stack_top = area + STACK;
    let kernel_text = stack_top;
    let kernel_data = kernel_text + PAGE;
    let root = kernel_data + PAGE;
    let mut next_table = root + PAGE;

    // Leaves: (virtual page, physical page, rights, whether it is --user's own page).
    let mut leaves: Vec<(u32, u32, u32, bool)> = Vec::new();
    for (i, &(va, pa, size, flags)) in image.segments.iter().enumerate() {
        if size == 0 {
            continue;
        }
        if va % PAGE != pa % PAGE {
            return err(format!("segment {i}: virtual {va:#x} and physical {pa:#x} differ within a page"));
        }
        if pa as u64 + size as u64 > area as u64 {
            return err(format!(
                "segment {i}: {pa:#x}..{:#x} reaches the top {} KiB of RAM, which --user keeps for \
                 its stack, kernel and page tables (give more --ram)",
                pa as u64 + size as u64,
                AREA >> 10
            ));
        }
        let rights = U
            | if flags & 4 != 0 { R } else { 0 }
            | if flags & 2 != 0 { R | W | D } else { 0 }
            | if flags & 1 != 0 { X } else { 0 };
        let Some(last_va) = va.checked_add(size - 1) else {
            return err(format!("segment {i}: {va:#x}+{size:#x} wraps around the address space"));
        };
        leaves.extend(
            (va / PAGE..=last_va / PAGE).map(|vpn| (vpn, pa / PAGE + (vpn - va / PAGE), rights, false)),
        );
    }
    leaves.extend(
        (area..stack_top).step_by(PAGE as usize).map(|page| (page / PAGE, page / PAGE, U | R | W | D, true)),
    );
    for (page, rights) in [
        (kernel_text, G | R | X),
        (kernel_data, G | R | W | D),
        (UART_BASE, G | R | W | D),
        (POWER_BASE, G | R | W | D),
    ] {
        leaves.push((page / PAGE, page / PAGE, rights, true));
    }
    // Pages two segments share take both segments' rights.
    leaves.sort_by_key(|leaf| leaf.0);
    let mut merged: Vec<(u32, u32, u32, bool)> = Vec::with_capacity(leaves.len());
    for leaf in leaves {
        match merged.last_mut() {
            Some(last) if last.0 == leaf.0 => {
                if last.3 || leaf.3 {
                    return err(format!("page {:#x} is both the image's and --user's own", leaf.0 * PAGE));
                }
                if last.1 != leaf.1 {
                    return err(format!("page {:#x} is mapped twice", leaf.0 * PAGE));
                }
                last.2 |= leaf.2;
            }
            _ => merged.push(leaf),
        }
    }

    // The tables: a level-2 table per 4 MiB with a leaf, allocated after the root, each
    // written whole.
    let cannot = |_| LoadError("--user: cannot write RAM".to_string());
    let mut root_table = vec![0u32; 1024];
    let mut tables: Vec<(u32, Vec<u32>)> = Vec::new();
    for (vpn, ppn, rights, _) in merged {
        let l1 = vpn >> 10;
        if tables.last().is_none_or(|t| t.0 != l1) {
            if next_table as u64 + PAGE as u64 > ram_end {
                return err(format!("the image needs more page tables than --user's {} KiB", AREA >> 10));
            }
            root_table[l1 as usize] = next_table | V;
            tables.push((l1, vec![0; 1024]));
            next_table += PAGE;
        }
        let table = &mut tables.last_mut().expect("pushed above").1;
        table[(vpn & 1023) as usize] = ppn << 12 | rights | A | V;
    }
    let bytes = |words: &[u32]| words.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>();
    bus.poke(root, &bytes(&root_table)).map_err(cannot)?;
    for (l1, table) in &tables {
        bus.poke(root_table[*l1 as usize] & !0xfff, &bytes(table)).map_err(cannot)?;
    }

    let ptbr = 1 << 31 | ASID << 20 | (root / PAGE);
    let source = format!(
        "        .equ PTBR, {ptbr:#x}\n        .equ ENTRY, {:#x}\n        .equ STACK_TOP, {stack_top:#x}\n        \
         .equ UART, {UART_BASE:#x}\n        .equ POWER, {POWER_BASE:#x}\n{KERNEL}",
        image.entry
    );
    let options = orrery_toolchain::asm::Options { base: kernel_text, page_align_sections: true };
    let kernel = orrery_toolchain::asm::assemble(&[("--user kernel", &source)], &options)
        .map_err(|d| LoadError(format!("--user kernel: {d}")))?;
    let binary = kernel.to_flat_binary();
    debug_assert!(binary.len() as u32 <= 2 * PAGE);
    bus.poke(kernel_text, &binary).map_err(cannot)?;
    kernel.symbol("_start").ok_or_else(|| LoadError("--user kernel: no _start".into()))
}
