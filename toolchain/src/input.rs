//! Reading the files a user names, with a bound: every tool and the emulator read their inputs
//! through [`read_input`], so a device (`/dev/zero`), a pipe or a huge file is refused with
//! one line instead of growing the host's memory without end.
//!
//! Only regular files are read, at most `limit` bytes; the limit is also enforced while
//! reading, so a file that grows (or claims a size of 0, as `/proc` files do) is still
//! bounded. The limits of each kind of input are the constants below, listed in
//! `docs/reliability.md`.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// The most bytes of a text input: assembly source, a topology, a monitor script.
pub const MAX_TEXT: u64 = 16 << 20;
/// The most bytes of an executable or ROM image (an ELF file, a flat binary).
pub const MAX_BINARY: u64 = 256 << 20;
/// The most bytes of a disk image read or written by `oxdisk` (it holds the image in memory).
pub const MAX_DISK_IMAGE: u64 = 1 << 30;

/// Why an input could not be read: one line naming the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

impl From<InputError> for String {
    fn from(error: InputError) -> String {
        error.0
    }
}

/// The bytes of the regular file `path`, refused when it is not a regular file or is larger
/// than `limit` bytes.
pub fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let (file, len) = open_input(path, limit)?;
    let fail = |what: String| InputError(format!("cannot read {}: {what}", path.display()));
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(too_big(path, bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// The regular file `path`, opened, and its size, refused as by [`read_input`]: for a reader
/// that reads only the parts it needs, never more than the size returned.
pub fn open_input(path: &Path, limit: u64) -> Result<(std::fs::File, u64), InputError> {
    let fail = |what: String| InputError(format!("cannot read {}: {what}", path.display()));
    // The path is checked before it is opened: opening a FIFO would wait for a writer.
    let metadata = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !metadata.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    if metadata.len() > limit {
        return Err(too_big(path, metadata.len(), limit));
    }
    Ok((file, metadata.len()))
}

fn too_big(path: &Path, len: u64, limit: u64) -> InputError {
    InputError(format!(
        "cannot read {}: {len} bytes or more, above the limit of {limit} bytes",
        path.display()
    ))
}

/// The UTF-8 text of the regular file `path`, with the limits of [`read_input`].
pub fn read_text_input(path: &Path, limit: u64) -> Result<String, InputError> {
    let bytes = read_input(path, limit)?;
    String::from_utf8(bytes)
        .map_err(|_| InputError(format!("cannot read {}: not UTF-8 text", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("orrery-input-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn reads_a_file_within_the_limit() {
        let path = scratch("small", b"hello");
        assert_eq!(read_input(&path, 5), Ok(b"hello".to_vec()));
        assert_eq!(read_text_input(&path, 100).as_deref(), Ok("hello"));
        let error = read_input(&path, 4).unwrap_err();
        assert!(error.0.ends_with("5 bytes or more, above the limit of 4 bytes"), "{error}");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn refuses_devices_folders_and_missing_files() {
        for path in ["/dev/zero", "/dev/null", "/"] {
            let error = read_input(Path::new(path), MAX_BINARY).unwrap_err();
            assert_eq!(error.0, format!("cannot read {path}: not a regular file"));
        }
        assert!(read_input(Path::new("/no/such/file"), 10)
            .unwrap_err()
            .0
            .starts_with("cannot read /no/such/file: "));
    }

    #[test]
    fn refuses_text_that_is_not_utf8() {
        let path = scratch("binary", &[0xff, 0xfe]);
        assert!(read_text_input(&path, 10).unwrap_err().0.ends_with("not UTF-8 text"));
        std::fs::remove_file(path).unwrap();
    }
}
