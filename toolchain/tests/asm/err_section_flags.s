# error: 2:20: unknown section flag `q` (known: a, w, x)
    .section .foo, "q"
