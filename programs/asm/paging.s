# paging.s — a teaching kernel in one file: two-level page tables, user mode, system calls,
# demand paging and memory protection on ox32.
#
#     cargo run -p orrery-emulator -- run programs/asm/paging.s
#
# What happens, in order:
#  1. The kernel (running at its physical address, paging off) builds a page table with
#     `map_page`, which allocates level-2 tables from a small pool of free pages:
#       - its own pages, identity-mapped and kernel-only (code read+execute, data read+write);
#       - the UART and the power device, identity-mapped and kernel-only;
#       - the user code page at virtual USER_VA and one user stack page below USER_STACK_TOP.
#  2. It turns paging on with ASID 1 and starts "processes": each is an entry point in the user
#     page, entered with `eret` in user mode on a fresh stack.
#  3. Process 1 prints through the `putc` system call, then reads an address that is not
#     mapped. The page-fault handler prints the cause and the address, maps a fresh zeroed
#     page there (demand paging), flushes that address from the TLB and returns with `eret`
#     to the same instruction, which now succeeds. The process fills the page, sums it back,
#     prints the sum and exits through the `exit` system call.
#  4. Processes 2 and 3 misbehave: one jumps into kernel code, one loads from a kernel page.
#     The kernel reports each fault and kills the process.
#  5. When no process is left the kernel powers the node off with exit code 0.
#
# Conventions. System calls: number in a7, argument in a0. While a process runs, scratch0
# holds the top of the kernel stack; a trap swaps it with sp. The handler saves ra, t0-t6,
# a0-a7 and s0 (everything the kernel may change on a path that returns), so a user program keeps all its
# registers across a system call or a fault it survives.

        .equ UART_DATA, 0x10000000
        .equ POWER_EXIT, 0x10003000

        # Virtual layout of a process.
        .equ USER_VA, 0x00400000            # the user code page
        .equ DEMAND_VA, 0x00600000          # not mapped until first touched
        .equ USER_STACK_TOP, 0x00800000     # one stack page below this
        .equ USER_END, 0x00800000           # faults below this are served by demand paging

        # ptbr: bit 31 turns paging on, bits 28..20 hold the ASID, the rest the root frame.
        .equ PTBR_PAGING_ASID1, 0x80100000

        # Page-table entry flags.
        .equ PTE_V, 0x01
        .equ PTE_R, 0x02
        .equ PTE_W, 0x04
        .equ PTE_X, 0x08
        .equ PTE_U, 0x10
        .equ KERNEL_RX, PTE_V | PTE_R | PTE_X
        .equ KERNEL_RW, PTE_V | PTE_R | PTE_W
        .equ USER_RX, PTE_V | PTE_R | PTE_X | PTE_U
        .equ USER_RW, PTE_V | PTE_R | PTE_W | PTE_U

        # Trap causes the kernel handles.
        .equ CAUSE_FETCH_PAGE_FAULT, 3
        .equ CAUSE_SYSCALL, 7
        .equ CAUSE_LOAD_PAGE_FAULT, 10
        .equ CAUSE_STORE_PAGE_FAULT, 13

        # System calls.
        .equ SYS_PUTC, 1
        .equ SYS_EXIT, 2

        .equ FRAME_SIZE, 68                 # the trap frame: 17 saved registers
        .equ CAUSE_NAMES, 14                # entries of `cause_names`

# ---------------------------------------------------------------------------------------------
# Kernel code: the first page, kernel-only.
# ---------------------------------------------------------------------------------------------
        .text
        .globl _start
_start:
kernel_start:
        la      sp, kernel_stack_top
        la      t0, trap_entry
        crrw    zero, tvec, t0

        # Kernel code (every page up to the user code): identity, read+execute.
        la      s0, kernel_start
        la      s1, user_start
map_kernel_code:
        mv      a0, s0
        mv      a1, s0
        li      a2, KERNEL_RX
        call    map_page
        li      t0, 4096
        add     s0, s0, t0
        bltu    s0, s1, map_kernel_code
        # Kernel read-only data and everything after it (page tables, stack, free pages):
        # identity, read+write.
        la      s0, kernel_data_start
        la      s1, kernel_end
map_kernel_data:
        mv      a0, s0
        mv      a1, s0
        li      a2, KERNEL_RW
        call    map_page
        li      t0, 4096
        add     s0, s0, t0
        bltu    s0, s1, map_kernel_data
        # Devices: the kernel prints and powers off with paging on.
        li      a0, UART_DATA
        mv      a1, a0
        li      a2, KERNEL_RW
        call    map_page
        li      a0, POWER_EXIT
        mv      a1, a0
        li      a2, KERNEL_RW
        call    map_page
        # The user's code and stack.
        li      a0, USER_VA
        la      a1, user_start
        li      a2, USER_RX
        call    map_page
        li      a0, USER_STACK_TOP - 4096
        la      a1, user_stack
        li      a2, USER_RW
        call    map_page

        # Paging on, ASID 1. The next fetch already goes through the table, which maps this
        # code at its own address, so execution simply continues.
        la      t0, root_table
        srli    t0, t0, 12
        li      t1, PTBR_PAGING_ASID1
        or      t0, t0, t1
        crrw    zero, ptbr, t0
        la      a0, msg_paging_on
        call    puts
        j       next_process

# map_page(a0 = virtual address, a1 = physical address, a2 = flags): enters a leaf mapping
# of one 4 KiB page, allocating the level-2 table if the level-1 entry is still invalid.
map_page:
        addi    sp, sp, -20
        sw      ra, 0(sp)
        sw      s0, 4(sp)
        sw      s1, 8(sp)
        sw      s2, 12(sp)
        sw      s3, 16(sp)
        mv      s0, a0
        mv      s1, a1
        mv      s2, a2
        # &root_table[va >> 22]
        srli    t0, s0, 22
        slli    t0, t0, 2
        la      t1, root_table
        add     t1, t1, t0
        lw      t2, 0(t1)
        andi    t3, t2, PTE_V
        bnez    t3, have_table
        # No level-2 table yet: take a zeroed page and point the level-1 entry at it with V
        # alone (no R, W or X), which means "next level".
        mv      s3, t1
        call    alloc_page
        srli    t2, a0, 12
        slli    t2, t2, 12
        ori     t2, t2, PTE_V
        sw      t2, 0(s3)
have_table:
        # &table[(va >> 12) & 1023]
        srli    t2, t2, 12
        slli    t2, t2, 12
        srli    t0, s0, 12
        andi    t0, t0, 1023
        slli    t0, t0, 2
        add     t2, t2, t0
        # The leaf: frame number in bits 31..12, flags below. A and D stay clear: the
        # hardware sets them on first access and first write.
        srli    t0, s1, 12
        slli    t0, t0, 12
        or      t0, t0, s2
        sw      t0, 0(t2)
        lw      ra, 0(sp)
        lw      s0, 4(sp)
        lw      s1, 8(sp)
        lw      s2, 12(sp)
        lw      s3, 16(sp)
        addi    sp, sp, 20
        ret

# alloc_page() -> a0: the physical address of a zeroed page from the pool, or powers off
# with exit code 1 when the pool is empty.
alloc_page:
        la      t0, next_free_page
        lw      a0, 0(t0)
        la      t1, free_pages_end
        bgeu    a0, t1, out_of_memory
        li      t1, 4096
        add     t1, a0, t1
        sw      t1, 0(t0)
        mv      t0, a0
zero_page:
        sw      zero, 0(t0)
        addi    t0, t0, 4
        bltu    t0, t1, zero_page
        ret
out_of_memory:
        la      a0, msg_out_of_memory
        call    puts
        li      a0, 1
        j       power_off

# putc(a0 = character)
putc:
        li      t0, UART_DATA
        sw      a0, 0(t0)
        ret

# puts(a0 = address of a NUL-terminated string)
puts:
        li      t0, UART_DATA
puts_loop:
        lbu     t1, 0(a0)
        beqz    t1, puts_done
        sw      t1, 0(t0)
        addi    a0, a0, 1
        j       puts_loop
puts_done:
        ret

# put_hex(a0 = value): prints 0x and eight hex digits.
put_hex:
        li      t0, UART_DATA
        li      t1, '0'
        sw      t1, 0(t0)
        li      t1, 'x'
        sw      t1, 0(t0)
        li      t2, 28                      # shift of the next digit
put_hex_digit:
        srl     t1, a0, t2
        andi    t1, t1, 15
        la      t3, hex_digits
        add     t3, t3, t1
        lbu     t1, 0(t3)
        sw      t1, 0(t0)
        addi    t2, t2, -4
        bgez    t2, put_hex_digit
        ret

# power_off(a0 = exit code)
power_off:
        li      t0, POWER_EXIT
        sw      a0, 0(t0)
halt:
        j       halt

# next_process: starts the next entry of `processes` in user mode, or powers off when none is
# left. Runs on the kernel stack; never returns.
next_process:
        la      t0, current_process
        lw      t1, 0(t0)
        addi    t2, t1, 1
        sw      t2, 0(t0)
        slli    t1, t1, 2
        la      t2, processes
        add     t2, t2, t1
        lw      t3, 0(t2)
        beqz    t3, all_done
        la      a0, msg_starting
        call    puts
        la      t0, current_process
        lw      a0, 0(t0)
        addi    a0, a0, '0'
        call    putc
        li      a0, '\n'
        call    putc
        # eret goes to epc in the mode recorded in status.PKM (clear: user), with interrupts
        # as in status.PIE (clear: off).
        crrw    zero, epc, t3
        crrwi   zero, status, 0
        la      t0, kernel_stack_top
        crrw    zero, scratch0, t0
        li      sp, USER_STACK_TOP
        eret
all_done:
        la      a0, msg_all_done
        call    puts
        li      a0, 0
        j       power_off

# Every trap comes here. Swap in the kernel stack, save what the kernel may change, and
# dispatch on the cause.
trap_entry:
        crrw    sp, scratch0, sp            # sp = kernel stack, scratch0 = user sp
        addi    sp, sp, -FRAME_SIZE
        sw      ra, 0(sp)
        sw      t0, 4(sp)
        sw      t1, 8(sp)
        sw      t2, 12(sp)
        sw      t3, 16(sp)
        sw      t4, 20(sp)
        sw      t5, 24(sp)
        sw      t6, 28(sp)
        sw      a0, 32(sp)
        sw      a1, 36(sp)
        sw      a2, 40(sp)
        sw      a3, 44(sp)
        sw      a4, 48(sp)
        sw      a5, 52(sp)
        sw      a6, 56(sp)
        sw      a7, 60(sp)
        sw      s0, 64(sp)
        crrs    t0, cause, zero
        li      t1, CAUSE_SYSCALL
        beq     t0, t1, syscall
        li      t1, CAUSE_LOAD_PAGE_FAULT
        beq     t0, t1, page_fault
        li      t1, CAUSE_STORE_PAGE_FAULT
        beq     t0, t1, page_fault
        j       kill

# Restore the saved registers and the user stack, and return to epc in user mode.
trap_return:
        lw      ra, 0(sp)
        lw      t0, 4(sp)
        lw      t1, 8(sp)
        lw      t2, 12(sp)
        lw      t3, 16(sp)
        lw      t4, 20(sp)
        lw      t5, 24(sp)
        lw      t6, 28(sp)
        lw      a0, 32(sp)
        lw      a1, 36(sp)
        lw      a2, 40(sp)
        lw      a3, 44(sp)
        lw      a4, 48(sp)
        lw      a5, 52(sp)
        lw      a6, 56(sp)
        lw      a7, 60(sp)
        lw      s0, 64(sp)
        addi    sp, sp, FRAME_SIZE
        crrw    sp, scratch0, sp            # sp = user sp, scratch0 = kernel stack top
        eret

# A system call: epc is the `syscall` itself, so step past it before returning.
syscall:
        crrs    t0, epc, zero
        addi    t0, t0, 4
        crrw    zero, epc, t0
        li      t1, SYS_PUTC
        beq     a7, t1, sys_putc
        li      t1, SYS_EXIT
        beq     a7, t1, sys_exit
        la      a0, msg_bad_syscall
        call    puts
        j       kill
sys_putc:
        call    putc
        j       trap_return
sys_exit:
        mv      s0, a0
        la      a0, msg_exit
        call    puts
        mv      a0, s0
        call    put_hex
        li      a0, '\n'
        call    putc
        j       next_process

# A page fault. Inside the user region it is the first touch of a page nobody mapped yet:
# map a zeroed page there and retry the instruction (epc is the faulting instruction).
# Anywhere else the process broke the rules.
page_fault:
        crrs    s0, badaddr, zero
        li      t1, USER_END
        bgeu    s0, t1, kill
        la      a0, msg_page_fault
        call    puts
        crrs    a0, cause, zero
        call    put_cause
        la      a0, msg_at
        call    puts
        mv      a0, s0
        call    put_hex
        la      a0, msg_demand
        call    puts
        call    alloc_page
        mv      a1, a0
        srli    a0, s0, 12
        slli    a0, a0, 12
        li      a2, USER_RW
        call    map_page
        # The faulting walk cached nothing, but a stale entry for this address (from an old
        # mapping) would survive: drop it. rs2 = zero means every ASID.
        tlbflush s0, zero
        j       trap_return

# Kill the current process: report the trap and start the next one.
kill:
        la      a0, msg_killed
        call    puts
        crrs    a0, cause, zero
        call    put_cause
        la      a0, msg_at
        call    puts
        crrs    a0, badaddr, zero
        call    put_hex
        la      a0, msg_epc
        call    puts
        crrs    a0, epc, zero
        call    put_hex
        li      a0, '\n'
        call    putc
        j       next_process

# put_cause(a0 = cause): prints the cause's name, or its number in hex.
put_cause:
        li      t0, CAUSE_NAMES
        bgeu    a0, t0, put_cause_number
        slli    t0, a0, 2
        la      t1, cause_names
        add     t1, t1, t0
        lw      a0, 0(t1)
        j       puts
put_cause_number:
        j       put_hex

# ---------------------------------------------------------------------------------------------
# User code: the second page, mapped at USER_VA for user mode only. Addresses of user data
# are computed as USER_VA + (label - user_start), since `la` gives the physical address the
# assembler placed the label at.
# ---------------------------------------------------------------------------------------------
        .balign 4096
user_start:
# Process 1: print, fault a page in, use it, exit.
user_main:
        la      a0, USER_VA + (str_hello - user_start)
        jal     user_puts
        li      s0, DEMAND_VA
        lw      s1, 0(s0)                   # page fault; returns here and reads 0
        bnez    s1, user_failed
        # Fill the page's first 16 words with i*i, then add them back up.
        li      t0, 0
user_fill:
        mul     t1, t0, t0
        slli    t2, t0, 2
        add     t2, t2, s0
        sw      t1, 0(t2)
        addi    t0, t0, 1
        li      t3, 16
        bltu    t0, t3, user_fill
        li      t0, 0
        li      s1, 0
user_sum:
        slli    t2, t0, 2
        add     t2, t2, s0
        lw      t1, 0(t2)
        add     s1, s1, t1
        addi    t0, t0, 1
        li      t3, 16
        bltu    t0, t3, user_sum
        la      a0, USER_VA + (str_sum - user_start)
        jal     user_puts
        mv      a0, s1
        jal     user_put_decimal
        li      a0, '\n'
        li      a7, SYS_PUTC
        syscall
        li      a0, 0
        li      a7, SYS_EXIT
        syscall
user_failed:
        li      a0, 1
        li      a7, SYS_EXIT
        syscall

# Process 2: jump into the kernel's code.
user_jump_to_kernel:
        la      a0, USER_VA + (str_jump - user_start)
        jal     user_puts
        la      t0, _start
        jr      t0

# Process 3: read the kernel's page table.
user_read_kernel:
        la      a0, USER_VA + (str_read - user_start)
        jal     user_puts
        la      t0, root_table
        lw      t1, 0(t0)
        li      a0, 1
        li      a7, SYS_EXIT
        syscall

# user_puts(a0 = string): one putc system call per character.
user_puts:
        mv      t0, a0
        li      a7, SYS_PUTC
user_puts_loop:
        lbu     a0, 0(t0)
        beqz    a0, user_puts_done
        syscall
        addi    t0, t0, 1
        j       user_puts_loop
user_puts_done:
        ret

# user_put_decimal(a0 = value): digits are produced last first, so they go through a buffer
# on the user stack.
user_put_decimal:
        addi    sp, sp, -16
        mv      t0, sp
        li      t1, 10
user_digit:
        remu    t2, a0, t1
        addi    t2, t2, '0'
        sb      t2, 0(t0)
        addi    t0, t0, 1
        divu    a0, a0, t1
        bnez    a0, user_digit
        li      a7, SYS_PUTC
user_emit:
        addi    t0, t0, -1
        lbu     a0, 0(t0)
        syscall
        bne     t0, sp, user_emit
        addi    sp, sp, 16
        ret

str_hello:
        .asciz  "user: hello from user mode\n"
str_sum:
        .asciz  "user: sum of i*i for i < 16 on the demand-paged page = "
str_jump:
        .asciz  "user: jumping into kernel code\n"
str_read:
        .asciz  "user: reading the kernel's page table\n"

# ---------------------------------------------------------------------------------------------
# Kernel read-only data.
# ---------------------------------------------------------------------------------------------
        .rodata
kernel_data_start:
processes:
        .word   USER_VA + (user_main - user_start)
        .word   USER_VA + (user_jump_to_kernel - user_start)
        .word   USER_VA + (user_read_kernel - user_start)
        .word   0
hex_digits:
        .ascii  "0123456789abcdef"
cause_names:
        .word   cause_0, cause_1, cause_2, cause_3, cause_4, cause_5, cause_6
        .word   cause_7, cause_8, cause_9, cause_10, cause_11, cause_12, cause_13
cause_0:  .asciz "cause 0"
cause_1:  .asciz "fetch-misaligned"
cause_2:  .asciz "fetch-access"
cause_3:  .asciz "fetch-page-fault"
cause_4:  .asciz "illegal-instruction"
cause_5:  .asciz "privileged-instruction"
cause_6:  .asciz "break"
cause_7:  .asciz "syscall"
cause_8:  .asciz "load-misaligned"
cause_9:  .asciz "load-access"
cause_10: .asciz "load-page-fault"
cause_11: .asciz "store-misaligned"
cause_12: .asciz "store-access"
cause_13: .asciz "store-page-fault"
msg_paging_on:
        .asciz  "kernel: paging on (ASID 1)\n"
msg_starting:
        .asciz  "kernel: starting process "
msg_page_fault:
        .asciz  "kernel: "
msg_at:
        .asciz  " at "
msg_demand:
        .asciz  ": mapping a zeroed page\n"
msg_killed:
        .asciz  "kernel: killed the process: "
msg_epc:
        .asciz  ", epc "
msg_exit:
        .asciz  "kernel: the process exited with status "
msg_bad_syscall:
        .asciz  "kernel: unknown system call\n"
msg_out_of_memory:
        .asciz  "kernel: out of free pages\n"
msg_all_done:
        .asciz  "kernel: no process left, powering off\n"

# ---------------------------------------------------------------------------------------------
# Kernel data.
# ---------------------------------------------------------------------------------------------
        .data
current_process:
        .word   0
next_free_page:
        .word   free_pages

        .bss
        .balign 4096
root_table:
        .space  4096
kernel_stack:
        .space  4096
kernel_stack_top:
user_stack:
        .space  4096
free_pages:
        .space  4096 * 6
free_pages_end:
kernel_end:
