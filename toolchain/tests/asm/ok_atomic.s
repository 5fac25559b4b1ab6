# Load-reserved, store-conditional and every AMO, with every ordering suffix.
    lr.w a0, (a1)                        # => 0xc54b0000
    lr.w.aq a0, (a1)                     # => 0xc54b0400
    lr.w.rl a0, (a1)                     # => 0xc54b0200
    lr.w.aqrl a0, 0(a1)                  # => 0xc54b0600
    sc.w a0, a2, (a1)                    # => 0xc54b6001
    sc.w.aqrl t0, t1, (t2)               # => 0xc4a73601
    amoswap.w a0, a1, (a2)               # => 0xc54c5802
    amoadd.w a0, a1, (a2)                # => 0xc54c5803
    amoxor.w.aq a0, a1, (a2)             # => 0xc54c5c04
    amoand.w.rl a0, a1, (a2)             # => 0xc54c5a05
    amoor.w a0, a1, (a2)                 # => 0xc54c5806
    amomin.w a0, a1, (a2)                # => 0xc54c5807
    amomax.w a0, a1, (a2)                # => 0xc54c5808
    amominu.w a0, a1, (a2)               # => 0xc54c5809
    amomaxu.w.aqrl a0, a1, (a2)          # => 0xc54c5e0a
