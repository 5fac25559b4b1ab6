# An error in an included file is reported at its place there, and the rendering names the
# `.include` that led to it.
    nop
    .include "include/bad.s"
# error: include/bad.s:3:5: unknown instruction `frobnicate`
