//! The trade editor's form: every field as the text the user typed, parsed
//! exactly into a [`Trade`], with every problem tied to the field at fault.
//!
//! Parsing and validation are pure, so they are tested without a window.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::analysis::{RuleSettings, Step, TradeAnalysis, analyze_with_steps, format};
use crate::domain::{
    DEFAULT_ACCOUNT, DEFAULT_CURRENCY, Event, EventKind, Field, MarketCondition, Side, Trade,
    ValidationError,
};

use super::time::Zone;

/// The kind of an event row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// An entry: the initial entry or an add.
    Entry,
    /// An exit: partial or final.
    Exit,
    /// A stop placed or moved.
    Stop,
    /// A profit target.
    Target,
}

impl RowKind {
    /// Every kind, in button order.
    pub const ALL: [RowKind; 4] = [
        RowKind::Entry,
        RowKind::Exit,
        RowKind::Stop,
        RowKind::Target,
    ];

    /// The kind's name.
    pub fn name(self) -> &'static str {
        match self {
            RowKind::Entry => "Entry",
            RowKind::Exit => "Exit",
            RowKind::Stop => "Stop",
            RowKind::Target => "Target",
        }
    }

    /// Whether rows of this kind have a quantity and a fee.
    pub fn is_fill(self) -> bool {
        matches!(self, RowKind::Entry | RowKind::Exit)
    }
}

/// One event as typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventRow {
    /// What kind of event.
    pub kind: RowKind,
    /// Date and time, see [`Zone::parse_time`].
    pub at: String,
    /// Quantity (entries and exits).
    pub qty: String,
    /// Price.
    pub price: String,
    /// Fee (entries and exits); empty means zero.
    pub fee: String,
}

impl EventRow {
    /// An empty row of `kind` at `at`.
    pub fn new(kind: RowKind, at: impl Into<String>) -> Self {
        EventRow {
            kind,
            at: at.into(),
            qty: String::new(),
            price: String::new(),
            fee: String::new(),
        }
    }
}

/// A field of a trade's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TradeField {
    /// The symbol.
    Symbol,
    /// The multiplier.
    Multiplier,
    /// The currency.
    Currency,
    /// The event list as a whole.
    Events,
}

/// A field of an event row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowField {
    /// Date and time.
    Time,
    /// Quantity.
    Qty,
    /// Price.
    Price,
    /// Fee.
    Fee,
    /// The row's kind (e.g. an exit before any entry).
    Kind,
}

impl RowField {
    /// The field's name as shown in the grid header.
    pub fn label(self) -> &'static str {
        match self {
            RowField::Time => "Time",
            RowField::Qty => "Qty",
            RowField::Price => "Price",
            RowField::Fee => "Fee",
            RowField::Kind => "Kind",
        }
    }
}

/// Every field of a trade, as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TradeForm {
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: Side,
    /// Multiplier.
    pub multiplier: String,
    /// Currency.
    pub currency: String,
    /// Account.
    pub account: String,
    /// Setup.
    pub setup: String,
    /// Market condition.
    pub market_condition: MarketCondition,
    /// Tags, separated by commas.
    pub tags: String,
    /// Notes.
    pub notes: String,
    /// The events, in the order they are shown and saved.
    pub rows: Vec<EventRow>,
    /// The trade's rate (money per unit of the price currency), kept as loaded.
    pub rate: Decimal,
    /// Whether the trade's stop at the initial entry was known when loaded.
    pub stops_known: bool,
    /// For a trade whose stops were not known: how many stops it had at or
    /// before its initial entry when loaded. A stop added there makes the
    /// stops known (the trader has said where the initial stop was).
    pub initial_stops_loaded: usize,
}

impl Default for TradeForm {
    fn default() -> Self {
        TradeForm {
            symbol: String::new(),
            side: Side::Long,
            multiplier: "1".to_owned(),
            currency: DEFAULT_CURRENCY.to_owned(),
            account: DEFAULT_ACCOUNT.to_owned(),
            setup: String::new(),
            market_condition: MarketCondition::Unknown,
            tags: String::new(),
            notes: String::new(),
            rows: Vec::new(),
            rate: Decimal::ONE,
            stops_known: true,
            initial_stops_loaded: 0,
        }
    }
}

/// The stops logged at or before a trade's initial entry.
fn initial_stops(trade: &Trade) -> usize {
    let Some(entry_at) = trade.opened_at() else {
        return 0;
    };
    trade
        .events
        .iter()
        .take_while(|e| e.at <= entry_at)
        .filter(|e| matches!(e.kind, EventKind::Stop { .. }))
        .count()
}

/// Everything wrong with a form, by field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    /// Problems with header fields.
    pub trade: BTreeMap<TradeField, String>,
    /// Problems with event fields, by row and field.
    pub rows: BTreeMap<(usize, RowField), String>,
}

impl FormErrors {
    /// Whether there is no problem at all.
    pub fn is_empty(&self) -> bool {
        self.trade.is_empty() && self.rows.is_empty()
    }

    /// The problem with a row's field, if any.
    pub fn row(&self, row: usize, field: RowField) -> Option<&str> {
        self.rows.get(&(row, field)).map(String::as_str)
    }

    /// The problem with a header field, if any.
    pub fn field(&self, field: TradeField) -> Option<&str> {
        self.trade.get(&field).map(String::as_str)
    }

    /// The first problem of a row, if any.
    pub fn first_in_row(&self, row: usize) -> Option<(RowField, &str)> {
        self.rows
            .range((row, RowField::Time)..=(row, RowField::Kind))
            .next()
            .map(|(&(_, field), message)| (field, message.as_str()))
    }

    fn add_row(&mut self, row: usize, field: RowField, message: String) {
        self.rows.entry((row, field)).or_insert(message);
    }

    fn add_trade(&mut self, field: TradeField, message: String) {
        self.trade.entry(field).or_insert(message);
    }

    fn add_validation(&mut self, error: &ValidationError) {
        let message = error.to_string();
        let row_field = match error.field() {
            Field::Symbol => return self.add_trade(TradeField::Symbol, message),
            Field::Multiplier if error.event().is_none() => {
                return self.add_trade(TradeField::Multiplier, message);
            }
            Field::Currency => return self.add_trade(TradeField::Currency, message),
            Field::Rate => return self.add_trade(TradeField::Events, message),
            Field::Events => return self.add_trade(TradeField::Events, message),
            Field::Time => RowField::Time,
            Field::Qty => RowField::Qty,
            Field::Price => RowField::Price,
            Field::Fee => RowField::Fee,
            Field::Kind | Field::Multiplier => RowField::Kind,
        };
        match error.event() {
            Some(row) => self.add_row(row, row_field, message),
            None => self.add_trade(TradeField::Events, message),
        }
    }
}

/// What the form says right now: the trade if it is valid, every problem,
/// and the analysis of as many rows as make a valid trade.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    /// The trade, when every field parses and the trade validates.
    pub trade: Option<Trade>,
    /// Every problem, by field.
    pub errors: FormErrors,
    /// The analysis and the position after each row, for the rows
    /// `0..analysed_rows` (all of them when the trade is valid).
    pub analysis: Option<(TradeAnalysis, Vec<Step>)>,
    /// How many rows the analysis covers.
    pub analysed_rows: usize,
    /// Decimal places the trade's prices are shown with
    /// ([`format::price_dp`] of the rows that parse).
    pub price_dp: u32,
}

impl Preview {
    /// Whether the trade can be saved.
    pub fn is_valid(&self) -> bool {
        self.trade.is_some()
    }
}

/// Reads an exact decimal: no rounding, no thousands separators.
pub fn parse_decimal(text: &str, what: &str) -> Result<Decimal, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("enter the {what}"));
    }
    Decimal::from_str_exact(text).map_err(|_| {
        if text.contains(',') {
            format!("{text:?} is not a number: write 1500.25, without commas")
        } else {
            format!("{text:?} is not a number")
        }
    })
}

impl TradeForm {
    /// The form for an existing trade, times shown in `zone`.
    pub fn from_trade(trade: &Trade, zone: &Zone) -> Self {
        let rows = trade
            .events
            .iter()
            .map(|event| {
                let at = zone.editable(event.at);
                let price = format::exact(event.kind.price());
                match event.kind {
                    EventKind::Entry(fill) | EventKind::Exit(fill) => EventRow {
                        kind: if matches!(event.kind, EventKind::Entry(_)) {
                            RowKind::Entry
                        } else {
                            RowKind::Exit
                        },
                        at,
                        qty: format::exact(fill.qty),
                        price,
                        fee: if fill.fee.is_zero() {
                            String::new()
                        } else {
                            format::exact(fill.fee)
                        },
                    },
                    EventKind::Stop { .. } => EventRow {
                        price,
                        ..EventRow::new(RowKind::Stop, at)
                    },
                    EventKind::Target { .. } => EventRow {
                        price,
                        ..EventRow::new(RowKind::Target, at)
                    },
                }
            })
            .collect();
        TradeForm {
            symbol: trade.symbol.clone(),
            side: trade.side,
            multiplier: format::exact(trade.multiplier),
            currency: trade.currency.clone(),
            account: trade.account.clone(),
            setup: trade.setup.clone(),
            market_condition: trade.market_condition,
            tags: trade.tags.join(", "),
            notes: trade.notes.clone(),
            rows,
            rate: trade.rate,
            stops_known: trade.stops_known,
            initial_stops_loaded: initial_stops(trade),
        }
    }

    /// Parses, validates and analyses the form.
    pub fn preview(&self, zone: &Zone, settings: &RuleSettings) -> Preview {
        let mut errors = FormErrors::default();
        let multiplier = match parse_decimal(&self.multiplier, "multiplier") {
            Ok(m) => m,
            Err(message) => {
                errors.add_trade(TradeField::Multiplier, message);
                Decimal::ONE
            }
        };
        let mut trade = Trade::new(self.symbol.trim(), self.side);
        trade.multiplier = multiplier;
        trade.currency = self.currency.trim().to_owned();
        trade.account = self.account.trim().to_owned();
        trade.setup = self.setup.trim().to_owned();
        trade.market_condition = self.market_condition;
        trade.tags = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        trade.notes = self.notes.clone();
        trade.rate = self.rate;

        // Parse every row; remember the first row that did not parse.
        let mut first_bad_row = None;
        for (i, row) in self.rows.iter().enumerate() {
            match parse_row(row, zone) {
                Ok(event) => trade.events.push(event),
                Err(row_errors) => {
                    first_bad_row.get_or_insert(i);
                    for (field, message) in row_errors {
                        errors.add_row(i, field, message);
                    }
                    // A placeholder keeps event indexes equal to row indexes.
                    trade.events.push(Event::stop(
                        trade
                            .events
                            .last()
                            .map_or_else(|| chrono::DateTime::UNIX_EPOCH.fixed_offset(), |e| e.at),
                        Decimal::ONE,
                    ));
                }
            }
        }
        if self.rows.is_empty() {
            errors.add_trade(
                TradeField::Events,
                "add the initial entry with the + Entry button".to_owned(),
            );
        }

        trade.stops_known = self.stops_known || initial_stops(&trade) > self.initial_stops_loaded;
        let parse_ok = first_bad_row.is_none() && errors.is_empty();
        let rows_not_parsed: std::collections::BTreeSet<usize> =
            errors.rows.keys().map(|&(row, _)| row).collect();
        let price_dp = format::price_dp(&trade);
        let validation = trade.validate();
        if let Err(found) = &validation {
            for error in found {
                // A row that did not parse holds a placeholder: its problems are not the user's.
                if error.event().is_some_and(|e| rows_not_parsed.contains(&e)) {
                    continue;
                }
                errors.add_validation(error);
            }
        }

        if parse_ok && validation.is_ok() {
            let analysis = analyze_with_steps(&trade, settings);
            let analysed_rows = trade.events.len();
            return Preview {
                trade: Some(trade),
                errors,
                analysis: Some(analysis),
                analysed_rows,
                price_dp,
            };
        }

        // Analyse the longest prefix of rows that makes a valid trade, so the
        // preview keeps up while the last row is being typed.
        let first_error_row = errors.rows.keys().map(|&(row, _)| row).min();
        let prefix_len = first_error_row.unwrap_or(trade.events.len());
        let mut prefix = trade.clone();
        prefix.events.truncate(prefix_len);
        if prefix.symbol.is_empty() {
            prefix.symbol = "?".to_owned();
        }
        if prefix.currency.is_empty() {
            prefix.currency = "?".to_owned();
        }
        if multiplier <= Decimal::ZERO {
            prefix.multiplier = Decimal::ONE;
        }
        let analysis = prefix
            .validate()
            .is_ok()
            .then(|| analyze_with_steps(&prefix, settings));
        Preview {
            trade: None,
            errors,
            analysed_rows: if analysis.is_some() { prefix_len } else { 0 },
            analysis,
            price_dp,
        }
    }
}

fn parse_row(row: &EventRow, zone: &Zone) -> Result<Event, Vec<(RowField, String)>> {
    let mut errors = Vec::new();
    let at = zone
        .parse_time(&row.at)
        .map_err(|e| errors.push((RowField::Time, e)))
        .ok();
    let price = parse_decimal(&row.price, "price")
        .map_err(|e| errors.push((RowField::Price, e)))
        .ok();
    let (qty, fee) = if row.kind.is_fill() {
        let qty = parse_decimal(&row.qty, "quantity")
            .map_err(|e| errors.push((RowField::Qty, e)))
            .ok();
        let fee = if row.fee.trim().is_empty() {
            Some(Decimal::ZERO)
        } else {
            parse_decimal(&row.fee, "fee")
                .map_err(|e| errors.push((RowField::Fee, e)))
                .ok()
        };
        (qty, fee)
    } else {
        (Some(Decimal::ZERO), Some(Decimal::ZERO))
    };
    match (at, price, qty, fee) {
        (Some(at), Some(price), Some(qty), Some(fee)) => Ok(match row.kind {
            RowKind::Entry => Event::entry(at, qty, price, fee),
            RowKind::Exit => Event::exit(at, qty, price, fee),
            RowKind::Stop => Event::stop(at, price),
            RowKind::Target => Event::target(at, price),
        }),
        _ => Err(errors),
    }
}

impl FromStr for RowKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RowKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("{s:?} is not entry, exit, stop or target"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::analysis::Rule;
    use rust_decimal_macros::dec;

    fn row(kind: RowKind, at: &str, qty: &str, price: &str) -> EventRow {
        EventRow {
            qty: qty.to_owned(),
            price: price.to_owned(),
            ..EventRow::new(kind, at)
        }
    }

    fn worked_example() -> TradeForm {
        TradeForm {
            symbol: "AAPL".to_owned(),
            rows: vec![
                row(RowKind::Stop, "2025-03-03 09:35", "", "95"),
                row(RowKind::Entry, "2025-03-03 09:35", "300", "100"),
                row(RowKind::Entry, "2025-03-03 10:10", "200", "104"),
                row(RowKind::Stop, "2025-03-03 10:10", "", "99"),
                row(RowKind::Exit, "2025-03-04 11:00", "250", "110"),
                row(RowKind::Stop, "2025-03-04 11:00", "", "102"),
                row(RowKind::Exit, "2025-03-06 15:10", "250", "106"),
            ],
            ..TradeForm::default()
        }
    }

    fn zone() -> Zone {
        Zone::parse("America/New_York").unwrap()
    }

    #[test]
    fn the_worked_example_parses_exactly_and_previews_every_row() {
        let preview = worked_example().preview(&zone(), &RuleSettings::default());
        assert!(preview.errors.is_empty(), "{:?}", preview.errors);
        let trade = preview.trade.expect("valid");
        assert_eq!(trade.events[1].at.to_rfc3339(), "2025-03-03T09:35:00-05:00");
        let (analysis, steps) = preview.analysis.expect("analysed");
        assert_eq!(steps.len(), 7);
        assert_eq!(steps[2].avg_entry, Some(dec!(101.6)));
        assert_eq!(steps[3].worst_case, Some(dec!(-1300)));
        assert_eq!(analysis.net_pnl, dec!(3200));
        assert_eq!(analysis.score, 100);
    }

    #[test]
    fn decimals_are_exact_and_bad_text_is_explained() {
        assert_eq!(parse_decimal(" 0.1 ", "price"), Ok(dec!(0.1)));
        assert_eq!(
            parse_decimal("1.0000000000000000000000000001", "price"),
            Ok(dec!(1.0000000000000000000000000001))
        );
        assert!(
            parse_decimal("1,500.25", "price")
                .unwrap_err()
                .contains("without commas")
        );
        assert!(
            parse_decimal("", "quantity")
                .unwrap_err()
                .contains("enter the quantity")
        );
        assert!(parse_decimal("1e3", "price").is_err());
    }

    #[test]
    fn domain_errors_land_on_their_row_and_field() {
        let mut form = worked_example();
        form.rows[4].qty = "600".to_owned();
        form.rows[2].at = "2025-03-03 09:00".to_owned();
        form.multiplier = "0".to_owned();
        form.symbol = " ".to_owned();
        let preview = form.preview(&zone(), &RuleSettings::default());
        assert!(!preview.is_valid());
        let errors = &preview.errors;
        assert!(
            errors
                .row(4, RowField::Qty)
                .unwrap()
                .contains("larger than the open quantity")
        );
        assert!(errors.row(2, RowField::Time).unwrap().contains("earlier"));
        assert!(
            errors
                .field(TradeField::Multiplier)
                .unwrap()
                .contains("positive")
        );
        assert!(errors.field(TradeField::Symbol).unwrap().contains("empty"));
    }

    #[test]
    fn a_half_typed_row_still_previews_the_rows_before_it() {
        let mut form = worked_example();
        form.rows[2].price = "98".to_owned();
        form.rows[4].qty = "25O".to_owned();
        let preview = form.preview(&zone(), &RuleSettings::default());
        assert!(!preview.is_valid());
        assert_eq!(preview.errors.rows.len(), 1);
        assert!(
            preview
                .errors
                .row(4, RowField::Qty)
                .unwrap()
                .contains("not a number")
        );
        assert_eq!(preview.analysed_rows, 4);
        let (analysis, _) = preview.analysis.expect("prefix analysed");
        assert!(analysis.broke(Rule::AveragingDown));
        assert_eq!(analysis.violations[0].event, 2);
    }

    #[test]
    fn a_saved_trade_round_trips_through_the_form() {
        let trade = worked_example()
            .preview(&zone(), &RuleSettings::default())
            .trade
            .expect("valid");
        let form = TradeForm::from_trade(&trade, &Zone::parse("UTC").unwrap());
        assert_eq!(form.rows[1].at, "2025-03-03 09:35 -05:00");
        let again = form.preview(&Zone::parse("UTC").unwrap(), &RuleSettings::default());
        assert_eq!(again.trade, Some(trade));
    }
}
