//! Links every program with ox-bare's linker script (its path comes from ox-bare's build
//! script through the `links` metadata).

fn main() {
    if let Ok(script) = std::env::var("DEP_OX_BARE_LINK_X") {
        println!("cargo:rustc-link-arg-bins=-T{script}");
    }
}
