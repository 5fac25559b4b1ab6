# `.include` puts the statements of another file in place of the directive: the labels of the
# included files are defined, and their bytes (8: `slli` by the included `.equ`, `ret`) come at
# the directive's place, between `li` and `call`.
_start:
    li a0, 21                            # => 0x81400015
first: .include "include/double.s"
    call double                          # => 0x0c3ffff8
    halt_here: j halt_here               # => 0x0c000000
# symbol: first = 0x80000004
# symbol: double = 0x80000004
# symbol: halt_here = 0x80000010
