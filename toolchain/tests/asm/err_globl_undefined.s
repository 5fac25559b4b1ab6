# error: 2:12: `main` is declared global but never defined
    .globl main
