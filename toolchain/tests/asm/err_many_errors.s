# error: 4:5: unknown instruction `bogus`
# error: 5:9: unknown register `q1`
# error: 7:5: unknown directive `.nope`
    bogus
    add q1, a0, a0
    nop
    .nope
