//! The journal's data: trades made of time-ordered events, and their validation.
//!
//! A [`Trade`] is one position in one instrument and one direction, from flat
//! to flat. Its [`Event`]s are entries (the initial entry, then adds), exits
//! (partial, then final), stop placements and profit targets. Every price,
//! quantity and amount of money is an exact [`Decimal`].
//!
//! A setup's [`Playbook`] says how it is meant to be traded.
//!
//! This module is pure: no I/O, no user interface, no database. Values are
//! plain data; [`Trade::validate`] checks that a trade makes sense and returns
//! every problem it finds as a [`ValidationError`] that names the event and
//! field at fault.

pub mod bars;
pub mod imported;
pub mod names;
pub mod playbook;
mod text;
mod validate;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use playbook::{Playbook, playbook_for};
pub use text::{DecimalBuffer, write_decimal_pieces, write_time};
pub use validate::{
    Field, MAX_MULTIPLIER, MAX_PRICE, MAX_QTY, MAX_RATE, MAX_TRADE_SIZE, ValidationError,
};

/// `text` without leading and trailing whitespace, as `str::trim` gives it,
/// with a shortcut for the usual text that starts and ends with a visible
/// ASCII character (Unicode's other white space is never ASCII).
pub fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// The identity of a trade stored in a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TradeId(pub i64);

impl fmt::Display for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The direction of a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Bought first, sold to exit: profits when the price rises.
    #[default]
    Long,
    /// Sold first, bought back to exit: profits when the price falls.
    Short,
}

impl Side {
    /// Both sides, in display order.
    pub const ALL: [Side; 2] = [Side::Long, Side::Short];

    /// `+1` for long and `-1` for short: the `s` of the trade arithmetic.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Long => Decimal::ONE,
            Side::Short => Decimal::NEGATIVE_ONE,
        }
    }

    /// The lowercase name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Long => "long",
            Side::Short => "short",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the accepted values of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what}; expected one of: {expected}")]
pub struct UnknownName {
    /// What was being parsed, e.g. "side".
    pub what: &'static str,
    /// The text that was given.
    pub value: String,
    /// The accepted names, comma separated.
    pub expected: &'static str,
}

impl FromStr for Side {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "long" => Ok(Side::Long),
            "short" => Ok(Side::Short),
            _ => Err(UnknownName {
                what: "side",
                value: s.to_owned(),
                expected: "long, short",
            }),
        }
    }
}

/// The market's character while the trade was on, as the trader judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MarketCondition {
    /// A directional market: where scaling in belongs.
    Trending,
    /// A range-bound market: scaling in here is flagged.
    Range,
    /// Not recorded.
    #[default]
    Unknown,
}

impl MarketCondition {
    /// Every condition, in display order.
    pub const ALL: [MarketCondition; 3] = [
        MarketCondition::Trending,
        MarketCondition::Range,
        MarketCondition::Unknown,
    ];

    /// The lowercase name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            MarketCondition::Trending => "trending",
            MarketCondition::Range => "range",
            MarketCondition::Unknown => "unknown",
        }
    }
}

impl fmt::Display for MarketCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MarketCondition {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trending" | "trend" => Ok(MarketCondition::Trending),
            "range" | "ranging" | "range-bound" => Ok(MarketCondition::Range),
            "unknown" | "" => Ok(MarketCondition::Unknown),
            _ => Err(UnknownName {
                what: "market condition",
                value: s.to_owned(),
                expected: "trending, range, unknown",
            }),
        }
    }
}

/// A fill: quantity at a price, with the fee paid for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fill {
    /// Number of shares, contracts or units; positive.
    pub qty: Decimal,
    /// Price per unit, before the multiplier.
    pub price: Decimal,
    /// Commissions and fees paid for this fill; zero or more.
    pub fee: Decimal,
}

/// What happened at one moment of a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Bought (long) or sold short (short): the initial entry or an add.
    Entry(Fill),
    /// Reduced the position: a partial exit, or the final exit.
    Exit(Fill),
    /// The protective stop is now at this price (placed or moved).
    Stop {
        /// The stop price.
        price: Decimal,
    },
    /// A planned profit target at this price.
    Target {
        /// The target price.
        price: Decimal,
    },
}

impl EventKind {
    /// The lowercase name of the kind: entry, exit, stop or target.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Entry(_) => "entry",
            EventKind::Exit(_) => "exit",
            EventKind::Stop { .. } => "stop",
            EventKind::Target { .. } => "target",
        }
    }

    /// The fill of an entry or exit.
    pub fn fill(&self) -> Option<&Fill> {
        match self {
            EventKind::Entry(fill) | EventKind::Exit(fill) => Some(fill),
            EventKind::Stop { .. } | EventKind::Target { .. } => None,
        }
    }

    /// The event's price, whatever its kind.
    pub fn price(&self) -> Decimal {
        match self {
            EventKind::Entry(fill) | EventKind::Exit(fill) => fill.price,
            EventKind::Stop { price } | EventKind::Target { price } => *price,
        }
    }

    /// Whether this is an entry or exit (something that changes the position).
    pub fn is_fill(&self) -> bool {
        self.fill().is_some()
    }
}

/// One event of a trade, at a moment in time with its UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Event {
    /// When it happened, with the offset it was recorded in.
    pub at: DateTime<FixedOffset>,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// An entry (initial or add).
    pub fn entry(at: DateTime<FixedOffset>, qty: Decimal, price: Decimal, fee: Decimal) -> Self {
        Event {
            at,
            kind: EventKind::Entry(Fill { qty, price, fee }),
        }
    }

    /// An exit (partial or final).
    pub fn exit(at: DateTime<FixedOffset>, qty: Decimal, price: Decimal, fee: Decimal) -> Self {
        Event {
            at,
            kind: EventKind::Exit(Fill { qty, price, fee }),
        }
    }

    /// A stop placed or moved to `price`.
    pub fn stop(at: DateTime<FixedOffset>, price: Decimal) -> Self {
        Event {
            at,
            kind: EventKind::Stop { price },
        }
    }

    /// A profit target at `price`.
    pub fn target(at: DateTime<FixedOffset>, price: Decimal) -> Self {
        Event {
            at,
            kind: EventKind::Target { price },
        }
    }
}

/// One position in one instrument and one direction, from flat to flat.
///
/// `events` are kept in time order; events at the same instant keep the order
/// in which they were logged. [`Trade::sort_events`] restores that order after
/// events were given in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// The instrument, e.g. `AAPL` or `ESZ4`.
    pub symbol: String,
    /// Long or short.
    pub side: Side,
    /// Money per point per unit: 1 for shares, 50 for ES futures, 100 for options,
    /// 100,000 for a standard FX lot.
    pub multiplier: Decimal,
    /// The currency the trade's money (P&L, fees, risk) is in, e.g. `USD`: for
    /// an imported trade, the account's currency.
    pub currency: String,
    /// Units of [`Trade::currency`] per unit of the price currency, as the
    /// broker applied it (RULES.md, "Money in the account's currency"); 1 when
    /// prices and money are in the same currency. Every money term built from
    /// prices is multiplied by it.
    pub rate: Decimal,
    /// Whether the stop in force at the initial entry is known. A statement
    /// that shows only the stop at the close does not say it: then the trade
    /// has no R and the rules that read the stop history are not judged.
    pub stops_known: bool,
    /// The brokerage account, free text.
    pub account: String,
    /// The setup the trader took, free text (e.g. "breakout").
    pub setup: String,
    /// The market's character during the trade.
    pub market_condition: MarketCondition,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Free-form notes.
    pub notes: String,
    /// The events, in time order.
    pub events: Vec<Event>,
}

/// The currency a trade is in when none is given.
pub const DEFAULT_CURRENCY: &str = "USD";
/// The account a trade is in when none is given.
pub const DEFAULT_ACCOUNT: &str = "default";

impl Trade {
    /// A trade with no events and default details.
    pub fn new(symbol: impl Into<String>, side: Side) -> Self {
        Trade {
            symbol: symbol.into(),
            side,
            multiplier: Decimal::ONE,
            currency: DEFAULT_CURRENCY.to_owned(),
            rate: Decimal::ONE,
            stops_known: true,
            account: DEFAULT_ACCOUNT.to_owned(),
            setup: String::new(),
            market_condition: MarketCondition::Unknown,
            tags: Vec::new(),
            notes: String::new(),
            events: Vec::new(),
        }
    }

    /// Puts the events in time order, keeping the given order of events at
    /// the same instant. Returns, for each event now at position `i`, the
    /// position it had before.
    pub fn sort_events(&mut self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.events.len()).collect();
        // `sort_by_key` is stable, so equal instants keep their logged order.
        order.sort_by_key(|&i| self.events[i].at);
        self.events = order.iter().map(|&i| self.events[i]).collect();
        order
    }

    /// The first entry: its position in `events` and the event.
    pub fn initial_entry(&self) -> Option<(usize, &Event)> {
        self.events
            .iter()
            .enumerate()
            .find(|(_, e)| matches!(e.kind, EventKind::Entry(_)))
    }

    /// When the position was opened: the time of the initial entry.
    pub fn opened_at(&self) -> Option<DateTime<FixedOffset>> {
        self.initial_entry().map(|(_, e)| e.at)
    }

    /// `multiplier × rate`: the trade's money per unit of price per unit of quantity.
    pub fn money_multiplier(&self) -> Decimal {
        self.multiplier * self.rate
    }

    /// Whether a stop was logged at or before the initial entry's time.
    pub fn has_initial_stop(&self) -> bool {
        let Some(entry_at) = self.opened_at() else {
            return false;
        };
        self.events
            .iter()
            .take_while(|e| e.at <= entry_at)
            .any(|e| matches!(e.kind, EventKind::Stop { .. }))
    }

    /// Whether the setup or a tag marks the trade as a scalp.
    pub fn is_scalp(&self) -> bool {
        let mentions = |text: &str| text.to_lowercase().contains("scalp");
        mentions(&self.setup) || self.tags.iter().any(|t| mentions(t))
    }

    /// Checks the trade and returns every problem found, in event order.
    ///
    /// A valid trade has a symbol, a positive multiplier and rate, at least one
    /// entry, events in time order, positive quantities and prices (an exit may
    /// be at zero), fees of any sign (a negative fee is a credit), no exit before the first entry or beyond the open quantity, and
    /// nothing after the position is closed.
    pub fn validate(&self) -> Result<(), Vec<ValidationError>> {
        let errors = validate::validate(self);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// How the rules are scored: a penalty per violation of each rule, and how
/// far beyond the initial risk a position may go after an add. (The rules,
/// their defaults and the scoring are the analysis's.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSettings {
    /// Penalty points per violation, indexed by the rule's index.
    pub weights: [u32; 8],
    /// The fraction of the initial risk that the worst case may exceed it by
    /// before `risk-above-initial` fires: 0 means `W >= -R` exactly, 0.1
    /// allows `W >= -1.1 R`.
    pub risk_tolerance: Decimal,
    /// The setups' playbooks (kept in the journal apart from these
    /// settings, so not written with them).
    #[serde(skip)]
    pub playbooks: Vec<Playbook>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_gives_what_str_trim_gives() {
        for text in [
            "",
            " ",
            "x",
            " x ",
            "\tx\r\n",
            "\u{b}x\u{c}",
            "\u{a0}x",
            "x\u{a0}",
            "\u{2003}x",
            "x\u{85}",
            "é",
            " é ",
            "é\u{3000}",
            "a b",
            "\u{feff}x",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }
}
