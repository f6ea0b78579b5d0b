//! A trade on the market: finding its price bars in the journal and measuring it.
//!
//! The bars of a trade are those of its symbol as the user mapped it in
//! Settings, else of its symbol or its base without a broker's suffix
//! (`EURUSD.m` takes the bars of `EURUSD`), from the shortest series whose
//! bars span the trade's life. [`trade_excursion`] measures the trade against
//! them with [`crate::analysis::excursion`].

use std::collections::BTreeMap;

use crate::analysis::excursion::{Excursion, excursion};
use crate::domain::bars::BarSeries;
use crate::domain::{EventKind, Trade};
use crate::import::bars::bars_symbols_for;
use crate::storage::{Journal, StorageError};

/// A trade's life in Unix seconds: its initial entry, and its final exit
/// (`None` while open).
pub fn life(trade: &Trade) -> Option<(i64, Option<i64>)> {
    let opened = trade.opened_at()?.timestamp();
    let mut open = rust_decimal::Decimal::ZERO;
    let mut closed = None;
    for event in &trade.events {
        match event.kind {
            EventKind::Entry(fill) => open += fill.qty,
            EventKind::Exit(fill) => {
                open -= fill.qty;
                if open <= rust_decimal::Decimal::ZERO {
                    closed = Some(event.at.timestamp());
                }
            }
            EventKind::Stop { .. } | EventKind::Target { .. } => {}
        }
    }
    Some((opened, closed))
}

/// The bars of `trade`'s life and `margin` bars more on each side (every bar
/// from the entry on, for an open trade); `None` when the journal holds no
/// series of its symbol that spans it.
pub fn trade_bars(
    journal: &Journal,
    trade: &Trade,
    map: &BTreeMap<String, String>,
    margin: i64,
) -> Result<Option<BarSeries>, StorageError> {
    let Some((from, to)) = life(trade) else {
        return Ok(None);
    };
    journal.trade_bars(&bars_symbols_for(&trade.symbol, map), from, to, margin)
}

/// `trade` measured against its bars; `None` without bars that span it.
pub fn trade_excursion(
    journal: &Journal,
    trade: &Trade,
    map: &BTreeMap<String, String>,
) -> Result<Option<Excursion>, StorageError> {
    Ok(trade_bars(journal, trade, map, 0)?.and_then(|bars| excursion(trade, &bars)))
}
