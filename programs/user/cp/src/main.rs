//! `cp SOURCE TARGET`: copies the file `SOURCE` to `TARGET`, created or truncated, in reads
//! and writes of up to [`BUFFER`] bytes (as GNU `cp` copies in large blocks).
//!
//! Exit status: 0 on success, 1 if a call failed (`cp: /a: ENOENT`), 2 for a bad command line.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;

use ox_ulib::abi::open_flags::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use ox_ulib::abi::Errno;
use ox_ulib::{eprintln, sys};

ox_ulib::entry!(main);

/// Bytes of one read and one write.
const BUFFER: usize = 64 * 1024;

fn main(args: &[&str]) -> i32 {
    let [_, source, target] = args else {
        eprintln!("usage: cp SOURCE TARGET");
        return 2;
    };
    let from = match sys::open(source, O_RDONLY) {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("cp: {source}: {}", e.name());
            return 1;
        }
    };
    let status = match sys::open(target, O_WRONLY | O_CREAT | O_TRUNC) {
        Ok(to) => {
            let status = match copy(from, to) {
                Ok(()) => 0,
                Err((path, e)) => {
                    eprintln!("cp: {}: {}", if path { *target } else { *source }, e.name());
                    1
                }
            };
            let _ = sys::close(to);
            status
        }
        Err(e) => {
            eprintln!("cp: {target}: {}", e.name());
            1
        }
    };
    let _ = sys::close(from);
    status
}

/// Copies `from` to `to` until the end of `from`; an error says whether it was the target's
/// (true) or the source's.
fn copy(from: u32, to: u32) -> Result<(), (bool, Errno)> {
    let mut buf = vec![0u8; BUFFER];
    loop {
        match sys::read(from, &mut buf).map_err(|e| (false, e))? {
            0 => return Ok(()),
            n => sys::write_all(to, &buf[..n]).map_err(|e| (true, e))?,
        }
    }
}
