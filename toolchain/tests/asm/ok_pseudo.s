# Every pseudo-instruction.
    .equ SMALL, 100
    .equ BIG, 0x12345678
top:
    nop                                  # => 0x80000000
    li a0, 0                             # => 0x81400000
    li a0, -32768                        # => 0x81408000
    li a0, SMALL                         # => 0x81400064
    li a0, BIG                           # => 0x05412345 0x814a0678
    li a0, 0x8000                        # => 0x05400008 0x814a0000
    li a0, 0xfffff800                    # => 0x05400000 0x814af800
    li a0, -1                            # => 0x8140ffff
    li a0, later                         # => 0x05400000 0x814a0007
    la a1, top                           # => 0x05680000 0x816b0000
    la a1, data                          # => 0x05680001 0x816b0000
    mv a0, a1                            # => 0x814b0000
    not a0, a1                           # => 0x8d4bffff
    neg a0, a1                           # => 0xc1405801
    seqz a0, a1                          # => 0x894b0001
    snez a0, a1                          # => 0xc1405804
    sltz a0, a1                          # => 0xc14b0003
    sgtz a0, a1                          # => 0xc1405803
    j top                                # => 0x0c1fffa0
    jal top                              # => 0x0c3fff9c
    jr t0                                # => 0x10050000
    jalr t0                              # => 0x10250000
    call func                            # => 0x0c200034
    tail func                            # => 0x0c000030
    ret                                  # => 0x10010000
    beqz a0, top                         # => 0x2140ff84
    bnez a0, top                         # => 0x2540ff80
    blez a0, top                         # => 0x2c0aff7c
    bgez a0, top                         # => 0x2d40ff78
    bltz a0, top                         # => 0x2940ff74
    bgtz a0, top                         # => 0x280aff70
    bgt a0, a1, top                      # => 0x296aff6c
    ble a0, a1, top                      # => 0x2d6aff68
    bgtu a0, a1, top                     # => 0x316aff64
    bleu a0, a1, top                     # => 0x356aff60
func:
    ret                                  # => 0x10010000
    .equ later, 7
    .data
data: .word top                          # => 0x80000000
# symbol: top = 0x80000000
# symbol: data = 0x80001000
