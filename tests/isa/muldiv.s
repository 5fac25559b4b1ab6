# muldiv.s — multiplication (low and high halves, all signedness combinations) and division
# with the RISC-V rules: x/0 = all ones (-1 signed), x%0 = x, MIN/-1 = MIN, MIN%-1 = 0.

        .text
main:
# 1: mul 0x7, 0x3
        li      gp, 1
        li      a0, 0x7
        li      a1, 0x3
        mul     a2, a0, a1
        li      t6, 0x15
        bne     a2, t6, fail
# 2: mulh 0x7, 0x3
        li      gp, 2
        li      a0, 0x7
        li      a1, 0x3
        mulh    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 3: mulhsu 0x7, 0x3
        li      gp, 3
        li      a0, 0x7
        li      a1, 0x3
        mulhsu  a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 4: mulhu 0x7, 0x3
        li      gp, 4
        li      a0, 0x7
        li      a1, 0x3
        mulhu   a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 5: div 0x7, 0x3
        li      gp, 5
        li      a0, 0x7
        li      a1, 0x3
        div     a2, a0, a1
        li      t6, 0x2
        bne     a2, t6, fail
# 6: divu 0x7, 0x3
        li      gp, 6
        li      a0, 0x7
        li      a1, 0x3
        divu    a2, a0, a1
        li      t6, 0x2
        bne     a2, t6, fail
# 7: rem 0x7, 0x3
        li      gp, 7
        li      a0, 0x7
        li      a1, 0x3
        rem     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 8: remu 0x7, 0x3
        li      gp, 8
        li      a0, 0x7
        li      a1, 0x3
        remu    a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 9: mul 0xfffffff9, 0x3
        li      gp, 9
        li      a0, 0xfffffff9
        li      a1, 0x3
        mul     a2, a0, a1
        li      t6, 0xffffffeb
        bne     a2, t6, fail
# 10: mulh 0xfffffff9, 0x3
        li      gp, 10
        li      a0, 0xfffffff9
        li      a1, 0x3
        mulh    a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 11: mulhsu 0xfffffff9, 0x3
        li      gp, 11
        li      a0, 0xfffffff9
        li      a1, 0x3
        mulhsu  a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 12: mulhu 0xfffffff9, 0x3
        li      gp, 12
        li      a0, 0xfffffff9
        li      a1, 0x3
        mulhu   a2, a0, a1
        li      t6, 0x2
        bne     a2, t6, fail
# 13: div 0xfffffff9, 0x3
        li      gp, 13
        li      a0, 0xfffffff9
        li      a1, 0x3
        div     a2, a0, a1
        li      t6, 0xfffffffe
        bne     a2, t6, fail
# 14: divu 0xfffffff9, 0x3
        li      gp, 14
        li      a0, 0xfffffff9
        li      a1, 0x3
        divu    a2, a0, a1
        li      t6, 0x55555553
        bne     a2, t6, fail
# 15: rem 0xfffffff9, 0x3
        li      gp, 15
        li      a0, 0xfffffff9
        li      a1, 0x3
        rem     a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 16: remu 0xfffffff9, 0x3
        li      gp, 16
        li      a0, 0xfffffff9
        li      a1, 0x3
        remu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 17: mul 0x7, 0xfffffffd
        li      gp, 17
        li      a0, 0x7
        li      a1, 0xfffffffd
        mul     a2, a0, a1
        li      t6, 0xffffffeb
        bne     a2, t6, fail
# 18: mulh 0x7, 0xfffffffd
        li      gp, 18
        li      a0, 0x7
        li      a1, 0xfffffffd
        mulh    a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 19: mulhsu 0x7, 0xfffffffd
        li      gp, 19
        li      a0, 0x7
        li      a1, 0xfffffffd
        mulhsu  a2, a0, a1
        li      t6, 0x6
        bne     a2, t6, fail
# 20: mulhu 0x7, 0xfffffffd
        li      gp, 20
        li      a0, 0x7
        li      a1, 0xfffffffd
        mulhu   a2, a0, a1
        li      t6, 0x6
        bne     a2, t6, fail
# 21: div 0x7, 0xfffffffd
        li      gp, 21
        li      a0, 0x7
        li      a1, 0xfffffffd
        div     a2, a0, a1
        li      t6, 0xfffffffe
        bne     a2, t6, fail
# 22: divu 0x7, 0xfffffffd
        li      gp, 22
        li      a0, 0x7
        li      a1, 0xfffffffd
        divu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 23: rem 0x7, 0xfffffffd
        li      gp, 23
        li      a0, 0x7
        li      a1, 0xfffffffd
        rem     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 24: remu 0x7, 0xfffffffd
        li      gp, 24
        li      a0, 0x7
        li      a1, 0xfffffffd
        remu    a2, a0, a1
        li      t6, 0x7
        bne     a2, t6, fail
# 25: mul 0xfffffff9, 0xfffffffd
        li      gp, 25
        li      a0, 0xfffffff9
        li      a1, 0xfffffffd
        mul     a2, a0, a1
        li      t6, 0x15
        bne     a2, t6, fail
# 26: mulh 0xfffffff9, 0xfffffffd
        li      gp, 26
        li      a0, 0xfffffff9
        li      a1, 0xfffffffd
        mulh    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 27: mulhsu 0xfffffff9, 0xfffffffd
        li      gp, 27
        li      a0, 0xfffffff9
        li      a1, 0xfffffffd
        mulhsu  a2, a0, a1
        li      t6, 0xfffffff9
        bne     a2, t6, fail
# 28: mulhu 0xfffffff9, 0xfffffffd
        li      gp, 28
        li      a0, 0xfffffff9
        li      a1, 0xfffffffd
        mulhu   a2, a0, a1
        li      t6, 0xfffffff6
        bne     a2, t6, fail
# 29: div 0xfffffff9, 0xfffffffd
        li      gp, 29
        li      a0, 0xfffffff9
        li      a1, 0xfffffffd
        div     a2, a0, a1
        li      t6, 0x2
        bne     a2, t6, fail
# 30: divu 0xfffffff9, 0xfffffffd
        li      gp, 30
        li      a0, 0xfffffff9
        li      a1, 0xfffffffd
        divu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 31: rem 0xfffffff9, 0xfffffffd
        li      gp, 31
        li      a0, 0xfffffff9
        li      a1, 0xfffffffd
        rem     a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 32: remu 0xfffffff9, 0xfffffffd
        li      gp, 32
        li      a0, 0xfffffff9
        li      a1, 0xfffffffd
        remu    a2, a0, a1
        li      t6, 0xfffffff9
        bne     a2, t6, fail
# 33: mul 0x80000000, 0xffffffff
        li      gp, 33
        li      a0, 0x80000000
        li      a1, 0xffffffff
        mul     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 34: mulh 0x80000000, 0xffffffff
        li      gp, 34
        li      a0, 0x80000000
        li      a1, 0xffffffff
        mulh    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 35: mulhsu 0x80000000, 0xffffffff
        li      gp, 35
        li      a0, 0x80000000
        li      a1, 0xffffffff
        mulhsu  a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 36: mulhu 0x80000000, 0xffffffff
        li      gp, 36
        li      a0, 0x80000000
        li      a1, 0xffffffff
        mulhu   a2, a0, a1
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 37: div 0x80000000, 0xffffffff
        li      gp, 37
        li      a0, 0x80000000
        li      a1, 0xffffffff
        div     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 38: divu 0x80000000, 0xffffffff
        li      gp, 38
        li      a0, 0x80000000
        li      a1, 0xffffffff
        divu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 39: rem 0x80000000, 0xffffffff
        li      gp, 39
        li      a0, 0x80000000
        li      a1, 0xffffffff
        rem     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 40: remu 0x80000000, 0xffffffff
        li      gp, 40
        li      a0, 0x80000000
        li      a1, 0xffffffff
        remu    a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 41: mul 0x80000000, 0x80000000
        li      gp, 41
        li      a0, 0x80000000
        li      a1, 0x80000000
        mul     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 42: mulh 0x80000000, 0x80000000
        li      gp, 42
        li      a0, 0x80000000
        li      a1, 0x80000000
        mulh    a2, a0, a1
        li      t6, 0x40000000
        bne     a2, t6, fail
# 43: mulhsu 0x80000000, 0x80000000
        li      gp, 43
        li      a0, 0x80000000
        li      a1, 0x80000000
        mulhsu  a2, a0, a1
        li      t6, 0xc0000000
        bne     a2, t6, fail
# 44: mulhu 0x80000000, 0x80000000
        li      gp, 44
        li      a0, 0x80000000
        li      a1, 0x80000000
        mulhu   a2, a0, a1
        li      t6, 0x40000000
        bne     a2, t6, fail
# 45: div 0x80000000, 0x80000000
        li      gp, 45
        li      a0, 0x80000000
        li      a1, 0x80000000
        div     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 46: divu 0x80000000, 0x80000000
        li      gp, 46
        li      a0, 0x80000000
        li      a1, 0x80000000
        divu    a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 47: rem 0x80000000, 0x80000000
        li      gp, 47
        li      a0, 0x80000000
        li      a1, 0x80000000
        rem     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 48: remu 0x80000000, 0x80000000
        li      gp, 48
        li      a0, 0x80000000
        li      a1, 0x80000000
        remu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 49: mul 0x7fffffff, 0x7fffffff
        li      gp, 49
        li      a0, 0x7fffffff
        li      a1, 0x7fffffff
        mul     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 50: mulh 0x7fffffff, 0x7fffffff
        li      gp, 50
        li      a0, 0x7fffffff
        li      a1, 0x7fffffff
        mulh    a2, a0, a1
        li      t6, 0x3fffffff
        bne     a2, t6, fail
# 51: mulhsu 0x7fffffff, 0x7fffffff
        li      gp, 51
        li      a0, 0x7fffffff
        li      a1, 0x7fffffff
        mulhsu  a2, a0, a1
        li      t6, 0x3fffffff
        bne     a2, t6, fail
# 52: mulhu 0x7fffffff, 0x7fffffff
        li      gp, 52
        li      a0, 0x7fffffff
        li      a1, 0x7fffffff
        mulhu   a2, a0, a1
        li      t6, 0x3fffffff
        bne     a2, t6, fail
# 53: div 0x7fffffff, 0x7fffffff
        li      gp, 53
        li      a0, 0x7fffffff
        li      a1, 0x7fffffff
        div     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 54: divu 0x7fffffff, 0x7fffffff
        li      gp, 54
        li      a0, 0x7fffffff
        li      a1, 0x7fffffff
        divu    a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 55: rem 0x7fffffff, 0x7fffffff
        li      gp, 55
        li      a0, 0x7fffffff
        li      a1, 0x7fffffff
        rem     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 56: remu 0x7fffffff, 0x7fffffff
        li      gp, 56
        li      a0, 0x7fffffff
        li      a1, 0x7fffffff
        remu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 57: mul 0xffffffff, 0xffffffff
        li      gp, 57
        li      a0, 0xffffffff
        li      a1, 0xffffffff
        mul     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 58: mulh 0xffffffff, 0xffffffff
        li      gp, 58
        li      a0, 0xffffffff
        li      a1, 0xffffffff
        mulh    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 59: mulhsu 0xffffffff, 0xffffffff
        li      gp, 59
        li      a0, 0xffffffff
        li      a1, 0xffffffff
        mulhsu  a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 60: mulhu 0xffffffff, 0xffffffff
        li      gp, 60
        li      a0, 0xffffffff
        li      a1, 0xffffffff
        mulhu   a2, a0, a1
        li      t6, 0xfffffffe
        bne     a2, t6, fail
# 61: div 0xffffffff, 0xffffffff
        li      gp, 61
        li      a0, 0xffffffff
        li      a1, 0xffffffff
        div     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 62: divu 0xffffffff, 0xffffffff
        li      gp, 62
        li      a0, 0xffffffff
        li      a1, 0xffffffff
        divu    a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 63: rem 0xffffffff, 0xffffffff
        li      gp, 63
        li      a0, 0xffffffff
        li      a1, 0xffffffff
        rem     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 64: remu 0xffffffff, 0xffffffff
        li      gp, 64
        li      a0, 0xffffffff
        li      a1, 0xffffffff
        remu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 65: mul 0x80000000, 0x1
        li      gp, 65
        li      a0, 0x80000000
        li      a1, 0x1
        mul     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 66: mulh 0x80000000, 0x1
        li      gp, 66
        li      a0, 0x80000000
        li      a1, 0x1
        mulh    a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 67: mulhsu 0x80000000, 0x1
        li      gp, 67
        li      a0, 0x80000000
        li      a1, 0x1
        mulhsu  a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 68: mulhu 0x80000000, 0x1
        li      gp, 68
        li      a0, 0x80000000
        li      a1, 0x1
        mulhu   a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 69: div 0x80000000, 0x1
        li      gp, 69
        li      a0, 0x80000000
        li      a1, 0x1
        div     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 70: divu 0x80000000, 0x1
        li      gp, 70
        li      a0, 0x80000000
        li      a1, 0x1
        divu    a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 71: rem 0x80000000, 0x1
        li      gp, 71
        li      a0, 0x80000000
        li      a1, 0x1
        rem     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 72: remu 0x80000000, 0x1
        li      gp, 72
        li      a0, 0x80000000
        li      a1, 0x1
        remu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 73: mul 0x3039, 0x0
        li      gp, 73
        li      a0, 0x3039
        li      a1, 0x0
        mul     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 74: mulh 0x3039, 0x0
        li      gp, 74
        li      a0, 0x3039
        li      a1, 0x0
        mulh    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 75: mulhsu 0x3039, 0x0
        li      gp, 75
        li      a0, 0x3039
        li      a1, 0x0
        mulhsu  a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 76: mulhu 0x3039, 0x0
        li      gp, 76
        li      a0, 0x3039
        li      a1, 0x0
        mulhu   a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 77: div 0x3039, 0x0
        li      gp, 77
        li      a0, 0x3039
        li      a1, 0x0
        div     a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 78: divu 0x3039, 0x0
        li      gp, 78
        li      a0, 0x3039
        li      a1, 0x0
        divu    a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 79: rem 0x3039, 0x0
        li      gp, 79
        li      a0, 0x3039
        li      a1, 0x0
        rem     a2, a0, a1
        li      t6, 0x3039
        bne     a2, t6, fail
# 80: remu 0x3039, 0x0
        li      gp, 80
        li      a0, 0x3039
        li      a1, 0x0
        remu    a2, a0, a1
        li      t6, 0x3039
        bne     a2, t6, fail
# 81: mul 0x0, 0x0
        li      gp, 81
        li      a0, 0x0
        li      a1, 0x0
        mul     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 82: mulh 0x0, 0x0
        li      gp, 82
        li      a0, 0x0
        li      a1, 0x0
        mulh    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 83: mulhsu 0x0, 0x0
        li      gp, 83
        li      a0, 0x0
        li      a1, 0x0
        mulhsu  a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 84: mulhu 0x0, 0x0
        li      gp, 84
        li      a0, 0x0
        li      a1, 0x0
        mulhu   a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 85: div 0x0, 0x0
        li      gp, 85
        li      a0, 0x0
        li      a1, 0x0
        div     a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 86: divu 0x0, 0x0
        li      gp, 86
        li      a0, 0x0
        li      a1, 0x0
        divu    a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 87: rem 0x0, 0x0
        li      gp, 87
        li      a0, 0x0
        li      a1, 0x0
        rem     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 88: remu 0x0, 0x0
        li      gp, 88
        li      a0, 0x0
        li      a1, 0x0
        remu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 89: mul 0xffffffff, 0x2
        li      gp, 89
        li      a0, 0xffffffff
        li      a1, 0x2
        mul     a2, a0, a1
        li      t6, 0xfffffffe
        bne     a2, t6, fail
# 90: mulh 0xffffffff, 0x2
        li      gp, 90
        li      a0, 0xffffffff
        li      a1, 0x2
        mulh    a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 91: mulhsu 0xffffffff, 0x2
        li      gp, 91
        li      a0, 0xffffffff
        li      a1, 0x2
        mulhsu  a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 92: mulhu 0xffffffff, 0x2
        li      gp, 92
        li      a0, 0xffffffff
        li      a1, 0x2
        mulhu   a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 93: div 0xffffffff, 0x2
        li      gp, 93
        li      a0, 0xffffffff
        li      a1, 0x2
        div     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 94: divu 0xffffffff, 0x2
        li      gp, 94
        li      a0, 0xffffffff
        li      a1, 0x2
        divu    a2, a0, a1
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 95: rem 0xffffffff, 0x2
        li      gp, 95
        li      a0, 0xffffffff
        li      a1, 0x2
        rem     a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 96: remu 0xffffffff, 0x2
        li      gp, 96
        li      a0, 0xffffffff
        li      a1, 0x2
        remu    a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 97: mul 0x7fffffff, 0x80000000
        li      gp, 97
        li      a0, 0x7fffffff
        li      a1, 0x80000000
        mul     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 98: mulh 0x7fffffff, 0x80000000
        li      gp, 98
        li      a0, 0x7fffffff
        li      a1, 0x80000000
        mulh    a2, a0, a1
        li      t6, 0xc0000000
        bne     a2, t6, fail
# 99: mulhsu 0x7fffffff, 0x80000000
        li      gp, 99
        li      a0, 0x7fffffff
        li      a1, 0x80000000
        mulhsu  a2, a0, a1
        li      t6, 0x3fffffff
        bne     a2, t6, fail
# 100: mulhu 0x7fffffff, 0x80000000
        li      gp, 100
        li      a0, 0x7fffffff
        li      a1, 0x80000000
        mulhu   a2, a0, a1
        li      t6, 0x3fffffff
        bne     a2, t6, fail
# 101: div 0x7fffffff, 0x80000000
        li      gp, 101
        li      a0, 0x7fffffff
        li      a1, 0x80000000
        div     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 102: divu 0x7fffffff, 0x80000000
        li      gp, 102
        li      a0, 0x7fffffff
        li      a1, 0x80000000
        divu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 103: rem 0x7fffffff, 0x80000000
        li      gp, 103
        li      a0, 0x7fffffff
        li      a1, 0x80000000
        rem     a2, a0, a1
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 104: remu 0x7fffffff, 0x80000000
        li      gp, 104
        li      a0, 0x7fffffff
        li      a1, 0x80000000
        remu    a2, a0, a1
        li      t6, 0x7fffffff
        bne     a2, t6, fail
        j       pass
