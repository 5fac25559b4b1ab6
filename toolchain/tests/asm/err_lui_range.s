# error: 2:13: upper immediate 1048576 is out of range; `lui` takes -524288..=1048575
    lui a0, 0x100000
