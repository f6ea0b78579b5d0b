//! Importing price bars as the user does it: the release `tranche` binary
//! importing a generated 1,000,000-bar one-minute MetaTrader 4 file into a new
//! journal, beside `sqlite3 .import` of the same file into a plain table in
//! the same run, and how much the journal grows per bar.
//!
//! Run with `cargo bench --bench bars_process` (`TRANCHE_BENCH_BARS` sets the
//! number of bars, `TRANCHE_BENCH_RUNS` the runs, of which the median is shown;
//! peak memory is read by GNU time, `/usr/bin/time`, where it is installed).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;

#[path = "measure.rs"]
mod measure;
use measure::{env_number, gnu_time, measure, median, mib, remove_database, runs_with};

/// A one-minute EURUSD history of `n` bars, as MetaTrader 4's History Center writes it.
fn generate(n: usize) -> String {
    let mut text = String::with_capacity(n * 52);
    let mut t = chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut price: i64 = 110_000;
    let mut seed: u64 = 7;
    for _ in 0..n {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let step = ((seed >> 33) % 21) as i64 - 10;
        let open = price;
        let close = (price + step).max(50_000);
        let high = open.max(close) + ((seed >> 20) % 6) as i64;
        let low = open.min(close) - ((seed >> 12) % 6) as i64;
        let p = |u: i64| format!("{}.{:05}", u / 100_000, u % 100_000);
        writeln!(
            text,
            "{},{},{},{},{},{},{}",
            t.format("%Y.%m.%d"),
            t.format("%H:%M"),
            p(open),
            p(high),
            p(low),
            p(close),
            (seed >> 40) % 500 + 1
        )
        .unwrap();
        price = close;
        t += chrono::Duration::minutes(1);
    }
    text
}

fn main() {
    let bars = env_number("TRANCHE_BENCH_BARS", 1_000_000);
    let runs = env_number("TRANCHE_BENCH_RUNS", 3).max(1);
    let tranche = env!("CARGO_BIN_EXE_tranche");
    let time = gnu_time();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("EURUSD1.csv");
    std::fs::write(&csv, generate(bars)).unwrap();
    let csv_text = csv.to_str().unwrap().to_owned();
    let journal = dir.path().join("journal.sqlite");
    let journal_text = journal.to_str().unwrap().to_owned();
    let table = dir.path().join("plain.sqlite");
    let table_text = table.to_str().unwrap().to_owned();
    let file_mb = std::fs::metadata(&csv).unwrap().len() as f64 / 1e6;
    println!("{bars} one-minute bars, {file_mb:.0} MB of CSV; median of {runs} runs");

    // An empty journal's size, then the import.
    remove_database(&journal);
    measure(
        None,
        tranche,
        &["--journal", &journal_text, "trades"],
        &|| {},
    );
    let empty = std::fs::metadata(&journal).unwrap().len();
    let args = [
        "--journal",
        journal_text.as_str(),
        "import",
        "--tz",
        "UTC",
        csv_text.as_str(),
    ];
    let (import, import_peak) = median(
        (0..runs)
            .map(|_| {
                measure(time.as_deref(), tranche, &args, &|| {
                    remove_database(&journal)
                })
            })
            .collect(),
    );
    let grown = std::fs::metadata(&journal).unwrap().len() - empty;
    let reference = runs_with("sqlite3", "--version").then(|| {
        let import = format!(".import --csv {csv_text} bars");
        let args = [table_text.as_str(), import.as_str()];
        median(
            (0..runs)
                .map(|_| {
                    measure(time.as_deref(), "sqlite3", &args, &|| {
                        remove_database(&table)
                    })
                })
                .collect(),
        )
    });
    match reference {
        Some((reference, peak)) => println!(
            "import        {:>7.2} s {:>8}   sqlite3 .import {:>6.2} s {:>8}   {:.2}x",
            import.as_secs_f64(),
            mib(import_peak),
            reference.as_secs_f64(),
            mib(peak),
            import.as_secs_f64() / reference.as_secs_f64()
        ),
        None => println!(
            "import        {:>7.2} s {:>8}   (no sqlite3 on the PATH)",
            import.as_secs_f64(),
            mib(import_peak)
        ),
    }
    println!(
        "journal growth {:.1} bytes a bar ({:.0} MB for {bars} bars)",
        grown as f64 / bars as f64,
        grown as f64 / 1e6
    );
}
