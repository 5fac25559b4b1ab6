# disk.s — the block device from bare metal: read sector 0 of the disk (polling), print the
# file-system magic it starts with, write a message to the last sector (waiting for the
# completion interrupt), show that a request past the end fails, flush, and power off.
# Exit code 0 when everything went as expected, 1 otherwise.
#
#     oxdisk create disk.img --size 1M
#     orrery run programs/asm/disk.s --disk disk.img
#
# Prints:
#     magic: OXFS
#     wrote the last sector
#     a read past the end fails
#
# The device (docs/devices.md): set SECTOR, COUNT and ADDR, write COMMAND; the data moves at
# once, but the command completes (STATUS.DONE, and the line while CTRL.0 is set) some virtual
# microseconds later. ACK clears DONE before the next command.

        .equ UART_DATA, 0x10000000
        .equ INTC_ENABLE, 0x10002004
        .equ POWER_EXIT, 0x10003000

        .equ BLOCK, 0x10004000          # BLOCK_BASE; the registers are offsets from it
        .equ STATUS, 0x00
        .equ CTRL, 0x04
        .equ CAPACITY, 0x08
        .equ SECTOR, 0x0c
        .equ COUNT, 0x10
        .equ ADDR, 0x14
        .equ COMMAND, 0x18
        .equ ACK, 0x1c
        .equ ERROR_CODE, 0x20

        .equ BUSY, 1                    # STATUS bits
        .equ DONE, 2
        .equ ERROR, 4
        .equ READ, 1                    # COMMAND values
        .equ WRITE, 2
        .equ FLUSH, 3
        .equ ERR_RANGE, 2               # ERROR_CODE value for sectors past the end
        .equ IRQ_BLOCK_BIT, 4           # 1 << IRQ_BLOCK (line 2)

        .text
        .globl _start
_start:
        li      s0, BLOCK

        # 1. Read sector 0 into `sector` and poll until the command is no longer busy.
        sw      zero, SECTOR(s0)
        li      t0, 1
        sw      t0, COUNT(s0)
        la      t0, sector
        sw      t0, ADDR(s0)
        li      t0, READ
        sw      t0, COMMAND(s0)
poll:
        lw      t0, STATUS(s0)
        andi    t1, t0, BUSY
        bnez    t1, poll
        andi    t1, t0, ERROR
        bnez    t1, fail
        sw      zero, ACK(s0)

        # 2. An ox-fs image starts with the magic "OXFS": print the four bytes read.
        la      a0, magic_text
        call    puts
        la      t0, sector
        sb      zero, 4(t0)             # end the string after the magic
        mv      a0, t0
        call    puts
        la      a0, newline
        call    puts
        la      t0, sector
        lw      t1, 0(t0)
        li      t2, 0x5346584f          # "OXFS", little-endian
        bne     t1, t2, fail

        # 3. Write `message` (one sector) to the last sector, then sleep in `wait` until the
        #    completion interrupt is pending (interrupts stay disabled in `status`; `wait`
        #    wakes on any enabled, pending line).
        li      t0, 1
        sw      t0, CTRL(s0)            # assert the line while DONE
        li      t0, INTC_ENABLE
        li      t1, IRQ_BLOCK_BIT
        sw      t1, 0(t0)
        lw      t0, CAPACITY(s0)
        addi    t0, t0, -1
        sw      t0, SECTOR(s0)
        la      t0, message
        sw      t0, ADDR(s0)
        li      t0, WRITE
        sw      t0, COMMAND(s0)
sleep:
        wait
        lw      t0, STATUS(s0)
        andi    t1, t0, DONE
        beqz    t1, sleep
        andi    t1, t0, ERROR
        bnez    t1, fail
        sw      zero, ACK(s0)
        sw      zero, CTRL(s0)
        la      a0, wrote_text
        call    puts

        # 4. A read that starts at CAPACITY is malformed: it completes at once with ERROR.
        lw      t0, CAPACITY(s0)
        sw      t0, SECTOR(s0)
        li      t0, READ
        sw      t0, COMMAND(s0)
        lw      t0, STATUS(s0)
        li      t1, 6                   # DONE | ERROR, and not BUSY
        bne     t0, t1, fail
        lw      t0, ERROR_CODE(s0)
        li      t1, ERR_RANGE
        bne     t0, t1, fail
        sw      zero, ACK(s0)
        la      a0, range_text
        call    puts

        # 5. Flush the image file and power off with exit code 0.
        li      t0, FLUSH
        sw      t0, COMMAND(s0)
flush:
        lw      t0, STATUS(s0)
        andi    t0, t0, BUSY
        bnez    t0, flush
        li      t0, POWER_EXIT
        sw      zero, 0(t0)
halt:
        j       halt

fail:
        la      a0, fail_text
        call    puts
        li      t0, POWER_EXIT
        li      t1, 1
        sw      t1, 0(t0)
        j       halt

# puts(a0 = NUL-terminated string): writes it to the UART.
puts:
        li      t0, UART_DATA
puts_next:
        lbu     t1, 0(a0)
        beqz    t1, puts_done
        sw      t1, 0(t0)
        addi    a0, a0, 1
        j       puts_next
puts_done:
        ret

        .rodata
magic_text:
        .asciz  "magic: "
newline:
        .asciz  "\n"
wrote_text:
        .asciz  "wrote the last sector\n"
range_text:
        .asciz  "a read past the end fails\n"
fail_text:
        .asciz  "disk.s: the block device misbehaved\n"

        .data
        .balign 4
message:                                # exactly one 512-byte sector
        .ascii  "written by disk.s\n"
        .space  494                     # 512 - 18 bytes of text

        .bss
        .balign 4
sector:
        .space  512
