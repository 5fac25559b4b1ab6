# atomic_code_page.s — the reservation rule of docs/isa.md 5.5 ("ordinary stores by the node
# do not clear it") must hold for every store, whichever path the emulator takes. Here the
# reserved word lives in a page that also holds executed code, so the store to it takes the
# emulator's slow path (it must drop decoded instructions), unlike the same case in atomic.s.

        .text
main:
# 1: lr.w, a plain sw to the reserved word in a code page, then sc.w succeeds (rd = 0)
        li      gp, 1
        la      s0, word_in_code
        lr.w    a1, (s0)
        li      a0, 3
        sw      a0, 0(s0)
        li      a1, 9
        sc.w    a2, a1, (s0)
        li      t6, 0
        bne     a2, t6, fail
# 2: and the sc.w stored its value
        li      gp, 2
        lw      a2, 0(s0)
        li      t6, 9
        bne     a2, t6, fail
        j       pass
        .balign 4
word_in_code:
        .word   0
