# error: 3:5: `.bss` holds no data: only labels, `.align` and `.space`/`.zero` with fill 0 belong there
    .bss
    .word 1
