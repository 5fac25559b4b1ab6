# mem.s — loads and stores of 8, 16 and 32 bits: sign and zero extension, negative offsets,
# little-endian byte order, and that a narrow store leaves its neighbours alone.

        .text
main:
# 1: store a word, read it back in every width
        li      gp, 1
        la      s0, buffer
        li      a0, 0x80ff7f01
        sw      a0, 0(s0)
        lw      a2, 0(s0)
        bne     a2, a0, fail
# 2: lb at offset 0 of 0x80ff7f01
        li      gp, 2
        la      s0, buffer
        lb      a2, 0(s0)
        li      t6, 0x1
        bne     a2, t6, fail
# 3: lb at offset 1 of 0x80ff7f01
        li      gp, 3
        la      s0, buffer
        lb      a2, 1(s0)
        li      t6, 0x7f
        bne     a2, t6, fail
# 4: lb at offset 2 of 0x80ff7f01
        li      gp, 4
        la      s0, buffer
        lb      a2, 2(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 5: lb at offset 3 of 0x80ff7f01
        li      gp, 5
        la      s0, buffer
        lb      a2, 3(s0)
        li      t6, 0xffffff80
        bne     a2, t6, fail
# 6: lbu at offset 2 of 0x80ff7f01
        li      gp, 6
        la      s0, buffer
        lbu     a2, 2(s0)
        li      t6, 0xff
        bne     a2, t6, fail
# 7: lbu at offset 3 of 0x80ff7f01
        li      gp, 7
        la      s0, buffer
        lbu     a2, 3(s0)
        li      t6, 0x80
        bne     a2, t6, fail
# 8: lh at offset 0 of 0x80ff7f01
        li      gp, 8
        la      s0, buffer
        lh      a2, 0(s0)
        li      t6, 0x7f01
        bne     a2, t6, fail
# 9: lh at offset 2 of 0x80ff7f01
        li      gp, 9
        la      s0, buffer
        lh      a2, 2(s0)
        li      t6, 0xffff80ff
        bne     a2, t6, fail
# 10: lhu at offset 2 of 0x80ff7f01
        li      gp, 10
        la      s0, buffer
        lhu     a2, 2(s0)
        li      t6, 0x80ff
        bne     a2, t6, fail
# 11: lw with a negative offset
        li      gp, 11
        la      s0, buffer + 8
        lw      a2, -8(s0)
        li      t6, 0x80ff7f01
        bne     a2, t6, fail
# 12: lbu with a negative offset
        li      gp, 12
        la      s0, buffer + 4
        lbu     a2, -1(s0)
        li      t6, 0x80
        bne     a2, t6, fail
# 13: sb replaces one byte only
        li      gp, 13
        la      s0, buffer
        li      a0, 0xaa
        sb      a0, 1(s0)
        lw      a2, 0(s0)
        li      t6, 0x80ffaa01
        bne     a2, t6, fail
# 14: sh replaces two bytes only
        li      gp, 14
        la      s0, buffer
        li      a0, 0x12345678
        sh      a0, 2(s0)
        lw      a2, 0(s0)
        li      t6, 0x5678aa01
        bne     a2, t6, fail
# 15: sb with a negative offset
        li      gp, 15
        la      s0, buffer + 8
        li      a0, 0x1ee
        sb      a0, -4(s0)
        lw      a2, -4(s0)
        li      t6, 0xee
        bne     a2, t6, fail
# 16: sh with a negative offset, then lh sign-extends
        li      gp, 16
        la      s0, buffer + 8
        li      a0, 0x8001
        sh      a0, -2(s0)
        lh      a2, -2(s0)
        li      t6, 0xffff8001
        bne     a2, t6, fail
# 17: the last byte of a stored word is its most significant (little-endian)
        li      gp, 17
        la      s0, buffer
        li      a0, 0x11223344
        sw      a0, 12(s0)
        lbu     a2, 15(s0)
        li      t6, 0x11
        bne     a2, t6, fail
        j       pass
        .data
        .balign 16
buffer:
        .space  32
