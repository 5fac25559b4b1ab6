# error: 2:5: unknown instruction `mul3`
    mul3 a0, a1, a2
