# error: 2:30: arithmetic overflow in expression
    .word 0x7fffffffffffffff + 1
