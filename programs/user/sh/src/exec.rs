//! Running parsed lines: pipelines of processes, the pipes between them, redirections.
//!
//! A pipeline of n commands is n children, forked left to right; between two neighbours a
//! pipe, whose ends the parent closes as soon as the children have them, so that end of file
//! and `EPIPE` work. A child first moves the pipe ends to descriptors 0 and 1, then applies its
//! redirections (so `a | b < f` reads `f`), then runs a built-in or `exec`s the program.
//!
//! There is no `dup2`: [`dup_to`] closes the target and `dup`s until `dup` returns it (`dup`
//! gives the lowest free descriptor, so that is at once unless a lower one is free too).
//!
//! A built-in or a command of redirections only, alone in a foreground pipeline, runs in the
//! shell itself, with standard input and output saved and restored around its redirections;
//! anywhere else it runs in a child like any program.

use alloc::string::String;
use alloc::vec::Vec;

use ox_ulib::abi::open_flags::{O_APPEND, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use ox_ulib::abi::{Errno, Signal, WaitStatus, STDIN, STDOUT};
use ox_ulib::eprintln;
use ox_ulib::sys::{self, Fork, Pid};
use sh::parse::{Command, List, Pipeline, Redirect, RedirectKind};

use crate::{builtin, Shell};

/// Whether the shell ignores SIGINT only because it reads the console: its foreground children
/// then take the default action back (background ones keep ignoring it, as POSIX has it).
pub static RESTORE_SIGINT: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Exit status of a child whose program does not exist.
const NOT_FOUND_STATUS: i32 = 127;
/// Exit status of a child whose program exists but cannot be run.
const CANNOT_RUN_STATUS: i32 = 126;
/// Status of a command whose redirections or process could not be set up.
const FAILED_STATUS: i32 = 1;

/// The `$?` form of how a process ended: its exit status, or 128 + the signal.
pub fn status_of(status: WaitStatus) -> i32 {
    match status {
        WaitStatus::Exited(code) => code as i32,
        WaitStatus::Signaled(signal) => 128 + signal as i32,
    }
}

impl Shell {
    /// Runs each pipeline of `list` in turn, stopping early if one was `exit`.
    pub fn run_list(&mut self, list: &List) {
        for job in &list.jobs {
            if job.background {
                self.start_job(&job.pipeline);
                self.status = 0;
            } else {
                self.status = self.run_foreground(&job.pipeline);
            }
            if self.exit.is_some() {
                return;
            }
        }
    }

    /// Runs `pipeline` to its end; returns its status.
    fn run_foreground(&mut self, pipeline: &Pipeline) -> i32 {
        if let [command] = pipeline.commands.as_slice() {
            let args = command.expand_args(self.status);
            if args.first().is_none_or(|name| builtin::is_builtin(name)) {
                return self.run_in_shell(&args, &command.redirects);
            }
        }
        let pids = self.spawn(pipeline, &[], true);
        let status = self.collect(&pids);
        match (pids.last(), status) {
            // Some command never started: the pipeline failed, whatever the others did.
            _ if pids.len() < pipeline.commands.len() => FAILED_STATUS,
            (Some(last), Some(status)) => {
                if status == WaitStatus::Signaled(Signal::Int) {
                    // After the `^C` the terminal shows, the next prompt starts a line.
                    ox_ulib::println!();
                }
                if let WaitStatus::Signaled(signal @ (Signal::Kill | Signal::Term)) = status {
                    let args = pipeline.commands.last().map(|c| c.expand_args(self.status));
                    let name = args.as_deref().and_then(<[String]>::first).map_or("", String::as_str);
                    eprintln!("sh: {name} (pid {last}) killed by {}", signal.name());
                }
                status_of(status)
            }
            _ => FAILED_STATUS,
        }
    }

    /// Runs a built-in `args` (or, with `args` empty, redirections only) in the shell process.
    fn run_in_shell(&mut self, args: &[String], redirects: &[Redirect]) -> i32 {
        if redirects.is_empty() {
            return builtin::run(self, args);
        }
        let saved = match (sys::dup(STDIN), sys::dup(STDOUT)) {
            (Ok(stdin), Ok(stdout)) => [stdin, stdout],
            (stdin, stdout) => {
                let error = stdin.and(stdout).err().unwrap_or(Errno::BadF);
                let _ = stdin.map(sys::close);
                let _ = stdout.map(sys::close);
                eprintln!("sh: cannot save standard input and output: {}", error.name());
                return FAILED_STATUS;
            }
        };
        let status = match apply_redirects(redirects, self.status) {
            Ok(()) if args.is_empty() => 0,
            Ok(()) => builtin::run(self, args),
            Err(()) => FAILED_STATUS,
        };
        for (fd, copy) in [STDIN, STDOUT].into_iter().zip(saved) {
            if let Err(e) = move_fd(copy, fd) {
                eprintln!("sh: cannot restore descriptor {fd}: {}", e.name());
            }
        }
        status
    }

    /// Forks one child per command of `pipeline`, joined by pipes; every child closes `close`
    /// (and the shell's job descriptors). Returns the children's pids, left to right; fewer
    /// than the commands if a `pipe` or `fork` failed (reported here). A `foreground` child
    /// takes SIGINT's default action back if the shell ignores it for the console.
    pub fn spawn(&self, pipeline: &Pipeline, close: &[u32], foreground: bool) -> Vec<Pid> {
        let mut pids = Vec::new();
        // The read end of the pipe from the previous command.
        let mut input: Option<u32> = None;
        let count = pipeline.commands.len();
        for (i, command) in pipeline.commands.iter().enumerate() {
            let output = if i + 1 < count {
                match sys::pipe() {
                    Ok(ends) => Some(ends),
                    Err(e) => {
                        eprintln!("sh: pipe: {}", e.name());
                        break;
                    }
                }
            } else {
                None
            };
            match sys::fork() {
                Ok(Fork::Child) => {
                    if foreground && RESTORE_SIGINT.load(core::sync::atomic::Ordering::Relaxed) {
                        let _ = ox_ulib::signal::set(Signal::Int, ox_ulib::signal::Handler::Default);
                    }
                    self.close_job_fds();
                    for fd in close {
                        let _ = sys::close(*fd);
                    }
                    let moved = input.map_or(Ok(()), |fd| move_fd(fd, STDIN)).and_then(|()| {
                        output.map_or(Ok(()), |(read, write)| {
                            let _ = sys::close(read);
                            move_fd(write, STDOUT)
                        })
                    });
                    if let Err(e) = moved {
                        eprintln!("sh: cannot set up a pipe: {}", e.name());
                        sys::exit(FAILED_STATUS);
                    }
                    self.run_child(command);
                }
                Ok(Fork::Parent(pid)) => pids.push(pid),
                Err(e) => {
                    eprintln!("sh: fork: {}", e.name());
                    if let Some((read, write)) = output {
                        let _ = (sys::close(read), sys::close(write));
                    }
                    break;
                }
            }
            if let Some(fd) = input.take() {
                let _ = sys::close(fd);
            }
            if let Some((read, write)) = output {
                let _ = sys::close(write);
                input = Some(read);
            }
        }
        if let Some(fd) = input {
            let _ = sys::close(fd);
        }
        pids
    }

    /// In a child: applies `command`'s redirections and runs it; never returns.
    fn run_child(&self, command: &Command) -> ! {
        if apply_redirects(&command.redirects, self.status).is_err() {
            sys::exit(FAILED_STATUS);
        }
        let args = command.expand_args(self.status);
        let Some(name) = args.first() else { sys::exit(0) };
        if builtin::is_builtin(name) {
            // A copy of the shell: `cd` or `exit` here affect only this child.
            let mut shell = Shell { status: self.status, jobs: Vec::new(), exit: None };
            let status = builtin::run(&mut shell, &args);
            sys::exit(shell.exit.unwrap_or(status));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match sys::exec(name, &args) {
            Errno::NoEnt => {
                eprintln!("sh: {name}: not found");
                sys::exit(NOT_FOUND_STATUS)
            }
            e => {
                eprintln!("sh: {name}: {}", e.name());
                sys::exit(CANNOT_RUN_STATUS)
            }
        }
    }

    /// Waits until every process of `pids` has ended; returns how the last one ended. Other
    /// children that end meanwhile are collected too: a background job's watcher is marked
    /// collected, an orphan (the shell may be init) is freed.
    pub fn collect(&mut self, pids: &[Pid]) -> Option<WaitStatus> {
        let mut pending: Vec<Pid> = pids.to_vec();
        let mut last = None;
        while !pending.is_empty() {
            let Ok((pid, status)) = sys::wait(None) else { break };
            if let Some(i) = pending.iter().position(|p| *p == pid) {
                pending.swap_remove(i);
                if pids.last() == Some(&pid) {
                    last = Some(status);
                }
            } else {
                self.watcher_ended(pid);
            }
        }
        last
    }
}

/// Opens each redirection's file (with `status` for `$?`) onto its descriptor, in order;
/// reports a failure.
fn apply_redirects(redirects: &[Redirect], status: i32) -> Result<(), ()> {
    for redirect in redirects {
        let flags = match redirect.kind {
            RedirectKind::Input => O_RDONLY,
            RedirectKind::Output => O_WRONLY | O_CREAT | O_TRUNC,
            RedirectKind::Append => O_WRONLY | O_CREAT | O_APPEND,
        };
        let path = redirect.path.expand(status);
        let fd = sys::open(&path, flags).map_err(|e| eprintln!("sh: {path}: {}", e.name()))?;
        move_fd(fd, redirect.kind.fd()).map_err(|e| eprintln!("sh: {path}: {}", e.name()))?;
    }
    Ok(())
}

/// Makes `to` a copy of `from` and closes `from` (nothing if they are the same).
fn move_fd(from: u32, to: u32) -> Result<(), Errno> {
    if from == to {
        return Ok(());
    }
    let result = dup_to(from, to);
    let _ = sys::close(from);
    result
}

/// `dup2` from `close` and `dup`: closes `to`, then `dup`s `from` until the copy lands on `to`
/// (lower free descriptors are filled, then closed again).
fn dup_to(from: u32, to: u32) -> Result<(), Errno> {
    let _ = sys::close(to);
    let mut fillers = Vec::new();
    let result = loop {
        match sys::dup(from) {
            Ok(fd) if fd == to => break Ok(()),
            Ok(fd) if fd < to => fillers.push(fd),
            Ok(fd) => {
                // `to` was free, so this cannot happen; give the copy back rather than loop.
                let _ = sys::close(fd);
                break Err(Errno::BadF);
            }
            Err(e) => break Err(e),
        }
    };
    for fd in fillers {
        let _ = sys::close(fd);
    }
    result
}
