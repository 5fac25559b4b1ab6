//! Links to a node in another `orrery` process, over TCP, kept in lockstep.
//!
//! Two processes that share a link agree on the quantum in a handshake, then meet at every
//! quantum boundary: each sends the frames its end put on the link during the quantum (with
//! the virtual time they arrive) and a boundary marker, and waits for the peer's marker before
//! it delivers anything. So frames cross at exactly the boundaries they would cross in one
//! process, and a system split across processes (or hosts) prints the same bytes as the same
//! system run in one process, as long as both halves are given the same input. What is lost
//! is speed: every quantum costs a round trip between the processes.
//!
//! Messages (little-endian): `H` hello (`ORRY`, version `u32`, quantum `u64` ns, MTU `u32`),
//! `F` frame (arrival `u64` ns, length `u16`, bytes), `B` boundary (`u64` ns), `Q` goodbye.
//!
//! A UDP link is the other choice, for when a best effort will do: each frame is one datagram,
//! there is no handshake and no lockstep, and a datagram is delivered at the first boundary
//! after the host received it. Its timing then depends on the host, so a system with UDP links
//! is not deterministic, and the link itself may lose or reorder frames like a real network.
//!
//! **A peer that comes back.** A listening end keeps its listener: once its peer has gone, it
//! looks for a new one at every boundary ([`RemoteLink::rejoin`]) and shakes hands with it as
//! at the start. A peer process starts its clock at 0 when it shakes hands, so from then on
//! this side reads the peer's times shifted by the boundary at which it came (`offset`): the
//! link is up again from that boundary, and the first frames cross at the next one, so a run
//! is the same given the boundary at which the peer came. A peer that never comes back
//! changes nothing. A connecting end does the same by dialing its peer's address again, at
//! most every [`REDIAL`] of wall-clock time, until a listener there answers.
//!
//! A peer is trusted with nothing: it must shake hands, and reach every boundary, within the
//! topology's `peer_timeout_s` of wall-clock time, or the link records a failure that ends the
//! run; at most [`MAX_FRAMES_PER_QUANTUM`] of its frames are taken per boundary (the rest are
//! read, counted in [`RemoteLink::take_excess`] and dropped); a frame longer than the MTU or
//! an unknown message closes the link.

use std::io::ErrorKind;
use std::io::{BufReader, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use crate::time::Time;
use crate::topology::{RemoteMode, RemoteSpec};

/// The protocol version spoken between processes.
const VERSION: u32 = 1;
/// How long a connecting side keeps trying to reach a peer that is not listening yet.
const CONNECT_PATIENCE: Duration = Duration::from_secs(30);
/// The most frames taken from a peer per quantum boundary: a well-behaved peer sends at most
/// [`crate::devices::link::TX_QUEUE`] per quantum.
pub const MAX_FRAMES_PER_QUANTUM: usize = 256;
/// How often a waiting listener looks for its peer.
const POLL: Duration = Duration::from_millis(20);
/// How often, at most, a connecting end whose peer went away dials it again (a refused dial
/// costs a system call; a boundary comes every few microseconds of host time).
const REDIAL: Duration = Duration::from_millis(20);

/// An open link to another process.
pub struct RemoteLink {
    /// What the topology says about it.
    pub spec: RemoteSpec,
    wire: Wire,
    open: bool,
    /// How long the peer may keep this process waiting.
    timeout: Duration,
    /// Why the link failed in a way that must end the run (the peer stalled).
    failure: Option<String>,
    /// Frames refused since the last [`RemoteLink::take_excess`] because the peer sent more
    /// than [`MAX_FRAMES_PER_QUANTUM`] in a quantum.
    excess: u64,
    /// A listening end's listener, kept for a peer that comes back.
    listener: Option<TcpListener>,
    /// A connecting end: when it last dialed its peer again (`None` until the peer goes).
    dialing: Option<Option<Instant>>,
    /// A connection accepted while the link was down, to shake hands with at the next boundary.
    incoming: Option<TcpStream>,
    /// This side's time at the boundary the current peer joined (its clock then read 0).
    offset: Time,
}

/// Why reading from the peer stopped.
enum Broken {
    /// The peer closed the link, said goodbye or broke the protocol.
    Gone,
    /// The peer kept this process waiting past its deadline.
    Stalled,
}

/// Whether an I/O error means the socket's timeout ran out.
fn timed_out(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// How the frames travel.
enum Wire {
    /// A TCP stream in lockstep.
    Tcp { reader: BufReader<TcpStream>, writer: BufWriter<TcpStream> },
    /// Datagrams to and from one peer.
    Udp { socket: UdpSocket, peer: SocketAddr },
}

/// A remote link that has been set up but whose peer has not connected yet.
pub enum Pending {
    /// Waiting to accept on a bound listener.
    Listening(TcpListener, RemoteSpec),
    /// Will connect when opened.
    Connecting(RemoteSpec),
    /// A bound UDP socket.
    Datagrams(UdpSocket, SocketAddr, RemoteSpec),
}

impl Pending {
    /// Binds a listening link now (so its address is known before the peer starts).
    pub fn new(spec: &RemoteSpec) -> Result<Pending, String> {
        match &spec.mode {
            RemoteMode::Listen => {
                let listener = TcpListener::bind(&spec.addr)
                    .map_err(|e| format!("cannot listen on {}: {e}", spec.addr))?;
                Ok(Pending::Listening(listener, spec.clone()))
            }
            RemoteMode::Connect => Ok(Pending::Connecting(spec.clone())),
            RemoteMode::Udp { peer } => {
                let socket =
                    UdpSocket::bind(&spec.addr).map_err(|e| format!("cannot bind {}: {e}", spec.addr))?;
                socket.set_nonblocking(true).map_err(|e| e.to_string())?;
                let peer_addr = peer
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or_else(|| format!("cannot resolve {peer}"))?;
                Ok(Pending::Datagrams(socket, peer_addr, spec.clone()))
            }
        }
    }

    /// The address a listening link is bound to.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Pending::Listening(listener, _) => listener.local_addr().ok(),
            Pending::Datagrams(socket, _, _) => socket.local_addr().ok(),
            Pending::Connecting(_) => None,
        }
    }

    /// Waits for the peer (at most `timeout`) and shakes hands; both sides must use the same
    /// quantum and MTU.
    pub fn open(self, quantum_ns: u64, timeout: Duration) -> Result<RemoteLink, String> {
        let (stream, spec, listener) = match self {
            Pending::Listening(listener, spec) => {
                let stream =
                    accept_within(&listener, timeout).map_err(|e| format!("accept on {}: {e}", spec.addr))?;
                (stream, spec, Some(listener))
            }
            Pending::Datagrams(socket, peer, spec) => {
                return Ok(opened(spec, Wire::Udp { socket, peer }, timeout, None));
            }
            Pending::Connecting(spec) => {
                let started = Instant::now();
                let stream = loop {
                    match TcpStream::connect(&spec.addr) {
                        Ok(stream) => break stream,
                        Err(e) if started.elapsed() > CONNECT_PATIENCE => {
                            return Err(format!("cannot connect to {}: {e}", spec.addr));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                };
                (stream, spec, None)
            }
        };
        let wire = shake_hands(stream, &spec, quantum_ns, timeout)?;
        Ok(opened(spec, wire, timeout, listener))
    }
}

/// A link just opened over `wire` (a listening end keeps its `listener`, to take a peer
/// back).
fn opened(spec: RemoteSpec, wire: Wire, timeout: Duration, listener: Option<TcpListener>) -> RemoteLink {
    let dialing = matches!(spec.mode, RemoteMode::Connect).then_some(None);
    RemoteLink {
        spec,
        wire,
        open: true,
        timeout,
        failure: None,
        excess: 0,
        listener,
        dialing,
        incoming: None,
        offset: 0,
    }
}

/// Shakes hands with the peer on `stream`: both sides must use the same quantum and MTU.
fn shake_hands(
    stream: TcpStream,
    spec: &RemoteSpec,
    quantum_ns: u64,
    timeout: Duration,
) -> Result<Wire, String> {
    let _ = stream.set_nodelay(true);
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let mut writer = BufWriter::new(stream);
    let mut hello = Vec::from(*b"HORRY");
    hello.extend_from_slice(&VERSION.to_le_bytes());
    hello.extend_from_slice(&quantum_ns.to_le_bytes());
    hello.extend_from_slice(&spec.props.mtu.to_le_bytes());
    writer.write_all(&hello).and_then(|_| writer.flush()).map_err(|e| e.to_string())?;
    let mut peer = [0u8; 21];
    reader.read_exact(&mut peer).map_err(|e| match timed_out(&e) {
        true => format!("{}: no handshake within {} s (peer_timeout_s)", spec.addr, timeout.as_secs()),
        false => format!("{}: no handshake: {e}", spec.addr),
    })?;
    if &peer[..5] != b"HORRY" || u32::from_le_bytes([peer[5], peer[6], peer[7], peer[8]]) != VERSION {
        let _ = writer.get_ref().shutdown(std::net::Shutdown::Both);
        return Err(format!("{}: the peer is not an orrery process of this version", spec.addr));
    }
    let peer_quantum = u64::from_le_bytes(peer[9..17].try_into().map_err(|_| "bad handshake")?);
    let peer_mtu = u32::from_le_bytes([peer[17], peer[18], peer[19], peer[20]]);
    if peer_quantum != quantum_ns || peer_mtu != spec.props.mtu {
        let _ = writer.get_ref().shutdown(std::net::Shutdown::Both);
        return Err(format!(
            "{}: the two processes disagree: quantum {quantum_ns} ns and MTU {} here, {peer_quantum} ns and {peer_mtu} there",
            spec.addr, spec.props.mtu
        ));
    }
    Ok(Wire::Tcp { reader, writer })
}

/// Accepts one connection on `listener`, waiting at most `timeout`.
fn accept_within(listener: &TcpListener, timeout: Duration) -> Result<TcpStream, String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).map_err(|e| e.to_string())?;
                return Ok(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && started.elapsed() < timeout => {
                std::thread::sleep(POLL);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return Err(format!("no peer came within {} s (peer_timeout_s)", timeout.as_secs()));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

impl RemoteLink {
    /// Whether the peer is still there.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Why the link failed in a way that must end the run: the peer kept this process waiting
    /// longer than the topology's `peer_timeout_s`.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// How many frames the peer sent beyond [`MAX_FRAMES_PER_QUANTUM`] since the last call.
    pub fn take_excess(&mut self) -> u64 {
        std::mem::take(&mut self.excess)
    }

    /// Records that the peer stalled: the link closes and the run must end.
    fn stalled(&mut self, what: &str) {
        self.open = false;
        self.failure = Some(format!(
            "link to {}: the peer process {what} within {} s (peer_timeout_s); ending the run",
            self.spec.addr,
            self.timeout.as_secs()
        ));
    }

    /// Sends the frames of the quantum ending at `boundary` (arrival time, bytes), then (over
    /// TCP) the boundary marker.
    pub fn send(&mut self, frames: &[(Time, Vec<u8>)], boundary: Time) {
        if !self.open {
            return;
        }
        match &mut self.wire {
            Wire::Tcp { writer, .. } => {
                let mut out = Vec::new();
                for (arrive, data) in frames {
                    out.push(b'F');
                    out.extend_from_slice(&arrive.saturating_sub(self.offset).to_le_bytes());
                    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
                    out.extend_from_slice(data);
                }
                out.push(b'B');
                out.extend_from_slice(&boundary.saturating_sub(self.offset).to_le_bytes());
                match writer.write_all(&out).and_then(|_| writer.flush()) {
                    Ok(()) => {}
                    Err(e) if timed_out(&e) => self.stalled("did not take this boundary's frames"),
                    Err(_) => self.open = false,
                }
            }
            Wire::Udp { socket, peer } => {
                for (_, data) in frames {
                    // A datagram the host cannot send is a frame the network lost.
                    let _ = socket.send_to(data, *peer);
                }
            }
        }
    }

    /// Receives the peer's frames up to its marker for `boundary` (over UDP: the datagrams
    /// that have arrived, delivered at this boundary); an empty list once the peer has gone
    /// (it said goodbye, closed, or broke the protocol).
    pub fn receive(&mut self, boundary: Time) -> Vec<(Time, Vec<u8>)> {
        let mut frames = Vec::new();
        if let Wire::Udp { socket, peer } = &self.wire {
            let mut buf = vec![0u8; self.spec.props.mtu as usize + 1];
            // Datagrams beyond the bound stay in the host's socket buffer for the next boundary.
            while frames.len() < MAX_FRAMES_PER_QUANTUM {
                let Ok((len, from)) = socket.recv_from(&mut buf) else { break };
                if from == *peer && len <= self.spec.props.mtu as usize {
                    frames.push((boundary, buf[..len].to_vec()));
                }
            }
            return frames;
        }
        let deadline = Instant::now() + self.timeout;
        while self.open {
            match self.read_message(deadline) {
                Ok(Message::Frame(arrive, data)) if frames.len() < MAX_FRAMES_PER_QUANTUM => {
                    frames.push((arrive.saturating_add(self.offset), data));
                }
                Ok(Message::Frame(..)) => self.excess += 1,
                Ok(Message::Boundary(time)) if time.checked_add(self.offset) == Some(boundary) => break,
                Ok(Message::Boundary(_)) | Ok(Message::Bye) | Err(Broken::Gone) => self.open = false,
                Err(Broken::Stalled) => {
                    self.stalled(&format!("did not reach the boundary at {boundary} ns"));
                }
            }
        }
        frames
    }

    /// Whether a peer may still come back: the link is down, and it is a listening end or a
    /// connecting one (which dials again).
    pub fn rejoinable(&self) -> bool {
        !self.open && self.failure.is_none() && (self.listener.is_some() || self.dialing.is_some())
    }

    /// Waits at most `patience` for a peer to come back (while the rest of the system has
    /// nothing to do); [`RemoteLink::rejoin`] shakes hands with it at the next boundary.
    pub fn await_peer(&mut self, patience: Duration) {
        let started = Instant::now();
        while self.rejoinable() && self.incoming.is_none() {
            self.look_for_peer();
            if self.incoming.is_some() || started.elapsed() >= patience {
                break;
            }
            std::thread::sleep(POLL.min(patience));
        }
    }

    /// Takes a connection waiting on the listener, if any (without waiting); a connecting end
    /// dials its peer again, if it has not in the last [`REDIAL`].
    fn look_for_peer(&mut self) {
        if let Some(last) = &mut self.dialing {
            if self.incoming.is_some() || last.is_some_and(|at| at.elapsed() < REDIAL) {
                return;
            }
            *last = Some(Instant::now());
            let addr = self.spec.addr.to_socket_addrs().ok().and_then(|mut a| a.next());
            self.incoming = addr.and_then(|addr| TcpStream::connect_timeout(&addr, REDIAL).ok());
            return;
        }
        let Some(listener) = &self.listener else { return };
        if self.incoming.is_some() || listener.set_nonblocking(true).is_err() {
            return;
        }
        if let Ok((stream, _)) = listener.accept() {
            if stream.set_nonblocking(false).is_ok() {
                self.incoming = Some(stream);
            }
        }
    }

    /// At `boundary`, with the link down: shakes hands with a peer that has come back (as at
    /// the start), and returns whether the link is up again. Its clock reads 0 at `boundary`;
    /// its first frames and marker come at the next boundary. A peer that does not shake hands
    /// is let go, and the link stays down.
    pub fn rejoin(&mut self, quantum_ns: u64, boundary: Time) -> bool {
        if !self.rejoinable() {
            return false;
        }
        self.look_for_peer();
        let Some(stream) = self.incoming.take() else { return false };
        match shake_hands(stream, &self.spec, quantum_ns, self.timeout) {
            Ok(wire) => {
                self.wire = wire;
                self.offset = boundary;
                self.open = true;
                true
            }
            Err(_) => false,
        }
    }

    /// Tells the peer this side is done, and closes the connection.
    pub fn bye(&mut self) {
        if let Wire::Tcp { writer, .. } = &mut self.wire {
            if self.open {
                let _ = writer.write_all(b"Q").and_then(|_| writer.flush());
            }
            let _ = writer.get_ref().shutdown(std::net::Shutdown::Both);
        }
        self.open = false;
        self.listener = None;
        self.dialing = None;
        self.incoming = None;
    }

    /// Reads the peer's next message, giving up at `deadline`.
    fn read_message(&mut self, deadline: Instant) -> Result<Message, Broken> {
        let mtu = self.spec.props.mtu as usize;
        let Wire::Tcp { reader, .. } = &mut self.wire else { return Err(Broken::Gone) };
        let mut kind = [0u8; 1];
        read_by(reader, &mut kind, deadline)?;
        let mut word = [0u8; 8];
        match kind[0] {
            b'F' => {
                read_by(reader, &mut word, deadline)?;
                let mut len = [0u8; 2];
                read_by(reader, &mut len, deadline)?;
                let len = u16::from_le_bytes(len) as usize;
                if len > mtu {
                    return Err(Broken::Gone);
                }
                let mut data = vec![0; len];
                read_by(reader, &mut data, deadline)?;
                Ok(Message::Frame(u64::from_le_bytes(word), data))
            }
            b'B' => {
                read_by(reader, &mut word, deadline)?;
                Ok(Message::Boundary(u64::from_le_bytes(word)))
            }
            b'Q' => Ok(Message::Bye),
            _ => Err(Broken::Gone),
        }
    }
}

/// Fills `buf` from the peer, waiting no later than `deadline`.
fn read_by(reader: &mut BufReader<TcpStream>, buf: &mut [u8], deadline: Instant) -> Result<(), Broken> {
    if reader.buffer().len() < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Broken::Stalled);
        }
        reader.get_ref().set_read_timeout(Some(left)).map_err(|_| Broken::Gone)?;
    }
    reader.read_exact(buf).map_err(|e| if timed_out(&e) { Broken::Stalled } else { Broken::Gone })
}

/// One message from the peer.
enum Message {
    Frame(Time, Vec<u8>),
    Boundary(Time),
    Bye,
}
