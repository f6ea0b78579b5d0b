//! Excursions against price bars: 100,000 trades over 5,000,000 one-minute
//! bars, measured on every core (rayon), as the review needs them.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::{DateTime, FixedOffset};
use criterion::{Criterion, criterion_group, criterion_main};
use rayon::prelude::*;
use rust_decimal::Decimal;
use tranche::analysis::excursion::excursion;
use tranche::domain::bars::{Bar, BarSeries};
use tranche::domain::{Event, Side, Trade};

const BARS: i64 = 5_000_000;
const TRADES: i64 = 100_000;
const START: i64 = 1_577_836_800; // 2020-01-01

fn series() -> BarSeries {
    let mut s = BarSeries::new("EURUSD", 60, 5);
    s.bars.reserve(BARS as usize);
    let mut price = 110_000i64;
    let mut seed = 11u64;
    for i in 0..BARS {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let close = price + ((seed >> 33) % 21) as i64 - 10;
        s.bars.push(Bar {
            start: START + i * 60,
            open: price,
            high: price.max(close) + 3,
            low: price.min(close) - 3,
            close,
        });
        price = close;
    }
    s
}

fn at(t: i64) -> DateTime<FixedOffset> {
    DateTime::from_timestamp(t, 0).unwrap().fixed_offset()
}

/// Trades of 20 to 120 minutes spread over the bars: a stop, an entry, a
/// partial exit and the final exit.
fn trades(bars: &BarSeries) -> Vec<Trade> {
    (0..TRADES)
        .map(|i| {
            let start = START + (i * (BARS / TRADES)) * 60 + 17;
            let life = 1200 + (i % 100) * 60;
            let k = ((start - START) / 60) as usize;
            let p0 = bars.price(bars.bars[k].open);
            let side = if i % 2 == 0 { Side::Long } else { Side::Short };
            let mut trade = Trade::new("EURUSD", side);
            trade.multiplier = Decimal::from(100_000);
            let s = side.sign();
            trade.events = vec![
                Event::stop(at(start), p0 - s * Decimal::new(20, 4)),
                Event::entry(at(start), Decimal::ONE, p0, Decimal::ZERO),
                Event::exit(at(start + life / 2), Decimal::new(5, 1), p0, Decimal::ZERO),
                Event::exit(at(start + life), Decimal::new(5, 1), p0, Decimal::ZERO),
            ];
            trade
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let bars = series();
    let trades = trades(&bars);
    let mut group = c.benchmark_group("excursions");
    group.sample_size(10);
    group.bench_function("100k trades over 5M bars", |b| {
        b.iter(|| {
            let found = trades
                .par_iter()
                .filter_map(|t| excursion(t, &bars))
                .count();
            assert_eq!(found, trades.len());
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
