//! A trade on the market, as the chart draws it: the bars loaded around the
//! selected trade and its excursions against them.
//!
//! The worker reads a [`TradeMarket`] from the journal when a trade is
//! selected (the chart never queries the journal while drawing); the chart
//! then draws only the bars in its visible range.

use crate::analysis::excursion::Excursion;
use crate::domain::TradeId;
use crate::domain::bars::BarSeries;

/// How many bars the chart loads on each side of a trade's life.
pub const MARGIN_BARS: i64 = 120;

/// The bars around one trade, and the trade measured against them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeMarket {
    /// The trade.
    pub id: TradeId,
    /// The revision of the journal's trades the bars were read for.
    pub revision: u64,
    /// The bars of its life and [`MARGIN_BARS`] more on each side; `None`
    /// when the journal holds no bars that span it.
    pub bars: Option<BarSeries>,
    /// The trade against its bars.
    pub excursion: Option<Excursion>,
}

/// Every trade's excursion against its bars, for the review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketExcursions {
    /// The revision of the journal's trades they were computed for.
    pub revision: u64,
    /// The excursion of each trade that bars span.
    pub by_trade: std::collections::HashMap<TradeId, Excursion>,
}
