//! `pagertest`: external pagers (docs/pagers.md), as a test: a user process serving a memory
//! object through its port, mapped with `vm_map` — pages computed on request
//! (`MO_DATA_REQUEST` answered with `MO_DATA_PROVIDED`), pages without data zero-filled
//! (`MO_DATA_UNAVAILABLE`), two mappings of one object sharing its pages, lock requests
//! (`MO_LOCK_REQUEST` cleaning, flushing and locking pages, `MO_LOCK_COMPLETED`, a write to a
//! locked page asking `MO_DATA_UNLOCK`), the object's end (`MO_DATA_WRITE` of its written
//! pages, then `MO_TERMINATE`) once it is mapped nowhere, a pager that
//! dies and one that never answers (the faulting process gets `SIGBUS`), a pager on another
//! node, and a mapped file whose changes reach the file.
//!
//! Each case prints `pagertest: NAME: ok` or `pagertest: NAME: FAILED: why`; the last line is
//! `pagertest: N passed, M failed`. The transcript is the same on any node.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use ox_ulib::abi::open_flags::{O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use ox_ulib::abi::{
    Errno, Placement, Signal, WaitStatus, MO_DATA_PROVIDED, MO_DATA_REQUEST, MO_DATA_UNAVAILABLE,
    MO_DATA_UNLOCK, MO_DATA_WRITE, MO_DESTROY, MO_INIT, MO_LOCK_CLEAN, MO_LOCK_COMPLETED, MO_LOCK_FLUSH,
    MO_LOCK_REQUEST, MO_SET_ATTRIBUTES, MO_TERMINATE, SEEK_SET, VM_PROT_WRITE,
};
use ox_ulib::port::{
    self, Got, GotItem, Msg, SendItem, FOREVER, MSG_COPY_SEND, MSG_MAKE_SEND, MSG_MAKE_SEND_ONCE,
    MSG_MOVE_SEND_ONCE, PORT_RIGHT_RECEIVE, PORT_RIGHT_SEND,
};
use ox_ulib::suite::{self, ensure, ok, other_node, reap, refused, spawn, spawn_on, spawn_receiver, Outcome};
use ox_ulib::sys::{self, Pid};
use ox_ulib::{mapfile, vm};

ox_ulib::entry!(main);

/// Bytes of a page.
const PAGE: u32 = 4096;

fn main(_: &[&str]) -> i32 {
    if let Err(e) = sys::set_placement(Placement::Local) {
        ox_ulib::println!("pagertest: place local: {}", e.name());
        return 1;
    }
    let cases: [(&str, fn() -> Outcome); 14] = [
        ("pages computed by the pager", computed),
        ("pages without data are zero-filled", unavailable),
        ("two mappings of one object share its pages", shared),
        ("lock requests clean, flush and lock; a locked page is unlocked", lock_requests),
        ("pages replaced under memory pressure come back from their pager", replaced),
        ("may-cache keeps an unmapped object's pages; destroy ends it: SIGBUS", cached_then_destroyed),
        ("a bad memory object or size is refused", bad_input),
        ("a pager that dies: SIGBUS", pager_dies),
        ("a pager that never answers: SIGBUS after the timeout", pager_silent),
        ("a pager on another node", remote_pager),
        ("a mapped file: changes reach the file", mapped_file),
        (
            "the system's file pager: sync, a child's changes, changes at exit, system calls on it",
            system_file_pager,
        ),
        ("no frame leaks: objects ended, a pager dead, an object destroyed", no_frame_leaks),
        ("nothing left: no port, name or message on either node", nothing_left),
    ];
    suite::run("pagertest", cases)
}

/// How a pager answers a request for the page at an offset.
#[derive(Clone, Copy)]
enum Serve {
    /// Every word is its offset in the object divided by 4, plus 7.
    Computed,
    /// Even pages computed, odd ones unavailable.
    HalfUnavailable,
    /// Dies at the first request.
    Die,
    /// Never answers.
    Silent,
    /// Computed, but a page written back is kept (as a bit: its first word must be the
    /// complement of the computed one) and provided so afterwards.
    Store,
}

/// The word at byte `offset` of a computed object.
fn computed_word(offset: u32) -> u32 {
    offset / 4 + 7
}

/// Serves the memory object whose receive right is `object` until `MO_TERMINATE`; the exit
/// code says what went wrong (0: nothing).
fn pager(object: u32, how: Serve) -> i32 {
    let mut control = 0;
    let (mut requests, mut unlocks, mut writes, mut wrong) = (0, 0, 0, 0);
    // The offsets of the pages written back, in order (`Serve::Store`).
    let mut stored: Vec<u32> = Vec::new();
    // A test command's reply right and what came back, while its lock request is under way.
    let mut collecting: Option<(u32, Vec<u32>)> = None;
    loop {
        let Ok(got) = port::receive(object, FOREVER) else { return 10 };
        match got.id {
            MO_INIT => match got.items[..] {
                [GotItem::Port(c, PORT_RIGHT_SEND), GotItem::Inline(ref size), GotItem::Inline(ref node)]
                    if size[..] == PAGE.to_le_bytes() && node.len() == 4 =>
                {
                    control = c
                }
                _ => return 11,
            },
            MO_DATA_REQUEST => {
                let Some(offset) = first_word(&got) else { return 12 };
                requests += 1;
                match how {
                    Serve::Die => sys::exit(0),
                    Serve::Silent => continue,
                    Serve::HalfUnavailable if (offset / PAGE) % 2 == 1 => {
                        let none = Msg::new(control, MSG_COPY_SEND, MO_DATA_UNAVAILABLE, vec![word(offset)]);
                        if port::send(&none, FOREVER).is_err() {
                            return 13;
                        }
                    }
                    Serve::Computed | Serve::HalfUnavailable | Serve::Store => {
                        let mut data: Vec<u8> =
                            (0..PAGE / 4).flat_map(|i| computed_word(offset + 4 * i).to_le_bytes()).collect();
                        if stored.contains(&offset) {
                            data[..4].copy_from_slice(&(!computed_word(offset)).to_le_bytes());
                        }
                        let page = Msg::new(
                            control,
                            MSG_COPY_SEND,
                            MO_DATA_PROVIDED,
                            vec![word(offset), SendItem::Inline(data)],
                        );
                        if port::send(&page, FOREVER).is_err() {
                            return 14;
                        }
                    }
                }
            }
            // A computed object has nowhere to keep what was written; while a lock request is
            // under way the test is told what came back.
            MO_DATA_WRITE => {
                let (Some(offset), Some(GotItem::Inline(data))) = (first_word(&got), got.items.get(1)) else {
                    return 22;
                };
                let first = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
                if let Some((_, written)) = collecting.as_mut() {
                    written.extend([offset, first]);
                }
                if let Serve::Store = how {
                    writes += 1;
                    if first != !computed_word(offset) {
                        wrong += 1;
                    }
                    if let Err(at) = stored.binary_search(&offset) {
                        stored.insert(at, offset);
                    }
                }
            }
            MO_DATA_UNLOCK => {
                let Some(offset) = first_word(&got) else { return 16 };
                unlocks += 1;
                let grant = lock_request(control, [offset, PAGE, 0, 0], None);
                if port::send(&grant, FOREVER).is_err() {
                    return 17;
                }
            }
            TEST_CLEAN | TEST_FLUSH | TEST_LOCK => {
                let (flags, lock) = match got.id {
                    TEST_CLEAN => (MO_LOCK_CLEAN, 0),
                    TEST_FLUSH => (MO_LOCK_FLUSH, 0),
                    _ => (0, VM_PROT_WRITE),
                };
                let request = lock_request(control, [0, 3 * PAGE, flags, lock], Some(object));
                if port::send(&request, FOREVER).is_err() {
                    return 18;
                }
                collecting = Some((got.reply.0, Vec::new()));
            }
            MO_LOCK_COMPLETED => {
                let Some((reply, written)) = collecting.take() else { return 19 };
                if answer(reply, &written).is_err() {
                    return 20;
                }
            }
            TEST_COUNT => {
                if answer(got.reply.0, &[requests, unlocks, writes, wrong]).is_err() {
                    return 21;
                }
            }
            TEST_CACHE | TEST_DESTROY => {
                let told = if got.id == TEST_CACHE {
                    Msg::new(control, MSG_COPY_SEND, MO_SET_ATTRIBUTES, vec![word(1)])
                } else {
                    Msg::new(control, MSG_COPY_SEND, MO_DESTROY, Vec::new())
                };
                if port::send(&told, FOREVER).is_err() || answer(got.reply.0, &[]).is_err() {
                    return 23;
                }
            }
            MO_TERMINATE => return 0,
            _ => return 15,
        }
    }
}

/// Test → pager, with a reply right: make a lock request cleaning the object's three pages;
/// answered, once it completes, with the words (offset, first word) of each page written back.
const TEST_CLEAN: u32 = 0x7e57_0001;
/// The same, flushing.
const TEST_FLUSH: u32 = 0x7e57_0002;
/// The same, locking the pages against writes (nothing is written back).
const TEST_LOCK: u32 = 0x7e57_0003;
/// Test → pager: answered with four words: the pages asked for, the unlocks asked, the pages
/// written back and those written back wrong (`Serve::Store`).
const TEST_COUNT: u32 = 0x7e57_0004;

/// Test → pager, with a reply right: set the object's may-cache attribute
/// (`MO_SET_ATTRIBUTES`), then answer.
const TEST_CACHE: u32 = 0x7e57_0005;
/// Test → pager, with a reply right: destroy the object (`MO_DESTROY`), then answer.
const TEST_DESTROY: u32 = 0x7e57_0006;

/// A lock request of `words` (offset, length, flags, lock) on `control`, its completion to be
/// sent to `reply` (a receive right) if any.
fn lock_request(control: u32, words: [u32; 4], reply: Option<u32>) -> Msg {
    let bytes = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut msg = Msg::new(control, MSG_COPY_SEND, MO_LOCK_REQUEST, vec![SendItem::Inline(bytes)]);
    if let Some(reply) = reply {
        msg.reply = (reply, MSG_MAKE_SEND_ONCE);
    }
    msg
}

/// Answers a test's command on its send-once `reply` right with `words`.
fn answer(reply: u32, words: &[u32]) -> Result<(), Errno> {
    let bytes = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    port::send(&Msg::new(reply, MSG_MOVE_SEND_ONCE, TEST_COUNT, vec![SendItem::Inline(bytes)]), FOREVER)
}

/// Sends a test command to the pager of `object`; the words it answers.
fn command(object: u32, id: u32) -> Result<Vec<u32>, String> {
    let got = ok("the pager's answer", port::rpc(object, id, Vec::new(), FOREVER))?;
    match got.items.first() {
        Some(GotItem::Inline(b)) => {
            Ok(b.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect())
        }
        _ => Err(String::from("the pager's answer has no words")),
    }
}

/// A file pager: serves the file at `path` as the memory object `object` — a page asked for is
/// read from the file (zeros past its end), a page written back is written to it (up to the
/// file's size, which does not change) — until `MO_TERMINATE`; the exit code says what went
/// wrong (0: nothing).
fn file_pager(object: u32, path: &str) -> i32 {
    let Ok(fd) = sys::open(path, O_RDWR) else { return 30 };
    let Ok(size) = sys::fstat(fd).map(|s| s.size) else { return 31 };
    let mut control = 0;
    loop {
        let Ok(got) = port::receive(object, FOREVER) else { return 32 };
        match got.id {
            MO_INIT => {
                let [GotItem::Port(c, PORT_RIGHT_SEND), _, _] = got.items[..] else { return 33 };
                control = c;
            }
            MO_DATA_REQUEST => {
                let Some(offset) = first_word(&got) else { return 34 };
                let mut page = vec![0u8; PAGE as usize];
                let read = sys::lseek(fd, offset as i32, SEEK_SET).and_then(|_| sys::read(fd, &mut page));
                let Ok(n) = read else { return 35 };
                page.truncate(n);
                let items = vec![word(offset), SendItem::Inline(page)];
                if port::send(&Msg::new(control, MSG_COPY_SEND, MO_DATA_PROVIDED, items), FOREVER).is_err() {
                    return 36;
                }
            }
            MO_DATA_WRITE => {
                let (Some(offset), Some(GotItem::Inline(data))) = (first_word(&got), got.items.get(1)) else {
                    return 37;
                };
                let keep = (size.saturating_sub(offset) as usize).min(data.len());
                let written =
                    sys::lseek(fd, offset as i32, SEEK_SET).and_then(|_| sys::write_all(fd, &data[..keep]));
                if keep > 0 && written.is_err() {
                    return 38;
                }
            }
            MO_TERMINATE => return i32::from(sys::close(fd).is_err()),
            _ => return 39,
        }
    }
}

fn word(value: u32) -> SendItem {
    SendItem::Inline(value.to_le_bytes().to_vec())
}

/// The first inline word of a message.
fn first_word(got: &Got) -> Option<u32> {
    match got.items.first() {
        Some(GotItem::Inline(b)) if b.len() >= 4 => Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => None,
    }
}

/// A pager child serving a new memory object `how`: a send right to the object, and its pid.
fn start_pager(how: Serve) -> Result<(u32, Pid), String> {
    spawn_receiver(move |object| pager(object, how))
}

/// The word at `addr` (mapped).
fn read(addr: u32) -> u32 {
    // Safety: the callers read mapped memory of this process.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn write(addr: u32, value: u32) {
    // Safety: the callers write mapped, writable memory of this process.
    unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
}

/// Unmaps a mapping; the pager ends once the object is mapped nowhere.
fn unmap(addr: u32, size: u32) -> Outcome {
    // Safety: nothing refers to the mapping after this.
    unsafe { ok("vm_deallocate", vm::deallocate(addr, size)) }
}

fn computed() -> Outcome {
    let (object, child) = start_pager(Serve::Computed)?;
    let at = ok("vm_map", port::vm_map(object, 3 * PAGE))?;
    for offset in [0, PAGE + 8, 2 * PAGE + 4092] {
        let got = read(at + offset);
        ensure(got == computed_word(offset), || format!("word at {offset}: {got}"))?;
    }
    write(at + PAGE, 99);
    ensure(read(at + PAGE) == 99, || String::from("a write did not stay"))?;
    unmap(at, 3 * PAGE)?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the pager: exit {code}"))?;
    ok("deallocate", port::deallocate(object))
}

fn lock_requests() -> Outcome {
    let (object, child) = start_pager(Serve::Computed)?;
    let at = ok("vm_map", port::vm_map(object, 3 * PAGE))?;
    ensure(read(at) == computed_word(0), || String::from("page 0 reads wrong"))?;
    write(at + PAGE, 0xfeed_0001);
    let cleaned = command(object, TEST_CLEAN)?;
    ensure(cleaned == [PAGE, 0xfeed_0001], || format!("a clean sent back {cleaned:x?}, not page 1 alone"))?;
    let again = command(object, TEST_CLEAN)?;
    ensure(again.is_empty(), || format!("a second clean sent back {again:x?}"))?;
    write(at + PAGE, 0xfeed_0002);
    let flushed = command(object, TEST_FLUSH)?;
    ensure(flushed == [PAGE, 0xfeed_0002], || {
        format!("a flush sent back {flushed:x?}: the write after the clean was missed")
    })?;
    let got = read(at + PAGE);
    ensure(got == computed_word(PAGE), || format!("a flushed page reads {got:#x}, not the pager's again"))?;
    ensure(read(at) == computed_word(0), || String::from("page 0 reads wrong after the flush"))?;
    let counts = command(object, TEST_COUNT)?;
    ensure(counts[..2] == [4, 0], || format!("(pages asked, unlocks asked) {counts:?}, not [4, 0]"))?;
    let locked = command(object, TEST_LOCK)?;
    ensure(locked.is_empty(), || format!("a lock sent back {locked:x?}"))?;
    ensure(read(at) == computed_word(0), || String::from("a page locked against writes cannot be read"))?;
    write(at, 5);
    ensure(read(at) == 5, || String::from("the write after the unlock did not stay"))?;
    let counts = command(object, TEST_COUNT)?;
    ensure(counts[..2] == [4, 1], || format!("(pages asked, unlocks asked) {counts:?}, not [4, 1]"))?;
    unmap(at, 3 * PAGE)?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the pager: exit {code}"))?;
    ok("deallocate", port::deallocate(object))
}

fn cached_then_destroyed() -> Outcome {
    let (object, child) = start_pager(Serve::Computed)?;
    let at = ok("vm_map", port::vm_map(object, 2 * PAGE))?;
    ensure(read(at) == computed_word(0), || String::from("page 0 reads wrong"))?;
    write(at + PAGE, 77);
    command(object, TEST_CACHE)?;
    unmap(at, 2 * PAGE)?;
    let again = ok("vm_map again", port::vm_map(object, 2 * PAGE))?;
    ensure(read(again + PAGE) == 77, || String::from("the cached object lost a written page"))?;
    let counts = command(object, TEST_COUNT)?;
    ensure(counts[..3] == [2, 0, 0], || {
        format!("(asked, unlocks, written back) {:?}: the object was not kept", &counts[..3])
    })?;
    command(object, TEST_DESTROY)?;
    let toucher = spawn(move || i32::from(read(again) == 0))?;
    let status = ok("wait", sys::wait(Some(toucher)))?.1;
    unmap(again, 2 * PAGE)?;
    let code = reap(child)?;
    ok("deallocate", port::deallocate(object))?;
    ensure(status == WaitStatus::Signaled(Signal::Bus), || {
        format!("a toucher of the destroyed object ended {status:?}")
    })?;
    ensure(code == 0, || format!("the pager: exit {code}"))
}

/// Frames `replaced` leaves free before it maps an object larger than them.
const PRESSURE_FREE: u32 = 600;
/// Pages of that object beyond the free frames.
const PRESSURE_EXCESS: u32 = 300;

fn replaced() -> Outcome {
    let node = suite::my_node()?;
    // Anonymous memory takes all but PRESSURE_FREE frames, so that the object's pages must
    // replace one another whatever the node's memory.
    let free = ok("stats", sys::stats(node))?.free_frames;
    let hog_pages = free.saturating_sub(PRESSURE_FREE);
    let hog = ok("vm_allocate", vm::allocate(vm::Place::Anywhere(0), hog_pages.max(1) * PAGE))?;
    for p in 0..hog_pages {
        write(hog + p * PAGE, p);
    }
    let pages = ok("stats", sys::stats(node))?.free_frames + PRESSURE_EXCESS;
    let (object, child) = start_pager(Serve::Store)?;
    let at = ok("vm_map", port::vm_map(object, pages * PAGE))?;
    for p in 0..pages {
        write(at + p * PAGE, !computed_word(p * PAGE));
    }
    let mut bad = 0;
    for p in 0..pages {
        bad += u32::from(read(at + p * PAGE) != !computed_word(p * PAGE));
        bad += u32::from(read(at + p * PAGE + 4) != computed_word(p * PAGE + 4));
    }
    let counts = command(object, TEST_COUNT)?;
    unmap(at, pages * PAGE)?;
    unmap(hog, hog_pages.max(1) * PAGE)?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the pager: exit {code}"))?;
    ok("deallocate", port::deallocate(object))?;
    ensure(bad == 0, || format!("{bad} words read back wrong"))?;
    ensure(counts[2] >= PRESSURE_EXCESS && counts[3] == 0, || {
        format!("{} pages went back to the pager, {} of them wrong", counts[2], counts[3])
    })
}

fn unavailable() -> Outcome {
    let (object, child) = start_pager(Serve::HalfUnavailable)?;
    let at = ok("vm_map", port::vm_map(object, 2 * PAGE))?;
    ensure(read(at + PAGE + 40) == 0, || String::from("an unavailable page is not zero"))?;
    ensure(read(at + 40) == computed_word(40), || String::from("a provided page is wrong"))?;
    unmap(at, 2 * PAGE)?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the pager: exit {code}"))?;
    ok("deallocate", port::deallocate(object))
}

fn shared() -> Outcome {
    let (object, child) = start_pager(Serve::Computed)?;
    let a = ok("vm_map", port::vm_map(object, 2 * PAGE))?;
    let b = ok("vm_map again", port::vm_map(object, PAGE))?;
    ensure(a != b, || String::from("one address for two mappings"))?;
    write(a + 16, 1234);
    ensure(read(b + 16) == 1234, || format!("the second mapping reads {}", read(b + 16)))?;
    // A child by fork shares them too.
    let toucher = spawn(move || i32::from(read(a + 16) != 1234))?;
    let code = reap(toucher)?;
    ensure(code == 0, || String::from("the forked child does not see the write"))?;
    unmap(b, PAGE)?;
    unmap(a, 2 * PAGE)?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the pager: exit {code}"))?;
    ok("deallocate", port::deallocate(object))
}

fn bad_input() -> Outcome {
    refused("vm_map of a name that is nothing", port::vm_map(4242, PAGE), Errno::BadName)?;
    let receive = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    refused("vm_map of a receive right", port::vm_map(receive, PAGE), Errno::BadRight)?;
    let send = ok("make send", port::extract_right(receive, MSG_MAKE_SEND))?;
    refused("vm_map of 0 bytes", port::vm_map(send, 0), Errno::Inval)?;
    refused("vm_map of a part of a page", port::vm_map(send, 100), Errno::Inval)?;
    ok("deallocate", port::deallocate(send))?;
    ok("destroy", port::destroy(receive))
}

/// Maps an object of pager `how` and has a child touch it; the child's end.
fn touched_by_child(how: Serve) -> Result<(WaitStatus, Pid, u32), String> {
    let (object, pager) = start_pager(how)?;
    let at = ok("vm_map", port::vm_map(object, PAGE))?;
    let toucher = spawn(move || i32::from(read(at) == 0))?;
    let status = ok("wait", sys::wait(Some(toucher)))?.1;
    unmap(at, PAGE)?;
    ok("deallocate", port::deallocate(object))?;
    Ok((status, pager, object))
}

fn pager_dies() -> Outcome {
    let (status, pager, _) = touched_by_child(Serve::Die)?;
    ensure(status == WaitStatus::Signaled(Signal::Bus), || format!("the toucher ended {status:?}"))?;
    let code = reap(pager)?;
    ensure(code == 0, || format!("the pager: exit {code}"))
}

fn pager_silent() -> Outcome {
    let start = sys::uptime();
    let (status, pager, _) = touched_by_child(Serve::Silent)?;
    let waited = sys::uptime() - start;
    ensure(status == WaitStatus::Signaled(Signal::Bus), || format!("the toucher ended {status:?}"))?;
    ensure(waited >= 2000, || format!("SIGBUS after {waited} ticks"))?;
    // The object is mapped nowhere: the pager is told, and ends.
    let code = reap(pager)?;
    ensure(code == 0, || format!("the pager: exit {code}"))
}

fn mapped_file() -> Outcome {
    let path = format!("/pagertest.{}", sys::getpid());
    let mut content = vec![b'A'; PAGE as usize];
    content.extend_from_slice(&[b'B'; 100]);
    let fd = ok("create", sys::open(&path, O_CREAT | O_TRUNC | O_WRONLY))?;
    ok("write", sys::write_all(fd, &content))?;
    ok("close", sys::close(fd))?;
    let served = path.clone();
    let (send, pager) = spawn_receiver(move |object| file_pager(object, &served))?;
    let at = ok("vm_map", port::vm_map(send, 2 * PAGE))?;
    let byte = |offset: u32| (read(at + offset / 4 * 4) >> (8 * (offset % 4))) as u8;
    ensure(byte(0) == b'A' && byte(PAGE) == b'B' && byte(PAGE + 100) == 0, || {
        format!("the mapping reads {:?}", [byte(0), byte(PAGE), byte(PAGE + 100)])
    })?;
    write(at + 8, u32::from_le_bytes(*b"map!"));
    write(at + PAGE + 4, u32::from_le_bytes(*b"ped!"));
    unmap(at, 2 * PAGE)?;
    let code = reap(pager)?;
    ensure(code == 0, || format!("the pager: exit {code}"))?;
    ok("deallocate", port::deallocate(send))?;
    let fd = ok("open", sys::open(&path, O_RDONLY))?;
    let back = ok("read", sys::read_to_end(fd))?;
    ok("close", sys::close(fd))?;
    ok("unlink", sys::unlink(&path))?;
    content[8..12].copy_from_slice(b"map!");
    content[PAGE as usize + 4..PAGE as usize + 8].copy_from_slice(b"ped!");
    ensure(back == content, || {
        format!("the file has {} bytes, the changes: {:?}", back.len(), back.get(8..12))
    })
}

/// The bytes of the file at `path`.
fn file_bytes(path: &str) -> Result<Vec<u8>, String> {
    let fd = ok("open", sys::open(path, O_RDONLY))?;
    let bytes = ok("read", sys::read_to_end(fd))?;
    ok("close", sys::close(fd))?;
    Ok(bytes)
}

/// Makes the file at `path` hold `content`.
fn make_file(path: &str, content: &[u8]) -> Outcome {
    let fd = ok("create", sys::open(path, O_CREAT | O_TRUNC | O_WRONLY))?;
    ok("write", sys::write_all(fd, content))?;
    ok("close", sys::close(fd))
}

fn system_file_pager() -> Outcome {
    let path = format!("/pagertest.map.{}", sys::getpid());
    let mut content = vec![b'a'; 5000];
    make_file(&path, &content)?;
    let mapped = ok("map the file", mapfile::map(&path))?;
    ensure(mapped.size == 5000, || format!("the mapping says {} bytes", mapped.size))?;
    ensure(read(mapped.addr) == u32::from_le_bytes(*b"aaaa"), || {
        String::from("the mapping does not read the file")
    })?;
    write(mapped.addr + 4, u32::from_le_bytes(*b"MAP!"));
    ok("sync", mapfile::sync(&mapped))?;
    content[4..8].copy_from_slice(b"MAP!");
    ensure(file_bytes(&path)? == content, || String::from("read does not see the change after sync"))?;
    // A child shares the mapping: its change is the parent's.
    let at = mapped.addr;
    let child = spawn(move || {
        write(at + PAGE + 8, u32::from_le_bytes(*b"KID!"));
        0
    })?;
    reap(child)?;
    // Safety: nothing uses the region after this.
    ok("unmap", unsafe { mapfile::unmap(&mapped) })?;
    content[PAGE as usize + 8..PAGE as usize + 12].copy_from_slice(b"KID!");
    ensure(file_bytes(&path)? == content, || {
        String::from("read does not see the child's change after unmap")
    })?;
    // A process that ends with the file mapped: the change follows.
    let served = path.clone();
    let child = spawn(move || match mapfile::map(&served) {
        Ok(mapped) => {
            write(mapped.addr + 100, u32::from_le_bytes(*b"END!"));
            0
        }
        Err(_) => 1,
    })?;
    ensure(reap(child)? == 0, || String::from("the child could not map the file"))?;
    content[100..104].copy_from_slice(b"END!");
    let mut seen = false;
    for _ in 0..200 {
        if file_bytes(&path)? == content {
            seen = true;
            break;
        }
        ok("sleep", sys::sleep(1))?;
    }
    // System calls given pages of the mapping not touched yet wait for the pager.
    let mapped = ok("map the file again", mapfile::map(&path))?;
    let copy = format!("{path}.copy");
    let fd = ok("create", sys::open(&copy, O_CREAT | O_TRUNC | O_RDWR))?;
    // Safety: the region is mapped and 5000 bytes long.
    let region = unsafe { core::slice::from_raw_parts((mapped.addr + PAGE) as *const u8, 904) };
    let wrote = sys::write_all(fd, region);
    ok("lseek", sys::lseek(fd, 0, SEEK_SET))?;
    // Safety: as above, and nothing else refers to these bytes.
    let into = unsafe { core::slice::from_raw_parts_mut((mapped.addr + 2000) as *mut u8, 16) };
    let read_in = sys::read(fd, into);
    ok("close", sys::close(fd))?;
    ok("unlink", sys::unlink(&copy))?;
    ok("write from an untouched page of the mapping", wrote)?;
    ensure(read_in == Ok(16), || format!("read into the mapping: {read_in:?}"))?;
    // Safety: nothing uses the region after this.
    ok("unmap", unsafe { mapfile::unmap(&mapped) })?;
    let expected_copy = content[PAGE as usize..PAGE as usize + 16].to_vec();
    content[2000..2016].copy_from_slice(&expected_copy);
    ensure(file_bytes(&path)? == content, || {
        String::from("read or write through an untouched mapping went wrong")
    })?;
    // The pagers hold the file open until they end, just after their objects.
    for _ in 0..200 {
        match sys::unlink(&path) {
            Err(Errno::Busy) => ok("sleep", sys::sleep(1))?,
            done => {
                ok("unlink", done)?;
                break;
            }
        }
    }
    ensure(seen, || String::from("a change made by a process that ended did not reach the file"))
}

/// The node's free frames once the objects of ended cases have gone (each ends at a tick).
fn settled_free_frames(node: u32) -> Result<u32, String> {
    let mut free = ok("stats", sys::stats(node))?.free_frames;
    for _ in 0..20 {
        ok("sleep", sys::sleep(1))?;
        let now = ok("stats", sys::stats(node))?.free_frames;
        if now == free {
            break;
        }
        free = now;
    }
    Ok(free)
}

fn no_frame_leaks() -> Outcome {
    let node = suite::my_node()?;
    let before = settled_free_frames(node)?;
    let child = spawn(|| {
        let cases: [fn() -> Outcome; 3] = [computed, pager_dies, cached_then_destroyed];
        i32::from(cases.into_iter().any(|case| case().is_err()))
    })?;
    let code = reap(child)?;
    ensure(code == 0, || String::from("a case failed in the child"))?;
    let after = settled_free_frames(node)?;
    ensure(after == before, || format!("{before} frames free before, {after} after"))
}

/// Every object ended and its pager with it: no port, name or message on this node or the
/// other (once the last words have crossed).
fn nothing_left() -> Outcome {
    suite::no_ports_left()
}

fn remote_pager() -> Outcome {
    let name = format!("pagertest.{}.object", sys::getpid());
    let registered = name.clone();
    let child = spawn_on(other_node()?, move || {
        let Ok(object) = port::allocate(PORT_RIGHT_RECEIVE) else { return 20 };
        if port::register(&registered, object, MSG_MAKE_SEND).is_err() {
            return 21;
        }
        pager(object, Serve::Computed)
    })?;
    let mut found = port::lookup(&name);
    while found == Err(Errno::NoEnt) {
        ok("sleep", sys::sleep(1))?;
        found = port::lookup(&name);
    }
    let object = ok("lookup", found)?;
    let at = ok("vm_map", port::vm_map(object, 2 * PAGE))?;
    for offset in [4, PAGE + 4000] {
        let got = read(at + offset);
        ensure(got == computed_word(offset), || format!("word at {offset}: {got}"))?;
    }
    unmap(at, 2 * PAGE)?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the pager: exit {code}"))?;
    ok("deallocate", port::deallocate(object))
}
