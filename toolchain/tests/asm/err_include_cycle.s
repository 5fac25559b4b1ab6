# A file that includes itself, here through another, is an error at the include that closes the
# cycle (in the included file, so the error names the chain that led there).
    .include "include/cycle.s"
# error: include/cycle.s:3:14: `tests/asm/err_include_cycle.s` includes itself: tests/asm/err_include_cycle.s → tests/asm/include/cycle.s → tests/asm/err_include_cycle.s
