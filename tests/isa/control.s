# control.s — branches taken and not taken, forwards and backwards, signed and unsigned;
# jal and jalr link values; jalr clears bit 0 of its target.

        .text
main:
# 1: beq 5, 5 forwards is taken
        li      gp, 1
        li      a0, 5
        li      a1, 5
        li      a2, 1
        beq     a0, a1, fwd_0
        li      a2, 0
fwd_0:
        li      t6, 0x1
        bne     a2, t6, fail
# 2: beq 5, 5 backwards is taken
        li      gp, 2
        li      a0, 5
        li      a1, 5
        li      a2, 0
        j       over_0
back_0:
        li      a2, 1
        j       after_0
over_0:
        beq     a0, a1, back_0
after_0:
        li      t6, 1
        bne     a2, t6, fail
# 3: beq 5, 6 forwards is not taken
        li      gp, 3
        li      a0, 5
        li      a1, 6
        li      a2, 1
        beq     a0, a1, fwd_1
        li      a2, 0
fwd_1:
        li      t6, 0x0
        bne     a2, t6, fail
# 4: beq 5, 6 backwards is not taken
        li      gp, 4
        li      a0, 5
        li      a1, 6
        li      a2, 0
        j       over_1
back_1:
        li      a2, 1
        j       after_1
over_1:
        beq     a0, a1, back_1
after_1:
        li      t6, 0
        bne     a2, t6, fail
# 5: bne 5, 6 forwards is taken
        li      gp, 5
        li      a0, 5
        li      a1, 6
        li      a2, 1
        bne     a0, a1, fwd_2
        li      a2, 0
fwd_2:
        li      t6, 0x1
        bne     a2, t6, fail
# 6: bne 5, 6 backwards is taken
        li      gp, 6
        li      a0, 5
        li      a1, 6
        li      a2, 0
        j       over_2
back_2:
        li      a2, 1
        j       after_2
over_2:
        bne     a0, a1, back_2
after_2:
        li      t6, 1
        bne     a2, t6, fail
# 7: bne 5, 5 forwards is not taken
        li      gp, 7
        li      a0, 5
        li      a1, 5
        li      a2, 1
        bne     a0, a1, fwd_3
        li      a2, 0
fwd_3:
        li      t6, 0x0
        bne     a2, t6, fail
# 8: bne 5, 5 backwards is not taken
        li      gp, 8
        li      a0, 5
        li      a1, 5
        li      a2, 0
        j       over_3
back_3:
        li      a2, 1
        j       after_3
over_3:
        bne     a0, a1, back_3
after_3:
        li      t6, 0
        bne     a2, t6, fail
# 9: blt -1, 0 forwards is taken
        li      gp, 9
        li      a0, -1
        li      a1, 0
        li      a2, 1
        blt     a0, a1, fwd_4
        li      a2, 0
fwd_4:
        li      t6, 0x1
        bne     a2, t6, fail
# 10: blt -1, 0 backwards is taken
        li      gp, 10
        li      a0, -1
        li      a1, 0
        li      a2, 0
        j       over_4
back_4:
        li      a2, 1
        j       after_4
over_4:
        blt     a0, a1, back_4
after_4:
        li      t6, 1
        bne     a2, t6, fail
# 11: blt 0, -1 forwards is not taken
        li      gp, 11
        li      a0, 0
        li      a1, -1
        li      a2, 1
        blt     a0, a1, fwd_5
        li      a2, 0
fwd_5:
        li      t6, 0x0
        bne     a2, t6, fail
# 12: blt 0, -1 backwards is not taken
        li      gp, 12
        li      a0, 0
        li      a1, -1
        li      a2, 0
        j       over_5
back_5:
        li      a2, 1
        j       after_5
over_5:
        blt     a0, a1, back_5
after_5:
        li      t6, 0
        bne     a2, t6, fail
# 13: blt 5, 5 forwards is not taken
        li      gp, 13
        li      a0, 5
        li      a1, 5
        li      a2, 1
        blt     a0, a1, fwd_6
        li      a2, 0
fwd_6:
        li      t6, 0x0
        bne     a2, t6, fail
# 14: blt 5, 5 backwards is not taken
        li      gp, 14
        li      a0, 5
        li      a1, 5
        li      a2, 0
        j       over_6
back_6:
        li      a2, 1
        j       after_6
over_6:
        blt     a0, a1, back_6
after_6:
        li      t6, 0
        bne     a2, t6, fail
# 15: bge 0, -1 forwards is taken
        li      gp, 15
        li      a0, 0
        li      a1, -1
        li      a2, 1
        bge     a0, a1, fwd_7
        li      a2, 0
fwd_7:
        li      t6, 0x1
        bne     a2, t6, fail
# 16: bge 0, -1 backwards is taken
        li      gp, 16
        li      a0, 0
        li      a1, -1
        li      a2, 0
        j       over_7
back_7:
        li      a2, 1
        j       after_7
over_7:
        bge     a0, a1, back_7
after_7:
        li      t6, 1
        bne     a2, t6, fail
# 17: bge -1, 0 forwards is not taken
        li      gp, 17
        li      a0, -1
        li      a1, 0
        li      a2, 1
        bge     a0, a1, fwd_8
        li      a2, 0
fwd_8:
        li      t6, 0x0
        bne     a2, t6, fail
# 18: bge -1, 0 backwards is not taken
        li      gp, 18
        li      a0, -1
        li      a1, 0
        li      a2, 0
        j       over_8
back_8:
        li      a2, 1
        j       after_8
over_8:
        bge     a0, a1, back_8
after_8:
        li      t6, 0
        bne     a2, t6, fail
# 19: bge 5, 5 forwards is taken
        li      gp, 19
        li      a0, 5
        li      a1, 5
        li      a2, 1
        bge     a0, a1, fwd_9
        li      a2, 0
fwd_9:
        li      t6, 0x1
        bne     a2, t6, fail
# 20: bge 5, 5 backwards is taken
        li      gp, 20
        li      a0, 5
        li      a1, 5
        li      a2, 0
        j       over_9
back_9:
        li      a2, 1
        j       after_9
over_9:
        bge     a0, a1, back_9
after_9:
        li      t6, 1
        bne     a2, t6, fail
# 21: bltu 0, -1 forwards is taken
        li      gp, 21
        li      a0, 0
        li      a1, -1
        li      a2, 1
        bltu    a0, a1, fwd_10
        li      a2, 0
fwd_10:
        li      t6, 0x1
        bne     a2, t6, fail
# 22: bltu 0, -1 backwards is taken
        li      gp, 22
        li      a0, 0
        li      a1, -1
        li      a2, 0
        j       over_10
back_10:
        li      a2, 1
        j       after_10
over_10:
        bltu    a0, a1, back_10
after_10:
        li      t6, 1
        bne     a2, t6, fail
# 23: bltu -1, 0 forwards is not taken
        li      gp, 23
        li      a0, -1
        li      a1, 0
        li      a2, 1
        bltu    a0, a1, fwd_11
        li      a2, 0
fwd_11:
        li      t6, 0x0
        bne     a2, t6, fail
# 24: bltu -1, 0 backwards is not taken
        li      gp, 24
        li      a0, -1
        li      a1, 0
        li      a2, 0
        j       over_11
back_11:
        li      a2, 1
        j       after_11
over_11:
        bltu    a0, a1, back_11
after_11:
        li      t6, 0
        bne     a2, t6, fail
# 25: bgeu -1, 0 forwards is taken
        li      gp, 25
        li      a0, -1
        li      a1, 0
        li      a2, 1
        bgeu    a0, a1, fwd_12
        li      a2, 0
fwd_12:
        li      t6, 0x1
        bne     a2, t6, fail
# 26: bgeu -1, 0 backwards is taken
        li      gp, 26
        li      a0, -1
        li      a1, 0
        li      a2, 0
        j       over_12
back_12:
        li      a2, 1
        j       after_12
over_12:
        bgeu    a0, a1, back_12
after_12:
        li      t6, 1
        bne     a2, t6, fail
# 27: bgeu 0, -1 forwards is not taken
        li      gp, 27
        li      a0, 0
        li      a1, -1
        li      a2, 1
        bgeu    a0, a1, fwd_13
        li      a2, 0
fwd_13:
        li      t6, 0x0
        bne     a2, t6, fail
# 28: bgeu 0, -1 backwards is not taken
        li      gp, 28
        li      a0, 0
        li      a1, -1
        li      a2, 0
        j       over_13
back_13:
        li      a2, 1
        j       after_13
over_13:
        bgeu    a0, a1, back_13
after_13:
        li      t6, 0
        bne     a2, t6, fail
# 29: bgeu 7, 7 forwards is taken
        li      gp, 29
        li      a0, 7
        li      a1, 7
        li      a2, 1
        bgeu    a0, a1, fwd_14
        li      a2, 0
fwd_14:
        li      t6, 0x1
        bne     a2, t6, fail
# 30: bgeu 7, 7 backwards is taken
        li      gp, 30
        li      a0, 7
        li      a1, 7
        li      a2, 0
        j       over_14
back_14:
        li      a2, 1
        j       after_14
over_14:
        bgeu    a0, a1, back_14
after_14:
        li      t6, 1
        bne     a2, t6, fail
# 31: jal links the address of the next instruction
        li      gp, 31
        jal     ra, jal_target
jal_return:
        j       jal_done
jal_target:
        la      t0, jal_return
        bne     ra, t0, fail
        j       jal_done
jal_done:
# 32: jalr jumps to rs1 + offset and links the next instruction
        li      gp, 32
        la      t0, jalr_target - 8
        jalr    t1, 8(t0)
jalr_return:
        j       fail
jalr_target:
        la      t2, jalr_return
        bne     t1, t2, fail
# 33: jalr clears bit 0 of the target
        li      gp, 33
        la      t0, jalr_odd_target
        addi    t0, t0, 1
        jalr    t1, 0(t0)
        j       fail
jalr_odd_target:
# 34: jalr with rd = rs1 uses the old rs1
        li      gp, 34
        la      t0, jalr_same
        jalr    t0, 0(t0)
jalr_same_return:
        j       fail
jalr_same:
        la      t2, jalr_same_return
        bne     t0, t2, fail
# 35: jal with rd = zero links nothing
        li      gp, 35
        li      a2, 0
        jal     zero, jal_zero
jal_zero:
        bnez    zero, fail
        j       pass
