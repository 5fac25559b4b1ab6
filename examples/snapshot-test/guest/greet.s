# greet.s — the guest of the snapshot-test example: asks for a name on the console UART,
# greets it, and powers off with exit code 0; at the end of the input without a name, says
# so and powers off with exit code 1. It polls the UART (docs/devices.md).

        .equ UART_DATA, 0x10000000
        .equ UART_STATUS, 0x10000004
        .equ POWER_EXIT, 0x10003000
        .equ RX_READY, 1
        .equ RX_END, 4
        .equ NAME_MAX, 63

        .text
        .globl _start
_start:
        la      sp, stack_top
        la      a0, prompt
        call    puts
        la      s1, name
        mv      s2, s1
        addi    s3, s1, NAME_MAX
read:
        li      t0, UART_STATUS
        lw      t1, 0(t0)
        andi    t2, t1, RX_READY
        bnez    t2, got
        andi    t2, t1, RX_END
        bnez    t2, no_name
        j       read
got:
        li      t0, UART_DATA
        lw      t1, 0(t0)
        li      t2, 10
        beq     t1, t2, greet
        beq     s2, s3, read
        sb      t1, 0(s2)
        addi    s2, s2, 1
        j       read
greet:
        sb      zero, 0(s2)
        la      a0, hello
        call    puts
        mv      a0, s1
        call    puts
        la      a0, bang
        call    puts
        li      t0, POWER_EXIT
        sw      zero, 0(t0)
no_name:
        la      a0, nothing
        call    puts
        li      t0, POWER_EXIT
        li      t1, 1
        sw      t1, 0(t0)
halt:
        j       halt

# puts(a0): writes the NUL-terminated string at a0.
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

        .rodata
prompt:
        .asciz  "name? "
hello:
        .asciz  "hello, "
bang:
        .asciz  "!\n"
nothing:
        .asciz  "\nno name given\n"

        .data
name:
        .space  64
        .space  256
stack_top:
