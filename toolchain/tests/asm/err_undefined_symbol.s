# error: 2:9: undefined symbol `nowhere`
    j   nowhere
