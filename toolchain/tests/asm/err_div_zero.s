# error: 2:13: division by zero in expression
    .word 1 / (2 - 2)
