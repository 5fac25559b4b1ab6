# Loads and stores, offset(base) with signed 16-bit offsets and expressions.
    lb a0, 0(a1)                         # => 0x414b0000
    lh a0, -2(sp)                        # => 0x4542fffe
    lw a0, 32767(sp)                     # => 0x49427fff
    lbu a0, -32768(sp)                   # => 0x4d428000
    lhu a0, (a1)                         # => 0x514b0000
    sb a0, 1(a1)                         # => 0x614b0001
    sh a0, 2(a1)                         # => 0x654b0002
    sw ra, -4(sp)                        # => 0x6822fffc
    sw ra, 4*3+1(sp)                     # => 0x6822000d
    lw t0, %lo(0x12345678)(t1)           # => 0x48a60678
