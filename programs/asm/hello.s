# hello.s — the smallest complete ox32 program: print a line on the console UART, then power
# the node off with exit code 0.
#
#     cargo run --release -p orrery-emulator -- run programs/asm/hello.elf

        .equ UART_DATA, 0x10000000
        .equ POWER_EXIT, 0x10003000

        .text
        .globl _start
_start:
        li      t0, UART_DATA
        la      t1, message
print:
        lbu     t2, 0(t1)
        beqz    t2, done
        sw      t2, 0(t0)
        addi    t1, t1, 1
        j       print
done:
        li      t0, POWER_EXIT
        sw      zero, 0(t0)
halt:
        j       halt

        .rodata
message:
        .asciz  "Hello from ox32!\n"
