//! Links the shell binary with the user library's layout (os/ulib/user.ld) when it is built
//! for the guest; the library's host tests link normally.

fn main() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../os/ulib/user.ld");
    println!("cargo:rerun-if-changed={script}");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-T{script}");
    }
}
