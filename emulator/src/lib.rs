//! Orrery, the ox32 emulator.
