# Every data and layout directive.
    .text
    nop                                  # => 0x80000000
    .align 3                             # => 0x80000000
    nop                                  # => 0x80000000
    .balign 16                           # => 0x00 0x00 0x00 0x80
    .data
d0: .byte 1, 2, 0xff, -128               # => 0x01 0x02 0xff 0x80
    .half 0x1234, -1                     # => 0x1234 0xffff
    .align 2
    .word 0xdeadbeef, -2147483648, 4294967295 # => 0xdeadbeef 0x80000000 0xffffffff
    .long 5                              # => 0x00000005
    .short 6                             # => 0x0006
    .2byte 7                             # => 0x0007
    .4byte 8                             # => 0x00000008
    .ascii "ab", "c"                     # => 0x61 0x62 0x63
    .asciz "hi"                          # => 0x68 0x69 0x00
    .string "x\ty\n\0\\\"\x41\101"       # => 0x78 0x09 0x79 0x0a 0x00 0x5c 0x22 0x41 0x41 0x00
    .space 3                             # => 0x00 0x00 0x00
    .zero 2                              # => 0x00 0x00
    .skip 2, 0xaa                        # => 0xaa 0xaa
    .balign 8, 0xee                      # => 0xee
    .p2align 2
    .rodata
ro: .ascii "ro"                          # => 0x72 0x6f
    .bss
b0: .space 16                            # => bss 16
    .align 4
b1: .zero 8                              # => bss 8
    .section .mydata, "aw"
md: .byte 9                              # => 0x09
    .section .mytext, "ax"
mt: ret                                  # => 0x10010000
    .section .myconst
mc: .byte 10                             # => 0x0a
# symbol: d0 = 0x80002000
# symbol: ro = 0x80001000
# symbol: b0 = 0x80003000
# symbol: b1 = 0x80003010
# symbol: md = 0x80004000
# symbol: mt = 0x80005000
# symbol: mc = 0x80006000
