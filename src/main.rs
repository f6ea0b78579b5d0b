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
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            cli::run(command, &journal_path, &mut out)?;
            out.flush().map_err(cli::CliError::Output)?;
        }
    }
    Ok(())
}
