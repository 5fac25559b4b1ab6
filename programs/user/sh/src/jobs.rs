//! Background jobs (`pipeline &`): started without waiting, reported when they end.
//!
//! The kernel's `wait` always blocks while a matching child lives, and there are no signals to
//! the parent, so the shell cannot ask "has this job ended?" of the kernel directly. Each job
//! runs under a **watcher** instead: a child of the shell that forks the pipeline, writes the
//! pid of its last command (a `u32`, 0 if nothing started) into a pipe to the shell, waits for
//! the pipeline, writes how its last command ended (the wait status word, a `u32`) and exits.
//! The shell shows the first word as `[pid]`; before each prompt it `fstat`s each job's pipe,
//! and a status word waiting there (`size` ≥ 4) means the job is done: reading it cannot
//! block, and collecting the watcher waits at most for its `exit`.

use ox_ulib::abi::WaitStatus;
use ox_ulib::sys::{self, Fork, Pid};
use ox_ulib::{eprintln, println};
use sh::parse::Pipeline;

use crate::exec::status_of;
use crate::Shell;

/// Bytes of one word on a report pipe.
const WORD: usize = 4;

/// A background job the shell has not reported yet.
pub struct Job {
    /// The pid of the pipeline's last command, shown as `[pid]`.
    pub pid: Pid,
    /// The watcher process (a child of the shell).
    watcher: Pid,
    /// The read end of the watcher's report pipe.
    report: u32,
    /// Whether the shell has already collected the watcher (while waiting for something else).
    collected: bool,
}

impl Shell {
    /// Starts `pipeline` in the background under a watcher and says `[pid]`.
    pub fn start_job(&mut self, pipeline: &Pipeline) {
        let (read, write) = match sys::pipe() {
            Ok(ends) => ends,
            Err(e) => {
                eprintln!("sh: pipe: {}", e.name());
                return;
            }
        };
        match sys::fork() {
            Ok(Fork::Child) => {
                let _ = sys::close(read);
                self.close_job_fds();
                self.jobs.clear();
                let pids = self.spawn(pipeline, &[write], false);
                let last = pids.last().copied().unwrap_or(0);
                let _ = sys::write_all(write, &last.to_le_bytes());
                let status = match self.collect(&pids) {
                    Some(status) => status,
                    None => WaitStatus::Exited(1),
                };
                let _ = sys::write_all(write, &status.encode().to_le_bytes());
                sys::exit(0);
            }
            Ok(Fork::Parent(watcher)) => {
                let _ = sys::close(write);
                match read_word(read) {
                    Some(pid) if pid != 0 => {
                        println!("[{pid}]");
                        self.jobs.push(Job { pid, watcher, report: read, collected: false });
                    }
                    _ => {
                        // Nothing started; the watcher said why on standard error.
                        let _ = sys::close(read);
                        let _ = sys::wait(Some(watcher));
                    }
                }
            }
            Err(e) => {
                let _ = (sys::close(read), sys::close(write));
                eprintln!("sh: fork: {}", e.name());
            }
        }
    }

    /// Reports (and forgets) every job whose status is waiting in its pipe; never blocks.
    pub fn report_finished_jobs(&mut self) {
        let mut i = 0;
        while i < self.jobs.len() {
            let done = sys::fstat(self.jobs[i].report).map_or(true, |stat| stat.size as usize >= WORD);
            if done {
                let job = self.jobs.remove(i);
                finish(job);
            } else {
                i += 1;
            }
        }
    }

    /// The `wait` built-in: waits for every job, reporting each; returns the last one's status
    /// (0 without jobs).
    pub fn wait_for_jobs(&mut self) -> i32 {
        let mut status = 0;
        for job in core::mem::take(&mut self.jobs) {
            status = finish(job);
        }
        status
    }

    /// Notes that child `pid`, collected while waiting for something else, was a watcher.
    pub fn watcher_ended(&mut self, pid: Pid) {
        for job in self.jobs.iter_mut().filter(|job| job.watcher == pid) {
            job.collected = true;
        }
    }

    /// In a child: closes the report pipes, which belong to the shell alone.
    pub fn close_job_fds(&self) {
        for job in &self.jobs {
            let _ = sys::close(job.report);
        }
    }
}

/// Reads `job`'s status (waiting for it if need be), collects its watcher, says how it ended;
/// returns its status in `$?` form.
fn finish(job: Job) -> i32 {
    let word = read_word(job.report);
    let _ = sys::close(job.report);
    if !job.collected {
        let _ = sys::wait(Some(job.watcher));
    }
    let pid = job.pid;
    match word.and_then(WaitStatus::decode) {
        Some(status @ WaitStatus::Exited(code)) => {
            println!("[{pid}] done, status {code}");
            status_of(status)
        }
        Some(status @ WaitStatus::Signaled(signal)) => {
            println!("[{pid}] killed by {}", signal.name());
            status_of(status)
        }
        None => {
            eprintln!("sh: [{pid}]: its watcher was lost");
            1
        }
    }
}

/// Reads one little-endian `u32` from `fd`; `None` at the end of the pipe or on an error.
fn read_word(fd: u32) -> Option<u32> {
    let mut bytes = [0u8; WORD];
    let mut have = 0;
    while have < WORD {
        match sys::read(fd, &mut bytes[have..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => have += n,
        }
    }
    Some(u32::from_le_bytes(bytes))
}
