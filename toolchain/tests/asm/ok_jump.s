# Jumps: jal with and without rd, jalr forms, upper immediates.
    .globl _start
_start:
    jal ra, target                       # => 0x0c200010
    jal t0, _start                       # => 0x0cbffffc
    jal zero, . + 0xffffc                # => 0x0c0ffffc
    jal zero, . - 0x100000               # => 0x0c100000
target:
    jalr zero, 0(ra)                     # => 0x10010000
    jalr ra, -8(t0)                      # => 0x1025fff8
    jalr a0, a1, 12                      # => 0x114b000c
    jalr a0, a1                          # => 0x114b0000
    lui a0, 0xfffff                      # => 0x054fffff
    lui a0, 0                            # => 0x05400000
    lui a0, -1                           # => 0x054fffff
    lui a0, -0x80000                     # => 0x05480000
    auipc t0, 0x12345                    # => 0x08a12345
# entry: 0x80000000
# symbol: target = 0x80000010
