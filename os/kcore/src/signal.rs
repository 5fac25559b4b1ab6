//! Signals of one user context, shared by the central kernel and the satellite kernel: the
//! pending and blocked sets, the disposition of each signal, and delivery (docs/syscalls.md,
//! *Signals*; docs/satellites.md, *Signals*).
//!
//! - **Posting** ([`Signals::post`]) a signal the process ignores (`SIG_IGN`, or a default
//!   action of *ignore*) discards it at once; any other becomes pending. `post` says whether
//!   it should break an interruptible sleep: a pending signal that is not blocked does.
//! - **Delivery** ([`deliver`]) happens only on the way back to user mode: the kernel takes
//!   the pending signals that are not blocked, `SIGKILL` first, then by number. A default
//!   action terminates (or does nothing, for `SIGCHLD`); a handler gets an
//!   [`ox_abi::SigFrame`] pushed below the interrupted `sp` and is entered with `a0` = the
//!   signal, `a1` = the faulting address for a fault's signal (the `pc` for `SIGILL` and
//!   `SIGTRAP`; 0 for any other signal), `ra` = the restorer given to `sigaction`, and the
//!   signal blocked until its
//!   `sigreturn` ([`sigreturn`]). Several pending signals stack several frames, the last taken
//!   running first. A frame that cannot be written (a bad stack) terminates the process with
//!   `SIGSEGV`.
//! - **Faults** ([`Signals::fault`]): a fault's signal is caught only by a handler that is
//!   not blocked (a second fault inside the handler of the first kills); otherwise it
//!   terminates the process, whatever its disposition, since the faulting instruction would
//!   only fault again. A handler that mends the cause (maps the page, say, with
//!   `vm_allocate`) and returns has the instruction retried — the seed's "a fault may be
//!   intercepted by the process itself".
//! - `fork` copies the dispositions and the blocked set, not the pending set
//!   ([`Signals::forked`]); `exec` resets handlers to the default and keeps what is ignored
//!   ([`Signals::exec`]).
//!
//! Invariants: `SIGKILL` is never blocked, ignored or caught; a pending set never holds a
//! signal the process ignores (setting `SIG_IGN` discards a pending one).

use ox_abi::{DefaultAction, Errno, SigFrame, SigSet, Signal, SIG_DFL, SIG_IGN, USER_TOP};

use crate::arch::TrapFrame;
use crate::vm::AddressSpace;

/// What a process does with one signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The signal's default action ([`Signal::default_action`]).
    Default,
    /// Discard it.
    Ignore,
    /// Run the function at `pc`, which returns to `restorer` (which calls `sigreturn`).
    Handler {
        /// The handler's address.
        pc: u32,
        /// Where the handler returns to.
        restorer: u32,
    },
}

impl Action {
    /// The action `sigaction` asks for with `handler` and `restorer` (`EINVAL` for a handler
    /// or restorer that is not a word-aligned user address).
    pub fn from_call(handler: u32, restorer: u32) -> Result<Action, Errno> {
        let user_code = |addr: u32| addr != 0 && addr % 4 == 0 && addr < USER_TOP;
        match handler {
            SIG_DFL => Ok(Action::Default),
            SIG_IGN => Ok(Action::Ignore),
            pc if user_code(pc) && user_code(restorer) => Ok(Action::Handler { pc, restorer }),
            _ => Err(Errno::Inval),
        }
    }

    /// The handler word `sigaction` returns for this action.
    pub fn handler_word(self) -> u32 {
        match self {
            Action::Default => SIG_DFL,
            Action::Ignore => SIG_IGN,
            Action::Handler { pc, .. } => pc,
        }
    }
}

/// Slots of the disposition table: one per signal number up to the largest.
const SLOTS: usize = 32;

/// The signal state of one process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signals {
    pending: SigSet,
    blocked: SigSet,
    actions: [Action; SLOTS],
    /// The last fault's signal and address, until its delivery.
    fault: Option<(Signal, u32)>,
    /// The process's pc is a call it was asleep in, broken off for its move and made again
    /// where it resumes (process migration): a handler entered before the call is made ends
    /// the call with `EINTR` instead, as it would have ended unmoved.
    restart: bool,
}

impl Default for Signals {
    fn default() -> Signals {
        Signals::new()
    }
}

impl Signals {
    /// Nothing pending or blocked, every signal's default action.
    pub const fn new() -> Signals {
        Signals {
            pending: SigSet::EMPTY,
            blocked: SigSet::EMPTY,
            actions: [Action::Default; SLOTS],
            fault: None,
            restart: false,
        }
    }

    /// What the process does with `signal`.
    pub fn action(&self, signal: Signal) -> Action {
        self.actions[signal as usize]
    }

    /// Whether the process discards `signal` (never `SIGKILL`).
    pub fn ignores(&self, signal: Signal) -> bool {
        match self.action(signal) {
            Action::Ignore => true,
            Action::Default => signal.default_action() == DefaultAction::Ignore,
            Action::Handler { .. } => false,
        }
    }

    /// `sigaction`: sets what the process does with `signal`; returns the previous action.
    /// `EINVAL` for catching or ignoring `SIGKILL`. Ignoring discards a pending `signal`.
    pub fn set_action(&mut self, signal: Signal, action: Action) -> Result<Action, Errno> {
        if !signal.can_be_caught() && action != Action::Default {
            return Err(Errno::Inval);
        }
        let old = core::mem::replace(&mut self.actions[signal as usize], action);
        if self.ignores(signal) {
            self.pending.remove(signal);
        }
        Ok(old)
    }

    /// The system call `sigaction(signal, handler, restorer)` as both kernels serve it: the
    /// words decoded and checked (`EINVAL`), the action set; returns the old handler word.
    pub fn sigaction(&mut self, signal: u32, handler: u32, restorer: u32) -> Result<u32, Errno> {
        let signal = Signal::from_number(signal).ok_or(Errno::Inval)?;
        let action = Action::from_call(handler, restorer)?;
        self.set_action(signal, action).map(Action::handler_word)
    }

    /// Sends `signal`: discarded if ignored, else pending. Returns whether it should break an
    /// interruptible sleep (it is pending and not blocked).
    pub fn post(&mut self, signal: Signal) -> bool {
        if self.ignores(signal) {
            return false;
        }
        self.pending.insert(signal);
        !self.blocked.contains(signal)
    }

    /// Makes `signal` pending whatever the process's dispositions are (a stub, whose
    /// process's dispositions live on its satellite).
    pub fn post_unfiltered(&mut self, signal: Signal) {
        self.pending.insert(signal);
    }

    /// A fault's `signal` (`SIGSEGV`, `SIGILL`, ...) at `addr`: pending for its handler
    /// (which gets `addr`) if the process catches it and it is not blocked, and `true`;
    /// otherwise the action becomes the default, the signal is unblocked and pending, so
    /// delivery terminates the process, and `false`.
    pub fn fault(&mut self, signal: Signal, addr: u32) -> bool {
        self.fault = Some((signal, addr));
        let caught = matches!(self.action(signal), Action::Handler { .. }) && !self.blocked.contains(signal);
        if !caught {
            self.actions[signal as usize] = Action::Default;
            self.blocked.remove(signal);
        }
        self.pending.insert(signal);
        caught
    }

    /// Whether a pending signal is not blocked: it breaks interruptible sleeps and will be
    /// delivered before the process next runs user code.
    pub fn interrupting(&self) -> bool {
        !self.pending.minus(self.blocked).is_empty()
    }

    /// Whether any signal is pending, blocked or not.
    pub fn any_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes a pending signal, blocked or not, `SIGKILL` first (a stub passing its signals on
    /// to its satellite).
    pub fn take_any(&mut self) -> Option<Signal> {
        let signal = self.pending.first()?;
        self.pending.remove(signal);
        Some(signal)
    }

    /// Takes the next signal to deliver (pending, not blocked) and its action.
    fn take_deliverable(&mut self) -> Option<(Signal, Action)> {
        let signal = self.pending.minus(self.blocked).first()?;
        self.pending.remove(signal);
        Some((signal, self.action(signal)))
    }

    /// The state a child of `fork` starts with: the same dispositions and blocked set,
    /// nothing pending.
    pub fn forked(&self) -> Signals {
        Signals {
            pending: SigSet::EMPTY,
            blocked: self.blocked,
            actions: self.actions,
            fault: None,
            restart: false,
        }
    }

    /// The state a process moving away from the node where its deputy stays takes along: the
    /// dispositions, the blocked set and a call to make again; its pending signals stay with
    /// the deputy, which passes them on.
    pub fn moving(&self) -> Signals {
        Signals { restart: self.restart, ..self.forked() }
    }

    /// The process's call was broken off for its move, to be made again where it resumes.
    pub fn set_restart(&mut self) {
        self.restart = true;
    }

    /// The process made a call: none is left to make again.
    pub fn clear_restart(&mut self) {
        self.restart = false;
    }

    /// Whether the process's pc is a call to make again after its move.
    pub fn restarting(&self) -> bool {
        self.restart
    }

    /// `exec`: handlers go back to the default (the code they named is gone); ignored
    /// signals stay ignored; pending and blocked stay.
    pub fn exec(&mut self) {
        for action in &mut self.actions {
            if matches!(action, Action::Handler { .. }) {
                *action = Action::Default;
            }
        }
    }

    /// Bytes of [`Signals::encode`].
    pub const ENCODED: usize = 16 + 8 * Signal::ALL.len();

    /// The dispositions, blocked and pending sets as bytes (in a process image): `blocked`,
    /// `ignored` (two [`SigSet`] words), then for each signal of [`Signal::ALL`] in order its
    /// handler's `pc` and `restorer` (0 and 0: no handler), then `pending` (a [`SigSet`]: empty
    /// in a child's image, [`Signals::forked`]; a migrating process's, blocked ones included),
    /// then `restart` (1: the pc is a call broken off for the move, to make again; else 0).
    pub fn encode(&self) -> [u8; Signals::ENCODED] {
        let mut out = [0; Signals::ENCODED];
        let mut ignored = SigSet::EMPTY;
        let mut words = [0u32; Signals::ENCODED / 4];
        for (i, signal) in Signal::ALL.into_iter().enumerate() {
            match self.action(signal) {
                Action::Ignore => ignored.insert(signal),
                Action::Handler { pc, restorer } => (words[2 + 2 * i], words[3 + 2 * i]) = (pc, restorer),
                Action::Default => {}
            }
        }
        (words[0], words[1]) = (self.blocked.bits(), ignored.bits());
        words[Signals::ENCODED / 4 - 2] = self.pending.bits();
        words[Signals::ENCODED / 4 - 1] = u32::from(self.restart);
        for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// The state `encode` made, checked like `sigaction`'s arguments: `EINVAL` for a bad
    /// handler or for `SIGKILL` blocked, ignored or caught.
    pub fn decode(bytes: &[u8; Signals::ENCODED]) -> Result<Signals, Errno> {
        let word = |i: usize| {
            u32::from_le_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]])
        };
        let blocked = SigSet::from_bits(word(0));
        let ignored = SigSet::from_bits(word(1));
        if blocked.contains(Signal::Kill) {
            return Err(Errno::Inval);
        }
        let pending = SigSet::from_bits(word(Signals::ENCODED / 4 - 2));
        let restart = match word(Signals::ENCODED / 4 - 1) {
            0 => false,
            1 => true,
            _ => return Err(Errno::Inval),
        };
        let mut signals = Signals { blocked, pending, restart, ..Signals::new() };
        for (i, signal) in Signal::ALL.into_iter().enumerate() {
            let action = match (word(2 + 2 * i), word(3 + 2 * i)) {
                _ if ignored.contains(signal) => Action::Ignore,
                (0, 0) => Action::Default,
                (pc, restorer) if pc > SIG_IGN => Action::from_call(pc, restorer)?,
                _ => return Err(Errno::Inval),
            };
            signals.set_action(signal, action)?;
        }
        Ok(signals)
    }
}

/// What [`deliver`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Return to user mode (maybe into a handler).
    Resume,
    /// End the process, killed by this signal.
    Terminate(Signal),
}

/// Acts on the deliverable pending signals of a process about to return to user mode with
/// `frame` in `space`: skips ignored ones, enters handlers (a [`SigFrame`] each), and stops
/// at the first that terminates.
pub fn deliver(signals: &mut Signals, space: &mut AddressSpace, frame: &mut TrapFrame) -> Delivery {
    while let Some((signal, action)) = signals.take_deliverable() {
        match action {
            Action::Ignore => {}
            Action::Default => match signal.default_action() {
                DefaultAction::Ignore => {}
                DefaultAction::Terminate => return Delivery::Terminate(signal),
            },
            Action::Handler { pc, restorer } => {
                // A call to make again after a move is over: the handler returns to its end
                // with `EINTR`, as from the call it interrupted unmoved.
                if core::mem::take(&mut signals.restart) {
                    frame.epc = frame.epc.wrapping_add(4);
                    frame.regs[10] = Errno::Intr.to_result() as u32;
                }
                let addr = match signals.fault.take() {
                    Some((faulted, addr)) if faulted == signal => addr,
                    _ => 0,
                };
                let saved = SigFrame { signal, blocked: signals.blocked, epc: frame.epc, regs: frame.regs };
                let sp = frame.regs[2].wrapping_sub(SigFrame::RESERVED) & !15;
                if sp > frame.regs[2] || space.copy_out(sp, &saved.encode()).is_err() {
                    return Delivery::Terminate(Signal::Segv);
                }
                signals.blocked.insert(signal);
                frame.regs[2] = sp;
                frame.regs[1] = restorer;
                frame.regs[10] = signal as u32;
                frame.regs[11] = addr;
                frame.epc = pc;
            }
        }
    }
    Delivery::Resume
}

/// `sigreturn`: restores the registers and the blocked set saved in the [`SigFrame`] at the
/// process's `sp`; returns the restored `a0` (the system call's "result", so the caller's
/// usual store of the result leaves it as it was). `EFAULT` if there is no readable frame
/// there: the caller then terminates the process with `SIGSEGV`.
pub fn sigreturn(
    signals: &mut Signals,
    space: &mut AddressSpace,
    frame: &mut TrapFrame,
) -> Result<u32, Errno> {
    let mut bytes = [0; SigFrame::SIZE];
    space.copy_in(frame.regs[2], &mut bytes)?;
    let saved = SigFrame::decode(&bytes).ok_or(Errno::Fault)?;
    let mut blocked = saved.blocked;
    blocked.remove(Signal::Kill);
    signals.blocked = blocked;
    frame.regs[1..].copy_from_slice(&saved.regs[1..]);
    frame.epc = saved.epc;
    Ok(saved.regs[10])
}
