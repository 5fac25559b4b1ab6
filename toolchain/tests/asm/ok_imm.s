# Register-immediate operations and shifts, with the edges of every range.
    addi a0, a1, 0                       # => 0x814b0000
    addi a0, a1, -32768                  # => 0x814b8000
    addi a0, a1, 32767                   # => 0x814b7fff
    slti t0, t1, -1                      # => 0x84a6ffff
    sltiu t0, t1, 1                      # => 0x88a60001
    xori s0, s1, 0x7fff                  # => 0x8d097fff
    ori s0, s1, -0x8000                  # => 0x91098000
    andi s0, s1, 0xff                    # => 0x950900ff
    slli a0, a0, 0                       # => 0xa14a0000
    slli a0, a0, 31                      # => 0xa14a001f
    srli a0, a0, 1                       # => 0xa54a0001
    srai a0, a0, 31                      # => 0xa94a001f
    addi a0, a0, 'A'                     # => 0x814a0041
