# An include that cannot be read is an error at the directive, naming the file it tried.
    nop
    .include "include/no_such_file.s"
# error: 3:14: cannot include `tests/asm/include/no_such_file.s`: No such file or directory (os error 2)
    .include "/dev/zero"
# error: 5:14: cannot include `/dev/zero`: not a regular file
    .include "include"
# error: 7:14: cannot include `tests/asm/include`: not a regular file
