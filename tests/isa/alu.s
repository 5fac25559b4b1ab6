# alu.s — integer register/immediate operations: add/sub wrap-around, signed and unsigned
# comparisons with negative values, logic, every shift (by 0, by 31, by register using only
# its low five bits), lui and auipc. The expected values were computed outside the emulator
# (Python integers masked to 32 bits).

        .text
main:
# 1: add 0x7fffffff, 0x1
        li      gp, 1
        li      a0, 0x7fffffff
        li      a1, 0x1
        add     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 2: add 0xffffffff, 0x1
        li      gp, 2
        li      a0, 0xffffffff
        li      a1, 0x1
        add     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 3: add 0x80000000, 0x80000000
        li      gp, 3
        li      a0, 0x80000000
        li      a1, 0x80000000
        add     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 4: add 0x5, 0xfffffff9
        li      gp, 4
        li      a0, 0x5
        li      a1, 0xfffffff9
        add     a2, a0, a1
        li      t6, 0xfffffffe
        bne     a2, t6, fail
# 5: sub 0x80000000, 0x1
        li      gp, 5
        li      a0, 0x80000000
        li      a1, 0x1
        sub     a2, a0, a1
        li      t6, 0x7fffffff
        bne     a2, t6, fail
# 6: sub 0x0, 0x1
        li      gp, 6
        li      a0, 0x0
        li      a1, 0x1
        sub     a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 7: sub 0x7fffffff, 0xffffffff
        li      gp, 7
        li      a0, 0x7fffffff
        li      a1, 0xffffffff
        sub     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 8: sub 0xfffffffd, 0xfffffffd
        li      gp, 8
        li      a0, 0xfffffffd
        li      a1, 0xfffffffd
        sub     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 9: slt 0xffffffff, 0x1
        li      gp, 9
        li      a0, 0xffffffff
        li      a1, 0x1
        slt     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 10: sltu 0xffffffff, 0x1
        li      gp, 10
        li      a0, 0xffffffff
        li      a1, 0x1
        sltu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 11: slt 0x1, 0xffffffff
        li      gp, 11
        li      a0, 0x1
        li      a1, 0xffffffff
        slt     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 12: sltu 0x1, 0xffffffff
        li      gp, 12
        li      a0, 0x1
        li      a1, 0xffffffff
        sltu    a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 13: slt 0x80000000, 0x7fffffff
        li      gp, 13
        li      a0, 0x80000000
        li      a1, 0x7fffffff
        slt     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 14: sltu 0x80000000, 0x7fffffff
        li      gp, 14
        li      a0, 0x80000000
        li      a1, 0x7fffffff
        sltu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 15: slt 0xfffffffb, 0xfffffffb
        li      gp, 15
        li      a0, 0xfffffffb
        li      a1, 0xfffffffb
        slt     a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 16: sltu 0xfffffffb, 0xfffffffb
        li      gp, 16
        li      a0, 0xfffffffb
        li      a1, 0xfffffffb
        sltu    a2, a0, a1
        li      t6, 0x0
        bne     a2, t6, fail
# 17: slt 0x3, 0x4
        li      gp, 17
        li      a0, 0x3
        li      a1, 0x4
        slt     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 18: sltu 0x3, 0x4
        li      gp, 18
        li      a0, 0x3
        li      a1, 0x4
        sltu    a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 19: slti 0xffffffff, 0
        li      gp, 19
        li      a0, 0xffffffff
        slti    a2, a0, 0
        li      t6, 0x1
        bne     a2, t6, fail
# 20: sltiu 0xffffffff, 0 (immediate sign-extended, compared unsigned)
        li      gp, 20
        li      a0, 0xffffffff
        sltiu   a2, a0, 0
        li      t6, 0x0
        bne     a2, t6, fail
# 21: slti 0x0, -1
        li      gp, 21
        li      a0, 0x0
        slti    a2, a0, -1
        li      t6, 0x0
        bne     a2, t6, fail
# 22: sltiu 0x0, -1 (immediate sign-extended, compared unsigned)
        li      gp, 22
        li      a0, 0x0
        sltiu   a2, a0, -1
        li      t6, 0x1
        bne     a2, t6, fail
# 23: slti 0xffff8000, -32767
        li      gp, 23
        li      a0, 0xffff8000
        slti    a2, a0, -32767
        li      t6, 0x1
        bne     a2, t6, fail
# 24: sltiu 0xffff8000, -32767 (immediate sign-extended, compared unsigned)
        li      gp, 24
        li      a0, 0xffff8000
        sltiu   a2, a0, -32767
        li      t6, 0x1
        bne     a2, t6, fail
# 25: slti 0x5, 5
        li      gp, 25
        li      a0, 0x5
        slti    a2, a0, 5
        li      t6, 0x0
        bne     a2, t6, fail
# 26: sltiu 0x5, 5 (immediate sign-extended, compared unsigned)
        li      gp, 26
        li      a0, 0x5
        sltiu   a2, a0, 5
        li      t6, 0x0
        bne     a2, t6, fail
# 27: slti 0x80000000, -1
        li      gp, 27
        li      a0, 0x80000000
        slti    a2, a0, -1
        li      t6, 0x1
        bne     a2, t6, fail
# 28: sltiu 0x80000000, -1 (immediate sign-extended, compared unsigned)
        li      gp, 28
        li      a0, 0x80000000
        sltiu   a2, a0, -1
        li      t6, 0x1
        bne     a2, t6, fail
# 29: xor 0xf0f0ff00, 0xff0f0f0
        li      gp, 29
        li      a0, 0xf0f0ff00
        li      a1, 0xff0f0f0
        xor     a2, a0, a1
        li      t6, 0xff000ff0
        bne     a2, t6, fail
# 30: or 0xf0f0ff00, 0xff0f0f0
        li      gp, 30
        li      a0, 0xf0f0ff00
        li      a1, 0xff0f0f0
        or      a2, a0, a1
        li      t6, 0xfff0fff0
        bne     a2, t6, fail
# 31: and 0xf0f0ff00, 0xff0f0f0
        li      gp, 31
        li      a0, 0xf0f0ff00
        li      a1, 0xff0f0f0
        and     a2, a0, a1
        li      t6, 0xf0f000
        bne     a2, t6, fail
# 32: xori with a negative immediate sign-extends it
        li      gp, 32
        li      a0, 0x12345678
        xori    a2, a0, -256
        li      t6, 0xedcba978
        bne     a2, t6, fail
# 33: xori 0x12345678, 32527
        li      gp, 33
        li      a0, 0x12345678
        xori    a2, a0, 32527
        li      t6, 0x12342977
        bne     a2, t6, fail
# 34: ori with a negative immediate sign-extends it
        li      gp, 34
        li      a0, 0x12345678
        ori     a2, a0, -256
        li      t6, 0xffffff78
        bne     a2, t6, fail
# 35: ori 0x12345678, 32527
        li      gp, 35
        li      a0, 0x12345678
        ori     a2, a0, 32527
        li      t6, 0x12347f7f
        bne     a2, t6, fail
# 36: andi with a negative immediate sign-extends it
        li      gp, 36
        li      a0, 0x12345678
        andi    a2, a0, -256
        li      t6, 0x12345600
        bne     a2, t6, fail
# 37: andi 0x12345678, 32527
        li      gp, 37
        li      a0, 0x12345678
        andi    a2, a0, 32527
        li      t6, 0x5608
        bne     a2, t6, fail
# 38: slli 0x80000001, 0
        li      gp, 38
        li      a0, 0x80000001
        slli    a2, a0, 0
        li      t6, 0x80000001
        bne     a2, t6, fail
# 39: srli 0x80000001, 0
        li      gp, 39
        li      a0, 0x80000001
        srli    a2, a0, 0
        li      t6, 0x80000001
        bne     a2, t6, fail
# 40: srai 0x80000001, 0
        li      gp, 40
        li      a0, 0x80000001
        srai    a2, a0, 0
        li      t6, 0x80000001
        bne     a2, t6, fail
# 41: slli 0x80000001, 1
        li      gp, 41
        li      a0, 0x80000001
        slli    a2, a0, 1
        li      t6, 0x2
        bne     a2, t6, fail
# 42: srli 0x80000001, 1
        li      gp, 42
        li      a0, 0x80000001
        srli    a2, a0, 1
        li      t6, 0x40000000
        bne     a2, t6, fail
# 43: srai 0x80000001, 1
        li      gp, 43
        li      a0, 0x80000001
        srai    a2, a0, 1
        li      t6, 0xc0000000
        bne     a2, t6, fail
# 44: slli 0x80000001, 31
        li      gp, 44
        li      a0, 0x80000001
        slli    a2, a0, 31
        li      t6, 0x80000000
        bne     a2, t6, fail
# 45: srli 0x80000001, 31
        li      gp, 45
        li      a0, 0x80000001
        srli    a2, a0, 31
        li      t6, 0x1
        bne     a2, t6, fail
# 46: srai 0x80000001, 31
        li      gp, 46
        li      a0, 0x80000001
        srai    a2, a0, 31
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 47: slli 0x7ffffffe, 0
        li      gp, 47
        li      a0, 0x7ffffffe
        slli    a2, a0, 0
        li      t6, 0x7ffffffe
        bne     a2, t6, fail
# 48: srli 0x7ffffffe, 0
        li      gp, 48
        li      a0, 0x7ffffffe
        srli    a2, a0, 0
        li      t6, 0x7ffffffe
        bne     a2, t6, fail
# 49: srai 0x7ffffffe, 0
        li      gp, 49
        li      a0, 0x7ffffffe
        srai    a2, a0, 0
        li      t6, 0x7ffffffe
        bne     a2, t6, fail
# 50: slli 0x7ffffffe, 1
        li      gp, 50
        li      a0, 0x7ffffffe
        slli    a2, a0, 1
        li      t6, 0xfffffffc
        bne     a2, t6, fail
# 51: srli 0x7ffffffe, 1
        li      gp, 51
        li      a0, 0x7ffffffe
        srli    a2, a0, 1
        li      t6, 0x3fffffff
        bne     a2, t6, fail
# 52: srai 0x7ffffffe, 1
        li      gp, 52
        li      a0, 0x7ffffffe
        srai    a2, a0, 1
        li      t6, 0x3fffffff
        bne     a2, t6, fail
# 53: slli 0x7ffffffe, 31
        li      gp, 53
        li      a0, 0x7ffffffe
        slli    a2, a0, 31
        li      t6, 0x0
        bne     a2, t6, fail
# 54: srli 0x7ffffffe, 31
        li      gp, 54
        li      a0, 0x7ffffffe
        srli    a2, a0, 31
        li      t6, 0x0
        bne     a2, t6, fail
# 55: srai 0x7ffffffe, 31
        li      gp, 55
        li      a0, 0x7ffffffe
        srai    a2, a0, 31
        li      t6, 0x0
        bne     a2, t6, fail
# 56: sll by 0x0 uses only the low five bits (0)
        li      gp, 56
        li      a0, 0x80000001
        li      a1, 0x0
        sll     a2, a0, a1
        li      t6, 0x80000001
        bne     a2, t6, fail
# 57: srl by 0x0 uses only the low five bits (0)
        li      gp, 57
        li      a0, 0x80000001
        li      a1, 0x0
        srl     a2, a0, a1
        li      t6, 0x80000001
        bne     a2, t6, fail
# 58: sra by 0x0 uses only the low five bits (0)
        li      gp, 58
        li      a0, 0x80000001
        li      a1, 0x0
        sra     a2, a0, a1
        li      t6, 0x80000001
        bne     a2, t6, fail
# 59: sll by 0x1f uses only the low five bits (31)
        li      gp, 59
        li      a0, 0x80000001
        li      a1, 0x1f
        sll     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 60: srl by 0x1f uses only the low five bits (31)
        li      gp, 60
        li      a0, 0x80000001
        li      a1, 0x1f
        srl     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 61: sra by 0x1f uses only the low five bits (31)
        li      gp, 61
        li      a0, 0x80000001
        li      a1, 0x1f
        sra     a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 62: sll by 0x20 uses only the low five bits (0)
        li      gp, 62
        li      a0, 0x80000001
        li      a1, 0x20
        sll     a2, a0, a1
        li      t6, 0x80000001
        bne     a2, t6, fail
# 63: srl by 0x20 uses only the low five bits (0)
        li      gp, 63
        li      a0, 0x80000001
        li      a1, 0x20
        srl     a2, a0, a1
        li      t6, 0x80000001
        bne     a2, t6, fail
# 64: sra by 0x20 uses only the low five bits (0)
        li      gp, 64
        li      a0, 0x80000001
        li      a1, 0x20
        sra     a2, a0, a1
        li      t6, 0x80000001
        bne     a2, t6, fail
# 65: sll by 0x21 uses only the low five bits (1)
        li      gp, 65
        li      a0, 0x80000001
        li      a1, 0x21
        sll     a2, a0, a1
        li      t6, 0x2
        bne     a2, t6, fail
# 66: srl by 0x21 uses only the low five bits (1)
        li      gp, 66
        li      a0, 0x80000001
        li      a1, 0x21
        srl     a2, a0, a1
        li      t6, 0x40000000
        bne     a2, t6, fail
# 67: sra by 0x21 uses only the low five bits (1)
        li      gp, 67
        li      a0, 0x80000001
        li      a1, 0x21
        sra     a2, a0, a1
        li      t6, 0xc0000000
        bne     a2, t6, fail
# 68: sll by 0xffffffff uses only the low five bits (31)
        li      gp, 68
        li      a0, 0x80000001
        li      a1, 0xffffffff
        sll     a2, a0, a1
        li      t6, 0x80000000
        bne     a2, t6, fail
# 69: srl by 0xffffffff uses only the low five bits (31)
        li      gp, 69
        li      a0, 0x80000001
        li      a1, 0xffffffff
        srl     a2, a0, a1
        li      t6, 0x1
        bne     a2, t6, fail
# 70: sra by 0xffffffff uses only the low five bits (31)
        li      gp, 70
        li      a0, 0x80000001
        li      a1, 0xffffffff
        sra     a2, a0, a1
        li      t6, 0xffffffff
        bne     a2, t6, fail
# 71: sll by 0x7fffffe4 uses only the low five bits (4)
        li      gp, 71
        li      a0, 0xdeadbeef
        li      a1, 0x7fffffe4
        sll     a2, a0, a1
        li      t6, 0xeadbeef0
        bne     a2, t6, fail
# 72: srl by 0x7fffffe4 uses only the low five bits (4)
        li      gp, 72
        li      a0, 0xdeadbeef
        li      a1, 0x7fffffe4
        srl     a2, a0, a1
        li      t6, 0xdeadbee
        bne     a2, t6, fail
# 73: sra by 0x7fffffe4 uses only the low five bits (4)
        li      gp, 73
        li      a0, 0xdeadbeef
        li      a1, 0x7fffffe4
        sra     a2, a0, a1
        li      t6, 0xfdeadbee
        bne     a2, t6, fail
# 74: lui puts the value in the upper 20 bits, low bits zero
        li      gp, 74
        lui     a2, 0xfffff
        li      t6, 0xfffff000
        bne     a2, t6, fail
# 75: lui 0x80000
        li      gp, 75
        lui     a2, 0x80000
        li      t6, 0x80000000
        bne     a2, t6, fail
# 76: addi sign-extends a negative immediate
        li      gp, 76
        li      a0, 0
        addi    a2, a0, -32768
        li      t6, 0xffff8000
        bne     a2, t6, fail
# 77: writes to r0 are dropped
        li      gp, 77
        li      zero, 5
        addi    zero, zero, 7
        mv      a2, zero
        li      t6, 0x0
        bne     a2, t6, fail
# 78: auipc adds its value, shifted, to its own address
        li      gp, 78
auipc_here:
        auipc   a2, 0x1
        la      a3, auipc_here
        lui     a4, 0x1
        add     a3, a3, a4
        bne     a2, a3, fail
# 79: auipc with a negative value wraps
        li      gp, 79
auipc_neg:
        auipc   a2, 0xfffff
        la      a3, auipc_neg
        li      a4, 0x1000
        sub     a3, a3, a4
        bne     a2, a3, fail
        j       pass
