//! `ls [-l] [PATH...]`: lists directories, one name per line with `/` after a directory (and,
//! with `-l`, each file's size in bytes), or names a file; without a path the working
//! directory.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;

use ox_ulib::abi::open_flags::O_RDONLY;
use ox_ulib::abi::{Errno, FileKind};
use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    let long = args.get(1) == Some(&"-l");
    let rest = &args[1 + long as usize..];
    let paths = if rest.is_empty() { &["."][..] } else { rest };
    let mut status = 0;
    for path in paths {
        if let Err(e) = list(path, paths.len() > 1, long) {
            eprintln!("ls: {path}: {}", e.name());
            status = 1;
        }
    }
    status
}

/// Lists one path, under a heading when there are several; with sizes if `long`.
fn list(path: &str, heading: bool, long: bool) -> Result<(), Errno> {
    let stat = sys::stat(path)?;
    if stat.kind != FileKind::Dir as u32 {
        if long {
            println!("{path} {}", stat.size);
        } else {
            println!("{path}");
        }
        return Ok(());
    }
    if heading {
        println!("{path}:");
    }
    let fd = sys::open(path, O_RDONLY)?;
    let result = entries(fd, path, long);
    let _ = sys::close(fd);
    result
}

fn entries(fd: u32, dir: &str, long: bool) -> Result<(), Errno> {
    loop {
        let batch = sys::getdents(fd, 16)?;
        if batch.is_empty() {
            return Ok(());
        }
        for entry in batch {
            let name = String::from_utf8_lossy(entry.name_bytes());
            if name == "." || name == ".." {
                continue;
            }
            let full = alloc::format!("{}/{name}", dir.trim_end_matches('/'));
            match sys::stat(&full) {
                Ok(s) if s.kind == FileKind::Dir as u32 => println!("{name}/"),
                Ok(s) if long => println!("{name} {}", s.size),
                Ok(_) => println!("{name}"),
                Err(e) => println!("{name} ({})", e.name()),
            }
        }
    }
}
