//! `oxdisk`: builds, lists, reads and checks disk images for the block device.
//!
//! Exit status: 0 on success (for `check`: a consistent image, a committed log that mount
//! replays included; for `check --repair`: consistent once repaired); 1 when the image cannot
//! be built, read or written, a path is wrong, or `check` finds (or `--repair` leaves) a
//! problem; 2 for a bad command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orrery_toolchain::disk::{self, AddDir, AddFile, DiskError, Image};
use orrery_toolchain::input::{read_input, MAX_DISK_IMAGE};

/// Build and inspect Orrery disk images (an ox-fs file system filling the file).
#[derive(Parser, Debug)]
#[command(name = "oxdisk", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make a new image with an empty file system, then copy files into it.
    Create {
        /// The image file to write (replaced if it exists).
        image: PathBuf,
        /// Its size: bytes or K/M/G, a whole number of 4K blocks.
        #[arg(long, value_parser = |s: &str| disk::parse_size(s))]
        size: u64,
        /// Copy a host file into the image (folders above it are made).
        #[arg(long = "add", value_name = "HOST_FILE:/PATH")]
        add: Vec<AddFile>,
        /// Copy a host folder's contents, recursively, into a folder of the image.
        #[arg(long = "dir", value_name = "/PATH=HOST_DIR")]
        dir: Vec<AddDir>,
    },
    /// List a folder of the image (the root by default), or describe one file.
    Ls {
        /// The image file.
        image: PathBuf,
        /// A path in the image.
        #[arg(default_value = "/")]
        path: String,
    },
    /// Print a file of the image.
    Cat {
        /// The image file.
        image: PathBuf,
        /// A path in the image.
        path: String,
    },
    /// Check the image's consistency: log, blocks, bitmap, directories and link counts.
    Check {
        /// The image file.
        image: PathBuf,
        /// Fix what can be fixed (replay the log, clear bad pointers and entries, set link
        /// counts, free unnamed inodes, rebuild the bitmap), write the image back, and report
        /// each fix.
        #[arg(long)]
        repair: bool,
    },
}

/// Reads and mounts the image at `path`.
fn open(path: &Path) -> Result<Image, DiskError> {
    let bytes = read_input(path, MAX_DISK_IMAGE).map_err(|e| DiskError(e.0))?;
    disk::open(bytes).map_err(|e| DiskError(format!("{}: {e}", path.display())))
}

/// Replaces the file at `path` with `bytes`: written beside it, then renamed over it.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DiskError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".repair");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| DiskError(format!("{}: {e}", path.display())))
}

fn run(command: Command) -> Result<ExitCode, DiskError> {
    match command {
        Command::Create { image, size, add, dir } => {
            let bytes = disk::create(size, &add, &dir)?;
            std::fs::write(&image, bytes).map_err(|e| DiskError(format!("{}: {e}", image.display())))?;
        }
        Command::Ls { image, path } => print!("{}", disk::ls(&mut open(&image)?, &path)?),
        Command::Cat { image, path } => {
            let data = disk::cat(&mut open(&image)?, &path)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&data).and_then(|()| out.flush()).map_err(|e| DiskError(format!("stdout: {e}")))?;
        }
        Command::Check { image, repair } => {
            let mut fs = open(&image)?;
            if repair {
                for fix in disk::repair(&mut fs)? {
                    println!("{}: fixed: {fix}", image.display());
                }
            } else if fs.recovered_blocks() != 0 {
                println!(
                    "{}: log: a committed transaction of {} blocks is not yet installed; mount replays it \
                     (not an error)",
                    image.display(),
                    fs.recovered_blocks()
                );
            }
            let report = disk::fsck(&mut fs)?;
            for problem in &report.problems {
                println!("{}: {problem}", image.display());
            }
            println!(
                "{}: {}: {} files, {} directories, {} devices; {} of {} blocks in use",
                image.display(),
                if report.is_clean() { "clean" } else { "INCONSISTENT" },
                report.files,
                report.dirs,
                report.devices,
                report.used_blocks,
                report.blocks
            );
            if repair {
                let bytes =
                    fs.unmount().map_err(|e| DiskError(format!("{}: {e}", image.display())))?.into_bytes();
                write_atomically(&image, &bytes)?;
            }
            if !report.is_clean() {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    run(Cli::parse().command).unwrap_or_else(|e| {
        eprintln!("oxdisk: {e}");
        ExitCode::FAILURE
    })
}
