# system.s — control registers (scratch, every crr* form, cycle counting), fence and fence.i
# as no-ops, self-modifying code, and traps checked through cause, epc and badaddr: illegal
# instruction, misaligned load/store, access faults (address 0, a byte access to a device
# register), break, syscall, and a timer interrupt taken at `wait`.

        .text
main:
# 1: crrw writes scratch0 and returns the old value
        li      gp, 1
        li      a0, 0x1234
        crrw    zero, scratch0, a0
        li      a1, 0x55
        crrw    a2, scratch0, a1
        li      t6, 0x1234
        bne     a2, t6, fail
# 2: crrs sets bits and returns the old value
        li      gp, 2
        li      a0, 0xf0
        crrw    zero, scratch1, a0
        li      a1, 0x0f
        crrs    a2, scratch1, a1
        crrs    a2, scratch1, zero
        li      t6, 0xff
        bne     a2, t6, fail
# 3: crrc clears bits
        li      gp, 3
        li      a1, 0x3c
        crrc    zero, scratch1, a1
        crrs    a2, scratch1, zero
        li      t6, 0xc3
        bne     a2, t6, fail
# 4: crrwi writes a 5-bit immediate
        li      gp, 4
        crrwi   zero, scratch1, 31
        crrs    a2, scratch1, zero
        li      t6, 0x1f
        bne     a2, t6, fail
# 5: crrsi sets bits
        li      gp, 5
        crrwi   zero, scratch1, 16
        crrsi   zero, scratch1, 1
        crrs    a2, scratch1, zero
        li      t6, 0x11
        bne     a2, t6, fail
# 6: crrci clears bits
        li      gp, 6
        crrci   zero, scratch1, 16
        crrs    a2, scratch1, zero
        li      t6, 0x1
        bne     a2, t6, fail
# 7: crrs with rs1 = zero does not write
        li      gp, 7
        li      a0, 9
        crrw    zero, scratch0, a0
        crrs    zero, scratch0, zero
        crrs    a2, scratch0, zero
        li      t6, 0x9
        bne     a2, t6, fail
# 8: cycle advances by exactly the instructions retired
        li      gp, 8
        crrs    a0, cycle, zero
        nop
        nop
        crrs    a1, cycle, zero
        sub     a2, a1, a0
        li      t6, 0x3
        bne     a2, t6, fail
# 9: cycleh is zero early on
        li      gp, 9
        crrs    a2, cycleh, zero
        li      t6, 0x0
        bne     a2, t6, fail
# 10: fence, fence.tso and fence.i execute as no-ops
        li      gp, 10
        li      a2, 1
        fence
        fence   rw, rw
        fence.tso
        fence.i
        addi    a2, a2, 1
        li      t6, 0x2
        bne     a2, t6, fail
# 11: self-modifying code: a stored instruction is executed
        li      gp, 11
        la      s0, patch_site
        la      s1, patch_source
        lw      t0, 0(s1)
        sw      t0, 0(s0)
        fence.i
        li      a2, 0
patch_site:
        li      a2, 1
        li      t6, 2
        bne     a2, t6, fail
# 12: self-modifying code without fence.i is still seen (one hart, no instruction cache to sync)
        li      gp, 12
        la      s0, patch_site2
        la      s1, patch_source
        lw      t0, 0(s1)
        sw      t0, 0(s0)
        li      a2, 0
patch_site2:
        li      a2, 1
        li      t6, 2
        bne     a2, t6, fail
# 13: an all-zero word is an illegal instruction; badaddr holds the word
        li      gp, 13
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
illegal_at:
        .word   0
        li      t6, 4
        bne     s9, t6, fail
        la      t6, illegal_at
        bne     s10, t6, fail
        li      t6, 0x0
        bne     s11, t6, fail
# 14: an unassigned encoding is illegal; badaddr holds the word
        li      gp, 14
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
illegal2_at:
        .word   0xffffffff
        li      t6, 4
        bne     s9, t6, fail
        la      t6, illegal2_at
        bne     s10, t6, fail
        li      t6, 0xffffffff
        bne     s11, t6, fail
# 15: lw from an address not a multiple of 4 is load-misaligned
        li      gp, 15
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
        la      s0, data + 2
lw_mis:
        lw      a0, 0(s0)
        li      t6, 8
        bne     s9, t6, fail
        la      t6, lw_mis
        bne     s10, t6, fail
        la      t6, data + 2
        bne     s11, t6, fail
# 16: lh from an odd address is load-misaligned
        li      gp, 16
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
        la      s0, data + 1
lh_mis:
        lh      a0, 0(s0)
        li      t6, 8
        bne     s9, t6, fail
        la      t6, lh_mis
        bne     s10, t6, fail
        la      t6, data + 1
        bne     s11, t6, fail
# 17: sw to an address not a multiple of 4 is store-misaligned
        li      gp, 17
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
        la      s0, data + 1
sw_mis:
        sw      a0, 0(s0)
        li      t6, 11
        bne     s9, t6, fail
        la      t6, sw_mis
        bne     s10, t6, fail
        la      t6, data + 1
        bne     s11, t6, fail
# 18: sh to an odd address is store-misaligned
        li      gp, 18
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
        la      s0, data + 3
sh_mis:
        sh      a0, 0(s0)
        li      t6, 11
        bne     s9, t6, fail
        la      t6, sh_mis
        bne     s10, t6, fail
        la      t6, data + 3
        bne     s11, t6, fail
# 19: lw from address 0 is a load access fault
        li      gp, 19
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
lw0:
        lw      a0, 0(zero)
        li      t6, 9
        bne     s9, t6, fail
        la      t6, lw0
        bne     s10, t6, fail
        li      t6, 0x0
        bne     s11, t6, fail
# 20: sw to address 4 is a store access fault
        li      gp, 20
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
sw4:
        sw      a0, 4(zero)
        li      t6, 12
        bne     s9, t6, fail
        la      t6, sw4
        bne     s10, t6, fail
        li      t6, 0x4
        bne     s11, t6, fail
# 21: lbu of the UART data register (a byte access to a device) is a load access fault
        li      gp, 21
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
        li      s0, UART_DATA
lbu_dev:
        lbu     a0, 0(s0)
        li      t6, 9
        bne     s9, t6, fail
        la      t6, lbu_dev
        bne     s10, t6, fail
        li      t6, 0x10000000
        bne     s11, t6, fail
# 22: sb to the power device is a store access fault and does not power off
        li      gp, 22
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
        li      s0, POWER_EXIT
sb_dev:
        sb      zero, 0(s0)
        li      t6, 12
        bne     s9, t6, fail
        la      t6, sb_dev
        bne     s10, t6, fail
        li      t6, 0x10003000
        bne     s11, t6, fail
# 23: a store into the boot ROM is a store access fault
        li      gp, 23
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
        lui     s0, 0x10
sw_rom:
        sw      zero, 0(s0)
        li      t6, 12
        bne     s9, t6, fail
        la      t6, sw_rom
        bne     s10, t6, fail
        li      t6, 0x10000
        bne     s11, t6, fail
# 24: break traps with epc = the break
        li      gp, 24
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
break_at:
        break
        li      t6, 6
        bne     s9, t6, fail
        la      t6, break_at
        bne     s10, t6, fail
# 25: syscall traps with epc = the syscall
        li      gp, 25
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
syscall_at:
        syscall
        li      t6, 7
        bne     s9, t6, fail
        la      t6, syscall_at
        bne     s10, t6, fail
# 26: catch returned in kernel mode with interrupts off (status KM set, IE clear)
        li      gp, 26
        crrs    a2, status, zero
        andi    a2, a2, 0x101
        li      t6, 0x100
        bne     a2, t6, fail
# 27: a timer interrupt wakes `wait`; epc is the instruction after it; catch returns with IE off
        li      gp, 27
        la      t0, catch
        crrw    zero, tvec, t0
        li      s9, -1
        li      s0, TIMER
        lw      t0, 0(s0)
        addi    t0, t0, 2000
        sw      t0, 8(s0)
        sw      zero, 12(s0)
        li      t0, 1
        sw      t0, 16(s0)
        li      s1, INTC
        sw      t0, 4(s1)
        la      s8, after_wait
        crrsi   zero, status, 1
        wait
after_wait_epc:
        j       fail
after_wait:
        li      t6, 0x80000000
        bne     s9, t6, fail
        la      t6, after_wait_epc
        bne     s10, t6, fail
        sw      zero, 16(s0)
        crrs    a2, status, zero
        andi    a2, a2, 0x101
        li      t6, 0x100
        bne     a2, t6, fail
        j       pass
        .data
data:
        .word   0, 0
patch_source:
        li      a2, 2
