//! `boots`: counts the boots of this disk. Reads the number in `/var/boots` (0 if there is no
//! such file), adds one, writes it back and prints it, so two boots of the same disk image
//! print 1, then 2: the file system persists across runs of the emulator.

#![no_std]
#![no_main]

extern crate alloc;

use ox_ulib::abi::open_flags::{O_CREAT, O_RDWR};
use ox_ulib::abi::{Errno, SEEK_SET};
use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

/// Where the count lives.
const COUNT_FILE: &str = "/var/boots";

fn main(_args: &[&str]) -> i32 {
    match count() {
        Ok(n) => {
            println!("boots: this is boot {n} of this disk");
            0
        }
        Err(e) => {
            eprintln!("boots: {COUNT_FILE}: {}", e.name());
            1
        }
    }
}

fn count() -> Result<u32, Errno> {
    match sys::mkdir("/var") {
        Ok(()) | Err(Errno::Exist) => {}
        Err(e) => return Err(e),
    }
    let fd = sys::open(COUNT_FILE, O_RDWR | O_CREAT)?;
    let text = sys::read_to_end(fd)?;
    let previous = core::str::from_utf8(&text).ok().and_then(|t| t.trim().parse::<u32>().ok()).unwrap_or(0);
    let now = previous + 1;
    sys::lseek(fd, 0, SEEK_SET)?;
    sys::write_all(fd, alloc::format!("{now}\n").as_bytes())?;
    sys::close(fd)?;
    Ok(now)
}
