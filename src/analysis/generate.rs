//! A deterministic journal of made-up trades, for benchmarks, demos and tests.
//!
//! [`journal`] builds `count` valid trades from a seed with a tiny inline
//! SplitMix64 generator, so the same seed always gives the same journal on
//! every machine. The trades look like a discretionary trader's: most start
//! with a stop, many scale in (usually into strength, sometimes averaging
//! down), trail their stop (or forget to), take partial profits, and a few are
//! still open. About ten events per trade; several currencies and multipliers.

use chrono::{DateTime, Duration, FixedOffset, Offset, Utc};
use rust_decimal::Decimal;

use crate::domain::{Event, MarketCondition, Side, Trade, TradeId};

/// SplitMix64: a tiny, fast, well-mixed generator of 64-bit numbers.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: unbiased enough for made-up data, and fast.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// An instrument of the made-up journal.
struct Instrument {
    symbol: &'static str,
    currency: &'static str,
    multiplier: i64,
    /// Typical price, in ticks.
    price: i64,
    /// Decimal places of a tick: price = ticks / 10^dp.
    dp: u32,
    /// Typical size of a position.
    size: i64,
    /// UTC offset of the exchange, hours.
    utc_offset: i32,
}

const INSTRUMENTS: [Instrument; 7] = [
    Instrument {
        symbol: "AAPL",
        currency: "USD",
        multiplier: 1,
        price: 18_500,
        dp: 2,
        size: 300,
        utc_offset: -5,
    },
    Instrument {
        symbol: "MSFT",
        currency: "USD",
        multiplier: 1,
        price: 41_000,
        dp: 2,
        size: 200,
        utc_offset: -5,
    },
    Instrument {
        symbol: "ESZ5",
        currency: "USD",
        multiplier: 50,
        price: 520_000,
        dp: 2,
        size: 6,
        utc_offset: -5,
    },
    Instrument {
        symbol: "SPY 500C",
        currency: "USD",
        multiplier: 100,
        price: 450,
        dp: 2,
        size: 20,
        utc_offset: -5,
    },
    Instrument {
        symbol: "FDAX",
        currency: "EUR",
        multiplier: 25,
        price: 1_800_000,
        dp: 2,
        size: 4,
        utc_offset: 1,
    },
    Instrument {
        symbol: "SAP",
        currency: "EUR",
        multiplier: 1,
        price: 19_000,
        dp: 2,
        size: 250,
        utc_offset: 1,
    },
    Instrument {
        symbol: "EURUSD",
        currency: "USD",
        multiplier: 5,
        price: 108_500,
        dp: 5,
        size: 10_000,
        utc_offset: 0,
    },
];

const SETUPS: [&str; 6] = [
    "breakout",
    "pullback",
    "reversal",
    "opening range",
    "trend day",
    "scalp",
];

/// `count` valid trades, numbered from 1, made up from `seed`.
pub fn journal(count: usize, seed: u64) -> Vec<(TradeId, Trade)> {
    let mut rng = SplitMix64::new(seed);
    (1..=count)
        .map(|n| (TradeId(n as i64), trade(&mut rng)))
        .collect()
}

/// One made-up trade.
pub fn trade(rng: &mut SplitMix64) -> Trade {
    let instrument = &INSTRUMENTS[rng.below(INSTRUMENTS.len() as u64) as usize];
    let side = if rng.chance(60) {
        Side::Long
    } else {
        Side::Short
    };
    let s: i64 = if side == Side::Long { 1 } else { -1 };
    let mut trade = Trade::new(instrument.symbol, side);
    trade.multiplier = Decimal::from(instrument.multiplier);
    trade.currency = instrument.currency.to_owned();
    trade.setup = SETUPS[rng.below(SETUPS.len() as u64) as usize].to_owned();
    trade.market_condition = [
        MarketCondition::Trending,
        MarketCondition::Trending,
        MarketCondition::Range,
        MarketCondition::Unknown,
    ][rng.below(4) as usize];
    trade.events.reserve(12);

    let offset = FixedOffset::east_opt(instrument.utc_offset * 3600).unwrap_or_else(|| Utc.fix());
    // Two years from 2024-01-02 08:00 UTC, opening within the next six hours.
    let start = DateTime::<Utc>::from_timestamp(1_704_182_400, 0).unwrap_or_default();
    let mut at: DateTime<FixedOffset> = start.with_timezone(&offset)
        + Duration::days(rng.between(0, 729))
        + Duration::minutes(rng.between(0, 360));
    let price = |ticks: i64| Decimal::new(ticks.max(1), instrument.dp);
    let fee = |qty: i64| Decimal::new(100 + qty.min(10_000) / 4, 2);

    let mut p = instrument.price * rng.between(80, 120) / 100;
    // One "unit" of risk: 0.5% to 3% of the price.
    let unit = (p * rng.between(5, 30) / 1000).max(4);
    let q0 = (instrument.size * rng.between(50, 150) / 100).max(1);
    let mut stop = p - s * unit;

    let initial_stop = rng.below(100);
    if initial_stop < 90 {
        trade.events.push(Event::stop(at, price(stop)));
    }
    if rng.chance(40) {
        trade
            .events
            .push(Event::target(at, price(p + s * 3 * unit)));
    }
    trade
        .events
        .push(Event::entry(at, Decimal::from(q0), price(p), fee(q0)));
    if (90..97).contains(&initial_stop) {
        at += Duration::minutes(rng.between(1, 30));
        trade.events.push(Event::stop(at, price(stop)));
    }

    let mut open = q0;
    let mut last_tranche = q0;
    let adds = [0, 0, 1, 1, 1, 2, 2, 3][rng.below(8) as usize];
    for _ in 0..adds {
        at += Duration::minutes(rng.between(0, 90));
        // Usually into strength; one add in eight averages down.
        p += if rng.chance(12) {
            -s * unit / 2
        } else {
            s * unit * rng.between(5, 15) / 10
        };
        let qty = if rng.chance(85) {
            (last_tranche * rng.between(40, 90) / 100).max(1)
        } else {
            last_tranche
        };
        trade
            .events
            .push(Event::entry(at, Decimal::from(qty), price(p), fee(qty)));
        open += qty;
        last_tranche = qty;
        if rng.chance(80) {
            if rng.chance(70) {
                at += Duration::minutes(rng.between(1, 20));
            }
            let trailed = p - s * unit * rng.between(5, 15) / 10;
            stop = if s > 0 {
                stop.max(trailed)
            } else {
                stop.min(trailed)
            };
            trade.events.push(Event::stop(at, price(stop)));
        }
    }

    let partials = [0, 1, 1, 2][rng.below(4) as usize];
    for _ in 0..partials {
        if open < 3 {
            break;
        }
        at += Duration::minutes(rng.between(1, 240));
        p += s * unit * rng.between(-8, 20) / 10;
        let qty = open / 3;
        trade
            .events
            .push(Event::exit(at, Decimal::from(qty), price(p), fee(qty)));
        open -= qty;
        if rng.chance(75) {
            at += Duration::minutes(rng.between(0, 10));
            let break_even = p - s * unit * rng.between(0, 3);
            stop = if s > 0 {
                stop.max(break_even)
            } else {
                stop.min(break_even)
            };
            trade.events.push(Event::stop(at, price(stop)));
        } else if rng.chance(20) {
            // Gave the trade "room": loosened the stop.
            stop -= s * unit / 2;
            trade.events.push(Event::stop(at, price(stop)));
        }
    }

    // The stop trailed while the rest runs, the target moved.
    for _ in 0..rng.below(6) {
        at += Duration::minutes(rng.between(1, 120));
        p += s * unit * rng.between(-5, 10) / 10;
        if rng.chance(80) {
            let trailed = p - s * unit * rng.between(8, 20) / 10;
            stop = if s > 0 {
                stop.max(trailed)
            } else {
                stop.min(trailed)
            };
            trade.events.push(Event::stop(at, price(stop)));
        } else {
            trade
                .events
                .push(Event::target(at, price(p + s * 2 * unit)));
        }
    }

    if rng.chance(96) {
        at += Duration::minutes(rng.between(1, 600));
        // Stopped out, or out at the market.
        p = if rng.chance(40) {
            stop
        } else {
            p + s * unit * rng.between(-20, 20) / 10
        };
        trade
            .events
            .push(Event::exit(at, Decimal::from(open), price(p), fee(open)));
    }
    trade
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_is_valid_deterministic_and_about_ten_events_a_trade() {
        let journal = journal(2_000, 7);
        assert_eq!(journal, super::journal(2_000, 7));
        for (id, trade) in &journal {
            assert_eq!(trade.validate(), Ok(()), "trade {id}: {trade:#?}");
        }
        let events: usize = journal.iter().map(|(_, t)| t.events.len()).sum();
        let per_trade = events as f64 / journal.len() as f64;
        assert!(
            (6.0..=12.0).contains(&per_trade),
            "{per_trade} events a trade"
        );
    }
}
