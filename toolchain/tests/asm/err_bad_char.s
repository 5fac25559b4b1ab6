# error: 2:16: unexpected character `?`
    addi a0, a0?, 1
