//! The command line: `tranche [--journal PATH] [COMMAND]`.
//!
//! Without a command, `tranche` opens the desktop app. The commands are for
//! scripted use:
//!
//! - `import FILE` adds the trades of a tranche-journal JSON file, all or none
//!   (`--dry-run` only checks the file and lists what it would add), or the
//!   fills of a broker statement: it prints the preview (format, fills, trades,
//!   date range, warnings, and the file's own total beside the journal's
//!   figure for the same trades where the file states one) and then what was
//!   added, extended and skipped, and that comparison again;
//! - `export --format json [--output FILE]` writes the whole journal;
//! - `trades [--json]` lists every trade with its analysis;
//! - `show ID` prints one trade's timeline with the position after each event
//!   and each rule broken next to the event that broke it;
//! - `plan ID --price P --stop S` answers "how much may I add?" for an open trade.
//!
//! [`Cli`] is the parsed command line and [`run`] carries out a command,
//! writing to the given output so that tests can read it.

mod json;
pub mod plan;
pub mod stream;

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::analysis::format::{money, num, price, price_dp, ratio};
use crate::analysis::stats::Filter;
use crate::analysis::{RuleSettings, STOPS_NOT_JUDGED, analyze, analyze_with_steps};
use crate::domain::{EventKind, Trade, TradeId};
use crate::interchange::{self, InterchangeError};
use crate::report::{self, FilterArgs};
use crate::storage::{Journal, StorageError};

/// Tranche: a trade journal that tells you whether you scaled in and out with discipline.
#[derive(Debug, Parser)]
#[command(name = "tranche", version, about)]
pub struct Cli {
    /// The journal file (default: journal.sqlite in the user's data directory).
    #[arg(long, global = true, env = "TRANCHE_JOURNAL", value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// What to do; without a command the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A command for scripted use.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add the trades of a file to the journal: all of them, or none if any is wrong.
    Import(ImportArgs),
    /// Write the whole journal to a file or to standard output.
    Export(ExportArgs),
    /// List every trade with its P&L, R-multiple and score.
    Trades(TradesArgs),
    /// Show one trade's timeline, with each rule broken next to the event that broke it.
    Show(ShowArgs),
    /// Journal statistics: performance, rule adherence, scale-out effects.
    Report(ReportArgs),
    /// How much may I add? The largest add to an open trade at a price and
    /// stop, and the stop a given add needs.
    Plan(plan::PlanArgs),
}

/// Arguments of `tranche report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the whole review as one self-contained HTML page with its
    /// charts to this file, instead of printing the report.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Which trades to count.
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// Arguments of `tranche import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// The file's format: `json` (a tranche-journal file), a broker format
    /// (csv, ibkr-csv, ibkr-xml, thinkorswim, mt4, mt5, mt5-csv, tradovate,
    /// tradovate-performance, ninjatrader-executions, ninjatrader-trades,
    /// webull, kraken, das) or a price bars format (bars-mt4, bars-mt5,
    /// bars-tradingview, bars-ninjatrader, bars-csv). By default it is
    /// detected from the file's content.
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,
    /// The time zone of times a broker file gives without one (default: the
    /// local zone), as an IANA name such as America/New_York.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// The trading day of a broker file that gives times of day without a
    /// date (a DAS Trader trades export); its times are on this day, in the
    /// time zone of `--tz`.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub date: Option<chrono::NaiveDate>,
    /// Skip the rows of a broker file that cannot be read, with a warning for
    /// each, instead of importing nothing.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Check the file and list what would be added, without writing to the journal.
    #[arg(long)]
    pub dry_run: bool,
    /// Report progress on standard error even when it is not a terminal
    /// (one line per thousand trades).
    #[arg(long)]
    pub progress: bool,
    /// The instrument of a price bars file whose name does not say it.
    #[arg(long, value_name = "SYMBOL")]
    pub symbol: Option<String>,
}

/// A day as `--date` takes it: `YYYY-MM-DD`.
fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date written YYYY-MM-DD"))
}

/// Arguments of `tranche export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
    /// The file to write (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The formats `tranche export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The tranche-journal JSON format: lossless, and read back by `tranche import`.
    Json,
}

/// Arguments of `tranche trades`.
#[derive(Debug, Args)]
pub struct TradesArgs {
    /// Write a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `tranche show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The trade's id, as listed by `tranche trades`.
    pub id: i64,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The journal could not be opened, read or written.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The file to import is not a valid tranche journal; nothing was written.
    #[error("cannot import {}: {source}; nothing was imported", file.display())]
    Import {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        source: Box<InterchangeError>,
    },
    /// A broker statement could not be read; nothing was written.
    #[error("{0}; nothing was imported")]
    BrokerFile(#[from] crate::import::ImportError),
    /// An option was given a value that means nothing.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    File {
        /// "read" or "write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Standard output could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
    /// No trade has the id given.
    #[error("there is no trade with id {0}")]
    NoSuchTrade(TradeId),
    /// A file was read but none of its rows made a trade.
    #[error(
        "nothing was imported from {}: none of its rows made a trade{}",
        file.display(),
        if *warnings > 0 { format!(" (the {warnings} warnings above say why)") } else { String::new() }
    )]
    NothingImported {
        /// The file.
        file: PathBuf,
        /// How many warnings the reading gave.
        warnings: usize,
    },
}

impl Cli {
    /// The journal to use: `--journal` or `TRANCHE_JOURNAL`, else the default
    /// path in the data directory (which is created if need be).
    pub fn journal_path(&self) -> Result<PathBuf, CliError> {
        if let Some(path) = &self.journal {
            return Ok(path.clone());
        }
        let path = Journal::default_path()?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|source| CliError::File {
                action: "create",
                path: dir.to_owned(),
                source,
            })?;
        }
        Ok(path)
    }
}

/// Carries out `command` on the journal at `journal_path`, writing its output to `out`.
pub fn run(command: &Command, journal_path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    match command {
        Command::Import(args) => import(args, journal_path, out),
        Command::Export(args) => export(args, journal_path, out),
        Command::Trades(args) => trades(args, journal_path, out),
        Command::Show(args) => show(args, journal_path, out),
        Command::Report(args) => report(args, journal_path, out),
        Command::Plan(args) => plan::plan(args, journal_path, out),
    }
}

/// Opens the journal for a command that only reads it: without the write
/// lock when it is up to date, and read-only (with a note) where it cannot be
/// written.
pub(crate) fn open_for_reading(journal_path: &Path) -> Result<Journal, CliError> {
    let journal = Journal::open_for_reading(journal_path)?;
    if journal.is_read_only() {
        eprintln!(
            "note: {} cannot be written here; it was opened read-only",
            journal_path.display()
        );
    }
    Ok(journal)
}

fn report(args: &ReportArgs, journal_path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let journal = open_for_reading(journal_path)?;
    let settings = journal.rule_settings()?;
    let filter = Filter::from(args.filter.clone());
    // The page draws the curves; the text and the JSON print none.
    let journal_stats = if args.html.is_some() {
        stream::journal_stats(&journal, &filter, &settings, stream::CHUNK)?
    } else {
        stream::report_stats(&journal, &filter, &settings, stream::CHUNK)?
    };
    if let Some(path) = &args.html {
        let about = crate::html_report::About {
            title: "Tranche review".to_owned(),
            lines: vec![
                format!("Journal: {}", journal_path.display()),
                format!("Trades: {}", crate::html_report::describe_filter(&filter)),
                format!("Written {}", chrono::Local::now().format("%Y-%m-%d %H:%M")),
            ],
        };
        let page = crate::html_report::html_report(&journal_stats, None, &about);
        crate::files::write_atomically(path, page.as_bytes()).map_err(|source| CliError::File {
            action: "write",
            path: path.clone(),
            source,
        })?;
        writeln!(
            out,
            "Wrote the review of {} trades to {}",
            journal_stats.trades,
            path.display()
        )?;
    } else if args.json {
        report::write_report_json(&journal_stats, out)?;
    } else {
        write!(out, "{}", report::report_text(&journal_stats))?;
    }
    Ok(())
}

/// Whether a file is a tranche-journal file: a JSON object (broker files
/// never start with a brace).
fn is_journal_json(bytes: &[u8]) -> bool {
    interchange::looks_like_journal(bytes)
}

fn import(args: &ImportArgs, journal_path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    // A new journal's schema is made aside while the file is read (see
    // `NewJournal`); it takes its place only once the file has read.
    let making = (!args.dry_run && !journal_path.exists()).then(|| {
        let path = journal_path.to_owned();
        Joined(Some(std::thread::spawn(move || {
            crate::storage::NewJournal::create(&path)
        })))
    });
    let bytes = fs::read(&args.file).map_err(|source| CliError::File {
        action: "read",
        path: args.file.clone(),
        source,
    })?;
    let bars_format = match args.format.as_deref().map(str::trim) {
        Some(name) if name.to_ascii_lowercase().starts_with("bars") => Some(
            name.parse::<crate::import::bars::BarFormat>()
                .map_err(|e| CliError::Usage(e.to_string()))?,
        ),
        None if !is_journal_json(&bytes) => crate::import::bars::detect_bars(&bytes),
        _ => None,
    };
    if let Some(format) = bars_format {
        return import_bars(args, format, &bytes, journal_path, making, out);
    }
    let format = match args.format.as_deref().map(str::trim) {
        Some(name) if name.eq_ignore_ascii_case("json") => None,
        Some(name) => Some(
            name.parse::<crate::import::Format>()
                .map_err(|e| CliError::Usage(e.to_string()))?,
        ),
        None if is_journal_json(&bytes) => None,
        None => match crate::import::detect(&bytes) {
            Some(format) => Some(format),
            None => {
                return Err(CliError::BrokerFile(crate::import::ImportError {
                    file: args.file.display().to_string(),
                    line: None,
                    field: None,
                    message: "this is neither a tranche journal nor a broker statement \
                              Tranche knows; choose the format with --format"
                        .to_owned(),
                }));
            }
        },
    };
    match format {
        Some(format) => import_statement(args, format, bytes, journal_path, making, out),
        None => import_json(args, &bytes, journal_path, making, out),
    }
}

/// A journal being made aside on a helper thread (see `NewJournal`).
type Making = Option<Joined<Result<crate::storage::NewJournal, StorageError>>>;

/// The journal at `path` that an import writes into: the one `making` made
/// aside, put in its place, when there is one.
fn journal_for_import(making: Making, path: &Path) -> Result<Journal, StorageError> {
    journal_made_for_import(making.and_then(Joined::join), path)
}

/// [`journal_for_import`] of what the helper thread made, if anything.
fn journal_made_for_import(
    made: Option<Result<crate::storage::NewJournal, StorageError>>,
    path: &Path,
) -> Result<Journal, StorageError> {
    match made {
        Some(Ok(new)) => new.put_in_place(),
        // Where it could not be made aside, it is made in place, which says
        // why if it cannot be.
        _ => Journal::open(path),
    }
}

/// Writes progress to standard error: a line each time with `--progress`, an
/// updating line on a terminal, nothing otherwise.
fn progress_printer(always: bool, what: &'static str) -> impl FnMut(usize, usize) {
    let terminal = io::stderr().is_terminal();
    let mut last = usize::MAX;
    move |done: usize, total: usize| {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        if percent == last {
            return;
        }
        last = percent;
        if always {
            eprintln!("{what}: {percent}%");
        } else if terminal {
            eprint!("\r{what}: {percent}%");
            if done >= total {
                eprintln!();
            }
        }
    }
}

fn import_statement(
    args: &ImportArgs,
    format: crate::import::Format,
    bytes: Vec<u8>,
    journal_path: &Path,
    making: Making,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    use crate::import::{GroupOptions, ImportOptions, read_bytes_with_progress};
    let tz = match &args.tz {
        Some(zone) => zone
            .trim()
            .parse::<chrono_tz::Tz>()
            .map_err(|_| CliError::Usage(format!("unknown time zone {zone:?}")))?,
        None => crate::import::local_zone(),
    };
    // The multipliers the user set for imports (in the app's Settings) are
    // kept in the journal the file is imported into; a journal that does not
    // exist yet has none, and is only created once the file reads.
    let existing = if journal_path.exists() {
        if args.dry_run {
            // A dry run never upgrades (nor backs up) an older journal.
            if let Some(found) = Journal::needs_upgrade(journal_path)? {
                return Err(StorageError::NeedsUpgrade {
                    path: journal_path.to_owned(),
                    found,
                    known: crate::storage::SCHEMA_VERSION,
                }
                .into());
            }
            Some(Journal::open_for_reading(journal_path)?)
        } else {
            Some(Journal::open(journal_path)?)
        }
    } else {
        None
    };
    let multipliers = match &existing {
        Some(journal) => journal.import_multipliers()?.into_iter().collect(),
        None => Default::default(),
    };
    let options = ImportOptions {
        format: Some(format),
        tz,
        skip_bad_rows: args.skip_bad_rows,
        multipliers,
        date: args.date,
        ..ImportOptions::default()
    };
    let file = args.file.display().to_string();
    // The file's bytes are let go once it is read, before its fills are
    // grouped and the import written.
    let read = read_bytes_with_progress(
        bytes,
        &file,
        &options,
        &mut progress_printer(args.progress, "reading"),
    )?;
    // A first import into a new journal is written into the journal made
    // aside, each trade booked once as it is written, and the journal takes
    // its name once the import is committed. Where its trades cannot be
    // booked that way, or it cannot take its name, the file is grouped and
    // committed as usual.
    let mut made = making.and_then(Joined::join);
    if existing.is_none()
        && !args.dry_run
        && read.streams()
        && let Some(Ok(new)) = made.take()
    {
        let streamed = new
            .open()?
            .commit_streamed(&read, &mut progress_printer(args.progress, "writing"))?;
        match streamed {
            Some(done) => {
                if new.take_name() {
                    write!(out, "{}", done.preview)?;
                    return write_import_result(out, &done.outcome, &[], false);
                }
            }
            None => made = Some(Ok(new)),
        }
    }
    let import = read.group();
    write!(out, "{}", import.preview())?;
    if import.trade_count() == 0 {
        return Err(CliError::NothingImported {
            file: args.file.clone(),
            warnings: import.warnings.len(),
        });
    }

    let mut journal = match existing {
        Some(journal) => journal,
        None if args.dry_run => Journal::open_in_memory()?,
        None => journal_made_for_import(made, journal_path)?,
    };
    let group_options = GroupOptions {
        multipliers: options.multipliers.clone(),
        ..GroupOptions::default()
    };
    let outcome = journal.commit_import(
        &import,
        &group_options,
        args.dry_run,
        &mut progress_printer(args.progress, "writing"),
    )?;
    write_import_result(out, &outcome, &import.warnings, args.dry_run)?;
    // The file's own total beside the journal's figure, once more after the
    // result; a disagreement is said, and is not a failure.
    if let Some(check) = import.reconciliation() {
        writeln!(
            out,
            "{}: {check} ({})",
            check.label,
            if args.dry_run {
                "dry run: not kept"
            } else {
                "kept with the import"
            }
        )?;
        if !check.agrees() {
            eprintln!(
                "warning: the journal's figure for the trades of {} does not agree with the \
                 statement's {}; the warnings above may say why",
                import.file, check.label
            );
        }
    }
    Ok(())
}

/// Writes what an import added: the warnings of its commit that its preview
/// did not give (`previewed`), then the counts.
fn write_import_result(
    out: &mut dyn Write,
    outcome: &crate::storage::ImportOutcome,
    previewed: &[crate::import::Warning],
    dry_run: bool,
) -> Result<(), CliError> {
    for warning in &outcome.warnings {
        if !previewed.contains(warning) {
            writeln!(out, "  {warning}")?;
        }
    }
    writeln!(
        out,
        "{} added, {} extended, {}; {} skipped as already imported{}",
        counted(outcome.added.len(), "trade"),
        counted(outcome.extended.len(), "trade"),
        counted(outcome.new_fills, "new fill"),
        counted(outcome.known_fills, "fill"),
        if dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    )?;
    Ok(())
}

/// A helper thread, waited for when it goes out of scope: what it makes is
/// let go (a journal made aside is removed) before the command ends.
struct Joined<T>(Option<std::thread::JoinHandle<T>>);

impl<T> Joined<T> {
    /// What the thread made, or `None` if it panicked.
    fn join(mut self) -> Option<T> {
        self.0.take()?.join().ok()
    }
}

impl<T> Drop for Joined<T> {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

/// The zone of `--tz`, else the local zone.
fn zone(args: &ImportArgs) -> Result<chrono_tz::Tz, CliError> {
    match &args.tz {
        Some(zone) => zone
            .trim()
            .parse::<chrono_tz::Tz>()
            .map_err(|_| CliError::Usage(format!("unknown time zone {zone:?}"))),
        None => Ok(crate::import::local_zone()),
    }
}

fn import_bars(
    args: &ImportArgs,
    format: crate::import::bars::BarFormat,
    bytes: &[u8],
    journal_path: &Path,
    making: Making,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    use crate::import::bars::{BarOptions, read_bars};
    let options = BarOptions {
        format: Some(format),
        tz: zone(args)?,
        symbol: args.symbol.clone(),
    };
    let file = args.file.display().to_string();
    let read = read_bars(bytes, &file, &options)?;
    write!(out, "{}", read.preview())?;
    let mut journal = if args.dry_run {
        if journal_path.exists() {
            Journal::open_for_reading(journal_path)?
        } else {
            Journal::open_in_memory()?
        }
    } else {
        journal_for_import(making, journal_path)?
    };
    if args.dry_run {
        writeln!(out, "dry run: nothing written")?;
        return Ok(());
    }
    let source = args
        .file
        .file_name()
        .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
    let outcome = journal.insert_bars(
        &read.series,
        &source,
        &mut progress_printer(args.progress, "writing"),
    )?;
    writeln!(
        out,
        "{} added, {} already in the journal; {} {} now holds {}",
        counted(outcome.added, "bar"),
        outcome.known,
        outcome.series.symbol,
        crate::domain::bars::length_words(outcome.series.length),
        counted(usize::try_from(outcome.series.bars).unwrap_or(0), "bar"),
    )?;
    Ok(())
}

fn import_json(
    args: &ImportArgs,
    bytes: &[u8],
    journal_path: &Path,
    making: Making,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let text = std::str::from_utf8(bytes).map_err(|e| CliError::File {
        action: "read",
        path: args.file.clone(),
        source: io::Error::new(io::ErrorKind::InvalidData, e),
    })?;
    let (trades, playbooks) =
        interchange::from_json_with_playbooks(text).map_err(|source| CliError::Import {
            file: args.file.clone(),
            source: Box::new(source),
        })?;
    let events: usize = trades.iter().map(|t| t.events.len()).sum();

    if args.dry_run {
        writeln!(
            out,
            "{}: {} trades with {events} events would be added (dry run: nothing written)",
            args.file.display(),
            trades.len()
        )?;
        let settings = RuleSettings::default();
        let rows = trades
            .iter()
            .enumerate()
            .map(|(i, trade)| trade_row(&(i + 1).to_string(), trade, &settings))
            .collect();
        write_table(out, &TRADE_COLUMNS_DRY_RUN, rows)?;
        return Ok(());
    }

    let mut journal = journal_for_import(making, journal_path)?;
    let terminal = io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if args.progress {
            eprintln!("importing: {done} / {total} trades");
        } else if terminal && total >= 1000 {
            eprint!("\rimporting: {done} / {total} trades");
            if done == total {
                eprintln!();
            }
        }
    };
    // The file's playbooks replace the journal's for the same setups,
    // written in the trades' transaction.
    let merged = if playbooks.is_empty() {
        None
    } else {
        let mut merged = journal.playbooks()?;
        for playbook in &playbooks {
            merged.retain(|p| !p.is_for(&playbook.setup));
            merged.push(playbook.clone());
        }
        Some(merged)
    };
    let ids = journal.insert_trades_with_playbooks(&trades, merged.as_deref(), &mut progress)?;
    if !playbooks.is_empty() {
        writeln!(
            out,
            "added {} from the file",
            counted(playbooks.len(), "playbook")
        )?;
    }
    match (ids.first(), ids.last()) {
        (Some(first), Some(last)) => writeln!(
            out,
            "added {} trades with {events} events to {} (ids {first} to {last})",
            ids.len(),
            journal_path.display()
        )?,
        _ => writeln!(out, "the file holds no trades; nothing was added")?,
    }
    Ok(())
}

fn export(args: &ExportArgs, journal_path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let journal = open_for_reading(journal_path)?;
    // Written as it is read, to standard output or atomically to the file.
    let write = |out: &mut dyn Write| match args.format {
        ExportFormat::Json => stream::write_export_json(&journal, stream::CHUNK, out),
    };
    match &args.output {
        None => write(out)?,
        Some(path) => {
            // The first error, kept whole: the file's message names the file.
            let mut failed = None;
            let written = crate::files::write_atomically_with(path, |file| {
                write(file).map_err(|error| match error {
                    CliError::Output(error) => error,
                    other => {
                        let message = other.to_string();
                        failed = Some(other);
                        io::Error::other(message)
                    }
                })
            });
            if let Some(error) = failed {
                return Err(error);
            }
            written.map_err(|source| CliError::File {
                action: "write",
                path: path.clone(),
                source,
            })?
        }
    }
    Ok(())
}

fn trades(args: &TradesArgs, journal_path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let journal = open_for_reading(journal_path)?;
    if args.json {
        return stream::write_trades_json(&journal, stream::CHUNK, out);
    }
    let settings = journal.rule_settings()?;
    let trades = journal.trades()?;
    let rows = trades
        .iter()
        .map(|(id, trade)| trade_row(&id.to_string(), trade, &settings))
        .collect();
    write_table(out, &TRADE_COLUMNS, rows)?;
    Ok(())
}

/// Columns of `tranche trades`: a name, and whether it is right-aligned.
const TRADE_COLUMNS: [(&str, bool); 12] = [
    ("ID", true),
    ("SYMBOL", false),
    ("SIDE", false),
    ("OPENED", false),
    ("CLOSED", false),
    ("QTY", true),
    ("AVG ENTRY", true),
    ("GROSS", true),
    ("FEES", true),
    ("NET", true),
    ("R", true),
    ("SCORE", true),
];

/// The same columns, numbered by position in the file instead of id.
const TRADE_COLUMNS_DRY_RUN: [(&str, bool); 12] = {
    let mut columns = TRADE_COLUMNS;
    columns[0] = ("#", true);
    columns
};

fn short_time(at: &chrono::DateTime<chrono::FixedOffset>) -> String {
    at.format("%Y-%m-%d %H:%M %:z").to_string()
}

fn trade_row(label: &str, trade: &Trade, settings: &RuleSettings) -> Row {
    let a = analyze(trade, settings);
    let cells = vec![
        label.to_owned(),
        trade.symbol.clone(),
        trade.side.as_str().to_owned(),
        a.opened_at.as_ref().map(short_time).unwrap_or_default(),
        a.closed_at
            .as_ref()
            .map_or_else(|| "open".to_owned(), short_time),
        num(a.open_qty),
        a.avg_entry
            .map(|p| price(p, price_dp(trade)))
            .unwrap_or_default(),
        money(a.gross_pnl),
        money(a.fees),
        money(a.net_pnl),
        a.r_multiple.map(|r| price(r, 2)).unwrap_or_default(),
        a.score.to_string(),
    ];
    Row {
        cells,
        notes: Vec::new(),
    }
}

/// A table row, with lines printed under it.
struct Row {
    cells: Vec<String>,
    notes: Vec<String>,
}

/// Writes rows under a header, each column as wide as its widest cell.
fn write_table(out: &mut dyn Write, columns: &[(&str, bool)], rows: Vec<Row>) -> io::Result<()> {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = columns.iter().map(|(name, _)| width(name)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(&row.cells) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let mut text = String::new();
        for ((cell, w), (_, right)) in cells.zip(&widths).zip(columns) {
            if !text.is_empty() {
                text.push_str("  ");
            }
            let pad = " ".repeat(w.saturating_sub(width(cell)));
            if *right {
                text.push_str(&pad);
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&pad);
            }
        }
        text.trim_end().to_owned()
    };
    writeln!(out, "{}", line(&mut columns.iter().map(|(name, _)| *name)))?;
    for row in &rows {
        writeln!(out, "{}", line(&mut row.cells.iter().map(String::as_str)))?;
        for note in &row.notes {
            writeln!(out, "{note}")?;
        }
    }
    Ok(())
}

/// Columns of `tranche show`.
const TIMELINE_COLUMNS: [(&str, bool); 12] = [
    ("#", true),
    ("TIME", false),
    ("EVENT", false),
    ("QTY", true),
    ("PRICE", true),
    ("FEE", true),
    ("Q", true),
    ("A", true),
    ("G", true),
    ("F", true),
    ("S", true),
    ("W", true),
];

fn show(args: &ShowArgs, journal_path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let journal = open_for_reading(journal_path)?;
    let id = TradeId(args.id);
    let trade = journal.trade(id)?.ok_or(CliError::NoSuchTrade(id))?;
    let settings = journal.rule_settings()?;
    let (analysis, steps) = analyze_with_steps(&trade, &settings);

    writeln!(
        out,
        "Trade {id}: {} {}, multiplier {}, {}, account {}",
        trade.symbol,
        trade.side,
        num(trade.multiplier),
        trade.currency,
        trade.account
    )?;
    let setup = if trade.setup.is_empty() {
        "-"
    } else {
        &trade.setup
    };
    let tags = if trade.tags.is_empty() {
        "-".to_owned()
    } else {
        trade.tags.join(", ")
    };
    writeln!(
        out,
        "Setup: {setup}; market: {}; tags: {tags}",
        trade.market_condition
    )?;
    if !trade.notes.is_empty() {
        writeln!(out, "Notes: {}", trade.notes)?;
    }
    writeln!(out)?;

    let dp = price_dp(&trade);
    let optional = |value: Option<rust_decimal::Decimal>, dp: u32| {
        value
            .map(|v| price(v, dp))
            .unwrap_or_else(|| "-".to_owned())
    };
    let rows = trade
        .events
        .iter()
        .zip(&steps)
        .enumerate()
        .map(|(i, (event, step))| {
            let (qty, fee) = match event.kind {
                EventKind::Entry(fill) | EventKind::Exit(fill) => (num(fill.qty), num(fill.fee)),
                EventKind::Stop { .. } | EventKind::Target { .. } => (String::new(), String::new()),
            };
            let cells = vec![
                (i + 1).to_string(),
                short_time(&event.at),
                event.kind.name().to_owned(),
                qty,
                price(event.kind.price(), dp),
                fee,
                num(step.open_qty),
                optional(step.avg_entry, dp),
                money(step.realized),
                money(step.fees),
                optional(step.stop, dp),
                optional(step.worst_case, 2),
            ];
            let notes = analysis
                .violations
                .iter()
                .filter(|v| v.event == i)
                .map(|v| format!("      ! {}: {}", v.rule, v.message))
                .collect();
            Row { cells, notes }
        })
        .collect();
    write_table(out, &TIMELINE_COLUMNS, rows)?;
    writeln!(out)?;

    let status = match &analysis.closed_at {
        Some(at) => format!("closed {}", short_time(at)),
        None => format!("open, {} still held", num(analysis.open_qty)),
    };
    writeln!(out, "Status: {status}")?;
    writeln!(
        out,
        "P&L: gross {}, fees {}, net {}",
        money(analysis.gross_pnl),
        money(analysis.fees),
        money(analysis.net_pnl)
    )?;
    match (analysis.initial_risk, analysis.r_multiple) {
        (Some(risk), Some(r)) => {
            writeln!(out, "Initial risk {}; R-multiple {}", money(risk), ratio(r))?
        }
        (Some(risk), None) => writeln!(out, "Initial risk {}", money(risk))?,
        _ if !analysis.stops_judged => writeln!(
            out,
            "Initial stop not known, so no initial risk or R-multiple"
        )?,
        _ => writeln!(out, "No initial stop, so no initial risk or R-multiple")?,
    }
    if !analysis.stops_judged {
        writeln!(out, "{STOPS_NOT_JUDGED}")?;
    }
    writeln!(
        out,
        "Adds: {}; partial exits: {}; score: {}/100; violations: {}",
        analysis.adds,
        analysis.partial_exits,
        analysis.score,
        analysis.violations.len()
    )?;
    if let Some(s) = &analysis.scale_out {
        writeln!(
            out,
            "Scaling out {} {} (actual {}, held to last exit {}, all out at first exit {})",
            s.verdict.as_str(),
            money(s.effect.abs()),
            money(s.actual),
            money(s.held_to_last_exit),
            money(s.all_out_at_first_exit)
        )?;
    }
    let map = journal.bars_symbol_map()?;
    match crate::market::trade_excursion(&journal, &trade, &map)? {
        None => writeln!(out, "Excursions: no price bars span this trade")?,
        Some(x) => write_excursion(out, &trade, &x, dp)?,
    }
    Ok(())
}

/// The lines of `tranche show` about a trade against the bars.
fn write_excursion(
    out: &mut dyn Write,
    trade: &Trade,
    x: &crate::analysis::excursion::Excursion,
    dp: u32,
) -> io::Result<()> {
    let in_r = |r: Option<rust_decimal::Decimal>| {
        r.map(|r| format!(" ({}R)", ratio(r))).unwrap_or_default()
    };
    let when = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    };
    writeln!(
        out,
        "Against {} bars: MFE {}{} (best {} in the bar of {}), MAE {}{} (worst {} in the bar of {})",
        crate::domain::bars::length_words(x.bar_length),
        price(x.mfe, dp),
        in_r(x.mfe_r),
        price(x.best.price, dp),
        when(x.best.at),
        price(x.mae, dp),
        in_r(x.mae_r),
        price(x.worst.price, dp),
        when(x.worst.at),
    )?;
    for e in &x.exits {
        let qty = trade.events[e.event]
            .kind
            .fill()
            .map(|f| num(f.qty))
            .unwrap_or_default();
        match (e.left, e.saved) {
            (Some(left), Some(saved)) => writeln!(
                out,
                "  after exit #{} ({qty} at {}): the rest of the trade could have added {} (left), \
                 and taking it off protected up to {} (saved)",
                e.event + 1,
                price(e.price, dp),
                money(left),
                money(saved)
            )?,
            _ => writeln!(
                out,
                "  after exit #{} ({qty} at {}): no bars before the trade ended",
                e.event + 1,
                price(e.price, dp)
            )?,
        }
    }
    Ok(())
}

/// `count` and `noun`, with the noun in the plural unless the count is one.
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
