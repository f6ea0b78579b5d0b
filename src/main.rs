//! The `tranche` program: the desktop app by default, commands for scripted use.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use tranche::cli::{self, Cli};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The library's errors carry their causes in their messages, so only the
            // outermost one is printed.
            eprintln!("tranche: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args = Cli::parse();
    let journal_path = args.journal_path()?;
    match &args.command {
        None => tranche::app::run(journal_path)?,
        Some(command) => {
            if matches!(command, cli::Command::Import(_)) {
                grow_heaps_in_large_steps();
            }
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            cli::run(command, &journal_path, &mut out)?;
            out.flush().map_err(cli::CliError::Output)?;
        }
    }
    Ok(())
}

/// How much more memory glibc's heaps take from the system each time they
/// grow, and keep at their top when memory is freed (`M_TOP_PAD`; 128 KiB
/// by default).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const HEAP_STEP: libc::c_int = 16 << 20;

/// The size from which an allocation is a mapping of its own rather than
/// part of a heap (`M_MMAP_THRESHOLD`): the most glibc raises it to by
/// itself, which it stops doing once any setting is made. Large buffers
/// freed then go back to a heap, where the next ones reuse them, instead
/// of each being mapped afresh, page by page.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_MAPPING_FROM: libc::c_int = 32 << 20;

/// Lets the heaps of an import grow in steps of [`HEAP_STEP`]. An import
/// allocates on several threads at once, each from a heap of its own;
/// grown in small steps, each step changes the process's memory map, which
/// every other thread's page faults wait for (measured: 623 such changes
/// in an import of 100,000 fills, 22 with this; the import takes 3-6% less
/// time, and one of 1,000,000 fills peaks at 207 MB instead of 192 MB,
/// freed memory being kept for reuse). Memory taken but not touched costs
/// nothing. The other commands, which take less memory without, and the
/// app, which runs for hours, keep the defaults.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn grow_heaps_in_large_steps() {
    // SAFETY: mallopt takes no pointer; it sets a parameter of malloc
    // under malloc's own lock, and these values are in the valid range.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, HEAP_STEP);
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM);
    }
}

/// Elsewhere the allocator keeps its own settings.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn grow_heaps_in_large_steps() {}
