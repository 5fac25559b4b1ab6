//! String processing: UTF-8 iteration (chars, char_indices, bytes), case mapping, splitting,
//! trimming, searching and replacing, parsing integers and floats, and building strings.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ox_bare::println;

ox_bare::entry!(main);

fn main() {
    let text = "Grüße, Jürgen! Ελληνικά · 日本語テキスト · emoji 🦀🚀 · ﬁ ß İ";
    println!("bytes {} chars {}", text.len(), text.chars().count());
    for (i, c) in text.char_indices().filter(|(_, c)| !c.is_ascii()).take(12) {
        println!(
            "  {i:3}: {c} U+{:04X} len {} alpha {} upper {}",
            c as u32,
            c.len_utf8(),
            c.is_alphabetic(),
            c.is_uppercase()
        );
    }
    println!("upper {}", text.to_uppercase());
    println!("lower {}", text.to_lowercase());
    println!("reversed {}", text.chars().rev().collect::<String>());
    let mut utf16 = 0;
    for c in text.chars() {
        utf16 += c.len_utf16();
    }
    println!("utf16 units {utf16}");
    let bad = core::hint::black_box([0x66u8, 0x6f, 0xff, 0x6f, 0xe2, 0x82, 0xac, 0xe2, 0x82]);
    println!(
        "from_utf8 {:?} lossy {}",
        core::str::from_utf8(&bad).map_err(|e| e.valid_up_to()),
        String::from_utf8_lossy(&bad)
    );

    let csv = "  12, -7 ,+42,0x1f, 3.5e2 ,nan, 9999999999 ,-2147483648, ,abc ";
    for field in csv.split(',') {
        let f = field.trim();
        println!(
            "{f:?}: i32 {:?} u64 {:?} f64 {:?} hex {:?}",
            f.parse::<i32>().ok(),
            f.parse::<u64>().ok(),
            f.parse::<f64>().ok(),
            f.strip_prefix("0x").and_then(|h| u32::from_str_radix(h, 16).ok())
        );
    }
    let sentence = "the cat sat on the mat with the hat";
    println!(
        "find {:?} rfind {:?} matches {}",
        sentence.find("the"),
        sentence.rfind("the"),
        sentence.matches("at").count()
    );
    println!("replace {}", sentence.replace("the", "a").replacen("at", "og", 2));
    let words: Vec<&str> = sentence.split(' ').filter(|w| w.len() == 3).collect();
    println!("three-letter words {words:?}");
    println!(
        "split_once {:?} rsplitn {:?}",
        sentence.split_once(" on "),
        sentence.rsplitn(3, ' ').collect::<Vec<_>>()
    );
    let mut built = String::with_capacity(4);
    for i in 0..40u32 {
        built.push(char::from_u32(0x3b1 + i % 25).unwrap_or('?'));
        if i % 7 == 0 {
            built.push_str(&i.to_string());
        }
    }
    println!("built {built} ({} bytes)", built.len());
    built.retain(|c| !c.is_ascii_digit());
    built.insert_str(0, "» ");
    println!("retained {built}");
    let numbers: i64 =
        "1 22 333 4444 55555 -666666".split_whitespace().filter_map(|s| s.parse::<i64>().ok()).sum();
    println!("sum of parsed {numbers}");
    println!(
        "cmp {:?} {:?} eq_ignore_case {}",
        "abc".cmp("abd"),
        "Zebra".cmp("apple"),
        "HeLLo".eq_ignore_ascii_case("hello")
    );
    let escaped: String = "tab\there \"quoted\" \u{1f600}\n".escape_debug().collect();
    println!("escaped {escaped}");
}
