# Branches take target addresses: labels, absolute numbers, `.`-relative; backward and forward.
start:
    beq a0, a1, start                    # => 0x214b0000
    bne a0, a1, start                    # => 0x254bfffc
    blt a0, a1, fwd                      # => 0x294b001c
    bge a0, a1, fwd                      # => 0x2d4b0018
    bltu a0, a1, .+8                     # => 0x314b0008
    bgeu a0, a1, .-4                     # => 0x354bfffc
    beq zero, zero, 0x80000000           # => 0x2000ffe8
    beq a0, a1, . + 0x7ffc               # => 0x214b7ffc
    beq a0, a1, . - 0x8000               # => 0x214b8000
fwd:
    bne t0, t1, fwd                      # => 0x24a60000
