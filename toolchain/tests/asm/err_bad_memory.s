# error: 2:12: expected a memory operand `offset(register)`
    lw a0, a1
