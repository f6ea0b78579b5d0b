//! A trade measured against the market's bars (RULES.md, "With price bars:
//! excursions, and what happened after each exit").
//!
//! [`excursion`] takes a trade and the bars of one length that cover it and
//! returns an [`Excursion`]: how far the price went for the trade (MFE) and
//! against it (MAE) during its life, in price and in R, the bars where that
//! happened, and for each exit but the final one what the price did
//! afterwards, before the trade ended: the most that scale-out capped
//! (`left`) and the most it protected (`saved`), in the trade's money.
//!
//! A bar covers `[start, start + length)`. The trade's life runs from the bar
//! that covers the initial entry (or the first bar after it) to the bar that
//! covers the final exit (or the last bar before it); an open trade's life
//! runs to the last bar given. After an exit, the window is the bars that
//! start after the exit's own bar (after the exit's moment) and no later than
//! the final exit's bar. Prices are compared as whole units of the series;
//! every figure is exact.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::bars::BarSeries;
use crate::domain::{EventKind, Side, Trade};

/// A price at a moment: where an extreme was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Moment {
    /// The start of the bar (Unix seconds).
    pub at: i64,
    /// The price.
    pub price: Decimal,
}

/// What the price did after one exit that was not the final one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitExcursion {
    /// The 0-based index of the exit in the trade's events.
    pub event: usize,
    /// The exit's price.
    pub price: Decimal,
    /// The most that taking this part off capped: `max(0, s*(B - p))*q*m*rate`;
    /// `None` when no bar starts after the exit's bar within the trade's life.
    pub left: Option<Decimal>,
    /// The most that taking this part off protected: `max(0, s*(p - V))*q*m*rate`.
    pub saved: Option<Decimal>,
    /// The best price after the exit (`B`), and its bar.
    pub best: Option<Moment>,
    /// The worst price after the exit (`V`), and its bar.
    pub worst: Option<Moment>,
}

/// A trade measured against the bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excursion {
    /// The length of the bars measured against, in seconds.
    pub bar_length: i64,
    /// Maximum favourable excursion per unit, `s*(P+ - p0)`.
    pub mfe: Decimal,
    /// Maximum adverse excursion per unit, `s*(P- - p0)`.
    pub mae: Decimal,
    /// `MFE / |p0 - S0|`; `None` without a known initial stop.
    pub mfe_r: Option<Decimal>,
    /// `MAE / |p0 - S0|`; `None` without a known initial stop.
    pub mae_r: Option<Decimal>,
    /// The best moment of the trade's life: `P+` and its bar.
    pub best: Moment,
    /// The worst moment: `P-` and its bar.
    pub worst: Moment,
    /// Every exit but the final one, in event order.
    pub exits: Vec<ExitExcursion>,
}

impl Excursion {
    /// The sum of what the exits left, where defined.
    pub fn total_left(&self) -> Decimal {
        self.exits.iter().filter_map(|e| e.left).sum()
    }

    /// The sum of what the exits saved, where defined.
    pub fn total_saved(&self) -> Decimal {
        self.exits.iter().filter_map(|e| e.saved).sum()
    }
}

/// The highest high and lowest low of `bars[range]`, with their first bars.
fn extremes(bars: &BarSeries, range: std::ops::Range<usize>) -> Option<((i64, i64), (i64, i64))> {
    let slice = &bars.bars[range];
    let first = slice.first()?;
    let mut high = (first.high, first.start);
    let mut low = (first.low, first.start);
    for b in &slice[1..] {
        if b.high > high.0 {
            high = (b.high, b.start);
        }
        if b.low < low.0 {
            low = (b.low, b.start);
        }
    }
    Some((high, low))
}

/// The best and worst moments of `bars[range]` for a trade of `side`.
fn best_and_worst(
    bars: &BarSeries,
    range: std::ops::Range<usize>,
    side: Side,
) -> Option<(Moment, Moment)> {
    let (high, low) = extremes(bars, range)?;
    let moment = |(units, at): (i64, i64)| Moment {
        at,
        price: bars.price(units),
    };
    Some(match side {
        Side::Long => (moment(high), moment(low)),
        Side::Short => (moment(low), moment(high)),
    })
}

/// The stop in force once every event at the initial entry's moment is
/// applied, when the trade's stops are known.
fn initial_stop(trade: &Trade) -> Option<Decimal> {
    if !trade.stops_known {
        return None;
    }
    let entry_at = trade.opened_at()?;
    trade
        .events
        .iter()
        .take_while(|e| e.at <= entry_at)
        .filter_map(|e| match e.kind {
            EventKind::Stop { price } => Some(price),
            _ => None,
        })
        .last()
}

/// Measures `trade` (validated, events in time order) against `bars`, which
/// are of its instrument, sorted, and cover its life. `None` when no bar
/// falls within its life.
pub fn excursion(trade: &Trade, bars: &BarSeries) -> Option<Excursion> {
    let (_, entry) = trade.initial_entry()?;
    let p0 = entry.kind.price();
    let t0 = entry.at.timestamp();
    let s = trade.side.sign();
    let m = trade.money_multiplier();

    // The exits, and which one (if any) closed the position.
    let mut open = Decimal::ZERO;
    let mut exits = Vec::new();
    let mut closed_at = None;
    for (i, event) in trade.events.iter().enumerate() {
        match event.kind {
            EventKind::Entry(fill) => open += fill.qty,
            EventKind::Exit(fill) => {
                open -= fill.qty;
                if open <= Decimal::ZERO {
                    closed_at = Some(event.at.timestamp());
                } else {
                    exits.push((i, event.at.timestamp(), fill));
                }
            }
            EventKind::Stop { .. } | EventKind::Target { .. } => {}
        }
    }

    let lo = bars.covering(t0).unwrap_or_else(|| bars.first_from(t0));
    let hi = match closed_at {
        Some(t) => bars.first_after(t),
        None => bars.bars.len(),
    };
    if lo >= hi {
        return None;
    }
    let (best, worst) = best_and_worst(bars, lo..hi, trade.side)?;
    let mfe = s * (best.price - p0);
    let mae = s * (worst.price - p0);
    let risk = initial_stop(trade)
        .map(|stop| (p0 - stop).abs())
        .filter(|r| !r.is_zero());
    let per_r = |x: Decimal| risk.and_then(|r| x.checked_div(r));

    let exits = exits
        .into_iter()
        .map(|(event, at, fill)| {
            let from = bars.first_after(at).max(lo);
            let window = best_and_worst(bars, from..hi.max(from), trade.side);
            let (left, saved) = match &window {
                Some((b, v)) => (
                    Some((s * (b.price - fill.price)).max(Decimal::ZERO) * fill.qty * m),
                    Some((s * (fill.price - v.price)).max(Decimal::ZERO) * fill.qty * m),
                ),
                None => (None, None),
            };
            ExitExcursion {
                event,
                price: fill.price,
                left,
                saved,
                best: window.map(|w| w.0),
                worst: window.map(|w| w.1),
            }
        })
        .collect();

    Some(Excursion {
        bar_length: bars.length,
        mfe,
        mae,
        mfe_r: per_r(mfe),
        mae_r: per_r(mae),
        best,
        worst,
        exits,
    })
}

/// What scale-outs left and saved, summed over trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct LeftSaved {
    /// Trades with at least one partial exit measured.
    pub trades: usize,
    /// The sum of `left` over their partial exits.
    pub left: Decimal,
    /// The sum of `saved` over their partial exits.
    pub saved: Decimal,
}

/// One trade in the MAE/MFE scatter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExcursionPoint {
    /// The trade's index in the list summarized.
    pub index: usize,
    /// MAE in R.
    pub mae_r: Decimal,
    /// MFE in R.
    pub mfe_r: Decimal,
    /// Whether the trade made money (net P&L above zero).
    pub won: bool,
}

/// Excursions over many trades, as the review shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MarketSummary {
    /// Trades measured against bars.
    pub measured: usize,
    /// Trades with an R, for the scatter.
    pub points: Vec<ExcursionPoint>,
    /// Left and saved by currency, then by setup (`""` for none).
    pub by_setup: std::collections::BTreeMap<(String, String), LeftSaved>,
    /// Left and saved by currency, over every setup.
    pub overall: std::collections::BTreeMap<String, LeftSaved>,
    /// Winning trades with an R.
    pub winners: usize,
    /// Of those, the ones whose price went further than 1R against them
    /// (MAE below −1R) before they won.
    pub winners_beyond_1r: usize,
}

/// Sums up `(trade, net P&L, excursion)` of many trades: the MAE/MFE scatter
/// in R, what the scale-outs left and saved by setup and overall, and how
/// often a winner first went further than 1R against the trade.
pub fn summarize<'a>(
    items: impl IntoIterator<Item = (&'a Trade, Decimal, &'a Excursion)>,
) -> MarketSummary {
    let mut out = MarketSummary::default();
    for (index, (trade, net, x)) in items.into_iter().enumerate() {
        out.measured += 1;
        let won = net > Decimal::ZERO;
        if let (Some(mae_r), Some(mfe_r)) = (x.mae_r, x.mfe_r) {
            out.points.push(ExcursionPoint {
                index,
                mae_r,
                mfe_r,
                won,
            });
            if won {
                out.winners += 1;
                if mae_r < Decimal::NEGATIVE_ONE {
                    out.winners_beyond_1r += 1;
                }
            }
        }
        if x.exits.iter().any(|e| e.left.is_some()) {
            let add = |sum: &mut LeftSaved| {
                sum.trades += 1;
                sum.left += x.total_left();
                sum.saved += x.total_saved();
            };
            add(out
                .by_setup
                .entry((trade.currency.clone(), trade.setup.trim().to_owned()))
                .or_default());
            add(out.overall.entry(trade.currency.clone()).or_default());
        }
    }
    out
}
