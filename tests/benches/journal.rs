//! Times the journal on a large generated journal: inserting N trades of ten
//! events each in one transaction, then loading them all back.
//!
//! `cargo bench --bench journal -- 100000`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use chrono::{DateTime, Duration};
use rust_decimal::Decimal;
use tranche::domain::{Event, Side, Trade};
use tranche::storage::Journal;

fn generated(n: usize) -> Vec<Trade> {
    let start = DateTime::parse_from_rfc3339("2020-01-02T09:30:00-05:00").expect("valid time");
    (0..n)
        .map(|i| {
            let side = if i % 3 == 0 { Side::Short } else { Side::Long };
            let s = side.sign();
            let base = Decimal::from(100 + (i % 400) as i64) + Decimal::new(25, 2);
            let day = start + Duration::hours(i as i64);
            let at = |minutes: i64| day + Duration::minutes(minutes);
            let d = |units: i64| Decimal::from(units);
            let mut trade = Trade::new(format!("SYM{}", i % 500), side);
            trade.tags = vec![format!("batch{}", i % 7)];
            trade.events = vec![
                Event::stop(at(0), base - s * d(2)),
                Event::entry(at(0), d(300), base, d(1)),
                Event::entry(at(5), d(200), base + s, d(1)),
                Event::stop(at(5), base - s),
                Event::entry(at(10), d(100), base + s * d(2), d(1)),
                Event::stop(at(10), base),
                Event::exit(at(20), d(300), base + s * d(3), d(1)),
                Event::stop(at(20), base + s * Decimal::new(15, 1)),
                Event::exit(at(30), d(200), base + s * Decimal::new(25, 1), d(1)),
                Event::exit(at(40), d(100), base + s * d(4), d(1)),
            ];
            trade
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let trades = generated(n);
    let events: usize = trades.iter().map(|t| t.events.len()).sum();
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.sqlite");

    let mut journal = Journal::open(&path)?;
    let started = Instant::now();
    journal.insert_trades(&trades, &mut |_, _| {})?;
    let insert = started.elapsed();
    drop(journal);

    let journal = Journal::open(&path)?;
    let started = Instant::now();
    let loaded = journal.trades()?;
    let load = started.elapsed();
    assert_eq!(loaded.len(), n);

    println!("{n} trades, {events} events");
    println!(
        "insert_trades: {insert:.2?} ({:.0} events/s)",
        events as f64 / insert.as_secs_f64()
    );
    println!(
        "trades():      {load:.2?} ({:.0} events/s)",
        events as f64 / load.as_secs_f64()
    );
    Ok(())
}
