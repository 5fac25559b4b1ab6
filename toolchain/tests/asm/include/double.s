# Included by ok_include.s: a constant and a routine, and an include of its own (a path relative
# to this file's directory, not to the including one's).
    .include "scale.s"
double:
    slli a0, a0, SHIFT
    ret
