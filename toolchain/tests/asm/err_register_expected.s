# error: 2:17: expected a register (r0..r31, x0..x31 or an ABI name)
    add a0, a1, 5
