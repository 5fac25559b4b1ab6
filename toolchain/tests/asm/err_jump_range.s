# error: 2:13: jump target is 1048576 bytes away; a jump reaches ±1 MiB
    jal ra, . + 0x100000
