//! `init`: the first process (pid 1), started by the kernel with the console as descriptors
//! 0, 1 and 2.
//!
//! 1. If the root file system has `/etc/rc`, runs it with the shell (`sh /etc/rc`) and waits
//!    for it: the place for what a system does at every boot.
//! 2. Starts the shell on the console and waits for it, collecting every orphan the kernel
//!    hands over meanwhile (a process whose parent exited becomes init's child).
//! 3. When the shell ends (`exit N`, or Ctrl-D), exits with the shell's status. The kernel
//!    powers the node (and the whole configuration) off when init exits, with init's status
//!    as the exit code, so `exit 3` at the prompt ends a run with exit code 3.

#![no_std]
#![no_main]

use ox_ulib::abi::{Errno, WaitStatus};
use ox_ulib::sys::{self, Fork, Pid};
use ox_ulib::{eprintln, println};

ox_ulib::entry!(main);

/// The boot script, run once before the interactive shell when it exists.
const RC: &str = "/etc/rc";

fn main(_args: &[&str]) -> i32 {
    if sys::stat(RC).is_ok() {
        if let Err(e) = run(&["sh", RC]).map(|status| report("sh /etc/rc", status)) {
            eprintln!("init: cannot run {RC}: {}", e.name());
        }
    }
    let status = match run(&["sh"]) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("init: cannot start the shell: {}", e.name());
            return 1;
        }
    };
    let code = report("the shell", status);
    println!("init: the shell ended with status {code}; shutting down");
    code
}

/// The exit status a shell would show for `status` (128 + the signal for a killed process);
/// says so on the console when it is not a plain exit.
fn report(what: &str, status: WaitStatus) -> i32 {
    match status {
        WaitStatus::Exited(code) => code as i32,
        WaitStatus::Signaled(signal) => {
            eprintln!("init: {what} was killed by {}", signal.name());
            128 + signal as i32
        }
    }
}

/// Runs `argv[0]` with `argv` in a child and waits for it, collecting orphans meanwhile.
fn run(argv: &[&str]) -> Result<WaitStatus, Errno> {
    match sys::fork()? {
        Fork::Child => {
            let errno = sys::exec(argv[0], argv);
            eprintln!("init: exec {} failed: {}", argv[0], errno.name());
            sys::exit(127);
        }
        Fork::Parent(pid) => wait_for(pid),
    }
}

/// Waits until child `pid` ends; any other child collected on the way is an orphan.
fn wait_for(pid: Pid) -> Result<WaitStatus, Errno> {
    loop {
        let (child, status) = sys::wait(None)?;
        if child == pid {
            return Ok(status);
        }
    }
}
