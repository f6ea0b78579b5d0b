//! Price bars as the user meets them, with the release `tranche` binary:
//!
//! - importing a generated 1,000,000-bar one-minute MetaTrader 4 file into a
//!   new journal, beside `sqlite3 .import` of the same file into a plain
//!   table in the same run, and how much the journal grows per bar;
//! - `trades --json` over a journal of 100,000 trades on a symbol it holds
//!   5,000,000 one-minute bars of (every trade measured against its bars, read
//!   from the journal), beside the same command on the same trades without
//!   the bars: the difference is what the excursions cost.
//!
//! Run with `cargo bench --bench bars_process`. `TRANCHE_BENCH_BARS` sets the
//! number of bars imported; `TRANCHE_BENCH_EXCURSION_BARS` and
//! `TRANCHE_BENCH_EXCURSION_TRADES` the bars and trades of the second part;
//! `TRANCHE_BENCH_RUNS` the runs, of which the median is shown. Peak memory is
//! read by GNU time, `/usr/bin/time`, where it is installed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;
use std::path::Path;

use rust_decimal::Decimal;
use tranche::domain::{Event, Side, Trade, TradeId};
use tranche::interchange::to_json;

#[path = "measure.rs"]
mod measure;
use measure::{env_number, gnu_time, measure, median, mib, remove_database, runs_with};

/// 2020-01-01 00:00 UTC, the start of the generated bars.
const START: i64 = 1_577_836_800;

/// A one-minute EURUSD history of `n` bars from [`START`], as MetaTrader 4's
/// History Center writes it; `open` is told each bar's index and open price
/// (in units of 0.00001).
fn generate_with(n: usize, open: &mut dyn FnMut(usize, i64)) -> String {
    let mut text = String::with_capacity(n * 52);
    let mut t = chrono::DateTime::from_timestamp(START, 0)
        .unwrap()
        .naive_utc();
    let mut price: i64 = 110_000;
    let mut seed: u64 = 7;
    for i in 0..n {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let step = ((seed >> 33) % 21) as i64 - 10;
        let open_price = price;
        open(i, open_price);
        let close = (price + step).max(50_000);
        let high = open_price.max(close) + ((seed >> 20) % 6) as i64;
        let low = open_price.min(close) - ((seed >> 12) % 6) as i64;
        writeln!(
            text,
            "{},{},{},{},{},{},{}",
            t.format("%Y.%m.%d"),
            t.format("%H:%M"),
            units(open_price),
            units(high),
            units(low),
            units(close),
            (seed >> 40) % 500 + 1
        )
        .unwrap();
        price = close;
        t += chrono::Duration::minutes(1);
    }
    text
}

/// A price in units of 0.00001, written with five decimals.
fn units(u: i64) -> String {
    format!("{}.{:05}", u / 100_000, u % 100_000)
}

/// A one-minute EURUSD history of `n` bars.
fn generate(n: usize) -> String {
    generate_with(n, &mut |_, _| {})
}

/// `count` trades on EURUSD spread evenly over `bars` one-minute bars from
/// [`START`], each entered at the open of its bar, `opens[i]` being the open
/// of the `i`th trade's first bar: a stop 20 pips away, one entry, a partial
/// exit half way and the final exit 20 to 119 minutes in (sooner where the
/// bars end first); long and short in turn.
fn trades(count: usize, bars: usize, opens: &[i64]) -> Vec<(TradeId, Trade)> {
    let at = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .fixed_offset()
    };
    let every = (bars / count.max(1)).max(1) as i64;
    (0..count)
        .map(|i| {
            let n = i as i64;
            let start = START + n * every * 60 + 17;
            // The last trades end before the bars do.
            let life = (1200 + (n % 100) * 60).min((bars as i64 - n * every) * 60 - 60);
            let p0 = Decimal::new(opens[i], 5);
            let side = if i % 2 == 0 { Side::Long } else { Side::Short };
            let s = side.sign();
            let mut trade = Trade::new("EURUSD", side);
            trade.multiplier = Decimal::from(100_000);
            trade.events = vec![
                Event::stop(at(start), p0 - s * Decimal::new(20, 4)),
                Event::entry(at(start), Decimal::ONE, p0, Decimal::ZERO),
                Event::exit(
                    at(start + life / 2),
                    Decimal::new(5, 1),
                    p0 + s * Decimal::new(5, 4),
                    Decimal::ZERO,
                ),
                Event::exit(at(start + life), Decimal::new(5, 1), p0, Decimal::ZERO),
            ];
            (TradeId(n + 1), trade)
        })
        .collect()
}

/// `trades --json` over the same trades with and without 5,000,000 bars of
/// their symbol in the journal.
fn excursions(tranche: &str, time: Option<&Path>, runs: usize, dir: &Path) {
    let bars = env_number("TRANCHE_BENCH_EXCURSION_BARS", 5_000_000);
    let count = env_number("TRANCHE_BENCH_EXCURSION_TRADES", 100_000).clamp(1, bars);
    let every = bars / count;
    let mut opens = Vec::with_capacity(count);
    let text = generate_with(bars, &mut |i, open| {
        if i % every == 0 && opens.len() < count {
            opens.push(open);
        }
    });
    let folder = dir.join("excursions");
    std::fs::create_dir_all(&folder).unwrap();
    let csv = folder.join("EURUSD1.csv");
    std::fs::write(&csv, text).unwrap();
    let json = folder.join("trades.json");
    std::fs::write(&json, to_json(&trades(count, bars, &opens))).unwrap();
    let (csv, json) = (csv.to_str().unwrap(), json.to_str().unwrap());

    let with = folder.join("with-bars.sqlite");
    let without = folder.join("without-bars.sqlite");
    let (with, without) = (with.to_str().unwrap(), without.to_str().unwrap());
    let run = |args: &[&str]| measure(None, tranche, args, &|| {});
    run(&["--journal", with, "import", "--tz", "UTC", csv]);
    run(&["--journal", with, "import", json]);
    run(&["--journal", without, "import", json]);

    // Every trade is measured: check it once, outside the timing.
    let out = std::process::Command::new(tranche)
        .args(["--journal", with, "trades", "--json"])
        .output()
        .unwrap();
    let views: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let measured = views
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !v["excursion"].is_null())
        .count();
    assert_eq!(measured, count, "every trade has its bars");

    let timed = |journal: &str| {
        median(
            (0..runs)
                .map(|_| {
                    measure(
                        time,
                        tranche,
                        &["--journal", journal, "trades", "--json"],
                        &|| {},
                    )
                })
                .collect(),
        )
    };
    let (plain, plain_peak) = timed(without);
    let (measuring, measuring_peak) = timed(with);
    let cost = measuring.saturating_sub(plain);
    println!("{count} trades over {bars} one-minute bars; median of {runs} runs");
    println!(
        "trades --json  {:>7.2} s {:>8}   without bars {:>6.2} s {:>8}   excursions {:.2} s ({:.1} µs a trade)",
        measuring.as_secs_f64(),
        mib(measuring_peak),
        plain.as_secs_f64(),
        mib(plain_peak),
        cost.as_secs_f64(),
        cost.as_secs_f64() * 1e6 / count as f64
    );
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

    excursions(tranche, time.as_deref(), runs, dir.path());
}
