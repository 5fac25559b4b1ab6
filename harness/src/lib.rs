//! Snapshot-testing your own guest: boot a topology or an image, type at its console, wait
//! for text with a limit in **virtual** time, and take the transcript for
//! [`insta`](https://insta.rs) (or any assertion). A walk-through is in `docs/testing.md`.
//!
//! ```no_run
//! use std::time::Duration;
//! use orrery_harness::Guest;
//!
//! let mut guest = Guest::boot("topologies/default.toml").unwrap();
//! guest.expect("[cp] $ ").unwrap();
//! guest.type_line("echo hi").unwrap();
//! guest.expect_within("hi\n", Duration::from_millis(500)).unwrap();
//! guest.end_input();
//! assert_eq!(guest.wait_exit().unwrap(), 0);
//! // insta::assert_snapshot!(guest.transcript_from("[cp] $ "));
//! ```
//!
//! **Deterministic.** The guest runs in steps of virtual time and the harness looks and types
//! only between steps, with no host thread and no wall clock: the same guest, disks and calls
//! give the same transcript, byte for byte, on every machine. A topology's disks are copied
//! first; the guest works on the copies, which are removed when the [`Guest`] is dropped.
//!
//! **The transcript** is what `orrery run` would show on a terminal: a topology's consoles
//! prefixed `[name] ` (docs/console.md), typed text echoed where it was typed, `^C` for
//! Ctrl-C.
//!
//! **Stability.** This crate is the supported surface: [`Guest`], [`Error`], [`Ended`] and
//! [`DEFAULT_TIMEOUT`]. Their names and meanings keep across versions of Orrery; new methods
//! may be added.

use std::path::Path;
use std::time::Duration;

use orrery_emulator::session::{Session, SessionError, DEFAULT_TIMEOUT_NS};

pub use orrery_emulator::session::Ended;

/// Why a step failed: the text did not appear in time, the guest did not power off, it
/// powered off with another code, or the guest could not be booted. Its `Display` says which,
/// with the limit in virtual time.
pub type Error = SessionError;

/// The limit of [`Guest::expect`] and [`Guest::wait_exit`]: 10 s of virtual time.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_nanos(DEFAULT_TIMEOUT_NS);

/// A guest at its console.
pub struct Guest {
    session: Session,
}

fn nanos(limit: Duration) -> u64 {
    u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX)
}

impl Guest {
    /// Boots `path`: a topology (`.toml`: every node, as `orrery run` boots it, on copies of
    /// its disks) or one image (an ox32 ELF executable, or `.s` assembly; 64 MiB of RAM).
    /// Relative paths are relative to the current directory (a test's is its crate's root).
    pub fn boot(path: impl AsRef<Path>) -> Result<Guest, Error> {
        Ok(Guest { session: Session::boot(path.as_ref())? })
    }

    /// Boots one image with `ram` bytes of RAM (a multiple of 4 KiB, from 4 KiB to 2 GiB).
    pub fn boot_image(path: impl AsRef<Path>, ram: u32) -> Result<Guest, Error> {
        Ok(Guest { session: Session::image(path.as_ref(), ram)? })
    }

    /// Runs guest code with the interpreter instead of the JIT (`false`) or back; nothing in
    /// the transcript changes, only the speed.
    pub fn set_jit(&mut self, on: bool) {
        self.session.set_jit(on);
    }

    /// Types `line` and a newline at the console (the central node's, in a topology).
    pub fn type_line(&mut self, line: &str) -> Result<(), Error> {
        self.session.send_line(line)
    }

    /// Types `text` as it is (no newline).
    pub fn type_text(&mut self, text: &str) -> Result<(), Error> {
        self.session.send(text)
    }

    /// Types raw key bytes, as a terminal in raw mode sends them: `b"\x03"` is Ctrl-C.
    pub fn type_keys(&mut self, keys: &[u8]) -> Result<(), Error> {
        self.session.send_bytes(keys)
    }

    /// Ends the console's input (the end of a file on standard input): the guest's console
    /// `read` returns 0 once it has read what was typed; the shell then exits.
    pub fn end_input(&mut self) {
        self.session.end_input();
    }

    /// Runs until `pattern` appears after the previous match, for at most [`DEFAULT_TIMEOUT`]
    /// of virtual time; returns the text from the previous match to the end of this one.
    pub fn expect(&mut self, pattern: &str) -> Result<String, Error> {
        self.session.expect(pattern, DEFAULT_TIMEOUT_NS)
    }

    /// [`Guest::expect`] with another limit in virtual time.
    pub fn expect_within(&mut self, pattern: &str, limit: Duration) -> Result<String, Error> {
        self.session.expect(pattern, nanos(limit))
    }

    /// Lets the guest run for `time` of virtual time (less if it ends first): to let a
    /// command start before typing a key at it (Ctrl-C), say.
    pub fn run_for(&mut self, time: Duration) {
        self.session.run_for(nanos(time));
    }

    /// Runs until the guest (its central node) powers off, for at most [`DEFAULT_TIMEOUT`] of
    /// virtual time; returns the exit code.
    pub fn wait_exit(&mut self) -> Result<u32, Error> {
        self.session.wait_exit(DEFAULT_TIMEOUT_NS)
    }

    /// [`Guest::wait_exit`] with another limit in virtual time.
    pub fn wait_exit_within(&mut self, limit: Duration) -> Result<u32, Error> {
        self.session.wait_exit(nanos(limit))
    }

    /// How the guest ended, once it has.
    pub fn ended(&self) -> Option<Ended> {
        self.session.ended()
    }

    /// Virtual time since boot.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.session.now_ns())
    }

    /// Everything the terminal showed so far.
    pub fn transcript(&self) -> &str {
        self.session.transcript()
    }

    /// The transcript from the first `marker` on (say, the first prompt, after boot messages
    /// that name build details), or all of it if `marker` never appeared.
    pub fn transcript_from(&self, marker: &str) -> &str {
        let text = self.session.transcript();
        text.find(marker).map_or(text, |at| &text[at..])
    }
}
