//! `cat [FILE...]`: copies each file (or, without arguments, standard input) to standard output.

#![no_std]
#![no_main]

use ox_ulib::abi::open_flags::O_RDONLY;
use ox_ulib::abi::{Errno, STDIN, STDOUT};
use ox_ulib::{eprintln, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    if args.len() < 2 {
        return match copy(STDIN) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("cat: standard input: {}", e.name());
                1
            }
        };
    }
    let mut status = 0;
    for path in &args[1..] {
        let result = sys::open(path, O_RDONLY).and_then(|fd| {
            let copied = copy(fd);
            let _ = sys::close(fd);
            copied
        });
        if let Err(e) = result {
            eprintln!("cat: {path}: {}", e.name());
            status = 1;
        }
    }
    status
}

/// Copies `fd` to standard output until its end.
fn copy(fd: u32) -> Result<(), Errno> {
    let mut buf = [0u8; 1024];
    loop {
        match sys::read(fd, &mut buf)? {
            0 => return Ok(()),
            n => sys::write_all(STDOUT, &buf[..n])?,
        }
    }
}
