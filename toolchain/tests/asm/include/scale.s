# Included by include/double.s.
    .equ SHIFT, 1
