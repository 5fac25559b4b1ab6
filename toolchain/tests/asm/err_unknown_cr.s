# error: 3:14: control register number 4096 is out of range; `crrw` takes 0..=4095
# error: 4:14: undefined symbol `bogus`
    crrw a0, 0x1000, a1
    crrw a0, bogus, a1
