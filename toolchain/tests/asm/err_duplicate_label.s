# error: 3:1: symbol `here` is already defined
here: nop
here: nop
