//! The port operations against what Mach specifies (after GNU Mach's `tests/test-mach_port.c`
//! and `tests/test-machmsg.c`): rights and reference counts, queue limits, send-once rights,
//! port sets, notifications, rights carried in messages, task death.

use ox_ipc::{
    Counts, Disposition, HandedOff, Header, Ipc, IpcError, Item, Message, Name, Notify, ReceivedItem,
    Requests, RightKind, Taken, TakenName, TaskId, Types, QLIMIT_DEFAULT,
};

const A: TaskId = TaskId(1);
const B: TaskId = TaskId(2);

fn ipc() -> Ipc<()> {
    let mut ipc = Ipc::new();
    ipc.add_task(A).unwrap();
    ipc.add_task(B).unwrap();
    ipc
}

fn msg(dest: Name, disposition: Disposition, id: u32, items: Vec<Item<()>>) -> Message<()> {
    Message { header: Header { dest: (dest, disposition), reply: None, id }, items }
}

/// Gives B a send right to A's port `name`; returns B's name for it.
fn send_right_to_b(ipc: &mut Ipc<()>, name: Name) -> Name {
    ipc.insert_right(A, name, Disposition::MakeSend, B, Name(50)).unwrap();
    Name(50)
}

#[test]
fn names_are_given_lowest_first_and_rights_are_counted() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let q = ipc.allocate(A, RightKind::Receive).unwrap();
    assert_eq!((p, q), (Name(1), Name(2)));
    assert_eq!(ipc.types(A, p).unwrap(), Types(Types::RECEIVE));
    // A send right made from the receive right joins its name.
    let (same, kind) = ipc.extract_right(A, p, Disposition::MakeSend).unwrap();
    assert_eq!((same, kind), (p, RightKind::Send));
    assert_eq!(ipc.types(A, p).unwrap(), Types(Types::RECEIVE | Types::SEND));
    ipc.mod_refs(A, p, RightKind::Send, 2).unwrap();
    assert_eq!(ipc.refs(A, p, RightKind::Send).unwrap(), 3);
    assert_eq!(ipc.mod_refs(A, p, RightKind::Send, -4), Err(IpcError::InvalidValue));
    assert_eq!(ipc.mod_refs(A, p, RightKind::Receive, 1), Err(IpcError::InvalidValue));
    ipc.mod_refs(A, p, RightKind::Send, -3).unwrap();
    assert_eq!(ipc.types(A, p).unwrap(), Types(Types::RECEIVE));
    assert_eq!(ipc.mod_refs(A, Name(9), RightKind::Send, 1).unwrap_err(), IpcError::InvalidName);
    assert_eq!(ipc.mod_refs(A, p, RightKind::SendOnce, -1).unwrap_err(), IpcError::InvalidRight);
    // Freed names are given again.
    ipc.mod_refs(A, p, RightKind::Receive, -1).unwrap();
    assert_eq!(ipc.types(A, p), Err(IpcError::InvalidName));
    assert_eq!(ipc.allocate(A, RightKind::Receive).unwrap(), p);
}

#[test]
fn messages_keep_boundaries_and_order() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let s = send_right_to_b(&mut ipc, p);
    for i in 0..3 {
        ipc.send(B, msg(s, Disposition::CopySend, i, vec![Item::Inline(vec![i as u8; i as usize + 1])]))
            .unwrap();
    }
    for i in 0..3 {
        let got = ipc.receive(A, p).unwrap().0.unwrap();
        assert_eq!(got.port, p);
        assert_eq!(got.id, i);
        assert_eq!(got.items, vec![ReceivedItem::Inline(vec![i as u8; i as usize + 1])]);
    }
    assert!(ipc.receive(A, p).unwrap().0.is_none());
    assert_eq!(ipc.receive(B, s).unwrap_err(), IpcError::InvalidRight);
}

#[test]
fn a_full_queue_refuses_until_room_and_send_once_ignores_the_limit() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let s = send_right_to_b(&mut ipc, p);
    for i in 0..QLIMIT_DEFAULT as u32 {
        ipc.send(B, msg(s, Disposition::CopySend, i, vec![])).unwrap();
    }
    assert_eq!(ipc.send(B, msg(s, Disposition::CopySend, 99, vec![])).unwrap_err(), IpcError::QueueFull);
    // A send-once destination is not limited.
    ipc.send(A, msg(p, Disposition::MakeSendOnce, 100, vec![])).unwrap();
    ipc.receive(A, p).unwrap();
    assert_eq!(ipc.send(B, msg(s, Disposition::CopySend, 99, vec![])).unwrap_err(), IpcError::QueueFull);
    let room = ipc.receive(A, p).unwrap().1;
    assert_eq!(room.keys, vec![ipc.send_key(B, s).unwrap()], "the receive wakes the blocked sender");
    ipc.send(B, msg(s, Disposition::CopySend, 101, vec![])).unwrap();
    assert_eq!(ipc.set_qlimit(A, p, 17).unwrap_err(), IpcError::InvalidValue);
    assert_eq!(ipc.set_qlimit(B, s, 1).unwrap_err(), IpcError::InvalidRight);
    ipc.set_qlimit(A, p, 16).unwrap();
    assert_eq!(ipc.refs(B, s, RightKind::Send).unwrap(), 1, "copy-send keeps the sender's right");
}

#[test]
fn rights_travel_in_messages_and_send_rights_coalesce() {
    let mut ipc = ipc();
    let inbox = ipc.allocate(A, RightKind::Receive).unwrap();
    let to_a = send_right_to_b(&mut ipc, inbox);
    let mine = ipc.allocate(B, RightKind::Receive).unwrap();
    let items = vec![
        Item::Port(mine, Disposition::MakeSend),
        Item::Port(mine, Disposition::MakeSend),
        Item::Port(mine, Disposition::MakeSendOnce),
    ];
    ipc.send(B, msg(to_a, Disposition::CopySend, 7, items)).unwrap();
    let got = ipc.receive(A, inbox).unwrap().0.unwrap();
    let [ReceivedItem::Port(n1, RightKind::Send), ReceivedItem::Port(n2, RightKind::Send), ReceivedItem::Port(n3, RightKind::SendOnce)] =
        got.items[..]
    else {
        panic!("{:?}", got.items)
    };
    assert_eq!(n1, n2, "two send rights to one port are one name with two references");
    assert_ne!(n1, n3, "a send-once right has a name of its own");
    assert_eq!(ipc.refs(A, n1, RightKind::Send).unwrap(), 2);
    // Moving the receive right away and back.
    ipc.send(B, msg(to_a, Disposition::CopySend, 8, vec![Item::Port(mine, Disposition::MoveReceive)]))
        .unwrap();
    assert_eq!(ipc.types(B, mine), Err(IpcError::InvalidName));
    let got = ipc.receive(A, inbox).unwrap().0.unwrap();
    assert_eq!(
        got.items,
        vec![ReceivedItem::Port(n1, RightKind::Receive)],
        "the receive right joins the send name"
    );
    assert_eq!(ipc.types(A, n1).unwrap(), Types(Types::RECEIVE | Types::SEND));
}

#[test]
fn a_refused_send_changes_nothing() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let s = send_right_to_b(&mut ipc, p);
    let before = (ipc.counts(), ipc.refs(B, s, RightKind::Send).unwrap());
    // Two moves of a right with one reference: refused whole.
    let items = vec![Item::Port(s, Disposition::MoveSend), Item::Port(s, Disposition::MoveSend)];
    assert_eq!(ipc.send(B, msg(s, Disposition::CopySend, 1, items)).unwrap_err(), IpcError::InvalidRight);
    assert_eq!((ipc.counts(), ipc.refs(B, s, RightKind::Send).unwrap()), before);
    assert_eq!(ipc.send(B, msg(s, Disposition::MoveReceive, 1, vec![])).unwrap_err(), IpcError::InvalidRight);
    assert_eq!(
        ipc.send(B, msg(Name(77), Disposition::CopySend, 1, vec![])).unwrap_err(),
        IpcError::InvalidName
    );
}

#[test]
fn a_dead_port_leaves_dead_names_and_tells_who_asked() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let s = send_right_to_b(&mut ipc, p);
    ipc.mod_refs(B, s, RightKind::Send, 1).unwrap();
    let watch = ipc.allocate(B, RightKind::Receive).unwrap();
    ipc.request_notification(B, s, Notify::DeadName, watch).unwrap();
    ipc.mod_refs(A, p, RightKind::Receive, -1).unwrap();
    assert_eq!(ipc.types(B, s).unwrap(), Types(Types::DEAD_NAME));
    assert_eq!(ipc.refs(B, s, RightKind::DeadName).unwrap(), 2, "the send right's references");
    let note = ipc.receive(B, watch).unwrap().0.unwrap();
    assert_eq!(note.id, Notify::DEAD_NAME);
    assert_eq!(note.items, vec![ReceivedItem::Inline(s.0.to_le_bytes().to_vec())]);
    assert_eq!(ipc.send(B, msg(s, Disposition::CopySend, 1, vec![])).unwrap_err(), IpcError::DeadName);
    ipc.deallocate(B, s).unwrap();
    ipc.deallocate(B, s).unwrap();
    assert_eq!(ipc.types(B, s), Err(IpcError::InvalidName));
}

#[test]
fn no_senders_carries_the_make_send_count() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let watch = ipc.allocate(A, RightKind::Receive).unwrap();
    let s = send_right_to_b(&mut ipc, p);
    ipc.insert_right(A, p, Disposition::MakeSend, B, s).unwrap();
    ipc.request_notification(A, p, Notify::NoSenders, watch).unwrap();
    ipc.mod_refs(B, s, RightKind::Send, -1).unwrap();
    assert!(ipc.receive(A, watch).unwrap().0.is_none(), "one reference is left");
    ipc.deallocate(B, s).unwrap();
    let note = ipc.receive(A, watch).unwrap().0.unwrap();
    assert_eq!(note.id, Notify::NO_SENDERS);
    assert_eq!(note.items, vec![ReceivedItem::Inline(2u32.to_le_bytes().to_vec())], "two make-sends");
}

#[test]
fn port_destroyed_gives_the_receive_right_back() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let home = ipc.allocate(B, RightKind::Receive).unwrap();
    // B gives A a send-once right to its home port... and asks for p's receive right back.
    ipc.insert_right(A, p, Disposition::MoveReceive, B, Name(20)).unwrap();
    ipc.request_notification(B, Name(20), Notify::PortDestroyed, home).unwrap();
    ipc.mod_refs(B, Name(20), RightKind::Receive, -1).unwrap();
    let note = ipc.receive(B, home).unwrap().0.unwrap();
    assert_eq!(note.id, Notify::PORT_DESTROYED);
    let [ReceivedItem::Port(back, RightKind::Receive)] = note.items[..] else { panic!("{:?}", note.items) };
    assert_eq!(ipc.types(B, back).unwrap(), Types(Types::RECEIVE));
}

#[test]
fn an_unused_send_once_right_says_so() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let (once, kind) = ipc.extract_right(A, p, Disposition::MakeSendOnce).unwrap();
    assert_eq!(kind, RightKind::SendOnce);
    assert_ne!(once, p);
    ipc.deallocate(A, once).unwrap();
    let note = ipc.receive(A, p).unwrap().0.unwrap();
    assert_eq!(note.id, Notify::SEND_ONCE);
    // A used one says nothing more.
    let (once, _) = ipc.extract_right(A, p, Disposition::MakeSendOnce).unwrap();
    ipc.send(A, msg(once, Disposition::MoveSendOnce, 5, vec![])).unwrap();
    assert_eq!(ipc.receive(A, p).unwrap().0.unwrap().id, 5);
    assert!(ipc.receive(A, p).unwrap().0.is_none());
    assert_eq!(ipc.types(A, once), Err(IpcError::InvalidName));
}

#[test]
fn port_sets_deliver_in_arrival_order() {
    let mut ipc = ipc();
    let set = ipc.allocate(A, RightKind::PortSet).unwrap();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let q = ipc.allocate(A, RightKind::Receive).unwrap();
    ipc.move_member(A, p, set).unwrap();
    ipc.move_member(A, q, set).unwrap();
    ipc.send(A, msg(q, Disposition::MakeSend, 1, vec![])).unwrap();
    ipc.send(A, msg(p, Disposition::MakeSend, 2, vec![])).unwrap();
    ipc.send(A, msg(q, Disposition::MakeSend, 3, vec![])).unwrap();
    let order: Vec<(u32, Name)> =
        (0..3).map(|_| ipc.receive(A, set).unwrap().0.map(|m| (m.id, m.port)).unwrap()).collect();
    assert_eq!(order, vec![(1, q), (2, p), (3, q)]);
    assert_eq!(ipc.move_member(A, set, p).unwrap_err(), IpcError::InvalidRight);
    ipc.move_member(A, q, Name::NULL).unwrap();
    ipc.send(A, msg(q, Disposition::MakeSend, 4, vec![])).unwrap();
    assert!(ipc.receive(A, set).unwrap().0.is_none(), "q left the set");
}

#[test]
fn a_task_that_ends_releases_every_right_and_message() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let s = send_right_to_b(&mut ipc, p);
    let b_port = ipc.allocate(B, RightKind::Receive).unwrap();
    let items =
        vec![Item::Port(b_port, Disposition::MakeSend), Item::Port(b_port, Disposition::MakeSendOnce)];
    ipc.send(B, msg(s, Disposition::CopySend, 1, items)).unwrap();
    let watch = ipc.allocate(B, RightKind::Receive).unwrap();
    ipc.request_notification(B, s, Notify::DeadName, watch).unwrap();
    let woken = ipc.remove_task(A);
    // The notification's receiver is among those to wake.
    assert!(woken.keys.contains(&ipc.receive_key(B, watch).unwrap()), "{woken:?}");
    let note = ipc.receive(B, watch).unwrap().0.unwrap();
    assert_eq!(note.id, Notify::DEAD_NAME);
    // The queued message died with the port: its send-once right to b_port said so.
    let said = ipc.receive(B, b_port).unwrap().0.unwrap();
    assert_eq!(said.id, Notify::SEND_ONCE);
    ipc.remove_task(B);
    assert_eq!(ipc.counts(), Counts::default());
}

#[test]
fn next_size_measures_the_front_message_without_taking_it() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    let q = ipc.allocate(A, RightKind::Receive).unwrap();
    let size = |ipc: &Ipc<()>| ipc.next_size(A, p, 24, |len| 8 + len.next_multiple_of(4), 12).unwrap();
    assert_eq!(size(&ipc), None);
    assert!(!ipc.has_queued(A, p));
    let items = vec![Item::Inline(vec![1; 5]), Item::Port(q, Disposition::MakeSend)];
    ipc.send(A, msg(p, Disposition::MakeSend, 1, items)).unwrap();
    assert_eq!(size(&ipc), Some(24 + 16 + 12));
    assert_eq!(size(&ipc), Some(52), "still queued");
    assert!(ipc.has_queued(A, p));
    assert!(!ipc.has_queued(A, q), "another port's queue");
    assert!(ipc.receive(A, p).unwrap().0.is_some());
    assert_eq!(size(&ipc), None);
    assert!(!ipc.has_queued(A, p));
    assert_eq!(ipc.next_size(A, Name(99), 0, |l| l, 0), Err(IpcError::InvalidName));
    assert!(!ipc.has_queued(A, Name(99)), "no such name");
    assert!(!ipc.has_queued(B, p), "no such space");
}

/// How [`rpc_rounds`] moves each message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    /// A send, then the receiver's receive.
    Queue,
    /// [`Ipc::send_direct`], the receiver waiting.
    Direct,
    /// [`Ipc::rpc_target`] and [`Ipc::hand_off_rpc`], the whole RPC's send and receive.
    Rpc,
}

/// An RPC as Mach clients and servers make it: B sends to A's service port with a send-once
/// right made from its reply port, A answers through that right, each message going `way`;
/// what each side gets, and every count after, must be the same whichever way.
fn rpc_rounds(way: Way) -> (Vec<HandedOff>, Counts, Types, Types) {
    let mut ipc = ipc();
    let service = ipc.allocate(A, RightKind::Receive).unwrap();
    let to_service = send_right_to_b(&mut ipc, service);
    let reply = ipc.allocate(B, RightKind::Receive).unwrap();
    let mut got = Vec::new();
    // The message `header` from `from` to `to`, which waits on `on`; `from` then receives on
    // `then` (the RPC's receive).
    let deliver =
        |ipc: &mut Ipc<()>, from: TaskId, header: Header, to: TaskId, on: Name, then: Name| match way {
            Way::Queue => {
                ipc.send(from, Message { header, items: vec![] }).unwrap();
                let received = ipc.receive(to, on).unwrap().0.unwrap();
                assert_eq!(received.id, header.id);
                (received.port, received.reply)
            }
            Way::Direct => {
                let direct = ipc.direct_target(from, &header).unwrap();
                assert_eq!(direct.receiver, to);
                ipc.send_direct(from, header, direct).unwrap().0
            }
            Way::Rpc => {
                let target = ipc.rpc_target(from, &header, then).unwrap();
                assert_eq!((target.receiver, target.key), (to, ipc.receive_key(to, on).unwrap()));
                let handed = ipc.hand_off_rpc(target).unwrap();
                assert_eq!(handed.wait, ipc.receive_key(from, then).unwrap());
                // A request's reply key is its name's port key in the receiver's space; an
                // answer has none.
                let key = handed.reply.map(|name| ipc.port_key(to, name).unwrap());
                assert_eq!(target.reply_key(), key);
                (handed.member, handed.reply.map(|name| (name, RightKind::SendOnce)))
            }
        };
    for round in 0..3 {
        let request = Header {
            dest: (to_service, Disposition::CopySend),
            reply: Some((reply, Disposition::MakeSendOnce)),
            id: 100 + round,
        };
        let (port, reply_right) = deliver(&mut ipc, B, request, A, service, reply);
        got.push((port, reply_right));
        let (answer_to, kind) = reply_right.unwrap();
        assert_eq!(kind, RightKind::SendOnce);
        let answer = Header { dest: (answer_to, Disposition::MoveSendOnce), reply: None, id: 200 + round };
        got.push(deliver(&mut ipc, A, answer, B, reply, service));
    }
    (got, ipc.counts(), ipc.types(A, service).unwrap(), ipc.types(B, to_service).unwrap())
}

#[test]
fn a_direct_hand_off_gives_what_a_send_and_a_receive_give() {
    let queued = rpc_rounds(Way::Queue);
    assert_eq!(rpc_rounds(Way::Direct), queued);
    assert_eq!(rpc_rounds(Way::Rpc), queued);
    // The answer's send-once right is used up: A names only its service port.
    assert_eq!(queued.1, Counts { ports: 2, sets: 0, names: 3, messages: 0 });
}

/// A's service port, B's send right to it and B's reply port, and B's request to A: through
/// a copy of its send right, with a send-once reply right made from its reply port.
fn an_rpc(ipc: &mut Ipc<()>) -> (Name, Name, Name, Header) {
    let service = ipc.allocate(A, RightKind::Receive).unwrap();
    let to_service = send_right_to_b(ipc, service);
    let reply = ipc.allocate(B, RightKind::Receive).unwrap();
    let request = Header {
        dest: (to_service, Disposition::CopySend),
        reply: Some((reply, Disposition::MakeSendOnce)),
        id: 1,
    };
    (service, to_service, reply, request)
}

/// A request's reply right held outside every space (the network message service's way,
/// `hand_off_rpc_held`) is the port's send-once right like a named one, and is used up by
/// exactly one of: a message handed off through it, a name in a space (then any send), or its
/// release (a send-once notification); nothing is left over.
#[test]
fn a_held_reply_right_is_used_up_once_like_a_named_one() {
    let mut ipc = ipc();
    let (_, _, reply, request) = an_rpc(&mut ipc);
    let before = ipc.counts();
    let reply_key = ipc.port_key(B, reply).unwrap();
    // Each round B's request is handed to A with its reply right held, and the right goes
    // one of the three ways.
    for way in 0..3 {
        let target = ipc.rpc_target(B, &request, reply).unwrap();
        assert_eq!(target.reply_key(), Some(reply_key));
        let handed = ipc.hand_off_rpc_held(target).unwrap();
        assert_eq!(handed.reply, None, "no name given");
        assert_eq!(ipc.counts(), before, "nothing named or queued");
        // B's reply port cannot be made anew while a send-once right to it exists.
        assert!(!ipc.is_pristine(B, reply));
        match way {
            0 => {
                let direct = ipc.direct_to_held(reply_key).unwrap();
                assert_eq!(direct.receiver, B);
                let dummy = Header { dest: (Name::NULL, Disposition::MoveSendOnce), reply: None, id: 2 };
                let ((port, right), _) = ipc.send_direct(A, dummy, direct).unwrap();
                assert_eq!((port, right), (reply, None));
            }
            1 => {
                let name = ipc.insert_held(A, reply_key).unwrap();
                assert_eq!(ipc.types(A, name).unwrap(), Types(Types::SEND_ONCE));
                let answer = Header { dest: (name, Disposition::MoveSendOnce), reply: None, id: 3 };
                ipc.send(A, Message { header: answer, items: vec![] }).unwrap();
                assert_eq!(ipc.receive(B, reply).unwrap().0.unwrap().id, 3);
            }
            _ => {
                ipc.release_held(reply_key);
                assert_eq!(ipc.receive(B, reply).unwrap().0.unwrap().id, Notify::SEND_ONCE);
            }
        }
        assert_eq!(ipc.counts(), before, "round {way}: the right is used up");
        assert!(ipc.is_pristine(B, reply), "round {way}: no send-once right is left");
    }
    // A key of no port: no hand-off, no name; its release does nothing.
    assert_eq!(ipc.direct_to_held(7), None);
    assert_eq!(ipc.insert_held(A, 7).map(|_| ()), Err(IpcError::InvalidRight));
    ipc.release_held(7);
    assert_eq!(ipc.counts(), before);
}

/// An RPC's hand-off is only for an RPC's two shapes, a receive that would wait, and an
/// answer's right with nothing to notify; anything else is left to the general path, and
/// looking changes nothing.
#[test]
fn an_rpc_hand_off_is_only_for_an_rpc_that_would_wait() {
    let mut ipc = ipc();
    let (service, to_service, reply, request) = an_rpc(&mut ipc);
    let before = ipc.counts();
    // A moved send right, or no reply right: not an RPC's request.
    let moved = Header { dest: (to_service, Disposition::MoveSend), ..request };
    assert_eq!(ipc.rpc_target(B, &moved, reply), None);
    assert_eq!(ipc.rpc_target(B, &Header { reply: None, ..request }, reply), None);
    // A receive on a port set, or on a name with no receive right.
    let set = ipc.allocate(B, RightKind::PortSet).unwrap();
    assert_eq!(ipc.rpc_target(B, &request, set), None);
    assert_eq!(ipc.rpc_target(B, &request, to_service), None);
    // A receive that would find a message: B's reply port has one queued.
    let other = ipc.allocate(A, RightKind::Receive).unwrap();
    ipc.insert_right(B, reply, Disposition::MakeSend, A, Name(60)).unwrap();
    ipc.send(A, msg(Name(60), Disposition::CopySend, 9, vec![])).unwrap();
    assert_eq!(ipc.rpc_target(B, &request, reply), None);
    assert!(ipc.receive(B, reply).unwrap().0.is_some());
    // A queued message on the destination: no hand-off overtakes it.
    ipc.send(B, msg(to_service, Disposition::CopySend, 2, vec![])).unwrap();
    assert_eq!(ipc.rpc_target(B, &request, reply), None);
    assert!(ipc.receive(A, service).unwrap().0.is_some());
    let target = ipc.rpc_target(B, &request, reply).unwrap();
    assert_eq!(target.receiver, A);
    // An answer's send-once right with a dead-name request on it.
    let handed = ipc.hand_off_rpc(target).unwrap();
    let once = handed.reply.unwrap();
    ipc.request_notification(A, once, Notify::DeadName, other).unwrap();
    let answer = Header { dest: (once, Disposition::MoveSendOnce), reply: None, id: 3 };
    assert_eq!(ipc.rpc_target(A, &answer, service), None);
    // Its general send gives B the answer and A the notification's right back.
    ipc.send(A, Message { header: answer, items: vec![] }).unwrap();
    assert!(ipc.receive(B, reply).unwrap().0.is_some());
    ipc.destroy(B, set).unwrap();
    ipc.destroy(A, other).unwrap();
    ipc.deallocate(A, Name(60)).unwrap();
    assert_eq!(ipc.counts(), before);
}

#[test]
fn a_refused_hand_off_changes_nothing() {
    let mut ipc = ipc();
    let service = ipc.allocate(A, RightKind::Receive).unwrap();
    let to_service = send_right_to_b(&mut ipc, service);
    let before = ipc.counts();
    // A reply right B does not hold: refused before anything moves.
    let bad = Header {
        dest: (to_service, Disposition::MoveSend),
        reply: Some((Name(7), Disposition::MakeSendOnce)),
        id: 1,
    };
    let direct = ipc.direct_target(B, &bad).unwrap();
    assert_eq!(ipc.send_direct(B, bad, direct).unwrap_err(), IpcError::InvalidName);
    assert_eq!(ipc.counts(), before);
    assert_eq!(ipc.refs(B, to_service, RightKind::Send).unwrap(), 1);
    // A send-once right made from a name with no receive right.
    let bad = Header {
        dest: (to_service, Disposition::CopySend),
        reply: Some((to_service, Disposition::MakeSendOnce)),
        id: 1,
    };
    let direct = ipc.direct_target(B, &bad).unwrap();
    assert_eq!(ipc.send_direct(B, bad, direct).unwrap_err(), IpcError::InvalidRight);
    assert_eq!(ipc.counts(), before);
    // A queued message makes the port's queue the only way: no hand-off overtakes it.
    ipc.send(B, msg(to_service, Disposition::CopySend, 2, vec![])).unwrap();
    let request = Header { dest: (to_service, Disposition::CopySend), reply: None, id: 3 };
    assert_eq!(ipc.direct_target(B, &request), None);
}

/// A task's whole space leaves (`take_space`, as for a move to another node) and is put back
/// under the same names in another task (`put_name`, as the node it moves to does): every
/// name denotes what it did, with its references, set members and queue limit; the queued
/// messages are received there in order; nothing is left behind or counted twice.
#[test]
fn a_space_taken_whole_is_put_back_name_for_name() {
    const KERNEL: TaskId = TaskId(3);
    const MOVED: TaskId = TaskId(4);
    let mut ipc = ipc();
    for task in [KERNEL, MOVED] {
        ipc.add_task(task).unwrap();
    }
    // A: a port it receives from, with two messages queued from B, three send references
    // and a queue limit of 3, in a port set; a send right (two references) and a send-once
    // right to B's port; a dead name with two references.
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    ipc.set_qlimit(A, p, 3).unwrap();
    ipc.insert_right(A, p, Disposition::MakeSend, A, p).unwrap();
    ipc.mod_refs(A, p, RightKind::Send, 2).unwrap();
    let to_p = send_right_to_b(&mut ipc, p);
    for id in [10, 11] {
        ipc.send(B, msg(to_p, Disposition::CopySend, id, vec![Item::Inline(vec![id as u8])])).unwrap();
    }
    let set = ipc.allocate(A, RightKind::PortSet).unwrap();
    ipc.move_member(A, p, set).unwrap();
    let q = ipc.allocate(B, RightKind::Receive).unwrap();
    ipc.insert_right(B, q, Disposition::MakeSend, A, Name(20)).unwrap();
    ipc.mod_refs(A, Name(20), RightKind::Send, 1).unwrap();
    ipc.insert_right(B, q, Disposition::MakeSendOnce, A, Name(21)).unwrap();
    let dead = ipc.allocate(A, RightKind::DeadName).unwrap();
    ipc.mod_refs(A, dead, RightKind::DeadName, 1).unwrap();
    // Notifications to its own port: dead-name about B's port, no-senders about its own.
    ipc.request_notification(A, Name(20), Notify::DeadName, p).unwrap();
    ipc.request_notification(A, p, Notify::NoSenders, p).unwrap();
    let before = ipc.counts();
    let names = |ipc: &Ipc<()>, task| {
        [p, set, Name(20), Name(21), dead].map(|n| {
            let types = ipc.types(task, n).unwrap();
            (
                n,
                types,
                ipc.refs(task, n, RightKind::Send).unwrap(),
                ipc.refs(task, n, RightKind::DeadName).unwrap(),
            )
        })
    };
    let expected = names(&ipc, A);

    let (taken, _) = ipc.take_space(A, KERNEL).unwrap();
    assert_eq!(ipc.names_held(A), 0);
    let asked = |name| taken.iter().find(|t| t.name == name).unwrap().notify;
    assert_eq!(asked(Name(20)), Requests { dead_name: Some(p), ..Requests::default() });
    assert_eq!(asked(p), Requests { no_senders: Some(p), ..Requests::default() });
    assert_eq!(taken.iter().map(|t| t.name).collect::<Vec<_>>(), vec![p, set, dead, Name(20), Name(21)]);
    assert!(taken.iter().any(|t| t.what == Taken::Set(vec![p])), "{taken:?}");
    // The receive right's own send right travels as a count; the others as rights.
    let how = |right: Option<Name>, disposition| right.map(|n| (n, disposition));
    for t in &taken {
        let what = match &t.what {
            Taken::Port { receive, send, urefs, send_once, qlimit } => Taken::Port {
                receive: how(*receive, Disposition::MoveReceive),
                send: how(*send, Disposition::MoveSend),
                urefs: *urefs,
                send_once: how(*send_once, Disposition::MoveSendOnce),
                qlimit: *qlimit,
            },
            Taken::Set(members) => Taken::Set(members.clone()),
            Taken::Dead(refs) => Taken::Dead(*refs),
        };
        // Sets last, as a kernel puts them.
        if !matches!(what, Taken::Set(_)) {
            ipc.put_name(MOVED, KERNEL, &TakenName { name: t.name, what, notify: t.notify }).unwrap();
        }
    }
    for t in taken.iter().filter(|t| matches!(t.what, Taken::Set(_))) {
        let Taken::Set(members) = &t.what else { continue };
        let what = Taken::Set(members.clone());
        ipc.put_name(MOVED, KERNEL, &TakenName { name: t.name, what, notify: t.notify }).unwrap();
    }
    // The counts are the same once the requests are asked again (each holds a send-once
    // right to the task's port).
    let counted = ipc.counts();
    for t in &taken {
        ipc.put_requests(MOVED, t.name, t.notify).unwrap();
    }
    assert_eq!(ipc.counts(), counted);
    assert_eq!(names(&ipc, MOVED), expected);
    assert_eq!(ipc.names_held(KERNEL), 0, "the kernel keeps nothing");
    assert_eq!(ipc.counts(), before);
    // The queue came along, in order, and is received through the set; the limit holds.
    for id in [10, 11] {
        let got = ipc.receive(MOVED, set).unwrap().0.unwrap();
        assert_eq!((got.port, got.id), (p, id));
    }
    for id in 0..3 {
        ipc.send(B, msg(to_p, Disposition::CopySend, id, vec![])).unwrap();
    }
    assert!(!ipc.has_room(B, to_p).unwrap());
    // Looked at by the port's key, the same.
    let key = ipc.port_key(B, to_p).unwrap();
    assert!(!ipc.key_has_room(key));
    assert!(ipc.has_queued(MOVED, p) && ipc.key_has_queued(key));
    for id in 0..3 {
        assert_eq!(ipc.receive(MOVED, p).unwrap().0.unwrap().id, id);
    }
    assert!(ipc.has_room(B, to_p).unwrap() && ipc.key_has_room(key));
    assert!(!ipc.has_queued(MOVED, p) && !ipc.key_has_queued(key));
    // A key of no port (none, or of another kind) has room, as a dead port has, and nothing
    // queued.
    assert!(ipc.key_has_room(0) && ipc.key_has_room(key + (1 << 32)));
    assert!(!ipc.key_has_queued(0) && !ipc.key_has_queued(key + (1 << 32)));
    // A name in use is refused, and changes nothing.
    let again = TakenName { name: dead, what: Taken::Dead(1), notify: Requests::default() };
    assert_eq!(ipc.put_name(MOVED, KERNEL, &again), Err(IpcError::NameExists));
    // The requests hold where they went: B's port dies, and the dead-name notification comes
    // to the moved port; no-senders comes once B's send right to it goes.
    ipc.destroy(B, q).unwrap();
    let told = ipc.receive(MOVED, p).unwrap().0.unwrap();
    let name_20 = ReceivedItem::Inline(20u32.to_le_bytes().to_vec());
    assert_eq!((told.id, &told.items[..]), (Notify::DEAD_NAME, &[name_20][..]));
    ipc.mod_refs(MOVED, p, RightKind::Send, -3).unwrap();
    ipc.deallocate(B, to_p).unwrap();
    assert_eq!(ipc.receive(MOVED, p).unwrap().0.unwrap().id, Notify::NO_SENDERS);
    // A space with a notification to a port it no longer receives from stays: the request
    // would stay behind.
    let theirs = ipc.allocate(B, RightKind::Receive).unwrap();
    let (to_theirs, _, _) = ipc.give(B, theirs, Disposition::MakeSend, MOVED).unwrap();
    let r = ipc.allocate(MOVED, RightKind::Receive).unwrap();
    ipc.request_notification(MOVED, to_theirs, Notify::DeadName, r).unwrap();
    assert!(ipc.space_can_move(MOVED, 64));
    ipc.insert_right(MOVED, r, Disposition::MoveReceive, B, Name(60)).unwrap();
    assert!(!ipc.space_can_move(MOVED, 64));
    assert!(ipc.take_space(MOVED, KERNEL).is_err());
    assert!(ipc.space_can_move(B, 64) && !ipc.space_can_move(B, 1));
    for task in [A, B, KERNEL, MOVED] {
        ipc.remove_task(task);
    }
    assert_eq!(ipc.counts(), Counts::default());
}

#[test]
fn a_port_is_pristine_while_nothing_but_its_receive_right_names_it() {
    let mut ipc = ipc();
    let p = ipc.allocate(A, RightKind::Receive).unwrap();
    assert!(ipc.is_pristine(A, p));
    assert!(!ipc.is_pristine(B, p) && !ipc.is_pristine(A, Name(9)));
    // A send-once right made, then used: the port is as it was made.
    let (once, _) = ipc.extract_right(A, p, Disposition::MakeSendOnce).unwrap();
    ipc.insert_right(A, once, Disposition::MoveSendOnce, B, Name(60)).unwrap();
    assert!(!ipc.is_pristine(A, p));
    ipc.send(B, msg(Name(60), Disposition::MoveSendOnce, 1, Vec::new())).unwrap();
    assert!(!ipc.is_pristine(A, p), "a message is queued");
    ipc.receive(A, p).unwrap();
    assert!(ipc.is_pristine(A, p));
    // A changed queue limit, or a send right ever made (its make-send count), is for good.
    ipc.set_qlimit(A, p, 1).unwrap();
    assert!(!ipc.is_pristine(A, p));
    ipc.set_qlimit(A, p, QLIMIT_DEFAULT).unwrap();
    assert!(ipc.is_pristine(A, p));
    let s = send_right_to_b(&mut ipc, p);
    ipc.deallocate(B, s).unwrap();
    assert!(!ipc.is_pristine(A, p));
}
