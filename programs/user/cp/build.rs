//! Links the program with the user library's layout (os/ulib/user.ld).

fn main() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../os/ulib/user.ld");
    println!("cargo:rerun-if-changed={script}");
    println!("cargo:rustc-link-arg=-T{script}");
}
