//! The connection to gdb, guarded: a packet `gdbstub` could not parse never reaches it.
//!
//! `gdbstub` ends the session on a packet with a bad checksum or with fields it cannot parse
//! (`mzz,4`). A debugger's session should survive a stray byte, so [`Guarded`] reads whole
//! frames from the socket first: a bad checksum is refused (`-` while gdb acknowledges packets,
//! so it sends the packet again; an error reply once acknowledgements are off), and a packet
//! whose fields are not what its command takes gets an error reply (`E16`, `EINVAL`) straight
//! away. Everything else goes to `gdbstub` byte for byte. The check covers the commands whose
//! arguments `gdbstub` parses (memory, registers, breakpoints, threads, resuming, monitor
//! commands, the target description); unknown commands pass and get `gdbstub`'s empty reply.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

use gdbstub::conn::{Connection, ConnectionExt};

/// The longest packet read; longer ones are refused (gdbstub's buffer is 4 KiB).
const MAX_PACKET: usize = 64 * 1024;

/// Hex digits of a `G` packet: RV32's 32 general registers and `pc`, 8 digits each.
const REGISTERS_HEX: usize = 33 * 8;

/// The reply to a malformed packet: `EINVAL`.
const MALFORMED: &[u8] = b"E16";

/// A TCP connection to gdb that answers malformed packets itself.
pub struct Guarded {
    stream: TcpStream,
    /// Bytes of checked frames, waiting for `gdbstub`.
    ready: VecDeque<u8>,
    /// gdb no longer acknowledges packets (`QStartNoAckMode` went through).
    no_ack: bool,
    /// Threads (nodes): a resume action for another thread is refused.
    threads: usize,
    /// The last `Hc` named every thread (as before the first): `s` cannot step them all.
    resume_all: bool,
}

impl Guarded {
    /// `stream`, to a target with `threads` threads (numbered from 1).
    pub fn new(stream: TcpStream, threads: usize) -> Guarded {
        Guarded { stream, ready: VecDeque::new(), no_ack: false, threads, resume_all: true }
    }

    /// One byte from the socket, blocking.
    fn byte(&mut self) -> std::io::Result<u8> {
        self.stream.set_nonblocking(false)?;
        let mut byte = [0u8];
        Read::read_exact(&mut self.stream, &mut byte)?;
        Ok(byte[0])
    }

    /// Reads frames until one is fit for `gdbstub`, answering the others.
    fn fill(&mut self) -> std::io::Result<()> {
        while self.ready.is_empty() {
            let first = self.byte()?;
            if first != b'$' {
                // An acknowledgement, gdb's interrupt, or noise between packets (which gdbstub
                // would take for a bad packet header): only the first two matter.
                if matches!(first, b'+' | b'-' | 0x03) {
                    self.ready.push_back(first);
                }
                continue;
            }
            let mut body = Vec::new();
            loop {
                match self.byte()? {
                    b'#' => break,
                    b if body.len() < MAX_PACKET => body.push(b),
                    _ => {}
                }
            }
            let sum = [self.byte()?, self.byte()?];
            let checksum = std::str::from_utf8(&sum).ok().and_then(|s| u8::from_str_radix(s, 16).ok());
            let computed = body.iter().fold(0u8, |a, b| a.wrapping_add(*b));
            if body.len() >= MAX_PACKET || checksum != Some(computed) {
                if self.no_ack {
                    self.reply(MALFORMED)?;
                } else {
                    Write::write_all(&mut self.stream, b"-")?;
                }
                continue;
            }
            if !well_formed(&body, self.threads, self.resume_all) {
                if !self.no_ack {
                    Write::write_all(&mut self.stream, b"+")?;
                }
                self.reply(MALFORMED)?;
                continue;
            }
            if body == b"QStartNoAckMode" {
                self.no_ack = true;
            }
            if let Some(id) = body.strip_prefix(b"Hc") {
                self.resume_all = tid_of(id) == b"-1";
            }
            self.ready.push_back(b'$');
            self.ready.extend(body);
            self.ready.push_back(b'#');
            self.ready.extend(sum);
        }
        Ok(())
    }

    /// Sends a reply packet.
    fn reply(&mut self, body: &[u8]) -> std::io::Result<()> {
        let sum = body.iter().fold(0u8, |a, b| a.wrapping_add(*b));
        let mut packet = vec![b'$'];
        packet.extend_from_slice(body);
        packet.extend_from_slice(format!("#{sum:02x}").as_bytes());
        Write::write_all(&mut self.stream, &packet)?;
        Write::flush(&mut self.stream)
    }
}

impl Connection for Guarded {
    type Error = std::io::Error;

    fn write(&mut self, byte: u8) -> std::io::Result<()> {
        Write::write_all(&mut self.stream, &[byte])
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        Write::write_all(&mut self.stream, buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Write::flush(&mut self.stream)
    }

    fn on_session_start(&mut self) -> std::io::Result<()> {
        self.stream.set_nodelay(true)
    }
}

impl ConnectionExt for Guarded {
    fn read(&mut self) -> std::io::Result<u8> {
        self.fill()?;
        self.ready.pop_front().ok_or_else(|| std::io::Error::from(ErrorKind::UnexpectedEof))
    }

    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        if let Some(byte) = self.ready.front() {
            return Ok(Some(*byte));
        }
        self.stream.set_nonblocking(true)?;
        let mut byte = [0u8];
        let peeked = match self.stream.peek(&mut byte) {
            Ok(0) => Err(std::io::Error::from(ErrorKind::UnexpectedEof)),
            Ok(_) => Ok(Some(byte[0])),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        };
        self.stream.set_nonblocking(false)?;
        peeked
    }
}

/// Whether `text` is a non-empty run of hex digits.
fn hex(text: &[u8]) -> bool {
    !text.is_empty() && text.iter().all(u8::is_ascii_hexdigit)
}

/// Whether `text` is `A,B` with two hex numbers.
fn hex_pair(text: &[u8]) -> bool {
    let mut parts = text.splitn(2, |b| *b == b',');
    matches!((parts.next(), parts.next()), (Some(a), Some(b)) if hex(a) && hex(b))
}

/// Whether `text` is a thread id: `T`, `pP.T`, with hex numbers or `-1`, or `0`.
fn thread_id(text: &[u8]) -> bool {
    let id = |t: &[u8]| t == b"-1" || hex(t);
    match text.strip_prefix(b"p") {
        Some(rest) => {
            let mut parts = rest.splitn(2, |b| *b == b'.');
            match (parts.next(), parts.next()) {
                (Some(pid), Some(tid)) => id(pid) && id(tid),
                (Some(pid), None) => id(pid),
                _ => false,
            }
        }
        None => id(text),
    }
}

/// Whether the packet body `body` has the fields its command takes (for the commands whose
/// arguments gdbstub parses; any other passes), resuming only threads up to `threads`;
/// `resume_all` when the last `Hc` named every thread (or none was given).
pub fn well_formed(body: &[u8], threads: usize, resume_all: bool) -> bool {
    let Some((&command, args)) = body.split_first() else { return true };
    match command {
        b'm' => hex_pair(args),
        b'M' => match args.iter().position(|b| *b == b':') {
            Some(colon) => hex_pair(&args[..colon]) && args[colon + 1..].iter().all(u8::is_ascii_hexdigit),
            None => false,
        },
        b'X' => args.iter().position(|b| *b == b':').is_some_and(|colon| hex_pair(&args[..colon])),
        b'Z' | b'z' => {
            let fields: Vec<&[u8]> =
                args.split(|b| *b == b';').next().unwrap_or(b"").split(|b| *b == b',').collect();
            fields.len() == 3
                && matches!(fields[0], b"0" | b"1" | b"2" | b"3" | b"4")
                && hex(fields[1])
                && hex(fields[2])
        }
        b'g' => args.is_empty(),
        b'G' => args.len() == REGISTERS_HEX && args.iter().all(u8::is_ascii_hexdigit),
        b'p' => hex(args),
        b'P' => {
            let mut parts = args.splitn(2, |b| *b == b'=');
            matches!((parts.next(), parts.next()), (Some(r), Some(v)) if hex(r) && hex(v))
        }
        // Registers and memory are one thread's; resuming may name all of them.
        b'H' => match args.split_first() {
            Some((b'c', id)) => thread_id(id),
            Some((b'g', id)) => thread_id(id) && tid_of(id) != b"-1",
            _ => false,
        },
        b'T' => thread_id(args) && !matches!(tid_of(args), b"-1" | b"0"),
        b'c' => args.is_empty() || hex(args),
        b'C' => hex(args.split(|b| *b == b';').next().unwrap_or(b"")),
        // A step is one thread's: `Hc` must have named one.
        b's' => !resume_all && (args.is_empty() || hex(args)),
        b'S' => !resume_all && hex(args.split(|b| *b == b';').next().unwrap_or(b"")),
        b'D' => args.is_empty() || args.strip_prefix(b";").is_some_and(hex),
        b'v' => {
            if args == b"Cont" {
                false
            } else if let Some(actions) = args.strip_prefix(b"Cont;") {
                actions.split(|b| *b == b';').all(|a| vcont_action(a, threads))
            } else if let Some(pid) = args.strip_prefix(b"Kill") {
                pid.strip_prefix(b";").is_some_and(hex)
            } else {
                true
            }
        }
        b'q' => {
            if let Some(hex_command) = args.strip_prefix(b"Rcmd,") {
                hex_command.len() % 2 == 0 && hex_command.iter().all(u8::is_ascii_hexdigit)
            } else if let Some(pid) = args.strip_prefix(b"Attached") {
                pid.is_empty() || pid.strip_prefix(b":").is_some_and(hex)
            } else if let Some(id) = args.strip_prefix(b"ThreadExtraInfo,") {
                thread_id(id)
            } else if let Some(features) = args.strip_prefix(b"Xfer:features:read:") {
                // The target description is the only document there is.
                features.strip_prefix(b"target.xml:").is_some_and(hex_pair)
            } else if let Some(xfer) = args.strip_prefix(b"Xfer:") {
                xfer.rsplit(|b| *b == b':').next().is_some_and(hex_pair)
            } else {
                true
            }
        }
        _ => true,
    }
}

/// Whether one action of `vCont` is well formed: `c`, `s`, `Cxx`, `Sxx`, `rSTART,END`, `t`,
/// each with an optional `:THREAD` (all, or one of `threads`).
fn vcont_action(action: &[u8], threads: usize) -> bool {
    let mut parts = action.splitn(2, |b| *b == b':');
    let (kind, thread) = (parts.next().unwrap_or(b""), parts.next());
    let kind_ok = match kind.split_first() {
        Some((b'c' | b's' | b't', rest)) => rest.is_empty(),
        Some((b'C' | b'S', signal)) => hex(signal),
        Some((b'r', range)) => hex_pair(range),
        _ => false,
    };
    // Only a continue may apply to every thread: a step is one thread's.
    let one_thread = !matches!(kind.first(), Some(b's' | b'S' | b'r'));
    kind_ok
        && match thread {
            None => one_thread,
            Some(t) => thread_id(t) && thread_in(t, threads) && (one_thread || tid_of(t) != b"-1"),
        }
}

/// The thread part of a (well formed) thread id: `-1` for all of a process's.
fn tid_of(text: &[u8]) -> &[u8] {
    match text.strip_prefix(b"p") {
        Some(rest) => rest.splitn(2, |b| *b == b'.').nth(1).unwrap_or(b"-1"),
        None => text,
    }
}

/// Whether thread id `text` (well formed) names all threads or one of `1..=threads`.
fn thread_in(text: &[u8], threads: usize) -> bool {
    let tid = tid_of(text);
    tid == b"-1"
        || std::str::from_utf8(tid)
            .ok()
            .and_then(|t| usize::from_str_radix(t, 16).ok())
            .is_some_and(|t| (1..=threads).contains(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_gdb_sends_are_well_formed() {
        for ok in [
            "m80000000,4",
            "M80000000,2:0a0b",
            "Z0,80000448,4",
            "z2,80005000,4",
            "g",
            "p20",
            "P20=00000080",
            "Hgp1.2",
            "Hc-1",
            "Hg0",
            "Tp1.3",
            "vCont;c:p1.-1",
            "vCont;s:p1.2;c",
            "vCont;r80000000,80000010:p1.1",
            "vCont?",
            "qRcmd,6e6f646573",
            "qThreadExtraInfo,p1.2",
            "qXfer:features:read:target.xml:0,ffb",
            "qSupported:multiprocess+",
            "QStartNoAckMode",
            "?",
            "k",
            "D",
            "D;1",
            "qAttached:1",
            "qAttached",
            "vKill;1",
        ] {
            assert!(well_formed(ok.as_bytes(), 4, false), "{ok}");
        }
        assert!(well_formed(format!("G{}", "0".repeat(REGISTERS_HEX)).as_bytes(), 4, false));
        assert!(well_formed(b"s", 4, false));
    }

    #[test]
    fn malformed_commands_are_caught() {
        for bad in [
            "mzz,4",
            "m80000000",
            "Mzz,1:00",
            "M0,1:zz",
            "Z0,nothex,4",
            "Z9,0,4",
            "gx",
            "G00",
            "Hg",
            "Hx1",
            "Hg-1",
            "Hgp1.-1",
            "T-1",
            "vCont;x",
            "vCont;c:zz",
            "vCont;s:5",
            "vCont;s:p1.0",
            "vCont",
            "vCont;",
            "vCont;s",
            "vCont;r0,4",
            "qRcmd,zz",
            "qThreadExtraInfo,",
            "qXfer:features:read:target.xml:zz",
            "qXfer:features:read:nothere.xml:0,10",
            "qAttached:zz",
            "vKill;zz",
            "D;zz",
        ] {
            assert!(!well_formed(bad.as_bytes(), 4, false), "{bad}");
        }
        for bad in ["s", "S05", "vCont;s", "vCont;s:-1"] {
            assert!(!well_formed(bad.as_bytes(), 4, true), "{bad}");
        }
    }
}
