//! The file system (`ox-fs`) from the host: random sequences of operations checked against a
//! model after every step, a disk filled to ENOSPC and recovered, files that span the indirect
//! block, and persistence across mounts.

use std::collections::BTreeMap;

use ox_fs::{check, mkfs, BlockDevice, Error, Fs, Kind, MemDisk, BLOCK_SIZE, MAX_FILE_SIZE};
use proptest::prelude::{
    any, prop, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig, Strategy,
};

/// What the model holds at a path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    File(Vec<u8>),
    Dir,
}

/// The model: every path (absolute, no trailing slash) and what it holds; `/` is implicit.
#[derive(Default)]
struct Model {
    nodes: BTreeMap<String, Node>,
}

impl Model {
    fn get(&self, path: &str) -> Option<&Node> {
        if path == "/" {
            Some(&Node::Dir)
        } else {
            self.nodes.get(path)
        }
    }

    /// Walks `path` the way the file system does: the error of the first bad component.
    fn resolve(&self, path: &str) -> Result<&Node, Error> {
        let mut prefix = String::new();
        let mut node = &Node::Dir;
        for name in path.split('/').filter(|c| !c.is_empty()) {
            if *node != Node::Dir {
                return Err(Error::NotDir);
            }
            prefix = format!("{prefix}/{name}");
            node = self.get(&prefix).ok_or(Error::NotFound)?;
        }
        Ok(node)
    }

    fn parent(path: &str) -> &str {
        match path.rfind('/') {
            Some(0) => "/",
            Some(i) => &path[..i],
            None => "/",
        }
    }

    /// Checks that `path` can be made: its parent is a directory and it does not exist.
    fn can_make(&self, path: &str) -> Result<(), Error> {
        match self.resolve(Model::parent(path))? {
            Node::Dir => {}
            Node::File(_) => return Err(Error::NotDir),
        }
        match self.get(path) {
            Some(_) => Err(Error::Exists),
            None => Ok(()),
        }
    }

    fn apply(&mut self, op: &Op) -> Result<(), Error> {
        match op {
            Op::Create(path) => {
                self.can_make(path)?;
                self.nodes.insert(path.clone(), Node::File(Vec::new()));
            }
            Op::Mkdir(path) => {
                self.can_make(path)?;
                self.nodes.insert(path.clone(), Node::Dir);
            }
            Op::Write(path, offset, len, byte) => {
                let Node::File(data) = self.resolve(path)?.clone() else { return Err(Error::IsDir) };
                let mut data = data;
                let end = *offset as usize + *len as usize;
                if data.len() < end {
                    data.resize(end, 0);
                }
                data[*offset as usize..end].fill(*byte);
                self.nodes.insert(path.clone(), Node::File(data));
            }
            Op::Truncate(path, size) => {
                let Node::File(data) = self.resolve(path)?.clone() else { return Err(Error::IsDir) };
                let mut data = data;
                data.resize(*size as usize, 0);
                self.nodes.insert(path.clone(), Node::File(data));
            }
            Op::Unlink(path) => {
                self.resolve(path)?;
                let prefix = format!("{path}/");
                if self.nodes.keys().any(|k| k.starts_with(&prefix)) {
                    return Err(Error::NotEmpty);
                }
                self.nodes.remove(path);
            }
        }
        Ok(())
    }
}

/// One step of a test.
#[derive(Clone, Debug)]
enum Op {
    Create(String),
    Mkdir(String),
    Write(String, u32, u32, u8),
    Truncate(String, u32),
    Unlink(String),
}

/// The same step on the file system.
fn apply_fs<D: BlockDevice>(fs: &mut Fs<D>, op: &Op) -> Result<(), Error> {
    match op {
        Op::Create(path) => fs.create(path).map(|_| ()),
        Op::Mkdir(path) => fs.mkdir(path).map(|_| ()),
        Op::Write(path, offset, len, byte) => {
            let ino = fs.lookup(path)?;
            let wrote = fs.write_at(ino, *offset, &vec![*byte; *len as usize])?;
            assert_eq!(wrote, *len as usize, "a short write on a roomy disk");
            Ok(())
        }
        Op::Truncate(path, size) => {
            let ino = fs.lookup(path)?;
            fs.truncate(ino, *size)
        }
        Op::Unlink(path) => fs.unlink(path),
    }
}

/// Paths from a small namespace, so operations collide often.
fn path() -> impl Strategy<Value = String> {
    let dirs = prop_oneof![Just(""), Just("/d"), Just("/e"), Just("/d/f")];
    let names = prop_oneof![Just("a"), Just("b"), Just("d"), Just("e"), Just("f")];
    (dirs, names).prop_map(|(dir, name)| format!("{dir}/{name}"))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => path().prop_map(Op::Create),
        2 => path().prop_map(Op::Mkdir),
        // Offsets reach past the twelve direct blocks into the indirect one.
        4 => (path(), 0u32..70_000, 0u32..9_000, any::<u8>()).prop_map(|(p, o, l, b)| Op::Write(p, o, l, b)),
        1 => (path(), 0u32..60_000).prop_map(|(p, s)| Op::Truncate(p, s)),
        2 => path().prop_map(Op::Unlink),
    ]
}

/// Checks that the file system holds exactly what the model holds and is consistent.
fn agree<D: BlockDevice>(fs: &mut Fs<D>, model: &Model) -> Result<(), String> {
    for (path, node) in &model.nodes {
        let stat = fs.stat_path(path).map_err(|e| format!("{path}: {e}"))?;
        match node {
            Node::File(data) => {
                let got = fs.read_file(path).map_err(|e| format!("{path}: {e}"))?;
                if &got != data || stat.kind != Kind::File {
                    return Err(format!("{path}: contents differ ({} vs {} bytes)", got.len(), data.len()));
                }
            }
            Node::Dir if stat.kind != Kind::Dir => return Err(format!("{path} is not a directory")),
            Node::Dir => {}
        }
    }
    for dir in std::iter::once("/")
        .chain(model.nodes.iter().filter(|(_, n)| **n == Node::Dir).map(|(p, _)| p.as_str()))
    {
        let mut names: Vec<String> = fs
            .readdir_path(dir)
            .map_err(|e| format!("{dir}: {e}"))?
            .into_iter()
            .map(|e| e.name)
            .filter(|n| n != "." && n != "..")
            .collect();
        names.sort();
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        let expected: Vec<String> = model
            .nodes
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix).filter(|rest| !rest.contains('/')).map(str::to_string))
            .collect();
        if names != expected {
            return Err(format!("{dir}: entries {names:?}, expected {expected:?}"));
        }
    }
    let report = check(fs).map_err(|e| e.to_string())?;
    if !report.is_clean() {
        return Err(format!("inconsistent: {:?}", report.problems));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn operations_agree_with_a_model(ops in prop::collection::vec(op(), 1..40)) {
        let mut fs = mkfs(MemDisk::new(1024), 1024).unwrap();
        let mut model = Model::default();
        for op in &ops {
            let expected = model.apply(op);
            let got = apply_fs(&mut fs, op);
            prop_assert_eq!(got, expected, "{:?}", op);
            let agreed = agree(&mut fs, &model);
            prop_assert!(agreed.is_ok(), "after {:?}: {}", op, agreed.unwrap_err());
        }
        // Everything survives a remount.
        let mut fs = Fs::mount(fs.unmount().unwrap()).unwrap();
        let agreed = agree(&mut fs, &model);
        prop_assert!(agreed.is_ok(), "after remount: {}", agreed.unwrap_err());
    }
}

#[test]
fn a_full_disk_says_enospc_and_recovers_after_unlink() {
    let mut fs = mkfs(MemDisk::new(64), 64).unwrap();
    let free = fs.free_blocks().unwrap();
    let chunk = vec![0x5a; 10 * BLOCK_SIZE];
    let mut n = 0;
    let full = loop {
        match fs.write_file(&format!("/f{n}"), &chunk) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(full, Error::NoSpace);
    assert_eq!(fs.free_blocks().unwrap(), 0);
    // The file that hit the end keeps what fit; the rest of the disk is intact.
    let partial = fs.read_file(&format!("/f{n}")).unwrap();
    assert!(partial.len() < chunk.len() && partial.iter().all(|b| *b == 0x5a));
    assert_eq!(fs.mkdir("/more").err(), Some(Error::NoSpace), "a directory needs a block");
    let ino = fs.lookup(&format!("/f{n}")).unwrap();
    assert_eq!(fs.write_at(ino, partial.len() as u32, b"x"), Err(Error::NoSpace));
    assert!(check(&mut fs).unwrap().is_clean());
    for i in 0..=n {
        fs.unlink(&format!("/f{i}")).unwrap();
    }
    assert_eq!(fs.free_blocks().unwrap(), free, "every block came back");
    fs.write_file("/again", &chunk).unwrap();
    assert_eq!(fs.read_file("/again").unwrap(), chunk);
    assert!(check(&mut fs).unwrap().is_clean());
}

#[test]
fn running_out_of_inodes_is_enospc_too() {
    let mut fs = mkfs(MemDisk::new(64), 64).unwrap();
    let inodes = fs.superblock().inodes;
    // Inode 0 is never used and the root has inode 1.
    for n in 0..inodes - 2 {
        fs.create(&format!("/{n}")).unwrap();
    }
    assert_eq!(fs.create("/one-more"), Err(Error::NoSpace));
    fs.unlink("/7").unwrap();
    fs.create("/one-more").unwrap();
    assert!(check(&mut fs).unwrap().is_clean());
}

#[test]
fn files_span_the_indirect_block_up_to_the_largest_size() {
    let mut fs = mkfs(MemDisk::new(2048), 2048).unwrap();
    let data: Vec<u8> = (0..MAX_FILE_SIZE).map(|i| (i * 7 + i / 4096) as u8).collect();
    let ino = fs.write_file("/big", &data).unwrap();
    let stat = fs.stat(ino).unwrap();
    assert_eq!((stat.size, stat.blocks), (MAX_FILE_SIZE, MAX_FILE_SIZE / BLOCK_SIZE as u32 + 1));
    assert_eq!(fs.read_file("/big").unwrap(), data);
    assert_eq!(fs.write_at(ino, MAX_FILE_SIZE, b"!"), Err(Error::FileTooBig));
    assert_eq!(fs.write_at(ino, MAX_FILE_SIZE - 1, b"ab"), Ok(1), "a write stops at the largest size");
    // Reads across the boundary between direct and indirect blocks.
    let mut buf = vec![0; 100];
    let edge = 12 * BLOCK_SIZE as u32 - 50;
    assert_eq!(fs.read_at(ino, edge, &mut buf).unwrap(), 100);
    assert_eq!(buf, &data[edge as usize..edge as usize + 100]);
    fs.truncate(ino, 12 * BLOCK_SIZE as u32).unwrap();
    assert_eq!(fs.stat(ino).unwrap().blocks, 12, "the indirect block is gone");
    assert!(check(&mut fs).unwrap().is_clean());
}

#[test]
fn writes_persist_across_mounts() {
    let mut disk = MemDisk::new(256);
    {
        let mut fs = mkfs(&mut disk, 256).unwrap();
        fs.mkdir_all("/etc/rc").unwrap();
        fs.write_file("/etc/motd", b"hello from the disk\n").unwrap();
        let ino = fs.create("/log").unwrap();
        fs.write_at(ino, 60_000, b"end").unwrap();
    }
    let bytes = disk.clone().into_bytes();
    let mut fs = Fs::mount(MemDisk::from_bytes(bytes)).unwrap();
    assert_eq!(fs.read_file("/etc/motd").unwrap(), b"hello from the disk\n");
    let log = fs.read_file("/log").unwrap();
    assert_eq!((log.len(), &log[60_000..]), (60_003, &b"end"[..]));
    assert!(log[..60_000].iter().all(|b| *b == 0));
    assert_eq!(fs.lookup("/etc/rc").map(|i| fs.stat(i).unwrap().kind), Ok(Kind::Dir));
    assert!(check(&mut fs).unwrap().is_clean());
}

#[test]
fn errors_map_to_errno() {
    let expected = [
        (Error::NotFound, 2, "ENOENT"),
        (Error::Exists, 17, "EEXIST"),
        (Error::NotDir, 20, "ENOTDIR"),
        (Error::IsDir, 21, "EISDIR"),
        (Error::Invalid, 22, "EINVAL"),
        (Error::NoSpace, 28, "ENOSPC"),
        (Error::NameTooLong, 36, "ENAMETOOLONG"),
        (Error::NotEmpty, 39, "ENOTEMPTY"),
        (Error::Corrupt, 5, "EIO"),
    ];
    for (error, number, name) in expected {
        assert_eq!((error.errno(), error.errno_name()), (number, name));
    }
}
