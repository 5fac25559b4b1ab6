# error: 2:15: unknown escape `\q` (known: \n \t \r \0 \\ \" \' \a \b \f \v \xHH \NNN)
    .ascii "ab\q"
