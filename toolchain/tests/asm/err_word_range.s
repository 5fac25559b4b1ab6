# error: 3:11: value 4294967296 is out of range; `.word` takes -2147483648..=4294967295
# error: 4:11: value 256 is out of range; `.byte` takes -128..=255
    .word 0x100000000
    .byte 256
