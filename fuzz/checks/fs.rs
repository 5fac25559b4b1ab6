//! Fuzzes mounting a damaged disk: a small file system with files and a directory, its bytes
//! changed where the input says, is refused with an error or mounted — never a panic — and a
//! mounted one can be listed, read, written and checked again without a panic.

use std::sync::OnceLock;

use ox_fs::{mkfs, Fs, MemDisk};

/// Blocks of the fuzzed disk.
const BLOCKS: u32 = 48;

/// The image every input damages: a root with two files (one past the direct blocks) and a
/// directory with one more.
fn image() -> &'static Vec<u8> {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let mut fs = mkfs(MemDisk::new(BLOCKS), BLOCKS).expect("mkfs");
        fs.write_file("/small", b"hello").expect("a file");
        fs.write_file("/large", &[7u8; 60_000]).expect("a large file");
        fs.mkdir("/dir").expect("a directory");
        fs.write_file("/dir/inner", b"inside").expect("a file in it");
        fs.unmount().expect("unmount").into_bytes()
    })
}

/// One input of the target (`fuzz_targets/fs.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    // The input is a list of changes: a 3-byte offset into the image and the byte to put there.
    let mut bytes = image().clone();
    for change in data.chunks_exact(4) {
        let at = u32::from_le_bytes([change[0], change[1], change[2], 0]) as usize % bytes.len();
        bytes[at] = change[3];
    }
    if let Ok(mut fs) = Fs::open(MemDisk::from_bytes(bytes.clone())) {
        let _ = ox_fs::check(&mut fs);
    }
    let Ok(mut fs) = Fs::mount(MemDisk::from_bytes(bytes)) else { return };
    for path in ["/", "/dir"] {
        if let Ok(entries) = fs.readdir_path(path) {
            for entry in entries {
                let _ = fs.read_all(entry.ino);
            }
        }
    }
    let _ = fs.read_file("/large");
    let _ = fs.write_file("/new", &[1u8; 9000]);
    let _ = fs.unlink("/small");
    if let Ok(report) = ox_fs::check(&mut fs) {
        assert!(
            report.is_clean(),
            "an image that mounted clean and was only used through the file system stays clean: {report:?}"
        );
    }
    let _ = fs.unmount();
}
