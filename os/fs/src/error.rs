//! The errors of file-system operations, each with the errno a system call reports.

use core::fmt;

/// Why an operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// No file or directory of that name (`ENOENT`).
    NotFound,
    /// The name is taken (`EEXIST`).
    Exists,
    /// A path component that must be a directory is not (`ENOTDIR`).
    NotDir,
    /// A directory where a file is needed: reading, writing or linking it (`EISDIR`).
    IsDir,
    /// No free block or inode (`ENOSPC`).
    NoSpace,
    /// A name longer than [`crate::NAME_MAX`] bytes (`ENAMETOOLONG`).
    NameTooLong,
    /// Removing a directory that still has entries (`ENOTEMPTY`).
    NotEmpty,
    /// A bad argument: an empty name, `.` or `..` where a new name is needed, a name with `/`
    /// or NUL, an operation on the wrong kind of inode, an inode number out of range (`EINVAL`).
    Invalid,
    /// A file would grow past [`crate::MAX_FILE_SIZE`] (`EFBIG`).
    FileTooBig,
    /// An inode already has the most links a count can hold (`EMLINK`).
    TooManyLinks,
    /// The image contradicts itself: bad magic, a block or inode number out of range, a bad
    /// kind or size (`EIO`).
    Corrupt,
    /// The block device failed (`EIO`).
    Io,
    /// The superblock is of another format version than [`crate::layout::VERSION`] (`EIO`).
    Version(u32),
}

impl Error {
    /// The error number a system call returns for this error (Linux numbering, as in `ox-abi`).
    pub fn errno(self) -> u32 {
        match self {
            Error::NotFound => 2,
            Error::Corrupt | Error::Io | Error::Version(_) => 5,
            Error::Exists => 17,
            Error::NotDir => 20,
            Error::IsDir => 21,
            Error::Invalid => 22,
            Error::FileTooBig => 27,
            Error::NoSpace => 28,
            Error::TooManyLinks => 31,
            Error::NameTooLong => 36,
            Error::NotEmpty => 39,
        }
    }

    /// The conventional name of [`Error::errno`] (`ENOENT`).
    pub fn errno_name(self) -> &'static str {
        match self {
            Error::NotFound => "ENOENT",
            Error::Corrupt | Error::Io | Error::Version(_) => "EIO",
            Error::Exists => "EEXIST",
            Error::NotDir => "ENOTDIR",
            Error::IsDir => "EISDIR",
            Error::Invalid => "EINVAL",
            Error::FileTooBig => "EFBIG",
            Error::NoSpace => "ENOSPC",
            Error::TooManyLinks => "EMLINK",
            Error::NameTooLong => "ENAMETOOLONG",
            Error::NotEmpty => "ENOTEMPTY",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::NotFound => "no such file or directory",
            Error::Exists => "file exists",
            Error::NotDir => "not a directory",
            Error::IsDir => "is a directory",
            Error::NoSpace => "no space left on the file system",
            Error::NameTooLong => "file name too long",
            Error::NotEmpty => "directory not empty",
            Error::Invalid => "invalid argument",
            Error::FileTooBig => "file too large",
            Error::TooManyLinks => "too many links",
            Error::Corrupt => "the file system is corrupt",
            Error::Io => "block device error",
            Error::Version(version) => {
                return write!(
                    f,
                    "the file system is format version {version}; this code reads version {} only \
                     (make a new image with oxdisk)",
                    crate::layout::VERSION
                )
            }
        };
        f.write_str(text)
    }
}
