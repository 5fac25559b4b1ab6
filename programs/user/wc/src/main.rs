//! `wc [FILE...]`: counts the lines, words and bytes of each file (or of standard input), with a
//! total line for several files.

#![no_std]
#![no_main]

use ox_ulib::abi::open_flags::O_RDONLY;
use ox_ulib::abi::{Errno, STDIN};
use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

/// Lines, words and bytes.
#[derive(Clone, Copy, Default)]
struct Counts {
    lines: usize,
    words: usize,
    bytes: usize,
}

fn main(args: &[&str]) -> i32 {
    if args.len() < 2 {
        return match count(STDIN) {
            Ok(c) => {
                println!("{} {} {}", c.lines, c.words, c.bytes);
                0
            }
            Err(e) => {
                eprintln!("wc: standard input: {}", e.name());
                1
            }
        };
    }
    let mut status = 0;
    let mut total = Counts::default();
    for path in &args[1..] {
        let counted = sys::open(path, O_RDONLY).and_then(|fd| {
            let c = count(fd);
            let _ = sys::close(fd);
            c
        });
        match counted {
            Ok(c) => {
                println!("{} {} {} {path}", c.lines, c.words, c.bytes);
                total.lines += c.lines;
                total.words += c.words;
                total.bytes += c.bytes;
            }
            Err(e) => {
                eprintln!("wc: {path}: {}", e.name());
                status = 1;
            }
        }
    }
    if args.len() > 2 {
        println!("{} {} {} total", total.lines, total.words, total.bytes);
    }
    status
}

/// Counts what is left to read from `fd`.
fn count(fd: u32) -> Result<Counts, Errno> {
    let mut counts = Counts::default();
    let mut in_word = false;
    let mut buf = [0u8; 1024];
    loop {
        let n = sys::read(fd, &mut buf)?;
        if n == 0 {
            return Ok(counts);
        }
        counts.bytes += n;
        for byte in &buf[..n] {
            counts.lines += (*byte == b'\n') as usize;
            let space = byte.is_ascii_whitespace();
            counts.words += (!space && !in_word) as usize;
            in_word = !space;
        }
    }
}
