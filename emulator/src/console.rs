//! Where a node's console goes on the host: the terminal, a file, or a TCP socket.
//!
//! A console is written as `stdio`, `file:PATH` or `tcp:HOST:PORT` (on the command line and,
//! later, in topology files). `tcp:` listens on the address and waits for one client before
//! the node boots, like QEMU's `-serial tcp::PORT,server,wait`; what the client sends becomes
//! console input. Only `file:` and scripted input keep a run deterministic; a terminal or a
//! socket is input from the outside world.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::str::FromStr;
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
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// An empty capture.
    pub fn new() -> Capture {
        Capture::default()
    }

    /// Takes the bytes written since the last call.
    pub fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }

    /// Everything written so far (and not taken), as text.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("console capture poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
/// reader stops reading, so a fast source (`< /dev/zero`) is held back, not buffered.
pub const INPUT_BUFFER: usize = 64 * 1024;

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

impl ConsoleSpec {
    /// Opens the destination; for `tcp:` this waits for a client. `with_input` says whether
    /// host input should be read at all (it is not when input is scripted).
    pub fn open(&self, with_input: bool) -> Result<Console, String> {
        match self {
            ConsoleSpec::Stdio => Ok(Console {
                output: Box::new(std::io::stdout()),
                input: with_input.then(|| pump(std::io::stdin())),
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
