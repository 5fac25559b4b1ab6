# Several statements and labels per line, both comment styles, forward references.
a: b: nop ; nop // two statements        # => 0x80000000 0x80000000
    j c; c: ret   # label mid-line       # => 0x0c000004 0x10010000
    beq a0, a1, d                        # => 0x214b0008
    .word d - a                          # => 0x00000018
d:
    .word a, d                           # => 0x80000000 0x80000018
    .equ spot, .
    .word spot, spot - a                 # => 0x80000020 0x00000020
# symbol: a = 0x80000000
# symbol: b = 0x80000000
# symbol: c = 0x8000000c
# symbol: d = 0x80000018
