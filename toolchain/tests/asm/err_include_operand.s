# `.include` takes exactly one file name in double quotes.
    .include include/double.s
# error: 2:14: `.include` takes a file name in double quotes
    .include
# error: 4:5: `.include` takes one file name in double quotes
    .include "include/scale.s", "include/scale.s"
# error: 6:5: `.include` takes one file name in double quotes
