# Included by err_include_nested.s: its errors are reported in this file.
    addi a0, a0, 1
    frobnicate a0
