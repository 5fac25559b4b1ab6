//! The rustc wrapper of the guest build: makes each crate's identity independent of where the
//! repository lives.
//!
//! rustc derives a crate's identity (its `StableCrateId`, which goes into every mangled symbol
//! name and every `TypeId`) from the `-C metadata` values cargo passes. Cargo hashes a path
//! package's location *relative to the workspace root* when the package lies under it, and its
//! absolute path otherwise. The guest workspace's root is `os/`, and its members under
//! `programs/user/` and `tests/differential/` lie outside it, as does the ISA crate
//! `toolchain/ox32` it shares with the host, so their symbols (and the code and debug
//! information ordered by them) changed with the folder the repository was cloned into — and
//! with them the length of the images the kernel embeds and the disk holds.
//!
//! `cargo xtask` therefore names itself as `RUSTC_WRAPPER` for the guest build (with
//! [`ROOT_VAR`] = the repository root). Cargo then runs `xtask RUSTC ARGS...` for every crate;
//! for a crate of the repository [`run`] replaces cargo's `-C metadata=...` by
//! [`stable_metadata`], a hash of what makes the unit distinct but not of where it is: the
//! package's name, version and directory relative to the repository root, and rustc's
//! arguments with paths made relative and the path-derived ones left out. Every other crate
//! (crates.io's, whose identity cargo already derives from the registry and not a path, and the
//! standard library built by `-Zbuild-std`, whose identity depends on the toolchain's own
//! location, fixed for one toolchain — docs/build.md) is compiled exactly as cargo says.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode};

/// The variable that turns `cargo xtask` into the rustc wrapper; its value is the repository
/// root whose path is taken out of every crate's identity.
pub const ROOT_VAR: &str = "ORRERY_RUSTC_WRAPPER_ROOT";

/// The name the repository root gets in a unit's identity.
const ROOT_NAME: &str = "/orrery";

/// The version of [`stable_metadata`]'s recipe. Cargo does not know what the wrapper does, so
/// its fingerprints cannot see a change of recipe: the guest build empties its target
/// directory when the version recorded there differs ([`crate::guest::build_at`]).
pub const RECIPE: &str = "stable-metadata 1";

/// Runs the wrapped rustc (`args` = rustc's path, then its arguments) with a path-independent
/// `-C metadata`, and returns its exit code.
pub fn run(root: &Path, args: Vec<OsString>) -> ExitCode {
    let Some((rustc, rustc_args)) = args.split_first() else {
        eprintln!("xtask: {ROOT_VAR} is set but cargo gave no rustc to run");
        return ExitCode::FAILURE;
    };
    let strings: Option<Vec<String>> = rustc_args.iter().map(|a| a.to_str().map(str::to_string)).collect();
    let package = Package::from_env(root);
    let args = match strings {
        Some(strings) if package.in_repository() && has_metadata(&strings) => {
            let metadata = stable_metadata(&package, &strings, root);
            replace_metadata(&strings, &metadata).into_iter().map(OsString::from).collect()
        }
        // A probe (`-vV`, `--print ...`) or an argument that is not UTF-8: nothing to rewrite.
        _ => rustc_args.to_vec(),
    };
    match Command::new(rustc).args(&args).status() {
        Ok(status) => match status.code() {
            Some(code) => ExitCode::from(code.clamp(0, 255) as u8),
            None => ExitCode::FAILURE,
        },
        Err(e) => {
            eprintln!("xtask: cannot run {}: {e}", Path::new(rustc).display());
            ExitCode::FAILURE
        }
    }
}

/// What cargo tells rustc about the package being compiled.
#[derive(Debug, Default)]
pub struct Package {
    /// `CARGO_PKG_NAME`.
    pub name: String,
    /// `CARGO_PKG_VERSION`.
    pub version: String,
    /// `CARGO_MANIFEST_DIR`, relative to the repository root when it lies under it.
    pub dir: String,
}

impl Package {
    /// The package cargo is compiling, from the variables it sets for rustc.
    fn from_env(root: &Path) -> Package {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        Package {
            name: var("CARGO_PKG_NAME"),
            version: var("CARGO_PKG_VERSION"),
            dir: relative(&var("CARGO_MANIFEST_DIR"), root),
        }
    }

    /// Whether the package lies in the repository (its directory was made relative).
    fn in_repository(&self) -> bool {
        self.dir.starts_with(ROOT_NAME) && self.dir[ROOT_NAME.len()..].starts_with('/')
    }
}

/// Whether cargo passed a `-C metadata` (a compilation, not a probe).
fn has_metadata(args: &[String]) -> bool {
    codegen_options(args).any(|(_, option)| option.starts_with("metadata="))
}

/// The `-C` options of `args` with the index of the argument holding them (`-C opt` or `-Copt`).
fn codegen_options(args: &[String]) -> impl Iterator<Item = (usize, &str)> {
    args.iter().enumerate().filter_map(move |(i, arg)| {
        if arg == "-C" {
            args.get(i + 1).map(|next| (i + 1, next.as_str()))
        } else {
            arg.strip_prefix("-C").filter(|rest| !rest.is_empty()).map(|rest| (i, rest))
        }
    })
}

/// The `-C metadata` value for a unit of `package` compiled with `args`: 16 hex digits of a
/// hash over the package and the arguments, none of which depends on the repository's location.
///
/// Left out: cargo's own metadata and output-file suffix (they hash the location), the
/// incremental directory, output and library directories, the paths of `--extern` crates (their
/// names stay), path remappings, and diagnostic formatting. Every other argument is kept, with
/// the repository root replaced by a fixed name, so two units of one package that differ in
/// profile, features, crate type or target still get different identities.
pub fn stable_metadata(package: &Package, args: &[String], root: &Path) -> String {
    let mut hash = Fnv::new();
    for part in ["package", &package.name, &package.version, &package.dir] {
        hash.write(part);
    }
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let next = args.get(i + 1).map(String::as_str);
        i += 1;
        match arg {
            "-C" => {
                i += 1;
                if let Some(option) = next.filter(|o| !is_location_option(o)) {
                    hash.write("-C");
                    hash.write(&relative_in(option, root));
                }
            }
            "--out-dir"
            | "-L"
            | "--remap-path-prefix"
            | "--error-format"
            | "--json"
            | "--diagnostic-width"
            | "--color" => i += 1,
            "--extern" => {
                i += 1;
                hash.write("--extern");
                hash.write(next.map(|e| e.split_once('=').map_or(e, |(name, _)| name)).unwrap_or_default());
            }
            _ if arg.starts_with("-C") && is_location_option(&arg[2..]) => {}
            _ if arg.starts_with("-L") || arg.starts_with("--remap-path-prefix=") => {}
            _ if ["--error-format=", "--json=", "--diagnostic-width=", "--color="]
                .iter()
                .any(|p| arg.starts_with(p)) => {}
            _ => hash.write(&relative_in(arg, root)),
        }
    }
    format!("{:016x}", hash.finish())
}

/// Whether a `-C` option names a location (or cargo's hash of one) rather than what to build.
fn is_location_option(option: &str) -> bool {
    ["metadata=", "extra-filename=", "incremental="].iter().any(|p| option.starts_with(p))
}

/// `args` with cargo's `-C metadata` values replaced by the one `-C metadata=METADATA`.
fn replace_metadata(args: &[String], metadata: &str) -> Vec<String> {
    let drop: Vec<usize> = codegen_options(args)
        .filter(|(_, option)| option.starts_with("metadata="))
        // `-C metadata=X` is two arguments, `-Cmetadata=X` one.
        .flat_map(|(i, _)| if args[i].starts_with("-C") { vec![i] } else { vec![i - 1, i] })
        .collect();
    let mut out: Vec<String> =
        args.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, a)| a.clone()).collect();
    out.push("-C".to_string());
    out.push(format!("metadata={metadata}"));
    out
}

/// `path` relative to `root` (as `/orrery/...`) when it lies under it, unchanged otherwise.
fn relative(path: &str, root: &Path) -> String {
    match Path::new(path).strip_prefix(root) {
        Ok(rest) => format!("{ROOT_NAME}/{}", rest.display()),
        Err(_) => path.to_string(),
    }
}

/// `text` with every occurrence of the repository root replaced by [`ROOT_NAME`].
fn relative_in(text: &str, root: &Path) -> String {
    let root = root.to_string_lossy();
    if root.is_empty() || root == "/" {
        text.to_string()
    } else {
        text.replace(root.trim_end_matches('/'), ROOT_NAME)
    }
}

/// FNV-1a, 64 bits: a hash whose value is fixed by its definition (std's hashers promise no
/// stability across Rust releases). Each part ends with a 0xff byte, which no UTF-8 string
/// contains, so the parts cannot run into each other.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, part: &str) {
        for byte in part.bytes().chain([0xff]) {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::{has_metadata, replace_metadata, stable_metadata, Package};
    use std::path::Path;

    fn args(root: &str, extra: &str) -> Vec<String> {
        format!(
            "--crate-name hello --edition=2021 ../programs/user/hello/src/main.rs --crate-type bin \
             --emit=dep-info,link -C opt-level=2 -C panic=abort -C metadata=0123abcd \
             -C extra-filename=-77aa --out-dir {root}/target/guest/deps --target riscv32ima-unknown-none-elf \
             -L dependency={root}/target/guest/deps --extern ox_ulib={root}/target/guest/deps/libox_ulib-77aa.rlib \
             --remap-path-prefix={root}=/orrery -C link-arg=-T{root}/os/kcore/kernel.ld{extra}"
        )
        .split(' ')
        .map(str::to_string)
        .collect()
    }

    fn package(root: &str) -> Package {
        Package {
            name: "hello".into(),
            version: "0.1.0".into(),
            dir: super::relative(&format!("{root}/programs/user/hello"), Path::new(root)),
        }
    }

    #[test]
    fn the_metadata_does_not_depend_on_the_root() {
        let (a, b) = ("/work/main", "/tmp/a/much/longer/clone/of/the/repository");
        let ma = stable_metadata(&package(a), &args(a, ""), Path::new(a));
        let mb = stable_metadata(&package(b), &args(b, ""), Path::new(b));
        assert_eq!(ma, mb);
        assert_eq!(ma.len(), 16);
        assert!(package(a).in_repository());
        let registry = Package {
            dir: super::relative("/root/.cargo/registry/src/goblin-0.10.7", Path::new(a)),
            ..package(a)
        };
        assert!(!registry.in_repository());
        let sibling = Package { dir: super::relative("/work/main-old/os", Path::new(a)), ..package(a) };
        assert!(!sibling.in_repository());
    }

    #[test]
    fn what_is_built_changes_the_metadata() {
        let root = "/work/main";
        let plain = stable_metadata(&package(root), &args(root, ""), Path::new(root));
        let featured = stable_metadata(&package(root), &args(root, " --cfg feature=\"x\""), Path::new(root));
        let other_extern = stable_metadata(
            &package(root),
            &args(root, &format!(" --extern goblin={root}/target/x.rlib")),
            Path::new(root),
        );
        let mut other = package(root);
        other.dir = "/orrery/programs/user/other".into();
        let moved = stable_metadata(&other, &args(root, ""), Path::new(root));
        assert_ne!(plain, featured);
        assert_ne!(plain, other_extern);
        assert_ne!(plain, moved);
    }

    #[test]
    fn cargo_metadata_is_replaced_once() {
        let root = "/r";
        let mut given = args(root, "");
        given.push("-Cmetadata=feed".into());
        assert!(has_metadata(&given));
        let out = replace_metadata(&given, "0011223344556677");
        let metadata: Vec<&String> = out.iter().filter(|a| a.contains("metadata=")).collect();
        assert_eq!(metadata, ["metadata=0011223344556677"]);
        assert!(out.iter().any(|a| a == "extra-filename=-77aa"));
        assert!(!has_metadata(&["-vV".to_string()]));
    }
}
