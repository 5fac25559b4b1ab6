//! The satellite message protocol (`os/proto`, docs/protocol.md) on the host: every message
//! kind survives encoding with extreme field values, fragmentation across every MTU a link
//! port allows, malformed fragment sequences and random bytes are refused without a panic, and
//! requests and replies cross a lossy link between two `ox_link::arq` endpoints once each, in
//! order.

use orrery_tests::Faults;
use std::collections::VecDeque;

use ox_link::arq::{Receiver, Sender};
use ox_link::frame::HEADER as FRAME_HEADER;
use ox_proto::fragment::{FRAGMENT_HEADER, MIN_PAYLOAD};
use ox_proto::net::{Net, NetItem, NetKind, NetOp, NetRight, PortRef};
use ox_proto::{
    Body, Call, DecodeError, Env, Errno, FragmentError, FragmentHeader, Fragmenter, Kind, Message, Output,
    ProtocolError, Reason, Reassembler, Reply, Request, Signal, Syscall, WaitStatus, CHANNEL_PROCESS,
    MAX_ARGS, MAX_DATA, MAX_MESSAGE, VERSION,
};
use proptest::prelude::{
    any, prop, prop_assert, prop_assert_eq, prop_oneof, proptest, BoxedStrategy, Just, ProptestConfig,
    Strategy,
};

/// A `u32` that is often an extreme.
fn word() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0), Just(1), Just(u32::MAX), Just(i32::MAX as u32), Just(i32::MIN as u32), any::<u32>()]
}

/// A variable-length part: often empty, sometimes exactly the largest.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..80),
        1 => prop::collection::vec(any::<u8>(), 0..3000),
        1 => Just(vec![0xa5; MAX_DATA]),
    ]
}

fn env() -> impl Strategy<Value = Env> {
    (word(), word()).prop_map(|(uid, gid)| Env { uid, gid })
}

fn signal() -> impl Strategy<Value = Signal> {
    prop::sample::select(Signal::ALL.to_vec())
}

fn status() -> impl Strategy<Value = WaitStatus> {
    prop_oneof![any::<u8>().prop_map(WaitStatus::Exited), signal().prop_map(WaitStatus::Signaled)]
}

fn request() -> BoxedStrategy<Request> {
    let call = (prop::sample::select(Syscall::ALL.to_vec()), prop::array::uniform6(word()), env(), data())
        .prop_map(|(call, args, env, data)| {
            Request::StubExecutes(Call { call, args, env, data, prefetched: true })
        });
    let fetches = (prop::sample::select(Syscall::ALL.to_vec()), prop::array::uniform6(word()), env())
        .prop_map(|(call, args, env)| {
            Request::StubExecutes(Call { call, args, env, data: vec![], prefetched: false })
        });
    prop_oneof![
        call,
        fetches,
        (word(), 0..=MAX_DATA as u32).prop_map(|(addr, len)| Request::CopyIn { addr, len }),
        (word(), data()).prop_map(|(addr, data)| Request::CopyOut { addr, data }),
        any::<bool>().prop_map(Request::Prefetch),
        word().prop_map(|node| Request::MoveSpace { node }),
        signal().prop_map(Request::Signal),
        status().prop_map(Request::Exit),
        (word(), env(), word()).prop_map(|(parent, env, size)| Request::ForkImage { parent, env, size }),
        (word(), word()).prop_map(|(offset, len)| Request::ReadImage { offset, len }),
        (word(), data()).prop_map(|(offset, data)| Request::WriteImage { offset, data }),
        word().prop_map(|pc| Request::Start { pc }),
        Just(Request::Stats),
        word().prop_map(|size| Request::ExecImage { size }),
        word().prop_map(|ppid| Request::Parent { ppid }),
        (word(), word()).prop_map(|(parent, pc)| Request::ForkHere { parent, pc }),
    ]
    .boxed()
}

fn reply() -> BoxedStrategy<Reply> {
    let result = prop_oneof![word().prop_map(Ok), prop::sample::select(Errno::ALL.to_vec()).prop_map(Err)];
    (result, prop::option::of(signal()), data())
        .prop_map(|(result, signal, data)| Reply { result, signal, data })
        .boxed()
}

fn message() -> BoxedStrategy<Message> {
    let refusal = (any::<u8>(), prop::sample::select(Reason::ALL.to_vec()), any::<u8>(), any::<u8>())
        .prop_map(|(speaks, reason, version, kind)| ProtocolError { speaks, reason, version, kind });
    let body = prop_oneof![
        4 => request().prop_map(Body::Request),
        2 => reply().prop_map(Body::Reply),
        1 => refusal.prop_map(Body::ProtocolError),
        1 => (word(), data()).prop_map(|(offset, data)| Body::Output(Output::new(offset, data))),
    ];
    (word(), body).prop_map(|(pid, body)| Message { pid, body }).boxed()
}

/// Splits `bytes` for `max_payload` and reassembles them; every payload must fit.
fn split_and_join(id: u16, bytes: &[u8], max_payload: usize) -> Vec<u8> {
    let pieces: Vec<Vec<u8>> = Fragmenter::new(id, bytes, max_payload).unwrap().collect();
    assert_eq!(pieces.len(), Fragmenter::new(id, bytes, max_payload).unwrap().len());
    let mut joiner = Reassembler::default();
    let mut whole = None;
    for (i, piece) in pieces.iter().enumerate() {
        assert!(piece.len() <= max_payload, "fragment of {} bytes for {max_payload}", piece.len());
        assert!(whole.is_none(), "message complete before its last fragment");
        whole = joiner.push(piece).unwrap();
        assert_eq!(whole.is_some(), i + 1 == pieces.len());
    }
    assert!(joiner.is_idle());
    // A sender that keeps the message and how far it got makes the same fragments.
    let mut sent = 0;
    for piece in &pieces {
        let mut resumed = Fragmenter::resume(id, bytes, max_payload, sent).unwrap();
        let (header, part) = resumed.next_parts().unwrap();
        assert_eq!([&header[..], part].concat(), *piece);
        sent += part.len();
    }
    assert!(
        Fragmenter::resume(id, bytes, max_payload, sent).unwrap().next_parts().is_none() || bytes.is_empty()
    );
    whole.unwrap()
}

/// One message of every kind, with the extreme values of its fields.
fn extremes() -> Vec<Message> {
    let big = vec![0xff; MAX_DATA];
    let env = Env { uid: u32::MAX, gid: 0 };
    let requests = [
        Request::StubExecutes(Call {
            call: Syscall::Exec,
            args: [u32::MAX; MAX_ARGS],
            env,
            data: big.clone(),
            prefetched: true,
        }),
        Request::StubExecutes(Call {
            call: Syscall::Write,
            args: [u32::MAX; MAX_ARGS],
            env,
            data: vec![],
            prefetched: false,
        }),
        Request::CopyIn { addr: u32::MAX, len: MAX_DATA as u32 },
        Request::CopyOut { addr: u32::MAX, data: big.clone() },
        Request::Prefetch(true),
        Request::MoveSpace { node: u32::MAX },
        Request::Signal(Signal::Term),
        Request::Exit(WaitStatus::Exited(255)),
        Request::Exit(WaitStatus::Signaled(Signal::Segv)),
        Request::ForkImage { parent: u32::MAX, env, size: u32::MAX },
        Request::ReadImage { offset: u32::MAX, len: u32::MAX },
        Request::WriteImage { offset: u32::MAX, data: big.clone() },
        Request::Start { pc: u32::MAX },
        Request::Stats,
        Request::ExecImage { size: u32::MAX },
        Request::Parent { ppid: u32::MAX },
        Request::ForkHere { parent: u32::MAX, pc: u32::MAX },
        Request::Freeze,
        Request::Frozen { pc: u32::MAX, asleep: true },
        Request::Load(u32::MAX),
        Request::Net(Net {
            to: u32::MAX,
            from: u32::MAX,
            op: NetOp::Message {
                dest: NetRight { kind: NetKind::SendOnce, port: PortRef { node: u32::MAX, id: u32::MAX } },
                reply: Some(NetRight { kind: NetKind::Send, port: PortRef { node: 0, id: u32::MAX } }),
                id: u32::MAX,
                items: vec![
                    NetItem::Inline(vec![0xff; 8192]),
                    NetItem::Right(NetRight { kind: NetKind::Receive, port: PortRef { node: 1, id: 2 } }),
                ],
            },
        }),
    ];
    let mut all: Vec<Message> = requests.into_iter().map(|r| Message::request(u32::MAX, r)).collect();
    all.push(Message::reply(0, Reply { result: Ok(u32::MAX), signal: Some(Signal::Kill), data: big }));
    all.push(Message::reply(0, Reply { result: Err(Errno::NoSys), signal: None, data: Vec::new() }));
    all.push(Message { pid: u32::MAX, body: Body::Output(Output::new(u32::MAX, vec![0xff; MAX_DATA])) });
    all.push(Message {
        pid: 0,
        body: Body::ProtocolError(ProtocolError {
            speaks: u8::MAX,
            reason: Reason::TooLarge,
            version: 0,
            kind: u8::MAX,
        }),
    });
    all
}

#[test]
fn every_kind_round_trips_with_extreme_values() {
    let messages = extremes();
    for kind in Kind::ALL {
        assert!(messages.iter().any(|m| m.kind() == kind), "{kind:?} is not covered");
    }
    for message in messages {
        let bytes = message.encode().unwrap();
        assert_eq!(bytes.len(), message.encoded_len());
        assert!(bytes.len() <= MAX_MESSAGE);
        assert_eq!(Message::decode(&bytes), Ok(message.clone()), "{:?}", message.kind());
        for mtu in [64, 1024] {
            assert_eq!(split_and_join(7, &bytes, mtu - FRAME_HEADER), bytes);
        }
    }
}

#[test]
fn too_much_data_is_refused_both_ways() {
    let write = |data: Vec<u8>| Message::request(1, Request::WriteImage { offset: 0, data });
    assert_eq!(
        write(vec![0; MAX_DATA + 1]).encode(),
        Err(ox_proto::EncodeError::DataTooLong { len: MAX_DATA + 1 })
    );
    let mut bytes = write(vec![0; MAX_DATA]).encode().unwrap();
    bytes.push(0);
    bytes[12..16].copy_from_slice(&(MAX_DATA as u32 + 1).to_le_bytes());
    let error = Message::decode(&bytes).unwrap_err();
    assert_eq!(error, DecodeError::DataTooLong { len: MAX_DATA as u32 + 1 });
    assert_eq!(
        Message::refusal(&bytes, &error),
        Some(Message::refused(1, Reason::TooLarge, VERSION, Kind::WriteImage as u8))
    );
}

#[test]
fn the_first_fragment_carries_the_message_header() {
    let message = Message::request(
        42,
        Request::StubExecutes(Call {
            call: Syscall::Write,
            args: [1, 0, 3000, 0, 0, 0],
            env: Env::default(),
            data: vec![7; 3000],
            prefetched: true,
        }),
    );
    let bytes = message.encode().unwrap();
    let first = Fragmenter::new(0, &bytes, MIN_PAYLOAD).unwrap().next().unwrap();
    let (header, head) = FragmentHeader::decode(&first).unwrap();
    assert_eq!(header, FragmentHeader { id: 0, more: true, total: 3048, offset: 0 });
    assert_eq!(head, &bytes[..8]);
    // A receiver that refuses the message as too large can still answer process 42.
    let mut small = Reassembler::new(1024);
    assert_eq!(small.push(&first), Err(FragmentError::TooLarge { total: 3048, limit: 1024 }));
    let pid = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let refusal = Message::refused(pid, Reason::TooLarge, head[0], head[1]).encode().unwrap();
    assert_eq!(refusal, [1, 0x81, 0, 0, 42, 0, 0, 0, 4, 1, 1, 0]);
}

/// The hex block after the marker in docs/protocol.md, as bytes.
fn documented_frame() -> Vec<u8> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md")).unwrap();
    let (_, after) = doc.split_once("<!-- checked by tests/tests/proto.rs -->\n```\n").unwrap();
    let (block, _) = after.split_once("```").unwrap();
    block.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
}

#[test]
fn the_documented_frame_is_what_goes_on_the_wire() {
    let reply = Message::reply(12, Reply { result: Ok(6), signal: None, data: b"hello\n".to_vec() });
    let bytes = reply.encode().unwrap();
    let mut fragments = Fragmenter::new(3, &bytes, 64 - FRAME_HEADER).unwrap();
    assert_eq!(fragments.len(), 1);
    let fragment = fragments.next().unwrap();
    let mut central = Sender::new(CHANNEL_PROCESS, 64, TIMEOUT);
    let frame = central.send(&fragment, 0).unwrap();
    assert_eq!(frame, documented_frame());
    let got = Receiver::new(CHANNEL_PROCESS).receive(frame).payload.unwrap();
    assert_eq!(Reassembler::default().push(got), Ok(Some(bytes)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Encoding then decoding gives the message back, and its length is what it says.
    #[test]
    fn messages_round_trip(message in message()) {
        let bytes = message.encode().unwrap();
        prop_assert_eq!(bytes.len(), message.encoded_len());
        prop_assert_eq!(Message::decode(&bytes), Ok(message));
    }

    /// Any message, split for any MTU from 64 to 1024 bytes, comes back whole from the last
    /// fragment, and several messages in a row come back in order.
    #[test]
    fn fragments_reassemble_across_mtus(
        messages in prop::collection::vec(message(), 1..4),
        mtu in 64usize..=1024,
        first_id in any::<u16>(),
    ) {
        let max_payload = mtu - FRAME_HEADER;
        let mut joiner = Reassembler::default();
        let mut id = first_id;
        for message in &messages {
            let bytes = message.encode().unwrap();
            prop_assert_eq!(split_and_join(id, &bytes, max_payload), bytes.clone());
            let mut got = None;
            for piece in Fragmenter::new(id, &bytes, max_payload).unwrap() {
                prop_assert!(got.is_none());
                got = joiner.push(&piece).unwrap();
            }
            prop_assert_eq!(Message::decode(&got.unwrap()), Ok(message.clone()));
            id = id.wrapping_add(1);
        }
    }

    /// Fragment sequences with a piece missing, repeated, swapped, of another message, with
    /// another total or too long are refused, and the reassembler recovers at the next message.
    #[test]
    fn malformed_fragment_sequences_are_errors(
        len in 600usize..3000,
        mtu in 64usize..=256,
        pick in any::<prop::sample::Index>(),
        fault in 0..6u8,
    ) {
        let message: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let max_payload = mtu - FRAME_HEADER;
        let mut pieces: Vec<Vec<u8>> = Fragmenter::new(9, &message, max_payload).unwrap().collect();
        let n = pieces.len();
        prop_assert!(n >= 3);
        // A fragment other than the first and the last.
        let i = 1 + pick.index(n - 2);
        let mut limit = MAX_MESSAGE;
        let expected = match fault {
            0 => {
                pieces.remove(i);
                FragmentError::Gap { expected: offset_of(&pieces[i - 1]) + chunk(&pieces[i - 1]), got: offset_of(&pieces[i]) }
            }
            1 => {
                let again = pieces[i - 1].clone();
                pieces.insert(i, again);
                FragmentError::Overlap { expected: offset_of(&pieces[i]) + chunk(&pieces[i]), got: offset_of(&pieces[i]) }
            }
            2 => {
                pieces.swap(i - 1, i);
                if i == 1 {
                    FragmentError::NotStarted { id: 9, offset: offset_of(&pieces[0]) }
                } else {
                    FragmentError::Gap { expected: offset_of(&pieces[i]), got: offset_of(&pieces[i - 1]) }
                }
            }
            3 => {
                pieces[i][0] ^= 1;
                FragmentError::Interleaved { expected: 9, got: 8 }
            }
            4 => {
                pieces[i][4..8].copy_from_slice(&(len as u32 + 1).to_le_bytes());
                FragmentError::WrongTotal { expected: len as u32, got: len as u32 + 1 }
            }
            _ => {
                limit = len - 1;
                FragmentError::TooLarge { total: len as u64, limit }
            }
        };
        let mut joiner = Reassembler::new(limit);
        let mut error = None;
        for piece in &pieces {
            match joiner.push(piece) {
                Ok(whole) => prop_assert!(whole.is_none(), "a damaged sequence produced a message"),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        prop_assert_eq!(error, Some(expected));
        prop_assert!(joiner.is_idle());
        let short = b"after the error".to_vec();
        let piece = Fragmenter::new(10, &short, max_payload).unwrap().next().unwrap();
        prop_assert_eq!(joiner.push(&piece), Ok(Some(short)));
    }

    /// Random bytes and damaged messages never panic the decoder; whatever decodes is the
    /// only encoding of what it decodes to.
    #[test]
    fn random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..120),
        message in message(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        for candidate in [bytes.clone(), damaged(&message, &flips), truncated(&message, cut)] {
            match Message::decode(&candidate) {
                Ok(decoded) => prop_assert_eq!(decoded.encode().unwrap(), candidate),
                Err(error) => {
                    if let Some(answer) = Message::refusal(&candidate, &error) {
                        prop_assert!(!Kind::is_answer_tag(candidate[1]), "an answer was answered");
                        prop_assert!(Message::decode(&answer.encode().unwrap()).is_ok());
                    }
                }
            }
        }
        let mut joiner = Reassembler::new(256);
        for payload in bytes.chunks(13) {
            if let Ok(Some(whole)) = joiner.push(payload) {
                prop_assert!(whole.len() <= 256);
            }
        }
        let _ = FragmentHeader::decode(&bytes);
    }
}

fn offset_of(piece: &[u8]) -> u32 {
    FragmentHeader::decode(piece).unwrap().0.offset
}

fn chunk(piece: &[u8]) -> u32 {
    (piece.len() - FRAGMENT_HEADER) as u32
}

fn damaged(message: &Message, flips: &[(prop::sample::Index, u8)]) -> Vec<u8> {
    let mut bytes = message.encode().unwrap();
    for (at, mask) in flips {
        let i = at.index(bytes.len());
        bytes[i] ^= mask;
    }
    bytes
}

fn truncated(message: &Message, cut: prop::sample::Index) -> Vec<u8> {
    let mut bytes = message.encode().unwrap();
    bytes.truncate(cut.index(bytes.len()));
    bytes
}

const TIMEOUT: u64 = 4;

/// One end of the protocol channel: an `arq` sender and receiver on [`CHANNEL_PROCESS`], the
/// fragments waiting to be sent, and the messages reassembled so far.
struct Endpoint {
    tx: Sender,
    rx: Receiver,
    next_id: u16,
    outbox: VecDeque<Vec<u8>>,
    joiner: Reassembler,
    /// Every message queued, in order.
    sent: Vec<Message>,
    /// Every message received, in order.
    inbox: Vec<Message>,
    /// How many of `inbox` have been answered.
    answered: usize,
}

impl Endpoint {
    fn new(mtu: usize) -> Endpoint {
        Endpoint {
            tx: Sender::new(CHANNEL_PROCESS, mtu, TIMEOUT),
            rx: Receiver::new(CHANNEL_PROCESS),
            next_id: 0,
            outbox: VecDeque::new(),
            joiner: Reassembler::default(),
            sent: Vec::new(),
            inbox: Vec::new(),
            answered: 0,
        }
    }

    /// Queues a whole message: its fragments go out back to back.
    fn queue(&mut self, message: &Message) {
        let bytes = message.encode().unwrap();
        self.outbox.extend(Fragmenter::new(self.next_id, &bytes, self.tx.max_payload()).unwrap());
        self.next_id = self.next_id.wrapping_add(1);
        self.sent.push(message.clone());
    }

    /// The frame to put on the wire at `now`: the next fragment, or a retransmission.
    fn transmit(&mut self, now: u64) -> Option<Vec<u8>> {
        if self.tx.is_idle() {
            let next = self.outbox.front()?;
            return Some(self.tx.send(next, now).unwrap().to_vec());
        }
        self.tx.poll(now).map(<[u8]>::to_vec)
    }

    /// Takes a frame off the wire at `now`; returns the acknowledgement to send, if any.
    fn deliver(&mut self, frame: &[u8], now: u64) -> Option<Vec<u8>> {
        if self.tx.receive(frame, now) {
            self.outbox.pop_front();
        }
        let got = self.rx.receive(frame);
        if let Some(payload) = got.payload {
            if let Some(bytes) = self.joiner.push(payload).unwrap() {
                self.inbox.push(Message::decode(&bytes).unwrap());
            }
        }
        got.ack.map(|ack| ack.frame().to_vec())
    }

    /// Answers, in order, the requests received since the last call.
    fn answer(&mut self) {
        while self.answered < self.inbox.len() {
            let message = &self.inbox[self.answered];
            self.answered += 1;
            if let Body::Request(request) = &message.body {
                if let Some(reply) = serve(request) {
                    let reply = Message::reply(message.pid, reply);
                    self.queue(&reply);
                }
            }
        }
    }

    fn is_done(&self) -> bool {
        self.outbox.is_empty() && self.tx.is_idle()
    }
}

/// What the stub answers: a read gets `len` bytes, a write the count it was given, the image
/// requests their sizes; signals and exits get nothing.
fn serve(request: &Request) -> Option<Reply> {
    match request {
        Request::StubExecutes(call) => Some(match call.call {
            Syscall::Read => Reply {
                result: Ok(call.args[2]),
                signal: None,
                data: (0..call.args[2]).map(|i| i as u8).collect(),
            },
            Syscall::Write => Reply::ok(call.data.len() as u32),
            Syscall::Kill => Reply { result: Err(Errno::Srch), signal: Some(Signal::Term), data: Vec::new() },
            _ => Reply::ok(0),
        }),
        Request::ReadImage { len, .. } => {
            Some(Reply { result: Ok(100_000), signal: None, data: vec![0x5a; *len as usize] })
        }
        Request::WriteImage { data, .. } => Some(Reply::ok(data.len() as u32)),
        Request::ForkImage { .. }
        | Request::ExecImage { .. }
        | Request::Start { .. }
        | Request::ForkHere { .. }
        | Request::MoveSpace { .. }
        | Request::Frozen { .. } => Some(Reply::ok(0)),
        Request::Stats => Some(Reply { result: Ok(72), signal: None, data: vec![0x11; 72] }),
        Request::CopyIn { len, .. } => {
            Some(Reply { result: Ok(*len), signal: None, data: vec![0x22; *len as usize] })
        }
        Request::CopyOut { .. } => Some(Reply::ok(0)),
        Request::Signal(_)
        | Request::Exit(_)
        | Request::Parent { .. }
        | Request::Freeze
        | Request::Load(_)
        | Request::Prefetch(_)
        | Request::Net(_) => None,
    }
}

/// The satellite's side of a conversation: system calls of several processes, big and small.
fn satellite_requests() -> Vec<Message> {
    let env = Env { uid: 1000, gid: 100 };
    let call = |pid: u32, call: Syscall, args: [u32; 6], data: Vec<u8>| {
        Message::request(pid, Request::StubExecutes(Call { call, args, env, data, prefetched: true }))
    };
    let mut requests = Vec::new();
    for round in 0..3u32 {
        let pid = 10 + round;
        requests.push(call(pid, Syscall::GetPpid, [0; 6], Vec::new()));
        requests.push(call(pid, Syscall::Write, [1, 0x1_0000, 3000, 0, 0, 0], vec![round as u8; 3000]));
        requests.push(call(pid, Syscall::Read, [0, 0x2_0000, 700 * (round + 1), 0, 0, 0], Vec::new()));
        requests.push(call(pid, Syscall::Kill, [99, 15, 0, 0, 0, 0], Vec::new()));
        requests.push(call(pid, Syscall::Exec, [0, 4, 0, 0, 0, 0], b"init".to_vec()));
    }
    requests.push(Message::request(12, Request::Exit(WaitStatus::Exited(0))));
    requests
}

/// The central's own requests to the satellite: a remote fork and a forwarded signal.
fn central_requests() -> Vec<Message> {
    vec![
        Message::request(20, Request::ForkImage { parent: 1, env: Env::default(), size: 5000 }),
        Message::request(20, Request::WriteImage { offset: 0, data: vec![1; 4096] }),
        Message::request(20, Request::WriteImage { offset: 4096, data: vec![2; 904] }),
        Message::request(20, Request::Start { pc: 0x1_0234 }),
        Message::request(11, Request::ReadImage { offset: 0, len: 4096 }),
        Message::request(10, Request::Signal(Signal::Kill)),
    ]
}

/// Runs both ends over a link that loses and damages frames until every message has crossed;
/// returns both ends and the number of faults injected.
fn converse(seed: u64, mtu: usize) -> (Endpoint, Endpoint, u32) {
    let mut satellite = Endpoint::new(mtu);
    let mut central = Endpoint::new(mtu);
    let mut faults = Faults::new(seed, 0.2, 0.1);
    let (from_satellite, from_central) = (satellite_requests(), central_requests());
    for request in &from_satellite {
        satellite.queue(request);
    }
    for request in &from_central {
        central.queue(request);
    }
    let at_central = from_satellite.len() + from_central.iter().filter(|m| wants_reply(m)).count();
    let at_satellite = from_central.len() + from_satellite.iter().filter(|m| wants_reply(m)).count();
    let mut to_central: Vec<Vec<u8>> = Vec::new();
    let mut to_satellite: Vec<Vec<u8>> = Vec::new();
    for now in 0..200_000u64 {
        for frame in std::mem::take(&mut to_central) {
            to_satellite.extend(central.deliver(&frame, now).and_then(|ack| faults.cross(&ack)));
        }
        for frame in std::mem::take(&mut to_satellite) {
            to_central.extend(satellite.deliver(&frame, now).and_then(|ack| faults.cross(&ack)));
        }
        central.answer();
        satellite.answer();
        to_central.extend(satellite.transmit(now).and_then(|frame| faults.cross(&frame)));
        to_satellite.extend(central.transmit(now).and_then(|frame| faults.cross(&frame)));
        if satellite.is_done()
            && central.is_done()
            && central.inbox.len() == at_central
            && satellite.inbox.len() == at_satellite
        {
            return (satellite, central, faults.dropped + faults.corrupted);
        }
    }
    panic!("seed {seed}, MTU {mtu}: the conversation did not finish");
}

fn wants_reply(message: &Message) -> bool {
    matches!(&message.body, Body::Request(request) if serve(request).is_some())
}

#[test]
fn requests_and_replies_cross_a_lossy_link_once_in_order() {
    for mtu in [64, 256, 1024] {
        for seed in 1..=6u64 {
            let (satellite, central, faults) = converse(seed * 0x9e37_79b9 + mtu as u64, mtu);
            assert!(faults > 0, "seed {seed}, MTU {mtu}: the link injected no faults");
            assert!(satellite.tx.retransmissions > 0 && central.tx.retransmissions > 0);
            assert_eq!(central.inbox, satellite.sent, "seed {seed}, MTU {mtu}");
            assert_eq!(satellite.inbox, central.sent, "seed {seed}, MTU {mtu}");
            assert_eq!(satellite.sent[..satellite_requests().len()], satellite_requests());
            assert_eq!(central.sent[..central_requests().len()], central_requests());
        }
    }
}
