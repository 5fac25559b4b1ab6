//! `oxdisk` from the command line: create with files and folders, ls, cat and check on good
//! images, and clear errors (never a panic) on bad arguments and damaged images.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oxdisk-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn oxdisk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oxdisk")).args(args).output().expect("oxdisk runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Builds an image with a file, a folder tree and a file over 48 KiB (past the direct blocks).
fn build(dir: &Path) -> (PathBuf, Vec<u8>) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(bin.join("sub")).unwrap();
    std::fs::write(bin.join("hello"), b"hello, disk\n").unwrap();
    std::fs::write(bin.join("sub").join("deep"), b"deep\n").unwrap();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("big"), &big).unwrap();
    let image = dir.join("disk.img");
    let add = format!("{}:/data/big", dir.join("big").display());
    let dir_arg = format!("/bin={}", bin.display());
    let out = oxdisk(&["create", image.to_str().unwrap(), "--size", "1M", "--add", &add, "--dir", &dir_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    (image, big)
}

#[test]
fn create_ls_cat_check() {
    let dir = scratch("good");
    let (image, big) = build(&dir);
    let image = image.to_str().unwrap();
    assert_eq!(std::fs::metadata(image).unwrap().len(), 1 << 20);

    let root = oxdisk(&["ls", image]);
    assert!(root.status.success());
    let names: Vec<String> =
        stdout(&root).lines().map(|l| l.split_whitespace().last().unwrap().to_string()).collect();
    assert_eq!(names, [".", "..", "bin", "data"]);
    assert!(stdout(&root).lines().nth(2).unwrap().starts_with("d   3"), "{}", stdout(&root));

    let bin = stdout(&oxdisk(&["ls", image, "/bin"]));
    assert!(bin.contains("       12  hello") && bin.contains("sub"), "{bin}");
    let file = stdout(&oxdisk(&["ls", image, "/data/big"]));
    assert_eq!(file, "-   1    200000  /data/big\n");

    let hello = oxdisk(&["cat", image, "/bin/hello"]);
    assert_eq!(hello.stdout, b"hello, disk\n");
    assert_eq!(oxdisk(&["cat", image, "/bin/sub/deep"]).stdout, b"deep\n");
    assert_eq!(oxdisk(&["cat", image, "/data/big"]).stdout, big);

    let check = oxdisk(&["check", image]);
    assert!(check.status.success(), "{}", stdout(&check));
    assert!(stdout(&check).contains("clean: 3 files, 4 directories"), "{}", stdout(&check));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_same_inputs_give_the_same_image() {
    let one = scratch("same1");
    let two = scratch("same2");
    let (a, _) = build(&one);
    let (b, _) = build(&two);
    assert!(std::fs::read(a).unwrap() == std::fs::read(b).unwrap());
    let _ = std::fs::remove_dir_all(&one);
    let _ = std::fs::remove_dir_all(&two);
}

#[test]
fn mistakes_are_clear_errors() {
    let dir = scratch("bad");
    let (image, _) = build(&dir);
    let image = image.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["cat", image, "/nope"], "/nope: no such file or directory"),
        (&["cat", image, "/bin"], "/bin: is a directory"),
        (&["ls", image, "/bin/hello/x"], "not a directory"),
        (&["ls", "/no/such/image.img"], "/no/such/image.img: "),
        (&["create", "x.img", "--size", "7Q"], "unknown size unit"),
        (&["create", "x.img", "--size", "1M", "--add", "nocolon"], "expected HOST_FILE:/path/in/image"),
    ];
    for (args, message) in cases {
        let out = oxdisk(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"), "{args:?}: {}", stderr(&out));
    }
    let missing = dir.join("missing");
    let add = format!("{}:/x", missing.display());
    let out = oxdisk(&["create", dir.join("y.img").to_str().unwrap(), "--size", "1M", "--add", &add]);
    assert!(stderr(&out).contains("missing") && !out.status.success(), "{}", stderr(&out));
    let big = dir.join("huge");
    std::fs::write(&big, vec![1u8; 200_000]).unwrap();
    let add = format!("{}:/x", big.display());
    let out = oxdisk(&["create", dir.join("z.img").to_str().unwrap(), "--size", "64K", "--add", &add]);
    assert!(stderr(&out).contains("/x: no space left"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_images_are_reported_not_panicked_on() {
    let dir = scratch("damaged");
    let (image, _) = build(&dir);
    let clean = std::fs::read(&image).unwrap();

    let mut bad_magic = clean.clone();
    bad_magic[0] ^= 0xff;
    std::fs::write(&image, &bad_magic).unwrap();
    let out = oxdisk(&["ls", image.to_str().unwrap()]);
    assert!(stderr(&out).contains("not an ox-fs image"), "{}", stderr(&out));

    // Clear the bitmap: every block in use is now marked free.
    let mut no_bitmap = clean.clone();
    no_bitmap[4096..8192].fill(0);
    std::fs::write(&image, &no_bitmap).unwrap();
    let out = oxdisk(&["check", image.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("is marked free in the bitmap"), "{}", stdout(&out));
    assert!(stdout(&out).contains("INCONSISTENT"), "{}", stdout(&out));

    // Random damage anywhere in the metadata: an error or a report, never a panic.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..40 {
        let mut damaged = clean.clone();
        for _ in 0..8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % (4096 * 4)) as usize;
            damaged[at] = (state >> 32) as u8;
        }
        std::fs::write(&image, &damaged).unwrap();
        for args in [vec!["check"], vec!["ls"], vec!["cat", "/bin/hello"], vec!["ls", "/bin/sub"]] {
            let mut full = vec![args[0], image.to_str().unwrap()];
            full.extend(&args[1..]);
            let out = oxdisk(&full);
            assert!(out.status.code().is_some_and(|c| c <= 1), "{full:?}: {}", stderr(&out));
            assert!(!stderr(&out).contains("panicked"), "{full:?}: {}", stderr(&out));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn repair_fixes_a_damaged_bitmap_and_a_committed_log_is_not_an_error() {
    let dir = scratch("repair");
    let (image, big) = build(&dir);
    let path = image.to_str().unwrap();
    let clean = std::fs::read(&image).unwrap();

    // Clear the bitmap: check fails, repair rebuilds it, then check passes.
    let mut no_bitmap = clean.clone();
    no_bitmap[4096..8192].fill(0);
    std::fs::write(&image, &no_bitmap).unwrap();
    assert_eq!(oxdisk(&["check", path]).status.code(), Some(1));
    let out = oxdisk(&["check", "--repair", path]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("fixed: rebuilt bitmap block 1"), "{}", stdout(&out));
    let out = oxdisk(&["check", path]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(std::fs::read(&image).unwrap()[4096..8192], clean[4096..8192], "the bitmap is the original");
    assert_eq!(oxdisk(&["cat", path, "/data/big"]).stdout, big);

    // A committed log (the header names block 1 and holds its contents): reported, not an
    // error; --repair installs it.
    let log_start = u32::from_le_bytes(clean[36..40].try_into().unwrap()) as usize;
    let mut committed = no_bitmap.clone();
    let header = &mut committed[log_start * 4096..(log_start + 1) * 4096];
    header[4..8].copy_from_slice(&1u32.to_le_bytes());
    header[8..12].copy_from_slice(&1u32.to_le_bytes());
    committed[(log_start + 1) * 4096..(log_start + 2) * 4096].copy_from_slice(&clean[4096..8192]);
    std::fs::write(&image, &committed).unwrap();
    let out = oxdisk(&["check", path]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("committed transaction of 1 blocks"), "{}", stdout(&out));
    let out = oxdisk(&["check", "--repair", path]);
    assert!(stdout(&out).contains("fixed: replayed the log"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("rebuilt bitmap"), "the log held the bitmap: {}", stdout(&out));
    assert_eq!(oxdisk(&["check", path]).status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}
