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
            grow_heaps_in_large_steps();
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

/// Lets the heaps of a command grow in steps of [`HEAP_STEP`]. An import
/// allocates on several threads at once, each from a heap of its own;
/// grown in small steps, each step changes the process's memory map, which
/// every other thread's page faults wait for (measured: 623 such changes
/// in an import of 100,000 fills, 25 with this; the import takes 4-5% less
/// time). Memory taken but not touched costs nothing. The app, which runs
/// for hours, keeps the default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn grow_heaps_in_large_steps() {
    // SAFETY: mallopt takes no pointer; it sets a parameter of malloc
    // under malloc's own lock, and any value of M_TOP_PAD is valid.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, HEAP_STEP);
    }
}

/// Elsewhere the allocator keeps its own settings.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn grow_heaps_in_large_steps() {}
