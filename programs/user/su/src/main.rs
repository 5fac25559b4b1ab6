//! `su UID [GID] CMD [ARGS...]`: runs a command as user `UID` (and group `GID`, else the
//! same number): sets its own group and user, then `exec`s the command, which keeps them and
//! passes them to its children. Only the superuser can become another user; from then on the
//! command can signal only its own user's processes (docs/syscalls.md, *Users*).
//!
//! Exit status: the command's; 1 if the ids cannot be taken (`EPERM`) or the command cannot
//! be run; 2 for a bad command line.

#![no_std]
#![no_main]

use ox_ulib::{eprintln, sys};

ox_ulib::entry!(main);

const USAGE: &str = "usage: su UID [GID] CMD [ARGS...]";

fn main(args: &[&str]) -> i32 {
    let Some(uid) = args.get(1).and_then(|a| a.parse::<u32>().ok()) else {
        eprintln!("{USAGE}");
        return 2;
    };
    let (gid, command) = match args.get(2).and_then(|a| a.parse::<u32>().ok()) {
        Some(gid) => (gid, &args[3.min(args.len())..]),
        None => (uid, &args[2.min(args.len())..]),
    };
    let Some(program) = command.first() else {
        eprintln!("{USAGE}");
        return 2;
    };
    if let Err(e) = sys::setgid(gid).and_then(|()| sys::setuid(uid)) {
        eprintln!("su: cannot become user {uid}, group {gid}: {}", e.name());
        return 1;
    }
    let errno = sys::exec(program, command);
    eprintln!("su: {program}: {}", errno.name());
    1
}
