# error: 2:9: unknown register `a9`
    add a9, a0, a1
