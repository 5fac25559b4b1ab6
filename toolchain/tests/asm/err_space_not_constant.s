# error: 2:12: size must be a constant known here (literals and `.equ` symbols defined above)
    .space later - 0
later:
