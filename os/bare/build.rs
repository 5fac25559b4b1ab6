//! Hands the path of `link.x` to the build scripts of crates that depend on `ox-bare`: they
//! read it as `DEP_OX_BARE_LINK_X` and pass `-T<path>` to the linker of their binaries.

use std::path::Path;

fn main() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("link.x");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:link_x={}", script.display());
}
