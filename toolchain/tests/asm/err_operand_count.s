# error: 2:5: `add` takes 3 operands (rd, rs1, rs2), found 2
    add a0, a1
