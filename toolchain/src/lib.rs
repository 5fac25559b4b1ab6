//! The ox32 toolchain: the `oxas` assembler and the `oxdis` disassembler.
