# error: 3:12: alignment exponent 17 is out of range; `.align` takes 0..=16
# error: 4:13: alignment 3 is not a power of two
    .align 17
    .balign 3
