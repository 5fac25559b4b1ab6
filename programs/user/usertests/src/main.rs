//! `usertests`: placeholder until written.

#![no_std]
#![no_main]

ox_ulib::entry!(main);

fn main(_args: &[&str]) -> i32 {
    0
}
