//! Import speed: a generated CSV of 1,000,000 fills, read and grouped into
//! trades and committed into a new journal on disk, against `sqlite3 .import`
//! of the same file into a plain table, measured in the same run. A second
//! import of the same file into that journal (which adds nothing) is timed
//! too. Each import into the journal is timed from reading the file until the
//! journal is committed and closed, and its phases are printed below it:
//! read and group, open and look up the known fills, write, commit, close.
//!
//! Run with `cargo bench --bench import` (set `TRANCHE_BENCH_FILLS` for
//! another size). The `sqlite3` command-line shell must be on the PATH for the
//! comparison; without it only the import is timed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;
use std::time::{Duration, Instant};

use tranche::import::{GroupOptions, ImportOptions, import};
use tranche::storage::Journal;

#[path = "fills.rs"]
mod fills;
use fills::generate;

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

fn main() {
    let n: usize = std::env::var("TRANCHE_BENCH_FILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("fills.csv");
    std::fs::write(&path, generate(n)).expect("the generated file is written");

    let options = ImportOptions {
        tz: chrono_tz::UTC,
        ..ImportOptions::default()
    };
    let (result, import_time) = time(|| {
        let bytes = std::fs::read(&path).expect("the generated file is read");
        import(&bytes, "fills.csv", &options).expect("the generated file imports")
    });
    println!(
        "import: {} fills, {} trades in {:.3} s",
        result.fills.len(),
        result.trade_count(),
        import_time.as_secs_f64()
    );

    if std::env::var("TRANCHE_BENCH_PHASES").is_ok() {
        let bytes = std::fs::read(&path).expect("the generated file is read");
        let ((_, parsed), parse_time) =
            time(|| tranche::import::parse(&bytes, "fills.csv", &options).expect("parses"));
        let (_, group_time) = time(|| {
            tranche::import::group::group(&parsed.fills, &parsed.stops, &Default::default())
        });
        println!(
            "  of which reading {:.3} s, grouping {:.3} s",
            parse_time.as_secs_f64(),
            group_time.as_secs_f64()
        );
    }

    // The whole import into a journal: read, group, commit, close. Progress
    // reports tell writing from committing: the last two come once
    // everything is written and once it is committed. The file as read is
    // freed once the clock has stopped, as the program does once it has
    // told the user the outcome.
    let journal_path = dir.path().join("journal.sqlite");
    let commit_into_journal = || {
        let started = Instant::now();
        let bytes = std::fs::read(&path).expect("the generated file is read");
        let file = import(&bytes, "fills.csv", &options).expect("the generated file imports");
        let imported = Instant::now();
        let mut journal = Journal::open(&journal_path).expect("the journal opens");
        let opened = Instant::now();
        let mut reports = Vec::new();
        let outcome = journal
            .commit_import(&file, &GroupOptions::default(), false, &mut |_, _| {
                reports.push(Instant::now())
            })
            .expect("the import commits");
        drop(journal);
        let closed = Instant::now();
        let (first, written, committed) = match reports[..] {
            [first, .., written, committed] => (first, written, committed),
            _ => (opened, opened, opened),
        };
        let phases = format!(
            "read and group {:.3} s, open and look up {:.3} s, write {:.3} s, \
             commit {:.3} s, close {:.3} s",
            (imported - started).as_secs_f64(),
            (first - imported).as_secs_f64(),
            (written - first).as_secs_f64(),
            (committed - written).as_secs_f64(),
            (closed - committed).as_secs_f64()
        );
        (outcome, phases, file)
    };
    let ((outcome, phases, file), journal_time) = time(commit_into_journal);
    drop(file);
    println!(
        "import into a journal: {} fills, {} trades added in {:.3} s",
        outcome.new_fills,
        outcome.added.len(),
        journal_time.as_secs_f64()
    );
    println!("  {phases}");
    let ((again, phases, file), again_time) = time(commit_into_journal);
    drop(file);
    println!(
        "the same file again: {} fills skipped, {} added in {:.3} s",
        again.known_fills,
        again.new_fills,
        again_time.as_secs_f64()
    );
    println!("  {phases}");

    let db = dir.path().join("plain.sqlite");
    let (status, sqlite_time) = time(|| {
        Command::new("sqlite3")
            .arg(&db)
            .arg(format!(".import --csv {} fills", path.display()))
            .status()
    });
    match status {
        Ok(s) if s.success() => {
            let ratio = import_time.as_secs_f64() / sqlite_time.as_secs_f64();
            let journal_ratio = journal_time.as_secs_f64() / sqlite_time.as_secs_f64();
            println!(
                "sqlite3 .import: {:.3} s; read and group / sqlite3 = {ratio:.2}; \
                 into a journal / sqlite3 = {journal_ratio:.2}",
                sqlite_time.as_secs_f64()
            );
        }
        _ => println!("sqlite3 .import: not run (no sqlite3 shell)"),
    }
}
