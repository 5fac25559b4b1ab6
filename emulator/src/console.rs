//! Where a node's console goes on the host: the terminal, a file, or a TCP socket.
//!
//! A console is written as `stdio`, `file:PATH` or `tcp:HOST:PORT` (on the command line and,
//! later, in topology files). `tcp:` listens on the address and waits for one client before
//! the node boots, like QEMU's `-serial tcp::PORT,server,wait`; what the client sends becomes
//! console input. Only `file:` and scripted input keep a run deterministic; a terminal or a
//! socket is input from the outside world.
//!
//! Standard input that is a terminal is put in raw mode for the run ([`stdin_input`]): every
//! key reaches the guest as it is typed (Ctrl-C as the byte 0x03, for the guest to turn into
//! `SIGINT`), the emulator echoes what is typed, and Ctrl-A starts an escape as in QEMU: Ctrl-A
//! x quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A h lists the escapes (docs/console.md).
//! Standard input that is a file or a pipe is passed on byte for byte, and its end is the end
//! of the guest's console input.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

/// A console destination, as written by the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsoleSpec {
    /// Standard output and standard input.
    Stdio,
    /// Output to a file (created or truncated); no host input.
    File(PathBuf),
    /// A TCP server at this address; one client is the terminal.
    Tcp(String),
}

impl FromStr for ConsoleSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<ConsoleSpec, String> {
        if text == "stdio" {
            return Ok(ConsoleSpec::Stdio);
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err("`file:` needs a path, as in file:console.log".into());
            }
            return Ok(ConsoleSpec::File(PathBuf::from(path)));
        }
        if let Some(addr) = text.strip_prefix("tcp:") {
            let port_ok = addr.rsplit_once(':').is_some_and(|(_, port)| port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(format!("`{text}` needs HOST:PORT, as in tcp:127.0.0.1:4444"));
            }
            return Ok(ConsoleSpec::Tcp(addr.to_string()));
        }
        Err(format!("unknown console `{text}`: use stdio, file:PATH or tcp:HOST:PORT"))
    }
}

impl fmt::Display for ConsoleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsoleSpec::Stdio => f.write_str("stdio"),
            ConsoleSpec::File(path) => write!(f, "file:{}", path.display()),
            ConsoleSpec::Tcp(addr) => write!(f, "tcp:{addr}"),
        }
    }
}

/// A console output that keeps every byte, for tests, the monitor's transcripts and the
/// system's gathered terminal; clones share the same bytes.
#[derive(Clone, Default)]
pub struct Capture {
    bytes: Arc<Mutex<Vec<u8>>>,
    /// Set by every write, cleared by [`Capture::take`]: a system takes every node's console
    /// at every quantum boundary, and most have written nothing.
    written: Arc<AtomicBool>,
}

impl Capture {
    /// An empty capture.
    pub fn new() -> Capture {
        Capture::default()
    }

    /// Takes the bytes written since the last call.
    pub fn take(&self) -> Vec<u8> {
        // A write sets the flag while it holds the lock, after its bytes: if the flag is seen
        // clear, any write under way is taken next time. (Loaded first: a swap costs more, and
        // the flag is clear most of the time.)
        if !self.written.load(Ordering::Relaxed) || !self.written.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        self.bytes.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }

    /// Everything written so far (and not taken), as text.
    pub fn text(&self) -> String {
        let bytes = self.bytes.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.bytes.lock().map_err(|_| std::io::Error::other("console capture poisoned"))?;
        bytes.extend_from_slice(buf);
        self.written.store(true, Ordering::Release);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Many nodes' consoles on one terminal, each line prefixed `[name] ` (docs/console.md).
///
/// Whole lines are shown as they come. An unfinished line (a prompt) is shown when its
/// writer says it may be (the node waits), and held back otherwise, so that a line the guest
/// writes piece by piece is not cut by another node's output. The rest of a shown unfinished
/// line continues it without a new prefix, unless another node's output comes first: that
/// ends the unfinished line with a newline, and the rest starts a new, prefixed line.
pub struct Prefixer {
    names: Vec<String>,
    /// Per node, the end of an unfinished line not shown yet.
    partial: Vec<Vec<u8>>,
    /// The node whose unfinished line the terminal shows last, if any.
    open_line: Option<usize>,
}

impl Prefixer {
    /// A terminal for nodes of these names (index = node).
    pub fn new(names: Vec<String>) -> Prefixer {
        let partial = vec![Vec::new(); names.len()];
        Prefixer { names, partial, open_line: None }
    }

    /// Node `node` wrote `bytes`; returns what the terminal shows now. With `show_unfinished`,
    /// an unfinished last line is shown too.
    pub fn add(&mut self, node: usize, bytes: &[u8], show_unfinished: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let Some(partial) = self.partial.get_mut(node) else { return out };
        if bytes.is_empty() && partial.is_empty() {
            return out;
        }
        partial.extend_from_slice(bytes);
        let cut = if show_unfinished {
            partial.len()
        } else {
            partial.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1)
        };
        for piece in partial[..cut].split_inclusive(|b| *b == b'\n') {
            if self.open_line != Some(node) {
                if self.open_line.is_some() {
                    out.push(b'\n');
                }
                out.extend_from_slice(format!("[{}] ", self.names[node]).as_bytes());
            }
            out.extend_from_slice(piece);
            self.open_line = if piece.ends_with(b"\n") { None } else { Some(node) };
        }
        partial.drain(..cut);
        out
    }

    /// The end of the run: a newline if the terminal shows an unfinished line last.
    pub fn end(&mut self) -> Vec<u8> {
        if self.open_line.take().is_some() {
            b"\n".to_vec()
        } else {
            Vec::new()
        }
    }
}

/// An opened console: the output, and host input if the destination has any.
pub struct Console {
    /// Where the guest's bytes go.
    pub output: Box<dyn Write + Send>,
    /// Bytes from the host, as they arrive.
    pub input: Option<Receiver<u8>>,
}

/// How many bytes of host input wait between the host and the guest's UART; past this, the
/// reader stops reading, so a fast source (`< /dev/zero`) is held back, not buffered. (The
/// channel's slots are allocated and initialised up front, on every run: a larger buffer costs
/// start-up time; the UART holds more.)
pub const INPUT_BUFFER: usize = 4 * 1024;

/// Copies bytes from `reader` into a bounded channel on a thread of its own.
fn pump(mut reader: impl Read + Send + 'static) -> Receiver<u8> {
    let (tx, rx) = sync_channel(INPUT_BUFFER);
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || buf[..n].iter().any(|b| tx.send(*b).is_err()) {
                break;
            }
        }
    });
    rx
}

/// The escape key: Ctrl-A.
pub const ESCAPE: u8 = 0x01;

/// What a key typed on a raw terminal does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Send this byte to the guest.
    Send(u8),
    /// Nothing yet (the escape key, or an unknown escape).
    Nothing,
    /// Quit the emulator (Ctrl-A x).
    Quit,
    /// List the escapes (Ctrl-A h).
    Help,
}

/// The escapes of a console on a terminal, as QEMU has them: Ctrl-A then a key.
#[derive(Debug, Default)]
pub struct Escapes {
    after_escape: bool,
}

impl Escapes {
    /// What typing `byte` does.
    pub fn feed(&mut self, byte: u8) -> Key {
        if !std::mem::take(&mut self.after_escape) {
            if byte == ESCAPE {
                self.after_escape = true;
                return Key::Nothing;
            }
            return Key::Send(byte);
        }
        match byte {
            ESCAPE => Key::Send(ESCAPE),
            b'x' | b'X' => Key::Quit,
            b'h' | b'H' | b'?' => Key::Help,
            _ => Key::Nothing,
        }
    }
}

/// The escapes, as Ctrl-A h lists them.
pub const ESCAPE_HELP: &str = "\r\nC-a x    quit the emulator\r\nC-a C-a  send C-a\r\nC-a h    this list\r\n";

/// What the emulator echoes for a byte typed on a raw terminal (the guest does not echo): the
/// byte itself for text, a newline for Enter, an erased cell for backspace, nothing for other
/// control keys (Ctrl-C shows as `^C`).
pub fn echo_of(byte: u8) -> &'static [u8] {
    const PRINTABLE: [[u8; 1]; 256] = {
        let mut table = [[0u8; 1]; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = [i as u8];
            i += 1;
        }
        table
    };
    match byte {
        b'\r' | b'\n' => b"\n",
        0x08 | 0x7f => b"\x08 \x08",
        0x03 => b"^C",
        0x00..=0x1f => b"",
        _ => &PRINTABLE[byte as usize],
    }
}

/// The standard input of the guest's console: a terminal in raw mode with echo (to `echo`) and
/// escapes, or a file or pipe passed on as it is.
pub fn stdin_input(echo: Box<dyn Write + Send>) -> Receiver<u8> {
    if !terminal::enter_raw_mode() {
        return pump(std::io::stdin());
    }
    let (tx, rx) = sync_channel(INPUT_BUFFER);
    std::thread::spawn(move || {
        let mut echo = echo;
        let mut escapes = Escapes::default();
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 256];
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 {
                break;
            }
            for byte in &buf[..n] {
                match escapes.feed(*byte) {
                    Key::Send(byte) => {
                        let _ = echo.write_all(echo_of(byte));
                        let _ = echo.flush();
                        if tx.send(byte).is_err() {
                            return;
                        }
                    }
                    Key::Nothing => {}
                    Key::Help => {
                        let _ = std::io::stderr().write_all(ESCAPE_HELP.as_bytes());
                    }
                    Key::Quit => {
                        let _ = std::io::stdout().flush();
                        terminal::restore();
                        eprintln!("\norrery: quit (C-a x)");
                        std::process::exit(0);
                    }
                }
            }
        }
    });
    rx
}

/// Raw mode for a terminal on standard input, and putting it back.
#[cfg(unix)]
pub mod terminal {
    use std::sync::Mutex;

    /// The terminal's settings before raw mode.
    static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

    /// Puts standard input in raw mode if it is a terminal: keys arrive one by one, Ctrl-C and
    /// the other signal keys as bytes, nothing echoed by the terminal; output still ends lines
    /// with CR LF and Enter still reads as `\n`. Returns whether it did.
    pub fn enter_raw_mode() -> bool {
        // Safety: isatty only inspects the descriptor.
        if unsafe { libc::isatty(libc::STDIN_FILENO) } != 1 {
            return false;
        }
        // Safety: a zeroed termios is a valid value for tcgetattr to fill.
        let mut settings: libc::termios = unsafe { std::mem::zeroed() };
        // Safety: `settings` is a valid termios the call writes.
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut settings) } != 0 {
            return false;
        }
        let saved = settings;
        settings.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
        settings.c_iflag &= !(libc::IXON | libc::BRKINT);
        settings.c_cc[libc::VMIN] = 1;
        settings.c_cc[libc::VTIME] = 0;
        // Safety: `settings` is a valid termios read above and changed field by field.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &settings) } != 0 {
            return false;
        }
        if let Ok(mut slot) = SAVED.lock() {
            slot.get_or_insert(saved);
        }
        true
    }

    /// Puts the terminal back as it was before [`enter_raw_mode`] (nothing if it was not
    /// changed).
    pub fn restore() {
        let saved = SAVED.lock().ok().and_then(|mut slot| slot.take());
        if let Some(saved) = saved {
            // Safety: `saved` is the termios tcgetattr returned for this descriptor.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &saved) };
        }
    }
}

/// Raw mode for a terminal on standard input, and putting it back (not on this host).
#[cfg(not(unix))]
pub mod terminal {
    /// Never raw here: standard input is passed on as it is.
    pub fn enter_raw_mode() -> bool {
        false
    }

    /// Nothing to put back.
    pub fn restore() {}
}

impl ConsoleSpec {
    /// Opens the destination; for `tcp:` this waits for a client. `with_input` says whether
    /// host input should be read at all (it is not when input is scripted).
    pub fn open(&self, with_input: bool) -> Result<Console, String> {
        match self {
            ConsoleSpec::Stdio => Ok(Console {
                output: Box::new(std::io::stdout()),
                input: with_input.then(|| stdin_input(Box::new(std::io::stdout()))),
            }),
            ConsoleSpec::File(path) => {
                let file =
                    File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                Ok(Console { output: Box::new(BufWriter::new(file)), input: None })
            }
            ConsoleSpec::Tcp(addr) => {
                let listener =
                    TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
                let local = listener.local_addr().map_err(|e| e.to_string())?;
                eprintln!("orrery: console waiting for a connection on {local}");
                let (stream, _) = listener.accept().map_err(|e| format!("accept on {addr}: {e}"))?;
                Console::from_stream(stream, with_input)
            }
        }
    }
}

impl Console {
    fn from_stream(stream: TcpStream, with_input: bool) -> Result<Console, String> {
        let _ = stream.set_nodelay(true);
        let reader = stream.try_clone().map_err(|e| e.to_string())?;
        Ok(Console { output: Box::new(stream), input: with_input.then(|| pump(reader)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_explains_mistakes() {
        assert_eq!("stdio".parse(), Ok(ConsoleSpec::Stdio));
        assert_eq!("file:a.log".parse(), Ok(ConsoleSpec::File("a.log".into())));
        assert_eq!("tcp:127.0.0.1:4444".parse(), Ok(ConsoleSpec::Tcp("127.0.0.1:4444".into())));
        assert!("file:".parse::<ConsoleSpec>().unwrap_err().contains("needs a path"));
        assert!("tcp:localhost".parse::<ConsoleSpec>().unwrap_err().contains("HOST:PORT"));
        assert!("serial".parse::<ConsoleSpec>().unwrap_err().contains("unknown console"));
        assert_eq!(ConsoleSpec::Tcp("h:1".into()).to_string(), "tcp:h:1");
    }

    #[test]
    fn prefixes_lines_and_shows_prompts_when_their_node_waits() {
        let mut p = Prefixer::new(vec!["cp".into(), "sat1".into()]);
        let mut shown = Vec::new();
        shown.extend(p.add(0, b"[kernel] boot\n[kernel] half ", false));
        shown.extend(p.add(1, b"sat line\n", false));
        shown.extend(p.add(0, b"line\n$ ", true));
        shown.extend(p.add(0, b"typed\nout\n$ ", true));
        shown.extend(p.add(1, b"sat again\n", true));
        shown.extend(p.add(0, b"rest\n$ ", true));
        shown.extend(p.end());
        assert_eq!(
            String::from_utf8(shown).unwrap(),
            "[cp] [kernel] boot\n[sat1] sat line\n[cp] [kernel] half line\n[cp] $ typed\n[cp] out\n\
             [cp] $ \n[sat1] sat again\n[cp] rest\n[cp] $ \n"
        );
    }

    #[test]
    fn escapes_quit_pass_ctrl_a_and_everything_else() {
        let mut escapes = Escapes::default();
        let keys: Vec<Key> = b"a\x03\x01\x01\x01x\x01zb\x01h".iter().map(|b| escapes.feed(*b)).collect();
        assert_eq!(
            keys,
            [
                Key::Send(b'a'),
                Key::Send(0x03),
                Key::Nothing,
                Key::Send(ESCAPE),
                Key::Nothing,
                Key::Quit,
                Key::Nothing,
                Key::Nothing,
                Key::Send(b'b'),
                Key::Nothing,
                Key::Help,
            ]
        );
        assert_eq!(echo_of(b'q'), b"q");
        assert_eq!(echo_of(b'\r'), b"\n");
        assert_eq!(echo_of(0x7f), b"\x08 \x08");
        assert_eq!(echo_of(0x01), b"");
        assert_eq!(echo_of(0xc3), [0xc3]);
    }

    #[test]
    fn tcp_console_carries_both_directions() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(b"in").unwrap();
            let mut got = [0u8; 3];
            stream.read_exact(&mut got).unwrap();
            got
        });
        let (stream, _) = listener.accept().unwrap();
        let mut console = Console::from_stream(stream, true).unwrap();
        let input = console.input.take().unwrap();
        assert_eq!((input.recv().unwrap(), input.recv().unwrap()), (b'i', b'n'));
        console.output.write_all(b"out").unwrap();
        console.output.flush().unwrap();
        assert_eq!(&client.join().unwrap(), b"out");
    }

    /// A source that never ends, counting what was read from it.
    struct Endless(Arc<std::sync::atomic::AtomicUsize>);

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.fetch_add(buf.len(), std::sync::atomic::Ordering::SeqCst);
            buf.fill(0);
            Ok(buf.len())
        }
    }

    #[test]
    fn host_input_is_held_back_not_buffered() {
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let input = pump(Endless(count.clone()));
        std::thread::sleep(std::time::Duration::from_millis(300));
        let read = count.load(std::sync::atomic::Ordering::SeqCst);
        assert!(read <= INPUT_BUFFER + 512, "read {read} bytes ahead of the guest");
        assert_eq!(input.recv(), Ok(0));
    }
}
