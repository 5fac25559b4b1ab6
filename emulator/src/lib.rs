//! Orrery, the emulator of the ox32 machine.
//!
//! Design principles:
//! 1. **A guest cannot crash the emulator.** Every bad instruction, address or device access
//!    becomes a precise guest trap ([`cpu::Trap`]); every bad file becomes an error message.
//! 2. **Deterministic by construction.** A node runs in virtual time counted in cycles;
//!    interrupts arrive at exact cycles; host time never leaks into the guest. Host input is
//!    the only non-deterministic source.
//! 3. **Fast where it counts, plain elsewhere.** The interpreter executes pre-decoded
//!    instructions a page at a time with a TLB fast path for loads and stores; everything
//!    rare (walks, devices, system instructions) takes ordinary, readable slow paths.
//! 4. **One instruction set definition.** Decoding, encoding and disassembly come from the
//!    `ox32` crate, shared with the assembler and translator.
//! 5. **Devices see offsets.** The [`bus`] routes by half-open ranges; each device in
//!    [`devices`] is a state machine behind the [`device::Device`] trait.

pub mod admission;
pub mod bus;
pub mod console;
pub mod cpu;
pub mod device;
pub mod devices;
pub mod host;
#[cfg(all(target_arch = "x86_64", unix))]
pub mod jit;
pub mod loader;
pub mod machine;
pub mod mmu;
pub mod monitor;
pub mod profile;
pub mod remote;
pub mod session;
pub mod system;
pub mod time;
pub mod topology;
pub mod trace;
pub mod userboot;
