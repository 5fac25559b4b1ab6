//! `kv`: a key-value store served through Mach ports (docs/ports.md), the example of ports
//! across nodes. One program, two roles:
//!
//! - `kv serve [NAME]`: the server. It makes a port, registers it in the name service under
//!   NAME (`kv` by default), says so, and answers requests until `kv quit`.
//! - `kv put KEY VALUE`, `kv get KEY`, `kv del KEY`, `kv list`, `kv quit`: a client. It looks the
//!   server up by the name `kv` (the name service is on the central, reachable from every node)
//!   and makes one RPC.
//! - `kv watch`: waits until the server's port dies (its task ended, or its node did) and says
//!   so: a dead-name notification across nodes.
//!
//! The server and its clients may run on any nodes: `place 1 kv serve &`, then
//! `place 2 kv put colour blue`, `place 3 kv get colour`.
//!
//! Requests (`id`, inline items) and answers (`id + 100`; an errno word first):
//!
//! | id | request | answer |
//! |---|---|---|
//! | 1 | put: key, value | 0 |
//! | 2 | get: key | 0 and the value, or `ENOENT` |
//! | 3 | del: key | 0, or `ENOENT` |
//! | 4 | list | 0 and the keys, one a line, in order |
//! | 5 | quit | 0; the server ends |
//!
//! Exit status: 0, 1 when the server answers an error (`kv: get colour: ENOENT`) or cannot
//! be reached, 2 for a usage error.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use ox_ulib::abi::Errno;
use ox_ulib::port::{
    self, Got, GotItem, Msg, SendItem, FOREVER, MSG_MAKE_SEND, MSG_MOVE_SEND_ONCE, NOTIFY_DEAD_NAME,
    PORT_RIGHT_RECEIVE, PORT_RIGHT_SEND_ONCE,
};
use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

const PUT: u32 = 1;
const GET: u32 = 2;
const DEL: u32 = 3;
const LIST: u32 = 4;
const QUIT: u32 = 5;
/// An answer's id is its request's plus this.
const ANSWER: u32 = 100;
/// The longest key or value.
const MAX_LEN: usize = 1024;

const USAGE: &str = "usage: kv serve [NAME] | put KEY VALUE | get KEY | del KEY | list | quit | watch";

fn main(args: &[&str]) -> i32 {
    let request = match args.get(1..).unwrap_or(&[]) {
        ["serve"] => return serve("kv"),
        ["serve", name] => return serve(name),
        ["watch"] => return watch(),
        ["put", key, value] => (PUT, vec![*key, *value]),
        ["get", key] => (GET, vec![*key]),
        ["del", key] => (DEL, vec![*key]),
        ["list"] => (LIST, vec![]),
        ["quit"] => (QUIT, vec![]),
        _ => {
            eprintln!("{USAGE}");
            return 2;
        }
    };
    client(args[1], request)
}

/// One request to the server registered as `kv`; prints what a get or a list answers.
fn client(what: &str, (id, words): (u32, Vec<&str>)) -> i32 {
    let server = match port::lookup("kv") {
        Ok(server) => server,
        Err(e) => {
            eprintln!("kv: no server: {}", e.name());
            return 1;
        }
    };
    let items = words.iter().map(|w| SendItem::Inline(w.as_bytes().to_vec())).collect();
    let answer = port::rpc(server, id, items, FOREVER);
    let _ = port::deallocate(server);
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("kv: {what}: the server did not answer: {}", e.name());
            return 1;
        }
    };
    match (status(&answer), answer.items.get(1)) {
        (Ok(()), Some(GotItem::Inline(text))) => {
            let text = String::from_utf8_lossy(text);
            if !text.is_empty() {
                println!("{}", text.trim_end_matches('\n'));
            }
            0
        }
        (Ok(()), _) => 0,
        (Err(e), _) => {
            eprintln!("kv: {what}: {}", e.name());
            1
        }
    }
}

/// The errno word an answer opens with.
fn status(got: &Got) -> Result<(), Errno> {
    match got.items.first() {
        Some(GotItem::Inline(b)) if b.len() == 4 => match u32::from_le_bytes([b[0], b[1], b[2], b[3]]) {
            0 => Ok(()),
            n => Err(Errno::ALL.into_iter().find(|e| *e as u32 == n).unwrap_or(Errno::Inval)),
        },
        _ => Err(Errno::Inval),
    }
}

/// The server: answers requests on a port registered as `name` until `quit`.
fn serve(name: &str) -> i32 {
    let inbox = match port::allocate(PORT_RIGHT_RECEIVE)
        .and_then(|p| port::register(name, p, MSG_MAKE_SEND).map(|()| p))
    {
        Ok(inbox) => inbox,
        Err(e) => {
            eprintln!("kv: cannot serve {name}: {}", e.name());
            return 1;
        }
    };
    println!("kv: serving {name} (pid {})", sys::getpid());
    let mut store: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    loop {
        let request = match port::receive(inbox, FOREVER) {
            Ok(request) => request,
            Err(e) => {
                eprintln!("kv: receive: {}", e.name());
                return 1;
            }
        };
        let (answer, quit) = answer(&mut store, &request);
        if request.reply.1 == PORT_RIGHT_SEND_ONCE {
            let items = answer_items(answer);
            let _ = port::send(&Msg::new(request.reply.0, MSG_MOVE_SEND_ONCE, request.id + ANSWER, items), 0);
        } else if request.reply.0 != 0 {
            let _ = port::deallocate(request.reply.0);
        }
        for item in &request.items {
            if let GotItem::Port(name, _) = item {
                let _ = port::destroy(*name);
            }
        }
        if quit {
            let _ = port::destroy(inbox);
            return 0;
        }
    }
}

/// The answer to `request`: its errno word's value and its text, and whether to end.
fn answer(store: &mut BTreeMap<Vec<u8>, Vec<u8>>, request: &Got) -> (Result<Option<Vec<u8>>, Errno>, bool) {
    let mut words = Vec::new();
    for item in &request.items {
        match item {
            GotItem::Inline(bytes) if bytes.len() <= MAX_LEN => words.push(bytes.clone()),
            _ => return (Err(Errno::Inval), false),
        }
    }
    let result = match (request.id, &words[..]) {
        (PUT, [key, value]) => {
            store.insert(key.clone(), value.clone());
            Ok(None)
        }
        (GET, [key]) => store.get(key).cloned().map(Some).ok_or(Errno::NoEnt),
        (DEL, [key]) => store.remove(key).map(|_| None).ok_or(Errno::NoEnt),
        (LIST, []) => Ok(Some(store.keys().flat_map(|k| k.iter().copied().chain([b'\n'])).collect())),
        (QUIT, []) => return (Ok(None), true),
        _ => Err(Errno::Inval),
    };
    (result, false)
}

fn answer_items(answer: Result<Option<Vec<u8>>, Errno>) -> Vec<SendItem> {
    let word = |n: u32| SendItem::Inline(n.to_le_bytes().to_vec());
    match answer {
        Ok(None) => vec![word(0)],
        Ok(Some(text)) => vec![word(0), SendItem::Inline(text)],
        Err(e) => vec![word(e as u32)],
    }
}

/// Waits until the server's port dies.
fn watch() -> i32 {
    let watched = port::lookup("kv").and_then(|server| {
        let note = port::allocate(PORT_RIGHT_RECEIVE)?;
        port::request_notification(server, NOTIFY_DEAD_NAME, note)?;
        println!("kv: watching the server");
        port::receive(note, FOREVER)
    });
    match watched {
        Ok(note) if note.id == NOTIFY_DEAD_NAME => {
            println!("kv: the server is gone");
            0
        }
        Ok(note) => {
            eprintln!("kv: watch: unexpected message {:#x}", note.id);
            1
        }
        Err(e) => {
            eprintln!("kv: watch: {}", e.name());
            1
        }
    }
}
