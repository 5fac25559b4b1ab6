# error: 2:14: atomics take no offset: write `(register)`
    lr.w a0, 4(a1)
