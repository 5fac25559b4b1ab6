//! Build script of the satellite kernel: links it with the kernels' shared linker script
//! (`os/kcore/kernel.ld`: loaded at the start of RAM, where the boot ROM copies it).

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let script = manifest.join("../kcore/kernel.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rustc-link-arg-bin=satellite=-T{}", script.display());
}
