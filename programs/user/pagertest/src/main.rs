//! `pagertest`: external pagers (docs/pagers.md), as a test: a user process serving a memory
//! object through its port, mapped with `vm_map` — pages computed on request
//! (`MO_DATA_REQUEST` answered with `MO_DATA_PROVIDED`), pages without data zero-filled
//! (`MO_DATA_UNAVAILABLE`), two mappings of one object sharing its pages, the object's end
//! (`MO_DATA_WRITE` of its pages, then `MO_TERMINATE`) once it is mapped nowhere, a pager that
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

use ox_ulib::abi::open_flags::{O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use ox_ulib::abi::{
    Errno, Placement, Signal, WaitStatus, MO_DATA_PROVIDED, MO_DATA_REQUEST, MO_DATA_UNAVAILABLE,
    MO_DATA_WRITE, MO_INIT, MO_TERMINATE, SEEK_SET,
};
use ox_ulib::port::{
    self, Got, GotItem, Msg, SendItem, FOREVER, MSG_COPY_SEND, MSG_MAKE_SEND, PORT_RIGHT_RECEIVE,
    PORT_RIGHT_SEND,
};
use ox_ulib::suite::{self, ensure, ok, other_node, reap, refused, spawn, spawn_on, spawn_receiver, Outcome};
use ox_ulib::sys::{self, Pid};
use ox_ulib::vm;

ox_ulib::entry!(main);

/// Bytes of a page.
const PAGE: u32 = 4096;

fn main(_: &[&str]) -> i32 {
    if let Err(e) = sys::set_placement(Placement::Local) {
        ox_ulib::println!("pagertest: place local: {}", e.name());
        return 1;
    }
    let cases: [(&str, fn() -> Outcome); 9] = [
        ("pages computed by the pager", computed),
        ("pages without data are zero-filled", unavailable),
        ("two mappings of one object share its pages", shared),
        ("a bad memory object or size is refused", bad_input),
        ("a pager that dies: SIGBUS", pager_dies),
        ("a pager that never answers: SIGBUS after the timeout", pager_silent),
        ("a pager on another node", remote_pager),
        ("a mapped file: changes reach the file", mapped_file),
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
}

/// The word at byte `offset` of a computed object.
fn computed_word(offset: u32) -> u32 {
    offset / 4 + 7
}

/// Serves the memory object whose receive right is `object` until `MO_TERMINATE`; the exit
/// code says what went wrong (0: nothing).
fn pager(object: u32, how: Serve) -> i32 {
    let mut control = 0;
    loop {
        let Ok(got) = port::receive(object, FOREVER) else { return 10 };
        match got.id {
            MO_INIT => match got.items[..] {
                [GotItem::Port(c, PORT_RIGHT_SEND), GotItem::Inline(ref size)]
                    if size[..] == PAGE.to_le_bytes() =>
                {
                    control = c
                }
                _ => return 11,
            },
            MO_DATA_REQUEST => {
                let Some(offset) = first_word(&got) else { return 12 };
                match how {
                    Serve::Die => sys::exit(0),
                    Serve::Silent => continue,
                    Serve::HalfUnavailable if (offset / PAGE) % 2 == 1 => {
                        let none = Msg::new(control, MSG_COPY_SEND, MO_DATA_UNAVAILABLE, vec![word(offset)]);
                        if port::send(&none, FOREVER).is_err() {
                            return 13;
                        }
                    }
                    Serve::Computed | Serve::HalfUnavailable => {
                        let data: vec::Vec<u8> =
                            (0..PAGE / 4).flat_map(|i| computed_word(offset + 4 * i).to_le_bytes()).collect();
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
            // A computed object has nowhere to keep what was written.
            MO_DATA_WRITE => {}
            MO_TERMINATE => return 0,
            _ => return 15,
        }
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
                let [GotItem::Port(c, PORT_RIGHT_SEND), _] = got.items[..] else { return 33 };
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
