//! Whole processes, as the user runs them: the release `tranche` binary against
//! a generated file, wall time and peak memory (RSS), each beside its reference
//! measured in the same run.
//!
//! - `import` of a generic CSV of fills into a new journal, beside `sqlite3
//!   .import` of the same file into a plain table;
//! - `trades --json`, `export` and `report --json` over that journal, beside
//!   the size of the journal's file (the data they read), and the first run
//!   of each after the import apart; `report --json --from 1900-01-01` too,
//!   which takes every trade but, filtered, adds them all up instead of
//!   printing the statistics the journal keeps;
//! - `import` of the same file again over that journal (which adds nothing),
//!   and over a journal holding its first fifth, beside the import into a new
//!   journal.
//!
//! - `import` and `report --json` of a smaller file of the same fills, beside
//!   beancount's `bean-check -C` of a ledger holding those fills as FIFO-booked
//!   lots (when `bean-check` is on the PATH; `pip install beancount==3.2.3`),
//!   the runs of each alternating.
//!
//! Run with `cargo bench --bench process` (`TRANCHE_BENCH_FILLS` sets the
//! number of fills, 1,000,000 by default; `TRANCHE_BENCH_RUNS` the runs of
//! each, 5 by default, of which the median is shown;
//! `TRANCHE_BENCH_LEDGER_FILLS` the fills of the beancount comparison, 100,000
//! by default). Peak memory is read by
//! GNU time (`/usr/bin/time`, Debian's `time` package); without it only wall
//! time is shown. Without `sqlite3` on the PATH the import has no reference.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "fills.rs"]
mod fills;
use fills::generate;
#[path = "measure.rs"]
mod measure;
use measure::{Run, env_number, gnu_time, measure, median, mib, remove_database, runs_with};

/// The fills of a file made by `generate`, as a beancount ledger booked
/// first in, first out: one transaction per fill, cash and commission explicit,
/// the realised gain left for beancount to work out.
fn beancount_ledger(csv: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(csv.len() * 3);
    out.push_str("option \"operating_currency\" \"USD\"\noption \"booking_method\" \"FIFO\"\n");
    out.push_str("2000-01-01 open Assets:Cash USD\n2000-01-01 open Expenses:Commission USD\n");
    out.push_str("2000-01-01 open Income:Trading USD\n");
    let mut symbols = std::collections::BTreeSet::new();
    let mut body = String::with_capacity(csv.len() * 3);
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (date, symbol, side, qty, price, fee) = (f[0], f[2], f[3], f[4], f[5], f[6]);
        symbols.insert(symbol.to_owned());
        let cents = |text: &str| -> i64 {
            let (whole, frac) = text.split_once('.').unwrap_or((text, "0"));
            whole.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}")[..2].parse::<i64>().unwrap()
        };
        let qty_n: i64 = qty.parse().unwrap();
        let gross = cents(price) * qty_n;
        let fee_c = cents(fee);
        let money = |c: i64| {
            format!(
                "{}{}.{:02}",
                if c < 0 { "-" } else { "" },
                c.abs() / 100,
                c.abs() % 100
            )
        };
        if side == "Buy" {
            let _ = write!(
                body,
                "{date} * \"Buy {symbol}\"\n  Assets:Broker:{symbol}  {qty} {symbol} {{{price} USD}}\n  Expenses:Commission  {fee} USD\n  Assets:Cash  {} USD\n\n",
                money(-(gross + fee_c))
            );
        } else {
            let _ = write!(
                body,
                "{date} * \"Sell {symbol}\"\n  Assets:Broker:{symbol}  -{qty} {symbol} {{}} @ {price} USD\n  Expenses:Commission  {fee} USD\n  Assets:Cash  {} USD\n  Income:Trading\n\n",
                money(gross - fee_c)
            );
        }
    }
    for symbol in symbols {
        let _ = writeln!(
            out,
            "2000-01-01 open Assets:Broker:{symbol} {symbol} \"FIFO\""
        );
    }
    out.push('\n');
    out.push_str(&body);
    out
}

fn main() {
    let fills = env_number("TRANCHE_BENCH_FILLS", 1_000_000);
    let runs = env_number("TRANCHE_BENCH_RUNS", 5).max(1);
    let tranche = env!("CARGO_BIN_EXE_tranche");
    let time = gnu_time();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("fills.csv");
    std::fs::write(&csv, generate(fills)).unwrap();
    let csv_text = csv.to_str().unwrap().to_owned();
    let journal = dir.path().join("journal.sqlite");
    let journal_text = journal.to_str().unwrap().to_owned();
    let table = dir.path().join("plain.sqlite");
    let table_text = table.to_str().unwrap().to_owned();
    let remove = remove_database;
    let file_mb = std::fs::metadata(&csv).unwrap().len() as f64 / 1e6;
    println!(
        "{fills} fills, {file_mb:.0} MB of CSV; median of {runs} runs{}",
        if time.is_none() {
            " (no /usr/bin/time: no peak memory)"
        } else {
            ""
        }
    );

    let import_args = [
        "--journal",
        journal_text.as_str(),
        "import",
        "--tz",
        "UTC",
        csv_text.as_str(),
    ];
    let import: Vec<Run> = (0..runs)
        .map(|_| measure(time.as_deref(), tranche, &import_args, &|| remove(&journal)))
        .collect();
    let (import_wall, import_peak) = median(import);
    let sqlite = runs_with("sqlite3", "--version");
    let reference = sqlite.then(|| {
        let import = format!(".import --csv {csv_text} fills");
        let args = [table_text.as_str(), import.as_str()];
        median(
            (0..runs)
                .map(|_| measure(time.as_deref(), "sqlite3", &args, &|| remove(&table)))
                .collect(),
        )
    });
    match reference {
        Some((wall, peak)) => println!(
            "import        {:>7.2} s {:>8}   sqlite3 .import {:>6.2} s {:>8}   {:.2}x",
            import_wall.as_secs_f64(),
            mib(import_peak),
            wall.as_secs_f64(),
            mib(peak),
            import_wall.as_secs_f64() / wall.as_secs_f64()
        ),
        None => println!(
            "import        {:>7.2} s {:>8}   (no sqlite3 on the PATH)",
            import_wall.as_secs_f64(),
            mib(import_peak)
        ),
    }

    // The journal the import left, read by the reading commands.
    remove(&journal);
    measure(time.as_deref(), tranche, &import_args, &|| {});
    let journal_mb = std::fs::metadata(&journal).unwrap().len() as f64 / 1e6;
    for (name, args) in [
        ("trades --json", vec!["trades", "--json"]),
        ("export", vec!["export", "--format", "json"]),
        ("report --json", vec!["report", "--json"]),
        // Every trade, added up: the statistics of a filter are never kept.
        (
            "report --from",
            vec!["report", "--json", "--from", "1900-01-01"],
        ),
    ] {
        let mut full = vec!["--journal", journal_text.as_str()];
        full.extend(args);
        // The first run after the import may keep what it computed in the
        // journal (`trades --json`): it is shown apart from the runs after.
        let first = measure(time.as_deref(), tranche, &full, &|| {});
        let (wall, peak) = median(
            (0..runs)
                .map(|_| measure(time.as_deref(), tranche, &full, &|| {}))
                .collect(),
        );
        println!(
            "{name:<13} {:>7.2} s {:>8}   journal file {journal_mb:.0} MB   first run {:.2} s {}",
            wall.as_secs_f64(),
            mib(peak),
            first.wall.as_secs_f64(),
            mib(first.peak_kib)
        );
    }

    // The same file imported again over the journal it made (nothing is
    // added), and over a journal that holds its first fifth (the rest is
    // added, continuing that fifth's open trades), beside the import into a
    // new journal.
    let again: Vec<Run> = (0..runs)
        .map(|_| measure(time.as_deref(), tranche, &import_args, &|| {}))
        .collect();
    let (again_wall, again_peak) = median(again);
    let text = std::fs::read_to_string(&csv).unwrap();
    let fifth: String = text.split_inclusive('\n').take(1 + fills / 5).collect();
    drop(text);
    let fifth_csv = dir.path().join("fifth.csv");
    std::fs::write(&fifth_csv, fifth).unwrap();
    let earlier = dir.path().join("fifth.sqlite");
    let earlier_text = earlier.to_str().unwrap().to_owned();
    let fifth_args = [
        "--journal",
        earlier_text.as_str(),
        "import",
        "--tz",
        "UTC",
        fifth_csv.to_str().unwrap(),
    ];
    measure(time.as_deref(), tranche, &fifth_args, &|| remove(&earlier));
    let over: Vec<Run> = (0..runs)
        .map(|_| {
            measure(time.as_deref(), tranche, &import_args, &|| {
                remove(&journal);
                std::fs::copy(&earlier, &journal).unwrap();
            })
        })
        .collect();
    let (over_wall, over_peak) = median(over);
    for (name, wall, peak) in [
        ("re-import", again_wall, again_peak),
        ("over a fifth", over_wall, over_peak),
    ] {
        println!(
            "{name:<13} {:>7.2} s {:>8}   into a new journal {:>6.2} s {:>8}",
            wall.as_secs_f64(),
            mib(peak),
            import_wall.as_secs_f64(),
            mib(import_peak)
        );
    }

    // Against beancount: the same fills, imported and reported, beside
    // `bean-check -C` (no cache) of a ledger booking them FIFO.
    let ledger_fills = env_number("TRANCHE_BENCH_LEDGER_FILLS", 100_000);
    let small_csv_text = generate(ledger_fills);
    let small_csv = dir.path().join("ledger-fills.csv");
    std::fs::write(&small_csv, &small_csv_text).unwrap();
    let small_journal = dir.path().join("ledger-journal.sqlite");
    let (small_csv_path, small_journal_path) = (
        small_csv.to_str().unwrap().to_owned(),
        small_journal.to_str().unwrap().to_owned(),
    );
    let import_args = [
        "--journal",
        small_journal_path.as_str(),
        "import",
        "--tz",
        "UTC",
        small_csv_path.as_str(),
    ];
    let report_args = ["--journal", small_journal_path.as_str(), "report", "--json"];
    let import_and_report = || {
        let import = measure(time.as_deref(), tranche, &import_args, &|| {
            remove(&small_journal)
        });
        let report = measure(time.as_deref(), tranche, &report_args, &|| {});
        Run {
            wall: import.wall + report.wall,
            peak_kib: import.peak_kib.max(report.peak_kib),
        }
    };
    if runs_with("bean-check", "--version") {
        let ledger = dir.path().join("fills.beancount");
        std::fs::write(&ledger, beancount_ledger(&small_csv_text)).unwrap();
        let ledger_path = ledger.to_str().unwrap().to_owned();
        // The two alternate, so that the machine's speed, which drifts on a
        // shared host, is the same for both.
        let (both, checks): (Vec<Run>, Vec<Run>) = (0..runs)
            .map(|_| {
                let both = import_and_report();
                let check = measure(time.as_deref(), "bean-check", &["-C", &ledger_path], &|| {});
                (both, check)
            })
            .unzip();
        let (both_wall, both_peak) = median(both);
        let (wall, peak) = median(checks);
        println!(
            "import+report {:>7.2} s {:>8}   bean-check -C   {:>6.2} s {:>8}   {:.0}x faster ({ledger_fills} fills)",
            both_wall.as_secs_f64(),
            mib(both_peak),
            wall.as_secs_f64(),
            mib(peak),
            wall.as_secs_f64() / both_wall.as_secs_f64()
        );
    } else {
        let (both_wall, both_peak) = median((0..runs).map(|_| import_and_report()).collect());
        println!(
            "import+report {:>7.2} s {:>8}   (no bean-check on the PATH) ({ledger_fills} fills)",
            both_wall.as_secs_f64(),
            mib(both_peak)
        );
    }
}
