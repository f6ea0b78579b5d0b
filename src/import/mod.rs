//! Broker statements into trades: detect the format, read the fills, group them.
//!
//! Importing runs in three pure steps, none of which touches the journal:
//!
//! 1. [`detect()`] looks at a file's content (never its name) and names its [`Format`].
//! 2. The format's reader turns the file into [`Fill`]s and [`StopOrder`]s, each
//!    carrying the line it came from, and collects [`Warning`]s. Columns are matched
//!    by header name (case and spacing do not matter, common aliases are accepted),
//!    so a user-chosen column set or order is fine. A row that cannot be read is an
//!    [`ImportError`] naming the file, line and field, or, with
//!    [`ImportOptions::skip_bad_rows`], a warning.
//! 3. [`group::group`] builds trades from flat to flat per account and instrument,
//!    splitting fills that flip the position, merging the fills of one order at one
//!    time into one tranche, and attaching stop orders as stop events.
//!
//! [`import`] runs all three and returns an [`Import`] whose [`Import::preview`]
//! is what the user sees before anything is committed. The fills are kept
//! compact ([`FillStore`]), and the trades are counted and ordered but not
//! held ([`group::outline`]): committing makes them again, one at a time, as
//! they are written. A first import that needs no preview first (the command
//! line's, into a new journal) reads the file into a [`FileRead`] and books
//! each trade once, as it is written ([`group::stream`]).
//!
//! One module per format: [`generic`] (any CSV of fills, with a [`ColumnMapping`]),
//! [`ibkr`] (Flex Query CSV and XML), [`thinkorswim`], [`metatrader`] (MT4 and MT5
//! HTML in any language and code page, MT5 CSV), [`tradovate`], [`ninjatrader`]
//! (executions and trades grid), [`webull`], [`kraken`] and [`das`] (DAS Trader
//! Pro's Trades window).
//!
//! `src/import/FORMATS.md` records, per format, what is read and the choices made
//! where a broker file is ambiguous.

pub mod bars;
pub mod commit;
pub mod das;
pub mod detect;
pub mod fills;
pub mod generic;
pub mod group;
pub(crate) mod html;
pub mod ibkr;
pub mod instrument;
pub mod kraken;
pub mod metatrader;
pub mod ninjatrader;
pub(crate) mod parallel;
pub(crate) mod table;
pub mod text;
pub mod thinkorswim;
pub mod tradovate;
pub mod webull;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;

pub use detect::detect;
pub use fills::FillStore;
pub use generic::ColumnMapping;
pub use group::{FillKey, GroupOptions, ImportedTrade};
pub use instrument::InstrumentKind;

/// A file format the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Any CSV of fills: the common journal layout, or a user's column mapping.
    GenericCsv,
    /// Interactive Brokers Flex Query, Trades section, as CSV.
    IbkrFlexCsv,
    /// Interactive Brokers Flex Query, as XML.
    IbkrFlexXml,
    /// thinkorswim (TD Ameritrade, Schwab) Account Statement CSV.
    Thinkorswim,
    /// MetaTrader 4 Detailed Statement or Statement, HTML.
    Mt4Html,
    /// MetaTrader 5 Trade History Report, HTML (usually UTF-16LE).
    Mt5Html,
    /// MetaTrader 5 Trade History Report, CSV.
    Mt5Csv,
    /// Tradovate Orders CSV.
    TradovateOrders,
    /// Tradovate Performance CSV (paired buys and sells).
    TradovatePerformance,
    /// NinjaTrader 8 executions grid, CSV.
    NinjaTraderExecutions,
    /// NinjaTrader 8 trades grid (round trips), CSV.
    NinjaTraderTrades,
    /// Webull Orders Records CSV.
    WebullOrders,
    /// Kraken trades export CSV.
    KrakenTrades,
    /// DAS Trader Pro Trades window, exported as CSV (times without a date).
    DasTrades,
}

impl Format {
    /// Every format, in the order the import dialog lists them.
    pub const ALL: [Format; 14] = [
        Format::GenericCsv,
        Format::IbkrFlexCsv,
        Format::IbkrFlexXml,
        Format::Thinkorswim,
        Format::Mt4Html,
        Format::Mt5Html,
        Format::Mt5Csv,
        Format::TradovateOrders,
        Format::TradovatePerformance,
        Format::NinjaTraderExecutions,
        Format::NinjaTraderTrades,
        Format::WebullOrders,
        Format::KrakenTrades,
        Format::DasTrades,
    ];

    /// The short name used on the command line (`--format NAME`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::GenericCsv => "csv",
            Format::IbkrFlexCsv => "ibkr-csv",
            Format::IbkrFlexXml => "ibkr-xml",
            Format::Thinkorswim => "thinkorswim",
            Format::Mt4Html => "mt4",
            Format::Mt5Html => "mt5",
            Format::Mt5Csv => "mt5-csv",
            Format::TradovateOrders => "tradovate",
            Format::TradovatePerformance => "tradovate-performance",
            Format::NinjaTraderExecutions => "ninjatrader-executions",
            Format::NinjaTraderTrades => "ninjatrader-trades",
            Format::WebullOrders => "webull",
            Format::KrakenTrades => "kraken",
            Format::DasTrades => "das",
        }
    }

    /// A name for people.
    pub fn title(self) -> &'static str {
        match self {
            Format::GenericCsv => "CSV of fills",
            Format::IbkrFlexCsv => "Interactive Brokers Flex Query or Activity Statement (CSV)",
            Format::IbkrFlexXml => "Interactive Brokers Flex Query (XML)",
            Format::Thinkorswim => "thinkorswim Account Statement",
            Format::Mt4Html => "MetaTrader 4 Statement",
            Format::Mt5Html => "MetaTrader 5 Trade History Report (HTML)",
            Format::Mt5Csv => "MetaTrader 5 Trade History Report (CSV)",
            Format::TradovateOrders => "Tradovate Orders",
            Format::TradovatePerformance => "Tradovate Performance",
            Format::NinjaTraderExecutions => "NinjaTrader 8 executions",
            Format::NinjaTraderTrades => "NinjaTrader 8 trades",
            Format::WebullOrders => "Webull Orders Records",
            Format::KrakenTrades => "Kraken trades",
            Format::DasTrades => "DAS Trader Pro trades",
        }
    }

    /// Whether the format's files give times of day without a date, so that
    /// the trading day must be given ([`ImportOptions::date`]).
    pub fn needs_date(self) -> bool {
        matches!(self, Format::DasTrades)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = crate::domain::UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or(crate::domain::UnknownName {
                what: "import format",
                value: s.to_owned(),
                expected: "csv, ibkr-csv, ibkr-xml, thinkorswim, mt4, mt5, mt5-csv, tradovate, \
                           tradovate-performance, ninjatrader-executions, ninjatrader-trades, \
                           webull, kraken, das",
            })
    }
}

/// Buy or sell: the direction of one fill (not of a trade).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FillSide {
    /// Bought (to open a long or to cover a short).
    Buy,
    /// Sold (to close a long or to open a short).
    Sell,
}

impl FillSide {
    /// `+1` for a buy, `-1` for a sell.
    pub fn sign(self) -> Decimal {
        match self {
            FillSide::Buy => Decimal::ONE,
            FillSide::Sell => Decimal::NEGATIVE_ONE,
        }
    }

    /// `buy` or `sell`.
    pub fn as_str(self) -> &'static str {
        match self {
            FillSide::Buy => "buy",
            FillSide::Sell => "sell",
        }
    }

    /// The other side.
    pub fn opposite(self) -> FillSide {
        match self {
            FillSide::Buy => FillSide::Sell,
            FillSide::Sell => FillSide::Buy,
        }
    }

    /// Reads the words brokers use: buy, sell, short, cover, B, S, BOT, SLD,
    /// "Buy to cover", "Sell short", "BUY (Ca.)" is not accepted.
    pub fn parse(text: &str) -> Option<FillSide> {
        const BUY: &[&str] = &[
            "buy",
            "b",
            "bot",
            "bought",
            "cover",
            "buy to cover",
            "buytocover",
            "btc",
            "bc",
            "buy to open",
            "bto",
            "long",
            "buy to close",
        ];
        const SELL: &[&str] = &[
            "sell",
            "s",
            "sld",
            "sold",
            "short",
            "sell short",
            "sellshort",
            "ss",
            "sell to open",
            "sto",
            "sell to close",
            "stc",
        ];
        let t = text.trim();
        if BUY.iter().any(|w| w.eq_ignore_ascii_case(t)) {
            Some(FillSide::Buy)
        } else if SELL.iter().any(|w| w.eq_ignore_ascii_case(t)) {
            Some(FillSide::Sell)
        } else {
            None
        }
    }
}

/// One execution read from a broker file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// The brokerage account; empty when the file does not say.
    pub account: String,
    /// The instrument as the broker names it (trimmed).
    pub symbol: String,
    /// What kind of instrument it is.
    pub kind: InstrumentKind,
    /// Bought or sold.
    pub side: FillSide,
    /// Quantity, always positive.
    pub qty: Decimal,
    /// Price per unit.
    pub price: Decimal,
    /// Commissions and fees paid, zero or more.
    pub fee: Decimal,
    /// When it was filled.
    pub at: DateTime<FixedOffset>,
    /// The currency of price and fee; empty when the file does not say.
    pub currency: String,
    /// The multiplier the file states, if any.
    pub multiplier: Option<Decimal>,
    /// The broker's order id: fills of one order at one time become one tranche.
    pub order_id: Option<String>,
    /// The broker's execution id: the key that makes re-imports idempotent.
    pub exec_id: Option<String>,
    /// For a fill that closes (part of) a position: the profit the broker
    /// booked for what it closed, in `currency`, before fees (MetaTrader's
    /// Profit); zero on the opening fills of a file that states profits. The
    /// trades' rates are worked out from it (RULES.md, "Money in the
    /// account's currency"): a trade with such fills but no move to divide
    /// by, or still open, takes the latest rate of its instrument in the file.
    pub profit: Option<Decimal>,
    /// The direction of the position the fill opens or closes, where the
    /// account is hedging (long and short positions held at once): fills are
    /// then grouped into trades per direction. `None` on netting accounts.
    pub position: Option<crate::domain::Side>,
    /// The 1-based line of the file the fill was read from.
    pub line: usize,
}

/// A stop order seen in a file: it becomes a stop event in the matching trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopOrder {
    /// The brokerage account; empty when the file does not say.
    pub account: String,
    /// The instrument as the broker names it.
    pub symbol: String,
    /// When the stop was placed (or moved).
    pub at: DateTime<FixedOffset>,
    /// The stop price.
    pub price: Decimal,
    /// The order's status as the file gives it: working, cancelled, filled...
    pub status: String,
    /// The side of the stop order itself, when known: a sell stop protects a
    /// long position, a buy stop a short one.
    pub side: Option<FillSide>,
    /// The 1-based line of the file.
    pub line: usize,
}

pub use crate::domain::imported::Warning;
use crate::domain::imported::bounded;

/// A file or row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default(), field.as_ref().map(|f| format!(", field {f:?}")).unwrap_or_default())]
pub struct ImportError {
    /// The file being imported, as the user named it.
    pub file: String,
    /// The 1-based line, when the error is about one.
    pub line: Option<usize>,
    /// The field (column) at fault, if any.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ImportError {
    /// The same problem, as a warning (for skipped rows).
    pub fn to_warning(&self) -> Warning {
        Warning {
            line: self.line,
            field: self.field.clone(),
            message: format!("row skipped: {}", self.message),
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The format, when the user overrides detection.
    pub format: Option<Format>,
    /// The zone of times the file gives without one.
    pub tz: chrono_tz::Tz,
    /// Skip rows that cannot be read, with a warning for each, instead of failing.
    pub skip_bad_rows: bool,
    /// Which column holds what, for a CSV in no known layout.
    pub column_mapping: Option<ColumnMapping>,
    /// Multipliers the user set, by symbol or by futures root; they win over
    /// the file and the built-in table.
    pub multipliers: HashMap<String, Decimal>,
    /// The trading day of a file that gives times of day only (see
    /// [`Format::needs_date`]): its times are on this day, in `tz`. Such a
    /// file cannot be read without it.
    pub date: Option<NaiveDate>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            tz: local_zone(),
            skip_bad_rows: false,
            column_mapping: None,
            multipliers: HashMap::new(),
            date: None,
        }
    }
}

/// The machine's time zone, or UTC when it cannot be found.
pub fn local_zone() -> chrono_tz::Tz {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|name| name.parse().ok())
        .unwrap_or(chrono_tz::Tz::UTC)
}

/// What a format's reader found in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The fills, in file order (or in time order, for a file whose rows
    /// are in no order: DAS Trader's).
    pub fills: FillStore,
    /// The stop orders, in file order.
    pub stops: Vec<StopOrder>,
    /// Problems that did not stop the reading.
    pub warnings: Vec<Warning>,
    /// Whether the file records every stop order with its time (Tradovate
    /// Orders, thinkorswim's order history, MetaTrader 5 Orders): then a
    /// trade without a stop in the file had none, and its stops are known.
    /// Otherwise the stop in force at each trade's initial entry is not known
    /// (RULES.md, "What a statement does not say about stops").
    pub stops_recorded: bool,
    /// For symbols whose prices are in another currency than the fills'
    /// money (a pair quoted in JPY in a USD account): the price currency, the
    /// currency a trade of the symbol is in when no rate can be found for it.
    pub price_currencies: std::collections::BTreeMap<String, String>,
    /// The figure the file states for its own trades, if it states one.
    pub total: Option<StatementTotal>,
    /// Lines whose time the clocks showed twice, each with the second of
    /// the two instants (the first was taken; see [`keep_file_order`]).
    pub repeated_times: Vec<(usize, DateTime<FixedOffset>)>,
}

/// Where a time of the repeated autumn hour read as its first occurrence
/// puts a fill before the fill above it in the file (of the same account
/// and symbol), reads it as the second: the fills keep the file's order.
/// Files listed newest first are read the other way round.
pub fn keep_file_order(fills: &mut FillStore, repeated: &[(usize, DateTime<FixedOffset>)]) {
    if repeated.is_empty() {
        return;
    }
    let later: HashMap<usize, DateTime<FixedOffset>> = repeated.iter().copied().collect();
    let (mut up, mut down) = (0usize, 0usize);
    for i in 1..fills.len() {
        match fills.at(i - 1).cmp(&fills.at(i)) {
            std::cmp::Ordering::Less => up += 1,
            std::cmp::Ordering::Greater => down += 1,
            std::cmp::Ordering::Equal => {}
        }
    }
    let newest_first = down > up;
    let mut last: HashMap<(fills::NameId, fills::NameId), DateTime<FixedOffset>> = HashMap::new();
    let order: Vec<usize> = if newest_first {
        (0..fills.len()).rev().collect()
    } else {
        (0..fills.len()).collect()
    };
    for i in order {
        let key = (fills.account_id(i), fills.symbol_id(i));
        if let (Some(&second), Some(&before)) = (later.get(&fills.line(i)), last.get(&key))
            && fills.at(i) < before
            && second >= before
        {
            fills.set_at(i, second);
        }
        let at = fills.at(i);
        last.entry(key)
            .and_modify(|t| *t = (*t).max(at))
            .or_insert(at);
    }
}

/// A total a statement states about its trades, to be compared with the
/// journal's figure for the same trades (see [`Reconciliation`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTotal {
    /// What the statement calls it: "Closed Trade P/L", "Total Net Profit".
    pub label: String,
    /// The account's currency.
    pub currency: String,
    /// The figure as the statement prints it.
    pub amount: Decimal,
    /// The part of `amount` that is not the file's trades (rows the reader
    /// left out, such as archive summary rows): `amount - excluded` is what
    /// the journal's figure is compared with.
    pub excluded: Decimal,
    /// Whether the figure counts open positions' costs (commissions charged
    /// at the open, as MetaTrader 5's Total Net Profit does): when not
    /// (MetaTrader 4's Closed Trade P/L), an open trade's entry fees are
    /// left out of the journal's figure (see [`Import::reconciliation`]).
    pub counts_open: bool,
}

impl StatementTotal {
    /// The statement's figure for the trades the file holds.
    pub fn for_trades(&self) -> Decimal {
        self.amount - self.excluded
    }
}

pub use crate::domain::imported::{Reconciliation, StatementCheck};

impl fmt::Display for Reconciliation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let money = |d: Decimal| crate::analysis::format::money(d);
        write!(f, "statement {} {}", money(self.statement), self.currency)?;
        if !self.excluded.is_zero() {
            write!(
                f,
                " less {} {} of rows that are not trades, {} {}",
                money(self.excluded),
                self.currency,
                money(self.statement - self.excluded),
                self.currency
            )?;
        }
        write!(
            f,
            "; journal {} {}: {}",
            money(self.journal),
            self.currency,
            if self.agrees() {
                "agrees"
            } else {
                "does not agree"
            }
        )
    }
}

/// The state a format reader writes into: results, and the bad-row policy.
pub(crate) struct Sink<'a> {
    pub(crate) parsed: Parsed,
    pub(crate) file: &'a str,
    pub(crate) options: &'a ImportOptions,
    /// Told the bytes read so far and the text's length, now and then.
    pub(crate) progress: Option<&'a mut dyn FnMut(usize, usize)>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(file: &'a str, options: &'a ImportOptions) -> Self {
        Sink {
            parsed: Parsed::default(),
            file,
            options,
            progress: None,
        }
    }

    /// An error about a line and field of this file.
    pub(crate) fn error(
        &self,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> ImportError {
        ImportError {
            file: self.file.to_owned(),
            line,
            field: field.map(str::to_owned),
            message: bounded(message.into()),
        }
    }

    /// A bad row: a warning when skipping bad rows, else the error.
    pub(crate) fn bad_row(&mut self, error: RowError, line: usize) -> Result<(), ImportError> {
        let err = self.error(Some(line), error.field.as_deref(), error.message);
        if self.options.skip_bad_rows {
            self.parsed.warnings.push(err.to_warning());
            Ok(())
        } else {
            Err(err)
        }
    }

    /// Records a row's outcome.
    pub(crate) fn row(
        &mut self,
        line: usize,
        result: Result<(), RowError>,
    ) -> Result<(), ImportError> {
        self.note_clock_changes(line);
        match result {
            Ok(()) => Ok(()),
            Err(e) => self.bad_row(e, line),
        }
    }

    /// Warns of the times of a row that a clock change made ambiguous or
    /// skipped, and remembers the repeated ones for [`keep_file_order`].
    pub(crate) fn note_clock_changes(&mut self, line: usize) {
        for (naive, change) in text::take_clock_changes() {
            let message = match change {
                text::ClockChange::Skipped { read_as } => format!(
                    "{naive} does not exist in the import time zone (the clocks went forward \
                     over it); it is read as {}, when they did, so the fills keep the file's order",
                    read_as.to_rfc3339()
                ),
                text::ClockChange::Repeated { read_as, later } => {
                    self.parsed.repeated_times.push((line, later));
                    format!(
                        "{naive} happens twice in the import time zone (the clocks went back \
                         over it); it is read as the first, {}, unless that would put it before \
                         the fill above it in the file, then as the second, {}",
                        read_as.to_rfc3339(),
                        later.to_rfc3339()
                    )
                }
            };
            self.parsed
                .warnings
                .push(Warning::new(Some(line), None, message));
        }
    }

    /// Reports reading progress: `done` of `total` bytes of text.
    pub(crate) fn report(&mut self, done: usize, total: usize) {
        if let Some(progress) = self.progress.as_mut() {
            progress(done, total);
        }
    }

    pub(crate) fn warn(
        &mut self,
        line: Option<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) {
        self.parsed
            .warnings
            .push(Warning::new(line, field, message));
    }
}

/// Why one row could not be read: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowError {
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl RowError {
    pub(crate) fn new(field: &str, message: impl Into<String>) -> Self {
        RowError {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }
}

/// Reads a file in a given format (no detection).
pub fn parse_as(
    format: Format,
    bytes: &[u8],
    file: &str,
    options: &ImportOptions,
) -> Result<Parsed, ImportError> {
    parse_with_progress(format, bytes, file, options, &mut |_, _| {})
}

/// Reads a file in a given format, telling `progress` how many bytes of its
/// text were read out of how many, now and then (for a progress bar).
pub fn parse_with_progress(
    format: Format,
    bytes: &[u8],
    file: &str,
    options: &ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Parsed, ImportError> {
    let text = text::decode(bytes);
    let mut sink = Sink::new(file, options);
    sink.progress = Some(progress);
    match format {
        Format::GenericCsv => generic::read(&text, &mut sink)?,
        Format::KrakenTrades => kraken::read(&text, &mut sink)?,
        Format::IbkrFlexCsv => ibkr::read_csv(&text, &mut sink)?,
        Format::IbkrFlexXml => ibkr::read_xml(&text, &mut sink)?,
        Format::Thinkorswim => thinkorswim::read(&text, &mut sink)?,
        Format::Mt4Html => metatrader::read_mt4(&text, &mut sink)?,
        Format::Mt5Html => metatrader::read_mt5_html(&text, &mut sink)?,
        Format::Mt5Csv => metatrader::read_mt5_csv(&text, &mut sink)?,
        Format::TradovateOrders => tradovate::read(&text, &mut sink)?,
        Format::TradovatePerformance => tradovate::read_performance(&text, &mut sink)?,
        Format::NinjaTraderExecutions => ninjatrader::read_executions(&text, &mut sink)?,
        Format::NinjaTraderTrades => ninjatrader::read_trades(&text, &mut sink)?,
        Format::WebullOrders => webull::read(&text, &mut sink)?,
        Format::DasTrades => das::read(&text, &mut sink)?,
    }
    sink.report(text.len(), text.len());
    Ok(sink.parsed)
}

/// Detects the format (unless the options name one) and reads the file.
pub fn parse(
    bytes: &[u8],
    file: &str,
    options: &ImportOptions,
) -> Result<(Format, Parsed), ImportError> {
    parse_detected(bytes, file, options, &mut |_, _| {})
}

fn parse_detected(
    bytes: &[u8],
    file: &str,
    options: &ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(Format, Parsed), ImportError> {
    let format = match options.format {
        Some(format) => format,
        None if options.column_mapping.is_some() => Format::GenericCsv,
        None => detect(bytes).ok_or_else(|| ImportError {
            file: file.to_owned(),
            line: None,
            field: None,
            message: "this is not a broker statement Tranche knows; \
                      choose the format, or map the columns of a CSV"
                .to_owned(),
        })?,
    };
    let parsed = parse_with_progress(format, bytes, file, options, progress)?;
    Ok((format, parsed))
}

/// A file read and grouped into trades, ready to be previewed and committed.
#[derive(Debug, Clone)]
pub struct Import {
    /// The file as the user named it (a path or a file name), for messages
    /// and for the check a committed import keeps of the file's own total.
    pub file: String,
    /// The format the file was read as.
    pub format: Format,
    /// The fills read.
    pub fills: FillStore,
    /// The stop orders read.
    pub stops: Vec<StopOrder>,
    /// The trades they make: counted and ordered, and held only where they
    /// cannot be made again one at a time (see [`group::outline`]).
    grouped: group::Grouped,
    /// The trades, once asked for ([`Import::trades`]).
    held: std::sync::OnceLock<Vec<ImportedTrade>>,
    /// The multipliers the user set, as grouping took them.
    multipliers: HashMap<String, Decimal>,
    /// Every warning, from reading and from grouping.
    pub warnings: Vec<Warning>,
    /// Whether the file records stop orders (see [`Parsed::stops_recorded`]).
    pub stops_recorded: bool,
    /// Price currencies by symbol (see [`Parsed::price_currencies`]).
    pub price_currencies: std::collections::BTreeMap<String, String>,
    /// The figure the file states for its own trades, if any.
    pub total: Option<StatementTotal>,
}

/// What the user sees before an import is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The format the file was read as.
    pub format: Format,
    /// Number of fills read.
    pub fills: usize,
    /// Number of trades they make.
    pub trades: usize,
    /// How many of those are still open at the end of the file.
    pub open_trades: usize,
    /// The first and last fill times.
    pub date_range: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    /// Warnings with their file line numbers.
    pub warnings: Vec<Warning>,
    /// The statement's own total beside the journal's figure for its trades.
    pub reconciliation: Option<Reconciliation>,
}

impl fmt::Display for Preview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "format: {} ({})", self.format.title(), self.format)?;
        writeln!(f, "fills: {}", self.fills)?;
        writeln!(f, "trades: {} ({} open)", self.trades, self.open_trades)?;
        if let Some((first, last)) = self.date_range {
            writeln!(f, "from {} to {}", first.to_rfc3339(), last.to_rfc3339())?;
        }
        if let Some(check) = &self.reconciliation {
            writeln!(f, "{check}")?;
        }
        writeln!(f, "warnings: {}", self.warnings.len())?;
        for w in &self.warnings {
            writeln!(f, "  {w}")?;
        }
        Ok(())
    }
}

impl Import {
    /// The preview: format, counts, date range and warnings.
    pub fn preview(&self) -> Preview {
        Preview {
            format: self.format,
            fills: self.fills.len(),
            trades: self.grouped.len(),
            open_trades: self.grouped.open(),
            date_range: self.fills.date_range(),
            warnings: self.warnings.clone(),
            reconciliation: self.reconciliation(),
        }
    }

    /// The trades the fills make, in order (made and kept the first time
    /// they are asked for: a commit makes them one at a time instead, see
    /// [`Import::for_each_trade`]).
    pub fn trades(&self) -> &[ImportedTrade] {
        match &self.grouped {
            group::Grouped::Trades(trades) => trades,
            group::Grouped::Outline(_) => self.held.get_or_init(|| {
                let mut trades = Vec::with_capacity(self.grouped.len());
                self.for_each_trade(&mut |trade| {
                    trades.push(trade);
                    true
                });
                trades
            }),
        }
    }

    /// How many trades the fills make.
    pub fn trade_count(&self) -> usize {
        self.grouped.len()
    }

    /// The trades that continue an open trade of the journal: position and
    /// the open trade's index (see [`ImportedTrade::continues`]).
    pub fn continued(&self) -> Vec<(usize, usize)> {
        self.grouped.continued()
    }

    /// Hands each trade, in order, to `each`, until it returns `false`: the
    /// trades are made one at a time, and not kept.
    pub fn for_each_trade(&self, each: &mut dyn FnMut(ImportedTrade) -> bool) {
        match &self.grouped {
            group::Grouped::Trades(trades) => {
                for trade in trades {
                    if !each(trade.clone()) {
                        return;
                    }
                }
            }
            group::Grouped::Outline(outline) => {
                let options = GroupOptions {
                    multipliers: self.multipliers.clone(),
                    ..self.group_options(&GroupOptions::default())
                };
                group::produce(&self.fills, &self.stops, &options, outline, each);
            }
        }
    }

    /// The trades as they are held, when they are (see [`group::outline`]).
    pub fn held_trades(&self) -> Option<&[ImportedTrade]> {
        match &self.grouped {
            group::Grouped::Trades(trades) => Some(trades),
            group::Grouped::Outline(_) => self.held.get().map(Vec::as_slice),
        }
    }

    /// The options grouping this file's fills takes, on top of `base` (the
    /// user's multipliers and the journal's open trades).
    pub fn group_options(&self, base: &GroupOptions) -> GroupOptions {
        GroupOptions {
            stops_recorded: self.stops_recorded,
            price_currencies: self.price_currencies.clone(),
            ..base.clone()
        }
    }

    /// The trades the file's total covers: those in its currency, closed or
    /// with an exit, and open ones too when the total counts open positions'
    /// costs (none without a total).
    pub fn reconciled_trades(&self) -> impl Iterator<Item = &ImportedTrade> {
        self.trades().iter().filter(|t| self.reconciles(t))
    }

    /// Whether the file's total covers `trade` (see
    /// [`Import::reconciled_trades`]).
    pub fn reconciles(&self, trade: &ImportedTrade) -> bool {
        self.total.as_ref().is_some_and(|total| {
            let exited = trade
                .trade
                .events
                .iter()
                .any(|e| matches!(e.kind, crate::domain::EventKind::Exit(_)));
            (total.counts_open || !trade.open || exited) && trade.trade.currency == total.currency
        })
    }

    /// The file's own total beside the journal's net P&L for the file's
    /// trades, each to the cent as a statement gives it.
    ///
    /// A closed trade counts its net P&L; but where the broker's profit for
    /// it is zero while its prices moved (the broker rounded each position's
    /// profit to the cent, and no positive rate turns the move into
    /// nothing), or its prices did not move while the broker booked a
    /// profit, it counts the broker's profit less its fees. An open trade
    /// counts what its exits booked: the broker's profit for them where the
    /// file gives it (until the position closes, the journal's average cost
    /// spreads its result over the exits otherwise), else its realized gross
    /// P&L; less its exits' fees, and its entries' fees too when the total
    /// counts open positions' costs.
    pub fn reconciliation(&self) -> Option<Reconciliation> {
        let total = self.total.as_ref()?;
        let profits: HashMap<FillKey, Option<Decimal>> = group::fill_keys(&self.fills)
            .into_iter()
            .zip((0..self.fills.len()).map(|i| self.fills.profit(i)))
            .collect();
        let journal = self
            .reconciled_trades()
            .map(|t| {
                let a = crate::analysis::analyze_with(
                    &t.trade,
                    &crate::analysis::RuleSettings::default(),
                    crate::analysis::Messages::Skip,
                );
                let is_exit = |event: usize| {
                    matches!(
                        t.trade.events.get(event).map(|e| e.kind),
                        Some(crate::domain::EventKind::Exit(_))
                    )
                };
                let booked: Option<Decimal> = t
                    .sources
                    .iter()
                    .filter(|s| is_exit(s.event))
                    .map(|s| profits.get(&s.key).copied().flatten())
                    .sum();
                let (mut figure, entry_fees) = match booked {
                    _ if t.open => (booked.unwrap_or(a.gross_pnl), total.counts_open),
                    Some(p) if p.is_zero() != a.gross_pnl.is_zero() => (p, true),
                    _ => return a.net_pnl.round_dp(2),
                };
                for e in &t.trade.events {
                    match e.kind {
                        crate::domain::EventKind::Exit(f) => figure -= f.fee,
                        crate::domain::EventKind::Entry(f) if entry_fees => figure -= f.fee,
                        _ => {}
                    }
                }
                figure.round_dp(2)
            })
            .sum();
        Some(Reconciliation {
            label: total.label.clone(),
            currency: total.currency.clone(),
            statement: total.amount,
            excluded: total.excluded,
            journal,
        })
    }
}

/// Detects, reads and groups a file: everything short of committing it.
pub fn import(bytes: &[u8], file: &str, options: &ImportOptions) -> Result<Import, ImportError> {
    import_with_progress(bytes, file, options, &mut |_, _| {})
}

/// [`import`], telling `progress` how many bytes of the file's text were read
/// out of how many, now and then; grouping follows the last report.
pub fn import_with_progress(
    bytes: &[u8],
    file: &str,
    options: &ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Import, ImportError> {
    let (format, parsed) = parse_detected(bytes, file, options, progress)?;
    Ok(FileRead::of(format, parsed, file, options).group())
}

/// [`import_with_progress`] of a file's bytes, which are let go once the
/// file is read, before its fills are grouped.
pub fn import_bytes_with_progress(
    bytes: Vec<u8>,
    file: &str,
    options: &ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Import, ImportError> {
    Ok(read_bytes_with_progress(bytes, file, options, progress)?.group())
}

/// Reads a file's fills (as [`import_bytes_with_progress`]) without
/// grouping them yet: see [`FileRead::group`], and
/// [`crate::storage::Journal::commit_streamed`] for a first import that
/// books each trade once, as it is written.
pub fn read_bytes_with_progress(
    bytes: Vec<u8>,
    file: &str,
    options: &ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<FileRead, ImportError> {
    let (format, parsed) = parse_detected(&bytes, file, options, progress)?;
    drop(bytes);
    Ok(FileRead::of(format, parsed, file, options))
}

/// A file read, its fills not yet grouped into trades.
pub struct FileRead {
    /// The file as the user named it.
    pub file: String,
    /// The format it was read as.
    pub format: Format,
    /// What reading it gave, its fills in the order grouping takes them.
    pub parsed: Parsed,
    /// The multipliers the user set.
    multipliers: HashMap<String, Decimal>,
}

impl FileRead {
    /// What reading `file` gave, its fills put in the order grouping takes.
    fn of(format: Format, mut parsed: Parsed, file: &str, options: &ImportOptions) -> FileRead {
        keep_file_order(&mut parsed.fills, &parsed.repeated_times);
        FileRead {
            file: file.to_owned(),
            format,
            parsed,
            multipliers: options.multipliers.clone(),
        }
    }

    /// The options its fills are grouped with.
    pub fn group_options(&self) -> GroupOptions {
        GroupOptions {
            multipliers: self.multipliers.clone(),
            stops_recorded: self.parsed.stops_recorded,
            price_currencies: self.parsed.price_currencies.clone(),
            ..GroupOptions::default()
        }
    }

    /// Whether its trades can be booked once, as they are written
    /// ([`group::stream`]), rather than outlined first: a file that states
    /// no total of its own (whose check names its trades), no broker's
    /// profit and no price currency (whose trades take rates from each
    /// other).
    pub fn streams(&self) -> bool {
        self.parsed.total.is_none()
            && self.parsed.price_currencies.is_empty()
            && !self.parsed.fills.any_profit()
    }

    /// The preview of its fills, given what grouping them made: as
    /// [`Import::preview`] gives it.
    pub fn preview(&self, streamed: &group::Streamed) -> Preview {
        let mut warnings = self.parsed.warnings.clone();
        warnings.extend(streamed.warnings.iter().cloned());
        Preview {
            format: self.format,
            fills: self.parsed.fills.len(),
            trades: streamed.trades,
            open_trades: streamed.open,
            date_range: self.parsed.fills.date_range(),
            warnings,
            reconciliation: None,
        }
    }

    /// Its fills grouped: the import to preview and commit.
    pub fn group(self) -> Import {
        let group_options = self.group_options();
        let FileRead {
            file,
            format,
            parsed,
            ..
        } = self;
        let Parsed {
            fills,
            stops,
            mut warnings,
            stops_recorded,
            price_currencies,
            total,
            repeated_times: _,
        } = parsed;
        let (grouped, group_warnings) = group::outline(&fills, &stops, &group_options);
        warnings.extend(group_warnings);
        Import {
            file,
            format,
            fills,
            stops,
            grouped,
            held: std::sync::OnceLock::new(),
            multipliers: group_options.multipliers,
            warnings,
            stops_recorded,
            price_currencies,
            total,
        }
    }
}
