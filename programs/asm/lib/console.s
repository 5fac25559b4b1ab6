# console.s — printing on the console UART, for assembly programs that `.include` it (the boot
# ROM, os/bootrom/bootrom.s, and the link demonstration, programs/asm/linkdemo.s).
#
# The including file defines `UART`, the UART's data register (0x10000000). Both routines are
# leaves: they use no stack and no RAM, and clobber only t0..t4 (and a0).

# Prints the NUL-terminated string at a0.
puts:
        li      t1, UART
puts_loop:
        lbu     t0, 0(a0)
        beqz    t0, puts_end
        sw      t0, 0(t1)
        addi    a0, a0, 1
        j       puts_loop
puts_end:
        ret

# Prints a0 (unsigned) in decimal.
put_decimal:
        li      t1, UART
        li      t2, 1
        li      t3, 10
put_decimal_scale:
        mul     t0, t2, t3
        bgtu    t0, a0, put_decimal_digit
        divu    t4, t0, t3
        bne     t4, t2, put_decimal_digit   # the next power of ten would overflow
        mv      t2, t0
        j       put_decimal_scale
put_decimal_digit:
        divu    t0, a0, t2
        remu    a0, a0, t2
        addi    t0, t0, '0'
        sw      t0, 0(t1)
        divu    t2, t2, t3
        bnez    t2, put_decimal_digit
        ret
