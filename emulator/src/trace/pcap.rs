//! A trace as a pcap capture for Wireshark.
//!
//! The classic pcap format with nanosecond timestamps (magic `0xa1b23c4d`, version 2.4,
//! snap length 65535) and link type 147 (`LINKTYPE_USER0`). One packet per frame, stamped
//! with its virtual send time; each packet is a 12-byte Orrery pseudo-header and then the
//! `ox-link` frame as sent:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | sending node (`0xffff`: a remote link's peer process) |
//! | 2 | 2 | its port |
//! | 4 | 2 | receiving node |
//! | 6 | 2 | its port |
//! | 8 | 1 | fate: 0 delivered, 1 lost, 2 corrupted, 3 refused |
//! | 9 | 3 | reserved, 0 |
//!
//! All fields little-endian. See docs/pictures.md for reading it in Wireshark.

use crate::system::Fate;
use crate::trace::{Trace, REMOTE};

/// The link type: `LINKTYPE_USER0`.
pub const LINKTYPE: u32 = 147;
/// The pcap magic number of nanosecond-resolution captures.
pub const MAGIC: u32 = 0xa1b2_3c4d;
/// The pseudo-header before each frame.
pub const PSEUDO_HEADER: usize = 12;
/// The snap length.
pub const SNAPLEN: u32 = 65535;

fn short(node: u32) -> u16 {
    if node == REMOTE {
        0xffff
    } else {
        node as u16
    }
}

/// The capture of `trace`.
pub fn pcap(trace: &Trace) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&SNAPLEN.to_le_bytes());
    out.extend_from_slice(&LINKTYPE.to_le_bytes());
    for record in &trace.records {
        let len = (PSEUDO_HEADER + record.bytes.len()) as u32;
        let kept = len.min(SNAPLEN);
        out.extend_from_slice(&((record.sent / 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((record.sent % 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&kept.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        let mut packet = Vec::with_capacity(len as usize);
        for v in
            [short(record.from.node), record.from.port as u16, short(record.to.node), record.to.port as u16]
        {
            packet.extend_from_slice(&v.to_le_bytes());
        }
        packet.push(match record.fate {
            Fate::Delivered => 0,
            Fate::Dropped => 1,
            Fate::Corrupted => 2,
            Fate::Refused => 3,
        });
        packet.extend_from_slice(&[0; 3]);
        packet.extend_from_slice(&record.bytes);
        out.extend_from_slice(&packet[..kept as usize]);
    }
    out
}
