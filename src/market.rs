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
use crate::storage::{Journal, SeriesInfo, StorageError};

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

/// The journal's price bars as trades look them up: the symbol map and the
/// description of every series read once, so measuring many trades costs
/// one range read of bars each and no other query.
#[derive(Debug, Clone, Default)]
pub struct MarketBars {
    map: BTreeMap<String, String>,
    series: Vec<SeriesInfo>,
}

impl MarketBars {
    /// The journal's symbol map and series, as they are now.
    pub fn load(journal: &Journal) -> Result<Self, StorageError> {
        Ok(MarketBars {
            map: journal.bars_symbol_map()?,
            series: journal.bar_series()?,
        })
    }

    /// Whether the journal holds no bars at all.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Whether the journal may hold bars of a trade in `symbol`: whether it
    /// holds a series of one of the trade's bars symbols. A trade in a
    /// symbol without is never measured ([`MarketBars::trade_bars`] gives
    /// `None`).
    pub fn has_series_of(&self, symbol: &str) -> bool {
        !self.series.is_empty()
            && bars_symbols_for(symbol, &self.map)
                .iter()
                .any(|bars_symbol| {
                    self.series
                        .iter()
                        .any(|s| s.symbol.eq_ignore_ascii_case(bars_symbol))
                })
    }

    /// The series whose bars `trade` is measured against, and its life: as
    /// [`Journal::trade_bars`] chooses, the shortest series of its bars
    /// symbols that spans its life (the symbols in the order
    /// [`bars_symbols_for`] gives them, where two series are as short).
    fn series_for(&self, trade: &Trade) -> Option<(&SeriesInfo, i64, Option<i64>)> {
        if self.series.is_empty() {
            return None;
        }
        let (from, to) = life(trade)?;
        let mut candidates: Vec<&SeriesInfo> = Vec::new();
        for symbol in bars_symbols_for(&trade.symbol, &self.map) {
            let mut of_symbol: Vec<&SeriesInfo> = self
                .series
                .iter()
                .filter(|s| s.symbol.eq_ignore_ascii_case(&symbol))
                .filter(|s| !candidates.iter().any(|c| c.id == s.id))
                .collect();
            of_symbol.sort_by_key(|s| s.length);
            candidates.extend(of_symbol);
        }
        candidates.sort_by_key(|s| s.length);
        let info = candidates
            .into_iter()
            .find(|s| s.spans(from, to.unwrap_or(from)))?;
        Some((info, from, to))
    }

    /// The bars of `trade`'s life and `margin` bars more on each side, as
    /// [`trade_bars`] reads them.
    pub fn trade_bars(
        &self,
        journal: &Journal,
        trade: &Trade,
        margin: i64,
    ) -> Result<Option<BarSeries>, StorageError> {
        match self.series_for(trade) {
            None => Ok(None),
            Some((info, from, to)) => journal.life_bars(info, from, to, margin).map(Some),
        }
    }

    /// `trade` measured against its bars, as [`trade_excursion`] measures it.
    pub fn excursion(
        &self,
        journal: &Journal,
        trade: &Trade,
    ) -> Result<Option<Excursion>, StorageError> {
        Ok(self
            .trade_bars(journal, trade, 0)?
            .and_then(|bars| excursion(trade, &bars)))
    }
}

/// `trade` measured against its bars; `None` without bars that span it.
pub fn trade_excursion(
    journal: &Journal,
    trade: &Trade,
    map: &BTreeMap<String, String>,
) -> Result<Option<Excursion>, StorageError> {
    Ok(trade_bars(journal, trade, map, 0)?.and_then(|bars| excursion(trade, &bars)))
}
