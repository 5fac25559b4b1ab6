//! The built-in commands: what must change the shell itself, so cannot be a program.
//!
//! | built-in | does |
//! |---|---|
//! | `cd [DIR]` | changes the working directory (`/` without `DIR`) |
//! | `pwd` | prints the working directory |
//! | `exit [STATUS]` | ends the shell with `STATUS` (default: the last status) |
//! | `wait` | waits for every background job, reporting each |
//!
//! Each returns its status; errors go to standard error as `sh: NAME: ...`.

use alloc::string::String;

use ox_ulib::{eprintln, println, sys};

use crate::Shell;

/// Every built-in's name.
const BUILTINS: [&str; 4] = ["cd", "pwd", "exit", "wait"];

/// Whether `name` is a built-in rather than a program.
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// Runs built-in `args[0]` with its arguments in `shell`; returns its status.
pub fn run(shell: &mut Shell, args: &[String]) -> i32 {
    let Some((name, rest)) = args.split_first() else { return 0 };
    match (name.as_str(), rest) {
        ("cd", [] | [_]) => {
            let dir = rest.first().map_or("/", String::as_str);
            match sys::chdir(dir) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("sh: cd: {dir}: {}", e.name());
                    1
                }
            }
        }
        ("pwd", []) => match sys::getcwd() {
            Ok(path) => {
                println!("{path}");
                0
            }
            Err(e) => {
                eprintln!("sh: pwd: {}", e.name());
                1
            }
        },
        ("exit", []) => {
            shell.exit = Some(shell.status);
            shell.status
        }
        ("exit", [status]) => match status.parse::<i32>() {
            Ok(status) => {
                shell.exit = Some(status);
                status
            }
            Err(_) => {
                eprintln!("sh: exit: {status}: not a number");
                2
            }
        },
        ("wait", []) => shell.wait_for_jobs(),
        (name, _) if is_builtin(name) => {
            eprintln!("sh: {name}: too many arguments");
            2
        }
        (name, _) => {
            eprintln!("sh: {name}: not a built-in");
            2
        }
    }
}
