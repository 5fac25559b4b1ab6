# bench.s — the CPU benchmark behind `orrery bench`.
#
# The kernel part (first text page) identity-maps the 4 MiB at 0x80000000 with 4 KiB pages,
# turns paging on with ASID 1 and drops to user mode. The user part runs a sieve of
# Eratosthenes over 64 KiB (16 pages, so loads and stores go through the TLB) `rounds` times,
# checks that every round found 6542 primes, and makes a system call with the verdict in a0.
# The trap handler turns paging off and powers the node off with that verdict as exit code.
# `orrery bench` patches `rounds` before it runs the program.

        .equ POWER, 0x10003000
        .equ LEAF_KERNEL_RX, 0xCB       # V R X A D
        .equ LEAF_USER_RWX, 0xDF        # V R W X U A D
        .equ SIEVE_SIZE, 65536
        .equ PRIMES_BELOW_65536, 6542

        .text
        .globl _start
_start:
        la      t0, trap
        crrw    zero, tvec, t0

        # Level-2 table: map 1024 pages identically, user RWX.
        la      t0, l2_table
        li      t1, 0x80000             # first frame number
        li      t2, 1024
        li      t3, LEAF_USER_RWX
fill:
        slli    t4, t1, 12
        or      t4, t4, t3
        sw      t4, 0(t0)
        addi    t0, t0, 4
        addi    t1, t1, 1
        addi    t2, t2, -1
        bnez    t2, fill

        # The first page holds this kernel code: kernel-only, read and execute.
        la      t0, l2_table
        li      t4, 0x80000000 | LEAF_KERNEL_RX
        sw      t4, 0(t0)

        # Level-1 entry 0x200 (VA 0x80000000) points to the level-2 table.
        la      t0, root_table
        la      t1, l2_table
        ori     t1, t1, 1               # V: a pointer to the next level
        li      t2, 0x200 * 4
        add     t0, t0, t2
        sw      t1, 0(t0)

        # Paging on, ASID 1.
        la      t0, root_table
        srli    t0, t0, 12
        li      t1, 0x80100000
        or      t0, t0, t1
        crrw    zero, ptbr, t0

        # Into user mode at user_main, with interrupts enabled there.
        la      t0, user_main
        crrw    zero, epc, t0
        li      t0, 2                   # status.PIE
        crrw    zero, status, t0
        eret

trap:
        crrs    t0, cause, zero
        crrw    zero, ptbr, zero        # paging off, to reach the power device
        li      t1, 7                   # syscall
        beq     t0, t1, power_off
        addi    a0, t0, 100             # any other trap: exit code 100 + cause
power_off:
        li      t1, POWER
        sw      a0, 0(t1)
hang:
        j       hang

        .balign 4096
user_main:
        la      s0, rounds
        lw      s0, 0(s0)
        li      s1, 0                   # primes found over all rounds
        la      a0, sieve
        li      t1, SIEVE_SIZE
round:
        li      t0, 0
        li      t2, 1
init:
        add     t3, a0, t0
        sb      t2, 0(t3)
        addi    t0, t0, 1
        blt     t0, t1, init

        li      t0, 2
outer:
        mul     t3, t0, t0
        bge     t3, t1, count
        add     t4, a0, t0
        lbu     t4, 0(t4)
        beqz    t4, next
mark:
        add     t4, a0, t3
        sb      zero, 0(t4)
        add     t3, t3, t0
        blt     t3, t1, mark
next:
        addi    t0, t0, 1
        j       outer

count:
        li      t0, 2
        li      t5, 0
count_loop:
        add     t4, a0, t0
        lbu     t4, 0(t4)
        add     t5, t5, t4
        addi    t0, t0, 1
        blt     t0, t1, count_loop
        add     s1, s1, t5
        addi    s0, s0, -1
        bnez    s0, round

        la      t0, rounds
        lw      t0, 0(t0)
        li      t1, PRIMES_BELOW_65536
        mul     t0, t0, t1
        sub     a0, s1, t0
        snez    a0, a0                  # 0 when every round was right
        syscall

        .data
        .globl rounds
rounds:
        .word   10

        .bss
        .balign 4096
root_table:
        .space  4096
l2_table:
        .space  4096
sieve:
        .space  SIEVE_SIZE
