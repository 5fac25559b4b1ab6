# error: 2:17: branch target is 32768 bytes away; a branch reaches ±32 KiB
    beq a0, a1, .+0x8000
