//! What the monitor's test files share: running an example session of `docs/monitor.md`.

use std::ffi::OsStr;
use std::process::{Command, Output};

/// The fenced block that follows `marker` in `text`.
fn block_after<'a>(text: &'a str, marker: &str) -> &'a str {
    let after = &text[text.find(marker).expect(marker)..];
    let start = after.find("```\n").expect("a fenced block") + 4;
    let len = after[start..].find("```\n").expect("the end of the block");
    &after[start..start + len]
}

/// Runs the script that follows `<!-- NAME-script -->` in `docs/monitor.md` with
/// `orrery debug TARGET --script`; returns the transcript that follows `<!-- NAME-transcript -->`
/// and what the run printed.
pub fn documented_session(name: &str, target: &OsStr) -> (String, Output) {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/monitor.md")).unwrap();
    let script = block_after(&doc, &format!("<!-- {name}-script -->")).to_string();
    let expected = block_after(&doc, &format!("<!-- {name}-transcript -->")).to_string();
    let dir = std::env::temp_dir().join(format!("orrery-monitor-doc-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("session.txt");
    std::fs::write(&path, script).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .arg("debug")
        .arg(target)
        .arg("--script")
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (expected, output)
}
