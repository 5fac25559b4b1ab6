# error: 2:12: unterminated string
    .ascii "abc
