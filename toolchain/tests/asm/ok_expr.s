# Expressions: literals, operators and precedence, `.`, symbols, %hi / %lo.
    .equ A, 10
    .set B, A * 2 + 1
    .equ MASK, ~0xff & 0xffff
    .data
    .word 1 + 2 * 3                      # => 0x00000007
    .word (1 + 2) * 3                    # => 0x00000009
    .word 1 << 4 | 1                     # => 0x00000011
    .word 0x100 >> 4                     # => 0x00000010
    .word 7 / 2, -7 / 2, 7 % 3, -7 % 3   # => 0x00000003 0xfffffffd 0x00000001 0xffffffff
    .word 0xf0 ^ 0xff, 0xf0 & 0x3c       # => 0x0000000f 0x00000030
    .word -A, ~0, +5                     # => 0xfffffff6 0xffffffff 0x00000005
    .word B, MASK                        # => 0x00000015 0x0000ff00
    .word 0b1011, 0o17, 'z', '\n'        # => 0x0000000b 0x0000000f 0x0000007a 0x0000000a
    .word ., . + 4                       # => 0x8000104c 0x80001050
    .word %hi(0x12345678), %lo(0x12345678) # => 0x00012345 0x00000678
    .word %hi(0x12345fff), %lo(0x12345fff) # => 0x00012346 0xffffffff
    .word %hi(0x800), %lo(0x800)         # => 0x00000001 0xfffff800
    .word %hi(0xfffff800), %lo(0xfffff800) # => 0x00000000 0xfffff800
    .word end - start                    # => 0x00000004
start:
    .word 1_000                          # => 0x000003e8
end:
    .text
    lui a0, %hi(0x87654321)              # => 0x05487654
    addi a0, a0, %lo(0x87654321)         # => 0x814a0321
    lui a0, %hi(value)                   # => 0x05480001
    lw a0, %lo(value)(a0)                # => 0x494a007c
    .data
value: .word 42                          # => 0x0000002a
