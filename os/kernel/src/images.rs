//! The user programs embedded in the kernel at build time (see `build.rs`): `exec` finds a
//! program here by name.

include!(concat!(env!("OUT_DIR"), "/images.rs"));

/// The image of the program called `name`.
pub fn find(name: &str) -> Option<&'static [u8]> {
    IMAGES.iter().find(|(n, _)| *n == name).map(|(_, image)| *image)
}
