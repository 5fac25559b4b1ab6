//! The example's own guest, `guest/greet.s`, booted as one image: type a name, expect the
//! greeting, snapshot the transcript; and what a failed expectation says.

use std::time::Duration;

use orrery_harness::{Ended, Guest};

const GREET: &str = "guest/greet.s";

#[test]
fn greets_the_name_typed() {
    let mut guest = Guest::boot(GREET).expect("greet.s boots");
    guest.expect("name? ").expect("the prompt");
    guest.type_line("Ada").unwrap();
    guest.expect_within("hello, Ada!\n", Duration::from_millis(10)).expect("the greeting");
    assert_eq!(guest.wait_exit().unwrap(), 0);
    insta::assert_snapshot!(guest.transcript(), @r"
    name? Ada
    hello, Ada!
    ");
}

#[test]
fn the_end_of_input_without_a_name_exits_1() {
    let mut guest = Guest::boot(GREET).unwrap();
    guest.expect("name? ").unwrap();
    guest.end_input();
    assert_eq!(guest.wait_exit().unwrap(), 1);
    assert_eq!(guest.ended(), Some(Ended::PoweredOff(1)));
    insta::assert_snapshot!(guest.transcript(), @r"
    name? 
    no name given
    ");
}

#[test]
fn a_missing_text_fails_with_its_limit_in_virtual_time() {
    let mut guest = Guest::boot(GREET).unwrap();
    let error = guest.expect_within("welcome", Duration::from_millis(5)).unwrap_err();
    assert_eq!(error.to_string(), "\"welcome\" did not appear within 5ms of virtual time");
    assert!(guest.elapsed() >= Duration::from_millis(5));
}

#[test]
fn two_runs_give_the_same_bytes() {
    let run = || {
        let mut guest = Guest::boot(GREET).unwrap();
        guest.expect("name? ").unwrap();
        guest.type_line("Grace").unwrap();
        guest.wait_exit().unwrap();
        (guest.transcript().to_string(), guest.elapsed())
    };
    assert_eq!(run(), run());
}
