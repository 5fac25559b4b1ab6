//! The file tests of `usertests`: files on the root file system, descriptors, directories and
//! pipes. Every test works under `/ut` (made fresh by [`setup`]) and removes what it made.
//! Without a file system (a node without a disk) [`has_fs`] is false and `main` skips the
//! tests that need one; pipes and `dup` need none.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use ox_ulib::abi::open_flags::{O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use ox_ulib::abi::{Errno, FileKind, Signal, Syscall, NOFILE, SEEK_CUR, SEEK_END, SEEK_SET, STDOUT};
use ox_ulib::println;
use ox_ulib::signal::{self, Handler};
use ox_ulib::sys::{self, raw_syscall, Fork};

use crate::{check, in_child, TestResult};

/// The tests that need a file system, by name.
pub const TESTS: &[(&str, fn() -> TestResult)] = &[
    ("file write and read back", write_read),
    ("O_TRUNC and O_APPEND", trunc_append),
    ("lseek", lseek),
    ("unlink", unlink),
    ("mkdir, chdir and relative paths", directories),
    ("fork shares open files", fork_shares),
    ("many files", many_files),
    ("large file across the indirect block", large_file),
    ("file errors", file_errors),
    ("exec from /bin", exec_from_bin),
    ("exec of a bad entry point", exec_bad_entry),
    ("file throughput", throughput),
];

/// The tests that need no disk.
pub const ANYWHERE: &[(&str, fn() -> TestResult)] = &[
    ("dup shares the offset", dup_console),
    ("pipe between parent and child", pipe_parent_child),
    ("pipe EOF and EPIPE", pipe_eof_epipe),
    ("pipe larger than its buffer", pipe_large),
    ("descriptor errors", descriptor_errors),
];

/// Whether the node has a file system.
pub fn has_fs() -> bool {
    sys::stat("/").is_ok()
}

/// Makes `/ut` afresh (empty), for the file tests.
pub fn setup() -> TestResult {
    let _ = sys::chdir("/");
    match sys::mkdir("/ut") {
        Ok(()) | Err(Errno::Exist) => Ok(()),
        Err(e) => Err(format!("mkdir /ut: {}", e.name())),
    }
}

/// `f` as a test step: its error becomes a message naming `what`.
fn step<T>(what: &str, result: Result<T, Errno>) -> Result<T, String> {
    result.map_err(|e| format!("{what}: {}", e.name()))
}

/// Creates (or truncates) `path` holding `data`.
fn put(path: &str, data: &[u8]) -> TestResult {
    let fd = step(&format!("open {path}"), sys::open(path, O_WRONLY | O_CREAT | O_TRUNC))?;
    step(&format!("write {path}"), sys::write_all(fd, data))?;
    step("close", sys::close(fd))
}

/// The contents of `path`.
fn get(path: &str) -> Result<Vec<u8>, String> {
    let fd = step(&format!("open {path}"), sys::open(path, O_RDONLY))?;
    let data = step(&format!("read {path}"), sys::read_to_end(fd))?;
    step("close", sys::close(fd))?;
    Ok(data)
}

fn write_read() -> TestResult {
    let fd = step("open", sys::open("/ut/a", O_RDWR | O_CREAT))?;
    check!(fd >= 3, "a new file got descriptor {fd}");
    let text = b"hello, file system\n";
    check!(sys::write(fd, text) == Ok(text.len()), "the write was short");
    check!(sys::fstat(fd).map(|s| s.size) == Ok(text.len() as u32), "fstat gives the wrong size");
    check!(sys::lseek(fd, 0, SEEK_SET) == Ok(0), "lseek to 0 failed");
    let mut buf = [0u8; 64];
    let n = step("read", sys::read(fd, &mut buf))?;
    check!(&buf[..n] == text, "read back {:?}", &buf[..n]);
    check!(sys::read(fd, &mut buf) == Ok(0), "no end of file after the data");
    step("close", sys::close(fd))?;
    check!(get("/ut/a")? == text, "a second open reads other bytes");
    let ro = step("open read-only", sys::open("/ut/a", O_RDONLY))?;
    check!(sys::write(ro, b"x") == Err(Errno::BadF), "writing a read-only file did not give EBADF");
    step("close", sys::close(ro))?;
    let wo = step("open write-only", sys::open("/ut/a", O_WRONLY))?;
    check!(sys::read(wo, &mut buf) == Err(Errno::BadF), "reading a write-only file did not give EBADF");
    step("close", sys::close(wo))?;
    let stat = step("stat", sys::stat("/ut/a"))?;
    check!(stat.kind == FileKind::File as u32 && stat.nlink == 1, "stat says {stat:?}");
    step("unlink", sys::unlink("/ut/a"))
}

fn trunc_append() -> TestResult {
    put("/ut/log", b"one\n")?;
    let fd = step("open append", sys::open("/ut/log", O_WRONLY | O_APPEND))?;
    // The offset is 0, but every write goes to the end.
    step("write", sys::write_all(fd, b"two\n"))?;
    step("write", sys::write_all(fd, b"three\n"))?;
    step("close", sys::close(fd))?;
    check!(get("/ut/log")? == b"one\ntwo\nthree\n", "appending gave {:?}", get("/ut/log")?);
    let fd = step("open trunc", sys::open("/ut/log", O_RDWR | O_TRUNC))?;
    check!(sys::fstat(fd).map(|s| s.size) == Ok(0), "O_TRUNC left bytes");
    step("close", sys::close(fd))?;
    step("unlink", sys::unlink("/ut/log"))
}

fn lseek() -> TestResult {
    put("/ut/seek", b"0123456789")?;
    let fd = step("open", sys::open("/ut/seek", O_RDWR))?;
    check!(sys::lseek(fd, 4, SEEK_SET) == Ok(4), "SEEK_SET");
    check!(sys::lseek(fd, 2, SEEK_CUR) == Ok(6), "SEEK_CUR");
    let mut buf = [0u8; 2];
    check!(sys::read(fd, &mut buf) == Ok(2) && &buf == b"67", "read after seeking gave {buf:?}");
    check!(sys::lseek(fd, -1, SEEK_END) == Ok(9), "SEEK_END");
    check!(sys::lseek(fd, -20, SEEK_CUR) == Err(Errno::Inval), "a negative offset did not give EINVAL");
    check!(sys::lseek(fd, 0, 7) == Err(Errno::Inval), "whence 7 did not give EINVAL");
    // Writing past the end leaves a hole that reads as zeros.
    check!(sys::lseek(fd, 5000, SEEK_SET) == Ok(5000), "seek past the end");
    step("write", sys::write_all(fd, b"end"))?;
    step("close", sys::close(fd))?;
    let data = get("/ut/seek")?;
    check!(data.len() == 5003, "the file is {} bytes", data.len());
    check!(&data[..10] == b"0123456789" && data[10..5000].iter().all(|b| *b == 0), "the hole is not zeros");
    check!(sys::lseek(STDOUT, 0, SEEK_SET) == Err(Errno::SPipe), "seeking the console did not give ESPIPE");
    step("unlink", sys::unlink("/ut/seek"))
}

fn unlink() -> TestResult {
    put("/ut/gone", b"soon gone")?;
    let fd = step("open", sys::open("/ut/gone", O_RDONLY))?;
    check!(sys::unlink("/ut/gone") == Err(Errno::Busy), "unlinking an open file did not give EBUSY");
    step("close", sys::close(fd))?;
    step("unlink", sys::unlink("/ut/gone"))?;
    check!(sys::open("/ut/gone", O_RDONLY) == Err(Errno::NoEnt), "an unlinked file still opens");
    check!(sys::unlink("/ut/gone") == Err(Errno::NoEnt), "unlinking twice did not give ENOENT");
    check!(sys::stat("/ut/gone") == Err(Errno::NoEnt), "stat of an unlinked file did not give ENOENT");
    Ok(())
}

fn directories() -> TestResult {
    step("mkdir", sys::mkdir("/ut/d"))?;
    check!(sys::mkdir("/ut/d") == Err(Errno::Exist), "mkdir of an existing name did not give EEXIST");
    step("chdir", sys::chdir("/ut/d"))?;
    check!(sys::getcwd().as_deref() == Ok("/ut/d"), "getcwd gave {:?}", sys::getcwd());
    put("f", b"relative")?;
    step("mkdir sub", sys::mkdir("sub"))?;
    put("sub/../sub/g", b"deeper")?;
    check!(get("/ut/d/f")? == b"relative", "the relative file is not at /ut/d/f");
    step("chdir ..", sys::chdir(".."))?;
    check!(sys::getcwd().as_deref() == Ok("/ut"), "getcwd after .. gave {:?}", sys::getcwd());
    check!(get("d/sub/g")? == b"deeper", "d/sub/g from /ut reads other bytes");
    check!(sys::chdir("d/f") == Err(Errno::NotDir), "chdir to a file did not give ENOTDIR");
    check!(sys::unlink("d") == Err(Errno::NotEmpty), "removing a full directory did not give ENOTEMPTY");
    // A child inherits the working directory.
    let status = in_child(|| if sys::open("d/f", O_RDONLY).is_ok() { 0 } else { 1 })?;
    check!(status == ox_ulib::abi::WaitStatus::Exited(0), "the child did not see the parent's directory");
    for path in ["d/sub/g", "d/sub", "d/f", "d"] {
        step(&format!("unlink {path}"), sys::unlink(path))?;
    }
    step("chdir /", sys::chdir("/"))?;
    check!(sys::getcwd().as_deref() == Ok("/"), "getcwd at the root gave {:?}", sys::getcwd());
    Ok(())
}

fn fork_shares() -> TestResult {
    put("/ut/shared", b"abcdefgh")?;
    let fd = step("open", sys::open("/ut/shared", O_RDONLY))?;
    let status = in_child(|| {
        let mut buf = [0u8; 3];
        if sys::read(fd, &mut buf) == Ok(3) && &buf == b"abc" {
            0
        } else {
            1
        }
    })?;
    check!(status == ox_ulib::abi::WaitStatus::Exited(0), "the child could not read the file");
    let mut buf = [0u8; 3];
    step("read", sys::read(fd, &mut buf))?;
    check!(&buf == b"def", "the parent read {buf:?} after the child's read: the offset is not shared");
    step("close", sys::close(fd))?;
    step("unlink", sys::unlink("/ut/shared"))
}

fn many_files() -> TestResult {
    const COUNT: usize = 150;
    step("mkdir", sys::mkdir("/ut/many"))?;
    for i in 0..COUNT {
        put(&format!("/ut/many/file{i}"), format!("contents of file {i}").as_bytes())?;
    }
    for i in (0..COUNT).rev() {
        let data = get(&format!("/ut/many/file{i}"))?;
        check!(data == format!("contents of file {i}").as_bytes(), "file{i} holds {data:?}");
    }
    let fd = step("open the directory", sys::open("/ut/many", O_RDONLY))?;
    let mut names = 0;
    loop {
        let batch = step("getdents", sys::getdents(fd, 7))?;
        if batch.is_empty() {
            break;
        }
        names += batch.len();
    }
    step("close", sys::close(fd))?;
    check!(names == COUNT + 2, "getdents listed {names} names, not {}", COUNT + 2);
    for i in 0..COUNT {
        step("unlink", sys::unlink(&format!("/ut/many/file{i}")))?;
    }
    step("rmdir", sys::unlink("/ut/many"))
}

/// The byte at `offset` of the large file's pattern.
fn pattern(offset: usize) -> u8 {
    (offset.wrapping_mul(7) ^ (offset >> 12)) as u8
}

fn large_file() -> TestResult {
    // 12 direct blocks hold 48 KiB; 200 KiB needs the indirect block.
    const SIZE: usize = 200 * 1024 + 123;
    let data: Vec<u8> = (0..SIZE).map(pattern).collect();
    put("/ut/large", &data)?;
    let stat = step("stat", sys::stat("/ut/large"))?;
    check!(stat.size == SIZE as u32, "the size is {}", stat.size);
    check!(stat.blocks == 51 + 1, "the file holds {} blocks, not 51 and the indirect one", stat.blocks);
    check!(get("/ut/large")? == data, "the large file reads back other bytes");
    // A read that starts in the direct blocks and ends in the indirect ones.
    let fd = step("open", sys::open("/ut/large", O_RDONLY))?;
    step("lseek", sys::lseek(fd, 47 * 1024, SEEK_SET))?;
    let mut buf = vec![0u8; 10 * 1024];
    check!(sys::read(fd, &mut buf) == Ok(buf.len()), "the read across the boundary was short");
    check!(
        buf.iter().enumerate().all(|(i, b)| *b == pattern(47 * 1024 + i)),
        "bytes across the boundary differ"
    );
    step("close", sys::close(fd))?;
    step("unlink", sys::unlink("/ut/large"))
}

fn file_errors() -> TestResult {
    put("/ut/file", b"x")?;
    check!(sys::open("/ut/nothing", O_RDONLY) == Err(Errno::NoEnt), "a missing file did not give ENOENT");
    check!(sys::open("/nodir/x", O_RDWR | O_CREAT) == Err(Errno::NoEnt), "creating in a missing directory");
    check!(
        sys::open("/ut/file", O_RDWR | O_CREAT | O_EXCL) == Err(Errno::Exist),
        "O_EXCL on an existing file did not give EEXIST"
    );
    check!(
        sys::open("/ut", O_WRONLY) == Err(Errno::IsDir),
        "opening a directory to write did not give EISDIR"
    );
    let dir = step("open a directory", sys::open("/ut", O_RDONLY))?;
    let mut buf = [0u8; 8];
    check!(sys::read(dir, &mut buf) == Err(Errno::IsDir), "reading a directory did not give EISDIR");
    step("close", sys::close(dir))?;
    check!(
        sys::open("/ut/file/x", O_RDONLY) == Err(Errno::NotDir),
        "a file as a directory did not give ENOTDIR"
    );
    check!(sys::mkdir("/ut/file/d") == Err(Errno::NotDir), "mkdir under a file did not give ENOTDIR");
    check!(sys::open("/ut/file", 3) == Err(Errno::Inval), "access mode 3 did not give EINVAL");
    check!(sys::open("/ut/file", 0x1000) == Err(Errno::Inval), "an unknown flag did not give EINVAL");
    check!(sys::open("", O_RDONLY) == Err(Errno::NoEnt), "the empty path did not give ENOENT");
    let long = "n".repeat(40);
    check!(
        sys::open(&format!("/ut/{long}"), O_RDWR | O_CREAT) == Err(Errno::NameTooLong),
        "a 40-byte name did not give ENAMETOOLONG"
    );
    check!(sys::getdents(STDOUT, 4) == Err(Errno::NotDir), "getdents on the console did not give ENOTDIR");
    // Bad pointers: EFAULT, nothing done.
    // Safety: each call fails before it writes anything.
    let open_null = unsafe { raw_syscall(Syscall::Open as u32, [0, 5, O_RDONLY, 0, 0, 0]) };
    check!(open_null == Errno::Fault.to_result(), "open with a null path gave {open_null}");
    let path = "/ut/file";
    // Safety: as above.
    let stat_kernel = unsafe {
        raw_syscall(Syscall::Stat as u32, [path.as_ptr() as u32, path.len() as u32, 0x8000_0000, 0, 0, 0])
    };
    check!(stat_kernel == Errno::Fault.to_result(), "stat into the kernel gave {stat_kernel}");
    let fd = step("open", sys::open(path, O_RDONLY))?;
    // Safety: as above.
    let read_null = unsafe { raw_syscall(Syscall::Read as u32, [fd, 0, 1, 0, 0, 0]) };
    check!(read_null == Errno::Fault.to_result(), "a file read into null gave {read_null}");
    // Buffers are checked before anything else, whole, on every node: nothing is written.
    let byte = 0u8;
    // Safety: the kernel refuses the range before it reads any of it.
    let huge =
        unsafe { raw_syscall(Syscall::Write as u32, [STDOUT, &byte as *const u8 as u32, u32::MAX, 0, 0, 0]) };
    check!(huge == Errno::Fault.to_result(), "a write of 4 GiB from the stack gave {huge}");
    // Safety: the kernel refuses the buffer before it looks at the descriptor.
    let dents = unsafe { raw_syscall(Syscall::Getdents as u32, [fd, 0x8000_0000, 64, 0, 0, 0]) };
    check!(dents == Errno::Fault.to_result(), "getdents of a file into the kernel gave {dents}");
    step("close", sys::close(fd))?;
    step("unlink", sys::unlink(path))
}

fn exec_from_bin() -> TestResult {
    let stat = step("stat /bin/hello", sys::stat("/bin/hello"))?;
    check!(stat.kind == FileKind::File as u32 && stat.size > 1000, "/bin/hello is {stat:?}");
    let status = in_child(|| {
        let errno = sys::exec("/bin/hello", &["hello", "by path"]);
        ox_ulib::eprintln!("exec /bin/hello: {}", errno.name());
        99
    })?;
    check!(status == ox_ulib::abi::WaitStatus::Exited(0), "exec by path ended with {status:?}");
    Ok(())
}

/// An executable whose entry point is not in its code is refused by `exec` (`ENOEXEC`), and
/// the caller goes on in its own image.
fn exec_bad_entry() -> TestResult {
    let fd = step("open /bin/hello", sys::open("/bin/hello", O_RDONLY))?;
    let good = step("read /bin/hello", sys::read_to_end(fd))?;
    step("close", sys::close(fd))?;
    check!(good.len() > 28, "/bin/hello has {} bytes", good.len());
    let entry = u32::from_le_bytes([good[24], good[25], good[26], good[27]]);
    for (what, bad_entry) in [("null", 0), ("misaligned", entry + 2), ("in the stack", 0x0fff_0000)] {
        let mut bad = good.clone();
        bad[24..28].copy_from_slice(&u32::to_le_bytes(bad_entry));
        let out = step("create /ut/badentry", sys::open("/ut/badentry", O_WRONLY | O_CREAT | O_TRUNC))?;
        step("write", sys::write_all(out, &bad))?;
        step("close", sys::close(out))?;
        let errno = sys::exec("/ut/badentry", &["badentry"]);
        check!(errno == Errno::NoExec, "exec with a {what} entry point gave {}", errno.name());
    }
    step("unlink", sys::unlink("/ut/badentry"))
}

fn throughput() -> TestResult {
    const SIZE: usize = 512 * 1024;
    let block: Vec<u8> = (0..4096).map(|i| i as u8).collect();
    let start = sys::uptime();
    let fd = step("open", sys::open("/ut/speed", O_WRONLY | O_CREAT | O_TRUNC))?;
    for _ in 0..SIZE / block.len() {
        step("write", sys::write_all(fd, &block))?;
    }
    step("close", sys::close(fd))?;
    let written = sys::uptime();
    let fd = step("open", sys::open("/ut/speed", O_RDONLY))?;
    let mut buf = vec![0u8; 4096];
    let mut total = 0;
    loop {
        match step("read", sys::read(fd, &mut buf))? {
            0 => break,
            n => total += n,
        }
    }
    step("close", sys::close(fd))?;
    let read = sys::uptime();
    check!(total == SIZE, "read back {total} bytes");
    let rate = |ticks: u32| SIZE as u64 * 1000 / ticks.max(1) as u64;
    println!(
        "usertests: file throughput: {} KiB written at {} bytes/s, read at {} bytes/s (virtual time)",
        SIZE / 1024,
        rate(written - start),
        rate(read - written)
    );
    step("unlink", sys::unlink("/ut/speed"))
}

fn dup_console() -> TestResult {
    let fd = step("dup", sys::dup(STDOUT))?;
    check!(fd >= 3, "dup gave {fd}");
    check!(sys::write(fd, b"usertests: dup: written through a dup of stdout\n").is_ok(), "writing the dup");
    step("close", sys::close(fd))?;
    check!(sys::write(fd, b"x") == Err(Errno::BadF), "a closed descriptor did not give EBADF");
    // The open file is shared: two descriptors of one pipe end read on from each other.
    let (r, w) = step("pipe", sys::pipe())?;
    let r2 = step("dup", sys::dup(r))?;
    step("write", sys::write_all(w, b"abcd"))?;
    step("close", sys::close(w))?;
    let mut buf = [0u8; 2];
    check!(sys::read(r, &mut buf) == Ok(2) && &buf == b"ab", "first read of the pipe");
    check!(
        sys::read(r2, &mut buf) == Ok(2) && &buf == b"cd",
        "the dup did not continue where the first left"
    );
    check!(sys::read(r2, &mut buf) == Ok(0), "no EOF after the writer closed");
    step("close", sys::close(r))?;
    step("close", sys::close(r2))?;
    if has_fs() {
        put("/ut/dup", b"0123456789")?;
        let a = step("open", sys::open("/ut/dup", O_RDONLY))?;
        let b = step("dup", sys::dup(a))?;
        let mut buf = [0u8; 4];
        step("read", sys::read(a, &mut buf))?;
        step("read", sys::read(b, &mut buf))?;
        check!(&buf == b"4567", "a dup of a file read {buf:?}: the offset is not shared");
        step("close", sys::close(a))?;
        step("close", sys::close(b))?;
        step("unlink", sys::unlink("/ut/dup"))?;
    }
    Ok(())
}

fn pipe_parent_child() -> TestResult {
    let (r, w) = step("pipe", sys::pipe())?;
    let child = match step("fork", sys::fork())? {
        Fork::Child => {
            let _ = sys::close(r);
            for i in 0..10 {
                let _ = sys::write_all(w, format!("line {i} from the child\n").as_bytes());
            }
            sys::exit(0)
        }
        Fork::Parent(pid) => pid,
    };
    step("close the write end", sys::close(w))?;
    let data = step("read", sys::read_to_end(r))?;
    step("close", sys::close(r))?;
    let expected: String = (0..10).map(|i| format!("line {i} from the child\n")).collect();
    check!(data == expected.as_bytes(), "the parent read {:?}", String::from_utf8_lossy(&data));
    step("wait", sys::wait(Some(child)))?;
    Ok(())
}

fn pipe_eof_epipe() -> TestResult {
    let (r, w) = step("pipe", sys::pipe())?;
    // A reader sleeping on an empty pipe wakes with EOF when the last writer goes.
    let child = match step("fork", sys::fork())? {
        Fork::Child => {
            let _ = sys::close(w);
            let mut buf = [0u8; 4];
            sys::exit(if sys::read(r, &mut buf) == Ok(0) { 0 } else { 1 })
        }
        Fork::Parent(pid) => pid,
    };
    sys::yield_now();
    step("close the write end", sys::close(w))?;
    let (_, status) = step("wait", sys::wait(Some(child)))?;
    check!(status == ox_ulib::abi::WaitStatus::Exited(0), "the reader did not see EOF: {status:?}");
    step("close", sys::close(r))?;
    let (r, w) = step("pipe", sys::pipe())?;
    step("close the read end", sys::close(r))?;
    // SIGPIPE would end this process: ignored, the write fails with EPIPE.
    step("ignore SIGPIPE", signal::set(Signal::Pipe, Handler::Ignore))?;
    let wrote = sys::write(w, b"nobody reads");
    step("restore SIGPIPE", signal::set(Signal::Pipe, Handler::Default))?;
    check!(wrote == Err(Errno::Pipe), "writing without a reader did not give EPIPE");
    step("close", sys::close(w))?;
    let stat = step("fstat", sys::fstat(0))?;
    check!(stat.kind == FileKind::Device as u32, "fstat of stdin says {stat:?}");
    Ok(())
}

fn pipe_large() -> TestResult {
    const SIZE: usize = 50_000;
    let (r, w) = step("pipe", sys::pipe())?;
    let child = match step("fork", sys::fork())? {
        Fork::Child => {
            let _ = sys::close(r);
            let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
            sys::exit(if sys::write_all(w, &data).is_ok() { 0 } else { 1 })
        }
        Fork::Parent(pid) => pid,
    };
    step("close", sys::close(w))?;
    let data = step("read", sys::read_to_end(r))?;
    step("close", sys::close(r))?;
    check!(data.len() == SIZE, "read {} bytes", data.len());
    check!(data.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8), "the bytes differ");
    let (_, status) = step("wait", sys::wait(Some(child)))?;
    check!(status == ox_ulib::abi::WaitStatus::Exited(0), "the writer ended with {status:?}");
    Ok(())
}

fn descriptor_errors() -> TestResult {
    for fd in [3, 31, 32, 1000, u32::MAX] {
        check!(sys::close(fd) == Err(Errno::BadF), "close({fd}) did not give EBADF");
        check!(sys::dup(fd) == Err(Errno::BadF), "dup({fd}) did not give EBADF");
        check!(sys::fstat(fd) == Err(Errno::BadF), "fstat({fd}) did not give EBADF");
        check!(sys::lseek(fd, 0, SEEK_SET) == Err(Errno::BadF), "lseek({fd}) did not give EBADF");
    }
    // Fill the descriptor table.
    let mut fds = Vec::new();
    loop {
        match sys::dup(STDOUT) {
            Ok(fd) => fds.push(fd),
            Err(Errno::MFile) => break,
            Err(e) => return Err(format!("dup: {}", e.name())),
        }
    }
    check!(fds.len() == NOFILE - 3, "{} descriptors fit besides 0, 1 and 2", fds.len());
    check!(sys::pipe() == Err(Errno::MFile), "pipe with a full table did not give EMFILE");
    for fd in fds {
        step("close", sys::close(fd))?;
    }
    // Safety: the call fails before it writes anything.
    let pipe_bad = unsafe { raw_syscall(Syscall::Pipe as u32, [0x8000_0000, 0, 0, 0, 0, 0]) };
    check!(pipe_bad == Errno::Fault.to_result(), "pipe into the kernel gave {pipe_bad}");
    // Safety: as above.
    let fstat_bad = unsafe { raw_syscall(Syscall::Fstat as u32, [STDOUT, 0, 0, 0, 0, 0]) };
    check!(fstat_bad == Errno::Fault.to_result(), "fstat into null gave {fstat_bad}");
    Ok(())
}
