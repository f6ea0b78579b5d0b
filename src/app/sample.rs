//! The sample trades offered on an empty journal, embedded in the program,
//! and price bars made up for them ([`sample_bars`]), kept as sample data.

use std::collections::BTreeMap;

use crate::domain::bars::{Bar, BarSeries, to_units};
use crate::domain::{EventKind, Trade};

use super::interchange_io;

/// The sample journal, in the tranche-journal JSON format.
pub const SAMPLE_JOURNAL: &str = include_str!("../../assets/sample-journal.json");

/// The sample trades.
pub fn sample_trades() -> Result<Vec<Trade>, String> {
    interchange_io::parse(SAMPLE_JOURNAL)
}

/// Where sample bars come from, as the journal records it.
pub const SAMPLE_BARS_SOURCE: &str = "sample data";

/// The bar lengths sample bars may have, shortest first.
const SAMPLE_LENGTHS: [i64; 6] = [60, 300, 900, 3_600, 14_400, 86_400];

/// The most bars made up for one symbol.
const MAX_SAMPLE_BARS: i64 = 20_000;

/// Made-up price bars for `trades`, one series per symbol: a gentle walk
/// through every fill of the symbol's trades, so that each fill price lies
/// within its bar's low to high. The bars start a while before the first
/// fill and run on after the last one. Deterministic: the same trades make
/// the same bars.
pub fn sample_bars(trades: &[Trade]) -> Vec<BarSeries> {
    let mut fills: BTreeMap<String, Vec<(i64, rust_decimal::Decimal)>> = BTreeMap::new();
    for trade in trades {
        let entry = fills.entry(trade.symbol.to_uppercase()).or_default();
        for event in &trade.events {
            if let EventKind::Entry(fill) | EventKind::Exit(fill) = event.kind {
                entry.push((event.at.timestamp(), fill.price));
            }
        }
    }
    let mut out = Vec::new();
    for (seed, (symbol, mut fills)) in fills.into_iter().enumerate() {
        fills.sort();
        let (Some(&(first, _)), Some(&(last, _))) = (fills.first(), fills.last()) else {
            continue;
        };
        let span = (last - first).max(1);
        let length = SAMPLE_LENGTHS
            .into_iter()
            .find(|&l| span / l <= MAX_SAMPLE_BARS / 2)
            .unwrap_or(86_400);
        let scale = fills
            .iter()
            .map(|(_, p)| p.normalize().scale())
            .max()
            .unwrap_or(2)
            .clamp(2, 8);
        let mut series = BarSeries::new(symbol, length, scale);
        let unit = 10f64.powi(scale as i32);
        let start = (first / length - 30) * length;
        let end = (last / length + 60) * length;
        let mut rng = Lcg(0x9E37_79B9 ^ seed as u64);
        let price_at = |t: i64| -> f64 {
            let i = fills.partition_point(|&(ft, _)| ft <= t);
            let f = |p: rust_decimal::Decimal| -> f64 { p.try_into().unwrap_or(0.0) };
            match (i.checked_sub(1).map(|j| fills[j]), fills.get(i)) {
                (Some((t0, p0)), Some(&(t1, p1))) if t1 > t0 => {
                    let w = (t - t0) as f64 / (t1 - t0) as f64;
                    f(p0) + (f(p1) - f(p0)) * w
                }
                (Some((_, p)), _) | (None, Some(&(_, p))) => f(p),
                (None, None) => 0.0,
            }
        };
        let mut noise = 0.0f64;
        let mut prev_close: Option<i64> = None;
        let mut next_fill = 0;
        let mut t = start;
        while t <= end {
            let reference = price_at(t + length);
            // Calm near the fills, livelier between them.
            let i = fills.partition_point(|&(ft, _)| ft < t);
            let near = [i.checked_sub(1), Some(i)]
                .into_iter()
                .flatten()
                .filter_map(|j| fills.get(j))
                .map(|&(ft, _)| (ft - t).abs() / length)
                .min()
                .unwrap_or(0);
            let calm = (near as f64 / 8.0).clamp(0.25, 1.0);
            let scale_of_move = reference.abs() * 0.004 * calm;
            noise = noise * 0.85 + rng.symmetric() * scale_of_move;
            let close = ((reference + noise) * unit).round() as i64;
            let open = prev_close.unwrap_or(close);
            let mut high = open.max(close);
            let mut low = open.min(close);
            while next_fill < fills.len() && fills[next_fill].0 < t + length {
                if let Some(p) = to_units(fills[next_fill].1, scale) {
                    high = high.max(p);
                    low = low.min(p);
                }
                next_fill += 1;
            }
            let wick = (scale_of_move * unit * 0.6) as i64;
            high += (rng.unit() * wick as f64) as i64;
            low -= (rng.unit() * wick as f64) as i64;
            series.bars.push(Bar {
                start: t,
                open,
                high,
                low,
                close,
            });
            prev_close = Some(close);
            t += length;
        }
        out.push(series);
    }
    out
}

/// A small deterministic random number generator, enough for made-up bars.
struct Lcg(u64);

impl Lcg {
    /// A number from 0 to 1.
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number from -1 to 1.
    fn symmetric(&mut self) -> f64 {
        self.unit() * 2.0 - 1.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn sample_bars_hold_every_sample_fill() {
        let trades = sample_trades().unwrap();
        let bars = sample_bars(&trades);
        assert!(!bars.is_empty());
        for trade in &trades {
            let series = bars
                .iter()
                .find(|s| s.symbol == trade.symbol.to_uppercase())
                .expect("a series for every symbol");
            for event in &trade.events {
                let Some(fill) = event.kind.fill() else {
                    continue;
                };
                let i = series
                    .covering(event.at.timestamp())
                    .expect("a bar covers every fill");
                let bar = series.bars[i];
                let price = series.units(fill.price).unwrap();
                assert!(
                    bar.low <= price && price <= bar.high,
                    "{} {} at {}: bar {:?}",
                    trade.symbol,
                    fill.price,
                    event.at,
                    bar
                );
                assert!(bar.low <= bar.open.min(bar.close) && bar.high >= bar.open.max(bar.close));
            }
        }
        assert_eq!(
            sample_bars(&trades),
            bars,
            "the same trades make the same bars"
        );
    }
    use crate::analysis::{Rule, RuleSettings, Verdict, analyze};
    use crate::domain::Side;

    #[test]
    fn samples_break_and_keep_every_rule() {
        let trades = sample_trades().expect("the sample journal parses");
        assert!((25..=40).contains(&trades.len()), "{} trades", trades.len());
        let settings = RuleSettings::default();
        let analyses: Vec<_> = trades.iter().map(|t| analyze(t, &settings)).collect();
        for (t, a) in trades.iter().zip(&analyses) {
            eprintln!(
                "{:6} {:5} adds {} partial {} net {:>10} score {:3} {:?} {:?}",
                t.symbol,
                t.side.as_str(),
                a.adds,
                a.partial_exits,
                a.net_pnl,
                a.score,
                a.violations.iter().map(|v| v.rule.id()).collect::<Vec<_>>(),
                a.scale_out.map(|s| s.verdict)
            );
        }
        for rule in Rule::ALL {
            assert!(
                analyses.iter().any(|a| a.broke(rule)),
                "no sample trade breaks {rule}"
            );
            assert!(
                analyses.iter().any(|a| a.is_scaled_in() && !a.broke(rule)),
                "no scaled-in sample trade keeps {rule}"
            );
        }
        assert!(trades.iter().any(|t| t.side == Side::Long));
        assert!(trades.iter().any(|t| t.side == Side::Short));
        for multiplier in ["1", "50", "20", "1000"] {
            assert!(
                trades
                    .iter()
                    .any(|t| t.multiplier.to_string() == multiplier),
                "no trade with multiplier {multiplier}"
            );
        }
        let verdicts: Vec<_> = analyses
            .iter()
            .filter_map(|a| a.scale_out.map(|s| s.verdict))
            .collect();
        assert!(verdicts.contains(&Verdict::Capped));
        assert!(verdicts.contains(&Verdict::Protected));
        assert!(analyses.iter().filter(|a| !a.is_closed()).count() >= 2);
        assert!(
            analyses
                .iter()
                .any(|a| a.violations.is_empty() && a.adds >= 2)
        );
    }
}
