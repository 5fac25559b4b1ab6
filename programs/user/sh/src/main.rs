//! `sh [-c COMMAND | FILE]`: the Orrery shell (docs/shell.md).
//!
//! Reads lines from standard input (or runs `COMMAND`, or the lines of `FILE`), parses each
//! with the library's [`sh::parse`], and runs its pipelines: foreground ones to their end,
//! background ones (`&`) under a watcher process that reports when they finish. Built-ins
//! (`cd`, `pwd`, `exit`, `wait`) run in the shell itself when they stand alone.
//!
//! Conventions:
//! - The prompt `$ ` is printed only when standard input is the console; the shell does not
//!   echo what it reads (the host terminal does; see [`sh::line`]).
//! - Input is read one byte at a time, so that a command that reads standard input gets
//!   exactly the lines after its own.
//! - `$?` is the status of the last foreground pipeline: its last command's exit status, or
//!   128 + the signal that killed it; 2 after a syntax error.
//! - EOF (or Ctrl-D on an empty line) ends the shell with the last status.
//!
//! Files of the binary: this one (input and arguments), [`exec`] (running pipelines, pipes and
//! redirections), [`jobs`] (background jobs), [`builtin`] (the built-in commands).

#![no_std]
#![no_main]

extern crate alloc;

mod builtin;
mod exec;
mod jobs;

use alloc::vec::Vec;

use ox_ulib::abi::open_flags::O_RDONLY;
use ox_ulib::abi::Signal;
use ox_ulib::abi::{Errno, FileKind, STDIN};
use ox_ulib::signal::{self, Handler};
use ox_ulib::{eprintln, print, println, sys};
use sh::line::{Input, LineEditor, MAX_LINE};
use sh::parse::parse;

ox_ulib::entry!(main);

/// Exit status of a syntax error or a bad use of the shell.
const USAGE_STATUS: i32 = 2;

/// The shell's state between lines.
pub struct Shell {
    /// `$?`: the status of the last foreground pipeline.
    pub status: i32,
    /// Background jobs not yet reported.
    pub jobs: Vec<jobs::Job>,
    /// Set by the `exit` built-in: the status to exit with.
    pub exit: Option<i32>,
}

impl Shell {
    /// Parses and runs one line.
    pub fn run_line(&mut self, line: &str) {
        match parse(line) {
            Ok(list) => self.run_list(&list),
            Err(e) => {
                eprintln!("sh: {e}");
                self.status = USAGE_STATUS;
            }
        }
    }
}

fn main(args: &[&str]) -> i32 {
    let mut shell = Shell { status: 0, jobs: Vec::new(), exit: None };
    let (fd, interactive) = match args {
        [] | [_] => (STDIN, is_console(STDIN)),
        [_, "-c", command] => {
            shell.run_line(command);
            return shell.exit.unwrap_or(shell.status);
        }
        [_, path] if !path.starts_with('-') => match sys::open(path, O_RDONLY) {
            Ok(fd) => (fd, false),
            Err(e) => {
                eprintln!("sh: {path}: {}", e.name());
                return 127;
            }
        },
        _ => {
            eprintln!("usage: sh [-c COMMAND | FILE]");
            return USAGE_STATUS;
        }
    };
    if interactive {
        // Ctrl-C at the console interrupts the foreground job, not the shell reading it
        // (docs/console.md): the shell ignores SIGINT and its foreground children take it back.
        if let Ok(Handler::Default) = signal::set(Signal::Int, Handler::Ignore) {
            exec::RESTORE_SIGINT.store(true, core::sync::atomic::Ordering::Relaxed);
        }
    }
    let mut editor = LineEditor::new();
    loop {
        shell.report_finished_jobs();
        if interactive {
            print!("$ ");
        }
        match read_line(fd, &mut editor) {
            Some(Input::Line(line)) => shell.run_line(&line),
            Some(Input::TooLong) => {
                eprintln!("sh: line longer than {MAX_LINE} bytes: ignored");
                shell.status = USAGE_STATUS;
            }
            Some(Input::End) | None => {
                if interactive {
                    // End the prompt's line, as a terminal's shell does at Ctrl-D.
                    println!();
                }
                return shell.status;
            }
        }
        if let Some(status) = shell.exit {
            return status;
        }
    }
}

/// Whether `fd` is the console (a device), where the shell prompts.
fn is_console(fd: u32) -> bool {
    sys::fstat(fd).is_ok_and(|stat| stat.kind == FileKind::Device as u32)
}

/// Reads bytes from `fd` until `editor` finishes a line; `None` at the end of the input.
fn read_line(fd: u32, editor: &mut LineEditor) -> Option<Input> {
    let mut byte = [0u8; 1];
    loop {
        match sys::read(fd, &mut byte) {
            Ok(0) => return editor.finish(),
            Ok(_) => {
                if let Some(input) = editor.feed(byte[0]) {
                    return Some(input);
                }
            }
            Err(Errno::Intr) => return None,
            Err(e) => {
                eprintln!("sh: read: {}", e.name());
                return editor.finish();
            }
        }
    }
}
