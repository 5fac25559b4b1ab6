# atomic.s — lr.w/sc.w (success; failure without a reservation, after an intervening sc, to
# another address; success after a plain store, which leaves the reservation alone) and every
# AMO with signed extremes: each returns the old value and stores op(old, rs2).

        .text
main:
# 1: sc.w after lr.w succeeds (rd = 0) and stores
        li      gp, 1
        la      s0, word
        li      a0, 41
        sw      a0, 0(s0)
        lr.w    a1, (s0)
        addi    a1, a1, 1
        sc.w    a2, a1, (s0)
        li      t6, 0x0
        bne     a2, t6, fail
# 2: the successful sc.w stored
        li      gp, 2
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x2a
        bne     a2, t6, fail
# 3: lr.w returned the old value
        li      gp, 3
        la      s0, word
        li      a0, 7
        sw      a0, 0(s0)
        lr.w    a2, (s0)
        li      t6, 0x7
        bne     a2, t6, fail
# 4: a second sc.w after a successful one fails (rd = 1)
        li      gp, 4
        la      s0, word
        lr.w    a1, (s0)
        sc.w    a1, zero, (s0)
        li      a0, 99
        sc.w    a2, a0, (s0)
        li      t6, 0x1
        bne     a2, t6, fail
# 5: and did not store
        li      gp, 5
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x0
        bne     a2, t6, fail
# 6: sc.w without any lr.w fails
        li      gp, 6
        la      s0, word2
        li      a0, 5
        sc.w    a2, a0, (s0)
        li      t6, 0x1
        bne     a2, t6, fail
# 7: a plain store does not clear the reservation (docs/isa.md 5.5): sc.w succeeds
        li      gp, 7
        la      s0, word
        lr.w    a1, (s0)
        li      a0, 3
        sw      a0, 0(s0)
        sc.w    a2, a1, (s0)
        li      t6, 0x0
        bne     a2, t6, fail
# 8: sc.w to another address than the reserved one fails
        li      gp, 8
        la      s0, word
        la      s1, word2
        lr.w    a1, (s0)
        sc.w    a2, a1, (s1)
        li      t6, 0x1
        bne     a2, t6, fail
# 9: amoswap.w returns the old value 0x80000000
        li      gp, 9
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amoswap.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 10: amoswap.w 0x80000000, 0x7fffffff stores 0x7fffffff
        li      gp, 10
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 11: amoswap.w returns the old value 0x7fffffff
        li      gp, 11
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amoswap.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 12: amoswap.w 0x7fffffff, 0x80000000 stores 0x80000000
        li      gp, 12
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 13: amoswap.w returns the old value 0xffffffff
        li      gp, 13
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amoswap.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 14: amoswap.w 0xffffffff, 0x1 stores 0x1
        li      gp, 14
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x1
        bne     a2, t6, fail
# 15: amoswap.w returns the old value 0x12345678
        li      gp, 15
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amoswap.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 16: amoswap.w 0x12345678, 0xf0f0f0f stores 0xf0f0f0f
        li      gp, 16
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xf0f0f0f
        bne     a2, t6, fail
# 17: amoadd.w returns the old value 0x80000000
        li      gp, 17
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amoadd.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 18: amoadd.w 0x80000000, 0x7fffffff stores 0xffffffff
        li      gp, 18
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 19: amoadd.w returns the old value 0x7fffffff
        li      gp, 19
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amoadd.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 20: amoadd.w 0x7fffffff, 0x80000000 stores 0xffffffff
        li      gp, 20
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 21: amoadd.w returns the old value 0xffffffff
        li      gp, 21
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amoadd.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 22: amoadd.w 0xffffffff, 0x1 stores 0x0
        li      gp, 22
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x0
        bne     a2, t6, fail
# 23: amoadd.w returns the old value 0x12345678
        li      gp, 23
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amoadd.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 24: amoadd.w 0x12345678, 0xf0f0f0f stores 0x21436587
        li      gp, 24
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x21436587
        bne     a2, t6, fail
# 25: amoxor.w returns the old value 0x80000000
        li      gp, 25
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amoxor.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 26: amoxor.w 0x80000000, 0x7fffffff stores 0xffffffff
        li      gp, 26
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 27: amoxor.w returns the old value 0x7fffffff
        li      gp, 27
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amoxor.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 28: amoxor.w 0x7fffffff, 0x80000000 stores 0xffffffff
        li      gp, 28
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 29: amoxor.w returns the old value 0xffffffff
        li      gp, 29
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amoxor.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 30: amoxor.w 0xffffffff, 0x1 stores 0xfffffffe
        li      gp, 30
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xfffffffe
        bne     a2, t6, fail
# 31: amoxor.w returns the old value 0x12345678
        li      gp, 31
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amoxor.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 32: amoxor.w 0x12345678, 0xf0f0f0f stores 0x1d3b5977
        li      gp, 32
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x1d3b5977
        bne     a2, t6, fail
# 33: amoand.w returns the old value 0x80000000
        li      gp, 33
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amoand.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 34: amoand.w 0x80000000, 0x7fffffff stores 0x0
        li      gp, 34
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x0
        bne     a2, t6, fail
# 35: amoand.w returns the old value 0x7fffffff
        li      gp, 35
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amoand.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 36: amoand.w 0x7fffffff, 0x80000000 stores 0x0
        li      gp, 36
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x0
        bne     a2, t6, fail
# 37: amoand.w returns the old value 0xffffffff
        li      gp, 37
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amoand.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 38: amoand.w 0xffffffff, 0x1 stores 0x1
        li      gp, 38
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x1
        bne     a2, t6, fail
# 39: amoand.w returns the old value 0x12345678
        li      gp, 39
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amoand.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 40: amoand.w 0x12345678, 0xf0f0f0f stores 0x2040608
        li      gp, 40
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x2040608
        bne     a2, t6, fail
# 41: amoor.w returns the old value 0x80000000
        li      gp, 41
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amoor.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 42: amoor.w 0x80000000, 0x7fffffff stores 0xffffffff
        li      gp, 42
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 43: amoor.w returns the old value 0x7fffffff
        li      gp, 43
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amoor.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 44: amoor.w 0x7fffffff, 0x80000000 stores 0xffffffff
        li      gp, 44
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 45: amoor.w returns the old value 0xffffffff
        li      gp, 45
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amoor.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 46: amoor.w 0xffffffff, 0x1 stores 0xffffffff
        li      gp, 46
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 47: amoor.w returns the old value 0x12345678
        li      gp, 47
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amoor.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 48: amoor.w 0x12345678, 0xf0f0f0f stores 0x1f3f5f7f
        li      gp, 48
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x1f3f5f7f
        bne     a2, t6, fail
# 49: amomin.w returns the old value 0x80000000
        li      gp, 49
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amomin.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 50: amomin.w 0x80000000, 0x7fffffff stores 0x80000000
        li      gp, 50
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 51: amomin.w returns the old value 0x7fffffff
        li      gp, 51
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amomin.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 52: amomin.w 0x7fffffff, 0x80000000 stores 0x80000000
        li      gp, 52
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 53: amomin.w returns the old value 0xffffffff
        li      gp, 53
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amomin.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 54: amomin.w 0xffffffff, 0x1 stores 0xffffffff
        li      gp, 54
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 55: amomin.w returns the old value 0x12345678
        li      gp, 55
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amomin.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 56: amomin.w 0x12345678, 0xf0f0f0f stores 0xf0f0f0f
        li      gp, 56
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xf0f0f0f
        bne     a2, t6, fail
# 57: amomax.w returns the old value 0x80000000
        li      gp, 57
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amomax.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 58: amomax.w 0x80000000, 0x7fffffff stores 0x7fffffff
        li      gp, 58
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 59: amomax.w returns the old value 0x7fffffff
        li      gp, 59
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amomax.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 60: amomax.w 0x7fffffff, 0x80000000 stores 0x7fffffff
        li      gp, 60
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 61: amomax.w returns the old value 0xffffffff
        li      gp, 61
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amomax.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 62: amomax.w 0xffffffff, 0x1 stores 0x1
        li      gp, 62
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x1
        bne     a2, t6, fail
# 63: amomax.w returns the old value 0x12345678
        li      gp, 63
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amomax.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 64: amomax.w 0x12345678, 0xf0f0f0f stores 0x12345678
        li      gp, 64
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 65: amominu.w returns the old value 0x80000000
        li      gp, 65
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amominu.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 66: amominu.w 0x80000000, 0x7fffffff stores 0x7fffffff
        li      gp, 66
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 67: amominu.w returns the old value 0x7fffffff
        li      gp, 67
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amominu.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 68: amominu.w 0x7fffffff, 0x80000000 stores 0x7fffffff
        li      gp, 68
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 69: amominu.w returns the old value 0xffffffff
        li      gp, 69
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amominu.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 70: amominu.w 0xffffffff, 0x1 stores 0x1
        li      gp, 70
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x1
        bne     a2, t6, fail
# 71: amominu.w returns the old value 0x12345678
        li      gp, 71
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amominu.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 72: amominu.w 0x12345678, 0xf0f0f0f stores 0xf0f0f0f
        li      gp, 72
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xf0f0f0f
        bne     a2, t6, fail
# 73: amomaxu.w returns the old value 0x80000000
        li      gp, 73
        la      s0, word
        li      a0, 0x80000000
        sw      a0, 0(s0)
        li      a1, 0x7fffffff
        amomaxu.w a2, a1, (s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 74: amomaxu.w 0x80000000, 0x7fffffff stores 0x80000000
        li      gp, 74
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 75: amomaxu.w returns the old value 0x7fffffff
        li      gp, 75
        la      s0, word
        li      a0, 0x7fffffff
        sw      a0, 0(s0)
        li      a1, 0x80000000
        amomaxu.w a2, a1, (s0)
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 76: amomaxu.w 0x7fffffff, 0x80000000 stores 0x80000000
        li      gp, 76
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x80000000
        bne     a2, t6, fail
# 77: amomaxu.w returns the old value 0xffffffff
        li      gp, 77
        la      s0, word
        li      a0, 0xffffffff
        sw      a0, 0(s0)
        li      a1, 0x1
        amomaxu.w a2, a1, (s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 78: amomaxu.w 0xffffffff, 0x1 stores 0xffffffff
        li      gp, 78
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 79: amomaxu.w returns the old value 0x12345678
        li      gp, 79
        la      s0, word
        li      a0, 0x12345678
        sw      a0, 0(s0)
        li      a1, 0xf0f0f0f
        amomaxu.w a2, a1, (s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 80: amomaxu.w 0x12345678, 0xf0f0f0f stores 0x12345678
        li      gp, 80
        la      s0, word
        lw      a2, 0(s0)
        li      t6, 0x12345678
        bne     a2, t6, fail
# 81: amoadd.w with rd = zero still stores
        li      gp, 81
        la      s0, word
        li      a0, 1
        sw      a0, 0(s0)
        li      a1, 2
        amoadd.w zero, a1, (s0)
        lw      a2, 0(s0)
        li      t6, 0x3
        bne     a2, t6, fail
        j       pass
        .data
        .balign 16
word:
        .word   0
word2:
        .word   0
