# error: 3:18: immediate 32768 is out of range; `addi` takes -32768..=32767
# error: 4:18: shift amount 32 is out of range; `slli` takes 0..=31
    addi a0, a0, 32768
    slli a0, a0, 32
