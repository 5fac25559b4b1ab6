//! The architectural constants agree with each other and with `docs/isa.md`: control-register
//! numbers, `status` and `ptbr` bits, trap codes, page-table entries and the memory map.

use ox32::cr::{self, Status};
use ox32::memmap;
use ox32::pte::{self, Pte, PteFlags};
use ox32::trap::{self, Exception};

#[test]
fn control_registers_have_unique_numbers_and_names() {
    for (i, &(num, name, _, _)) in cr::ALL.iter().enumerate() {
        assert!(num <= ox32::CR_MAX, "{name}");
        assert_eq!(cr::name(num), Some(name));
        assert_eq!(cr::by_name(name), Some(num));
        assert!(cr::ALL[i + 1..].iter().all(|r| r.0 != num && r.1 != name), "{name} twice");
    }
    // Exactly the four counters are readable from user mode, and they are read-only.
    let user: Vec<&str> = cr::ALL.iter().filter(|r| r.3).map(|r| r.1).collect();
    assert_eq!(user, ["cycle", "cycleh", "time", "timeh"]);
    assert!(cr::ALL.iter().filter(|r| r.3).all(|r| r.2));
    let read_only: Vec<&str> = cr::ALL.iter().filter(|r| r.2).map(|r| r.1).collect();
    assert_eq!(read_only, ["nodeid", "ramsize", "cycle", "cycleh", "time", "timeh"]);
    assert_eq!(cr::name(0x00a), None);
    assert_eq!(cr::by_name("sstatus"), None);
}

#[test]
fn status_and_ptbr_bits() {
    assert_eq!(Status::IE.bits(), 1);
    assert_eq!(Status::PIE.bits(), 2);
    assert_eq!(Status::PKM.bits(), 4);
    assert_eq!(Status::KM.bits(), 0x100);
    assert!(!cr::STATUS_WRITABLE.contains(Status::KM));
    assert_eq!(cr::STATUS_WRITABLE.bits(), 7);
    let asid = cr::ASID_MASK << cr::PTBR_ASID_SHIFT;
    assert_eq!(asid, 0x1ff0_0000);
    // The four parts of ptbr are disjoint and cover the word.
    let parts = [cr::PTBR_PAGING, cr::PTBR_RESERVED, asid, cr::PTBR_PPN_MASK];
    assert_eq!(parts.iter().fold(0, |a, p| a | p), u32::MAX);
    assert_eq!(parts.iter().map(|p| p.count_ones()).sum::<u32>(), 32);
}

#[test]
fn exception_codes() {
    for (i, e) in Exception::ALL.into_iter().enumerate() {
        assert_eq!(e as u32, i as u32 + 1, "codes run from 1 in order");
        assert_eq!(Exception::from_code(e as u32), Some(e));
        assert_eq!(trap::describe_cause(e as u32), e.name());
        assert_eq!(e.to_string(), e.name());
    }
    assert_eq!(Exception::from_code(0), None);
    assert_eq!(Exception::from_code(14), None);
    assert_eq!(trap::describe_cause(trap::INTERRUPT_BIT | memmap::IRQ_UART), "interrupt 1");
    assert_eq!(trap::describe_cause(99), "unknown cause 99");
}

#[test]
fn page_table_entries() {
    let flags = PteFlags::V | PteFlags::R | PteFlags::W | PteFlags::A | PteFlags::D;
    let pte = Pte::new(0x80123, flags);
    assert_eq!(pte.0, 0x8012_30c7);
    assert_eq!(pte.ppn(), 0x80123);
    assert_eq!(pte.flags(), flags);
    assert!(pte.is_valid() && pte.is_leaf());
    let table = Pte::new(0x80000, PteFlags::V);
    assert!(table.is_valid() && !table.is_leaf());
    assert!(!Pte(0xffff_fffe).is_valid());
    assert_eq!(PteFlags::OS.bits(), 0xf00);
    assert_eq!(PteFlags::all().bits(), 0xfff);
    let va = 0xdead_beef;
    assert_eq!(pte::l1_index(va), 0x37a);
    assert_eq!(pte::l2_index(va), 0x2db);
    assert_eq!(pte::l1_index(va) << 22 | pte::l2_index(va) << 12 | (va & 0xfff), va);
    assert_eq!(pte::SUPERPAGE_SIZE, pte::ENTRIES * pte::PAGE_SIZE);
    assert_eq!(1 << pte::PAGE_SHIFT, pte::PAGE_SIZE);
}

#[test]
fn memory_map_regions_do_not_overlap() {
    let mut regions = [
        (0, memmap::BOOT_ROM_BASE),
        (memmap::BOOT_ROM_BASE, memmap::BOOT_ROM_SIZE),
        (memmap::UART_BASE, memmap::DEVICE_SIZE),
        (memmap::TIMER_BASE, memmap::DEVICE_SIZE),
        (memmap::INTC_BASE, memmap::DEVICE_SIZE),
        (memmap::POWER_BASE, memmap::DEVICE_SIZE),
        (memmap::RAM_BASE, memmap::RAM_MAX),
    ];
    regions.sort();
    for pair in regions.windows(2) {
        let (base, size) = pair[0];
        assert!(u64::from(base) + u64::from(size) <= u64::from(pair[1].0), "{base:#x} overlaps");
    }
    // RAM runs exactly to the top of the address space.
    assert_eq!(u64::from(memmap::RAM_BASE) + u64::from(memmap::RAM_MAX), 1 << 32);
    const { assert!(memmap::IRQ_TIMER < memmap::IRQ_LINES && memmap::IRQ_UART < memmap::IRQ_LINES) };
    assert_eq!(ox32::EM_OX32, u16::from_be_bytes(*b"OX"));
}
