# error: 2:5: unknown directive `.wrod`
    .wrod 5
