//! The switch of the prefetch cache (docs/migration.md, "The prefetch cache"; MOSIX): whether
//! a satellite sends each forwarded call with the buffers it reads, and its stub returns what
//! the call writes with the reply — one round trip a call — or sends the registers only,
//! leaving its stub to reach the caller's memory a copy at a time ([`user`](crate::user)).
//!
//! The cache is on at boot. The switch is the whole system's and the central's, turned by the
//! superuser (`prefetch(setting)`); the central tells every satellite (`Prefetch`), and a
//! satellite that boots again when it is off. A call says how it was sent (`StubExecutes` or
//! `StubFetches`), so a call crossing a change is served as it was sent.

use ox_abi::{Errno, BALANCE_OFF, BALANCE_ON, BALANCE_READ};
use ox_kcore::global::Global;
use ox_kcore::task::proc::table;
use ox_proto::{Message, Request};

use crate::proc::CentralProc;
use crate::remote;

/// Whether forwarded calls carry their buffers.
static ON: Global<bool> = Global::new("prefetch cache", true);

/// `prefetch(setting)`: turns the cache on or off, or only reads it; the previous setting.
pub fn set(setting: u32) -> Result<u32, Errno> {
    let on = match setting {
        BALANCE_OFF => Some(false),
        BALANCE_ON => Some(true),
        BALANCE_READ => None,
        _ => return Err(Errno::Inval),
    };
    let old = *ON.lock();
    if let Some(on) = on.filter(|on| *on != old) {
        if table().current().central_ref().uid != 0 {
            return Err(Errno::Perm);
        }
        *ON.lock() = on;
        for (link, _) in remote::satellites() {
            remote::send(link, &Message::request(0, Request::Prefetch(on)));
        }
    }
    Ok(u32::from(old))
}

/// The satellite of `link` booted again, with the cache on: tells it when it is off.
pub fn back(link: usize) {
    if !*ON.lock() {
        remote::send(link, &Message::request(0, Request::Prefetch(false)));
    }
}
