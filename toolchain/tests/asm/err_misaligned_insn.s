# error: 3:5: instruction at offset 0x1 of `.text` is not 4-byte aligned (add `.align 2` before it)
    .byte 1
    nop
