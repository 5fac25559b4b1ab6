# error: 2:11: malformed integer literal `0x` (expected decimal, 0x hex, 0b binary or 0o octal)
    .word 0x
