//! `id`: the user and group this process acts for (inherited from the shell), as
//! `uid=N gid=M`. Users are numbers: there is no password file (docs/syscalls.md, *Users*).

#![no_std]
#![no_main]

use ox_ulib::{println, sys};

ox_ulib::entry!(main);

fn main(_args: &[&str]) -> i32 {
    println!("uid={} gid={}", sys::getuid(), sys::getgid());
    0
}
