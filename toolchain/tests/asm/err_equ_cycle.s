# error: 4:11: in the value of `A`: `A` is defined in terms of itself (or nests deeper than 64)
    .equ A, B
    .equ B, A
    .word A
