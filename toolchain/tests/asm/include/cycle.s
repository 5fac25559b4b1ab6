# Included by err_include_cycle.s, which it includes again.
    nop
    .include "../err_include_cycle.s"
