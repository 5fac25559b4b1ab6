//! gdb at source level: `gdb-multiarch --batch` against `orrery debug --gdb tcp:127.0.0.1:PORT`
//! (docs/monitor.md, "gdb").
//!
//! gdb reads the RV32 original of each program (its DWARF: `rv2ox` keeps every address), and
//! the emulator runs the ox32 translation. The tests break at functions by name and by
//! `file:line`, read registers and Rust variables, step, watch a global, and on a topology list
//! the nodes as threads and read a satellite's memory. They need `gdb-multiarch` on `PATH`:
//! without it they say so and pass, except in CI (`CI=true`), where its absence is a failure
//! (`.ci/run` installs it). A last test speaks the protocol by hand (interrupt, bad input) and
//! needs no gdb.
//!
//! Images from `ORRERY_GUEST_DIR` (set by `cargo xtask test`); the RV32 originals beside it in
//! `target/guest`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use orrery_tests::{guest_dir, pristine_disk, repo_root};

/// `gdb-multiarch` on `PATH`, or `None` after saying why the test is skipped (a failure in CI).
fn gdb_multiarch() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join("gdb-multiarch")).find(|p| p.is_file()));
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!ci, "gdb-multiarch is not on PATH, and CI must run the gdb tests (.ci/run installs it)");
        eprintln!("skipped: gdb-multiarch is not on PATH (apt-get install -y gdb-multiarch)");
    }
    found
}

/// The `orrery` executable, built now if needed (this crate only links the emulator's library).
fn orrery() -> PathBuf {
    orrery_tests::orrery_binary()
}

/// The RV32 original of a guest executable: what gdb reads (the kernels' are built with their
/// own profile, in their own target directory).
fn rv32(name: &str) -> PathBuf {
    let dir = match name {
        "kernel" | "satellite" => "../guest-kernel/riscv32ima-unknown-none-elf/kernel",
        _ => "../guest/riscv32ima-unknown-none-elf/release",
    };
    let path = guest_dir().join(dir).join(name);
    assert!(path.is_file(), "{} does not exist (run `cargo xtask build`)", path.display());
    path.canonicalize().expect("the file exists")
}

/// `orrery debug --gdb` on `image`, listening on a free port.
struct Server {
    child: Child,
    port: u16,
    /// Where the guest's console goes.
    console: PathBuf,
}

impl Server {
    fn start(image: &Path) -> Server {
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let n = SERVERS.fetch_add(1, Ordering::Relaxed);
        let console = std::env::temp_dir().join(format!("orrery-{}-gdb-{n}.console", std::process::id()));
        let file = std::fs::File::create(&console).expect("the console file can be written");
        let mut child = Command::new(orrery())
            .args(["debug", "--gdb", "tcp:127.0.0.1:0"])
            .arg(image)
            .stdout(file)
            .stderr(Stdio::piped())
            .spawn()
            .expect("orrery starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let mut line = String::new();
        stderr.read_line(&mut line).expect("orrery says where it listens");
        let port = line
            .trim()
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        // Keep draining what it says, so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            eprint!("{rest}");
        });
        Server { child, port, console }
    }

    /// Waits for the emulator to end (gdb detached or killed it); its exit status and what the
    /// guest wrote on its console.
    fn wait(mut self) -> (std::process::ExitStatus, String) {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().expect("orrery can be waited for") {
                let console = std::fs::read_to_string(&self.console).unwrap_or_default();
                let _ = std::fs::remove_file(&self.console);
                return (status, console);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("orrery did not end after gdb left");
    }
}

/// Runs gdb in batch mode on `file` against `server` with `commands`; returns what it printed.
fn gdb(gdb: &Path, file: &Path, server: &Server, commands: &[&str]) -> String {
    let root = repo_root().canonicalize().expect("the repository exists");
    let setup = [
        "set pagination off".to_string(),
        "set confirm off".to_string(),
        "set width 0".to_string(),
        // gdb steps RISC-V by decoding the instruction at pc: let it read the RV32 code from
        // the file rather than the ox32 translation in memory.
        "set trust-readonly-sections on".to_string(),
        // The build remaps the repository to /orrery.
        format!("set substitute-path /orrery {}", root.display()),
        format!("target remote 127.0.0.1:{}", server.port),
    ];
    let mut command = Command::new(gdb);
    command.args(["--batch", "-nx"]);
    for c in setup.iter().map(String::as_str).chain(commands.iter().copied()) {
        command.args(["-ex", c]);
    }
    // One pipe for both streams, so that the transcript keeps gdb's order.
    let (mut reader, writer) = std::io::pipe().expect("a pipe");
    // Run where a crash of gdb's own (a core file) cannot land in the repository.
    command.current_dir(std::env::temp_dir());
    command.arg(file).stdin(Stdio::null()).stdout(writer.try_clone().expect("a pipe")).stderr(writer);
    let mut child = command.spawn().expect("gdb runs");
    drop(command);
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).expect("gdb's output");
    child.wait().expect("gdb ends");
    let text = String::from_utf8_lossy(&bytes).to_string();
    eprintln!("--- gdb transcript ---\n{text}--- end ---");
    text
}

/// Asserts that `text` holds each of `lines`, in order.
fn assert_in_order(text: &str, lines: &[&str]) {
    let mut rest = text;
    for line in lines {
        match rest.find(line) {
            Some(i) => rest = &rest[i + line.len()..],
            None => panic!("{line:?} is missing (or out of order) in the gdb transcript:\n{text}"),
        }
    }
}

#[test]
fn breakpoints_registers_variables_and_steps_in_a_bare_program() {
    let Some(gdb_path) = gdb_multiarch() else { return };
    let server = Server::start(&guest_dir().join("nqueens.elf"));
    let text = gdb(
        &gdb_path,
        &rv32("nqueens"),
        &server,
        &[
            "break nqueens::solve",
            "break nqueens.rs:19",
            "continue",
            "info registers pc",
            "print n",
            "print row",
            "continue",
            "print free",
            "print count",
            "next",
            "print free",
            "step",
            "step",
            "step",
            "info args",
            "bt 2",
            "stepi",
            "info registers pc",
            "delete",
            "continue",
        ],
    );
    assert_in_order(
        &text,
        &[
            "Breakpoint 1 at 0x80000448: file src/bin/nqueens.rs, line 12.",
            "Breakpoint 2 at 0x8000048c: file src/bin/nqueens.rs, line 19.",
            "Breakpoint 1, nqueens::solve (n=1, row=0, cols=0, d1=0, d2=0) at src/bin/nqueens.rs:12",
            "12\t    if row == n {",
            "pc             0x80000448\t0x80000448 <nqueens::solve+36>",
            "$1 = 1",
            "$2 = 0",
            "Breakpoint 2, nqueens::solve (n=1, row=<optimized out>, cols=0, d1=0, d2=0) at src/bin/nqueens.rs:19",
            "$3 = 1",
            "$4 = 0",
            "18\t        let bit = free & free.wrapping_neg();",
            "$5 = 1",
            "19\t        free &= free - 1;",
            "20\t        count += solve(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);",
            "nqueens::solve (n=1, row=1, cols=1, d1=2, d2=0) at src/bin/nqueens.rs:12",
            "n = 1\nrow = 1\ncols = 1\nd1 = 2\nd2 = 0",
            "#0  nqueens::solve (n=1, row=1, cols=1, d1=2, d2=0) at src/bin/nqueens.rs:12",
            "#1  0x800004bc in nqueens::solve (n=1, row=",
            "pc             0x8000044c",
            "[Inferior 1 (process 1) exited normally]",
        ],
    );
    // Debugging changed nothing the program does: its console is a plain run's.
    let (status, console) = server.wait();
    assert!(status.success());
    let plain =
        Command::new(orrery()).arg("run").arg(guest_dir().join("nqueens.elf")).output().expect("orrery runs");
    assert_eq!(console, String::from_utf8_lossy(&plain.stdout));
}

#[test]
fn a_watchpoint_on_a_global_stops_after_the_write() {
    let Some(gdb_path) = gdb_multiarch() else { return };
    let server = Server::start(&guest_dir().join("atomics.elf"));
    let text = gdb(
        &gdb_path,
        &rv32("atomics"),
        &server,
        &[
            "watch atomics::COUNTER.v.value",
            "continue",
            "x/2i $pc - 4",
            "continue",
            "print atomics::COUNTER.v.value",
            "delete",
            "rwatch atomics::COUNTER.v.value",
            "continue",
            "x/i $pc - 4",
            "delete",
            "continue",
        ],
    );
    assert_in_order(
        &text,
        &[
            "Hardware watchpoint 1: atomics::COUNTER.v.value",
            "Old value = core::sync::atomic::private::Align4<u32> (0)",
            "New value = core::sync::atomic::private::Align4<u32> (1)",
            "0x8000084c <atomics::__ox_bare_main+1016>:\tamoadd.w\tzero,a0,(s0)",
            "=> 0x80000850 <atomics::__ox_bare_main+1020>:\tlw\ta1,0(s0)",
            "Old value = core::sync::atomic::private::Align4<u32> (1)",
            "New value = core::sync::atomic::private::Align4<u32> (9)",
            "= core::sync::atomic::private::Align4<u32> (9)",
            "Hardware read watchpoint 2: atomics::COUNTER.v.value",
            "Value = core::sync::atomic::private::Align4<u32> (11)",
            "0x8000084c <atomics::__ox_bare_main+1016>:\tamoadd.w\tzero,a0,(s0)",
            "exited normally",
        ],
    );
    assert!(server.wait().0.success());
}

/// `topologies/default.toml` with the guest of `ORRERY_GUEST_DIR`, a fresh disk and absolute
/// paths, written to a temporary file.
fn default_topology() -> (PathBuf, PathBuf) {
    let root = repo_root().canonicalize().expect("the repository exists");
    let text = std::fs::read_to_string(root.join("topologies/default.toml")).expect("default.toml");
    let disk = pristine_disk("gdb-topology", None);
    let text = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", guest_dir().join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{disk:?}"))
        .replace("\"../os/bootrom/bootrom.s\"", &format!("{:?}", root.join("os/bootrom/bootrom.s")));
    let path = std::env::temp_dir().join(format!("orrery-{}-gdb.toml", std::process::id()));
    std::fs::write(&path, text).expect("the temporary topology can be written");
    (path, disk)
}

#[test]
fn the_nodes_of_a_topology_are_threads() {
    let Some(gdb_path) = gdb_multiarch() else { return };
    let (topology, disk) = default_topology();
    let server = Server::start(&topology);
    let text = gdb(
        &gdb_path,
        &rv32("kernel"),
        &server,
        &[
            "info threads",
            "break kernel::kmain",
            "continue",
            "thread 2",
            "info registers pc",
            // A satellite runs its boot ROM, not the file gdb has: read its memory itself.
            "set trust-readonly-sections off",
            "x/4x $pc",
            "set trust-readonly-sections on",
            "thread 1",
            "info registers pc",
            "monitor nodes",
            // Every node stops at the satellite kernel's second instruction; gdb lets the
            // others go on and reports sat2 (thread 3).
            "break *0x80000004 thread 3",
            "continue",
            "monitor nodes",
        ],
    );
    let _ = std::fs::remove_file(&topology);
    let _ = std::fs::remove_file(&disk);
    assert_in_order(
        &text,
        &[
            "* 1    Thread 1.1 (cp)   0x80000000 in _start ()",
            "  2    Thread 1.2 (sat1) 0x00010000 in ?? ()",
            "  3    Thread 1.3 (sat2) 0x00010000 in ?? ()",
            "  4    Thread 1.4 (sat3) 0x00010000 in ?? ()",
            "Thread 1 hit Breakpoint 1, kernel::kmain (",
            "[Switching to thread 2 (Thread 1.2)]",
            "pc             0x1",
            "0x1",
            "[Switching to thread 1 (Thread 1.1)]",
            "  node  name  role       state                pc",
            "  1     sat1  satellite",
            "[Switching to Thread 1.3]",
            "Thread 3 hit Breakpoint 2, 0x80000004 in _start ()",
            "* 2     sat2  satellite  running              0x80000004",
        ],
    );
    assert!(server.wait().0.success());
}

/// A packet as gdb frames it.
fn packet(body: &str) -> Vec<u8> {
    let sum = body.bytes().fold(0u8, u8::wrapping_add);
    format!("${body}#{sum:02x}").into_bytes()
}

/// Reads one reply packet's body (skipping acknowledgements).
fn reply(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut byte = [0u8];
    loop {
        stream.read_exact(&mut byte).expect("the stub answers");
        match byte[0] {
            b'+' if bytes.is_empty() => {}
            b'#' => break,
            b => bytes.push(b),
        }
    }
    let mut checksum = [0u8; 2];
    stream.read_exact(&mut checksum).expect("a checksum follows");
    let body = String::from_utf8_lossy(&bytes).to_string();
    body.strip_prefix('$').unwrap_or(&body).to_string()
}

/// Sends a packet and returns the reply's body, acknowledged.
fn ask(stream: &mut TcpStream, body: &str) -> String {
    stream.write_all(&packet(body)).expect("the stub reads");
    let text = reply(stream);
    stream.write_all(b"+").expect("the stub reads");
    text
}

#[test]
fn interrupts_and_bad_input_get_replies() {
    let source = std::env::temp_dir().join(format!("orrery-{}-spin.s", std::process::id()));
    std::fs::write(
        &source,
        "        .text\n        .globl _start\n_start:\n        addi t0, t0, 1\n        j _start\n",
    )
    .expect("the program can be written");
    let server = Server::start(&source);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("the stub listens");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("a timeout can be set");
    let s = &mut stream;
    assert_eq!(ask(s, "?"), "T05thread:01;");
    // An unmapped address, a device and an unknown thread are errors, not crashes.
    assert!(ask(s, "mfffff000,4").starts_with('E'), "unmapped memory");
    assert!(ask(s, "m10000000,4").starts_with('E'), "a device register");
    ask(s, "Hg9");
    assert!(ask(s, "g").starts_with('E'), "no thread 9");
    assert_eq!(ask(s, "Hg1"), "OK");
    assert_eq!(ask(s, "m80000000,4").len(), 8, "the first instruction");
    assert_eq!(ask(s, "Z0,80000004,4"), "OK");
    assert_eq!(ask(s, "vCont;c"), "T05thread:01;swbreak:;", "the breakpoint at the loop's jump");
    assert_eq!(ask(s, "z0,80000004,4"), "OK");
    // A range step: the jump leaves 0x80000004..0x80000008 for the loop's start.
    assert_eq!(ask(s, "vCont;r80000004,80000008:1"), "T05thread:01;");
    assert_eq!(ask(s, "vCont;s:1"), "T05thread:01;");
    // Run free, then interrupt it as gdb's Ctrl-C does.
    s.write_all(&packet("vCont;c")).expect("the stub reads");
    std::thread::sleep(Duration::from_millis(200));
    s.write_all(&[0x03]).expect("the stub reads");
    assert_eq!(reply(s), "T02thread:01;");
    s.write_all(b"+").expect("the stub reads");
    // Malformed packets get an error reply, and the session goes on.
    for bad in
        ["mzz,4", "m80000000", "Z0,nothex,4", "Mzz,1:00", "G00", "qRcmd,zz", "vCont;x", "vCont;s:9", "Hg-1"]
    {
        assert_eq!(ask(s, bad), "E16", "{bad}");
    }
    // `monitor continue` is refused with a message (console output), then `OK`.
    assert!(ask(s, "qRcmd,636f6e74696e7565").starts_with('O'));
    assert_eq!(reply(s), "OK");
    s.write_all(b"+").expect("the stub reads");
    let regs = ask(s, "g");
    assert!(!regs.is_empty() && !regs.starts_with('E'), "the registers (run-length encoded): {regs}");
    // A packet with a bad checksum is refused with `-`, for gdb to send again.
    s.write_all(b"$m80000000,4#00").expect("the stub reads");
    let mut nak = [0u8];
    s.read_exact(&mut nak).expect("the stub answers");
    assert_eq!(&nak, b"-");
    s.write_all(&packet("k")).expect("the stub reads");
    drop(stream);
    let _ = std::fs::remove_file(&source);
    assert!(server.wait().0.success());
}
