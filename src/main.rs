//! The `tranche` program: the desktop app by default, commands for scripted use.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tranche::cli::{self, Cli};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tranche: {error:#}");
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
            out.flush().context("cannot write the output")?;
        }
    }
    Ok(())
}
