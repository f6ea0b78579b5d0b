//! What an import hands the journal, as plain data: the trades a file's fills
//! make ([`ImportedTrade`]), the keys that make re-imports idempotent
//! ([`FillKey`]), what the journal held of a file when the import was
//! planned ([`ImportSnapshot`]), and what it is to write ([`ImportWrite`]).
//!
//! Deciding which fills are new and how they are grouped is the importer's
//! work; the journal only reads what it holds and writes what it is given.
//! A plan carries the [`JournalVersion`] it was made from: if the journal
//! changed since, the write is refused and the import planned again.

use std::fmt;

use rust_decimal::Decimal;

use super::{Trade, TradeId};

/// The identity of an imported fill, stable across imports of the same file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FillKey(pub String);

impl fmt::Display for FillKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A trade built from a file's fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedTrade {
    /// The trade; it passes [`Trade::validate`].
    pub trade: Trade,
    /// The fills the trade's entries and exits came from, in event order. A
    /// fill split by a flip appears in both trades; the fills of one tranche
    /// share an event.
    pub sources: Vec<Source>,
    /// For each event, the file line it came from (its first fill's, or the
    /// stop order's); 0 for the events a continued trade already had.
    pub lines: Vec<usize>,
    /// Whether the position is still open at the end of the file.
    pub open: bool,
    /// When the fills continue one of the journal's open trades (given to
    /// grouping in order), its index: `trade` is then that trade (details,
    /// tags, notes and every event it had kept) with the new events added,
    /// and `sources` and `lines` index its events as they are now.
    pub continues: Option<usize>,
}

/// One fill of a file, as part of an event of an imported trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The event's index in [`Trade::events`].
    pub event: usize,
    /// The fill's key.
    pub key: FillKey,
    /// The fill's line in the file.
    pub line: usize,
    /// Whether this is the part of a fill split by a flip that opened the
    /// trade (its other part closed the trade before); such a part is
    /// remembered apart from the closing one, under [`FillKey::opening`].
    pub opening: bool,
}

impl FillKey {
    /// The key under which the journal remembers the opening part of a fill
    /// split by a flip (`o:` and the fill's key: no fill's own key starts
    /// so), beside the closing part under the fill's own key.
    pub fn opening(&self) -> String {
        format!("{OPENING_PREFIX}{}", self.0)
    }
}

/// What starts the key of the opening part of a fill split by a flip (see
/// [`FillKey::opening`]).
pub const OPENING_PREFIX: &str = "o:";

impl ImportedTrade {
    /// The keys of the fills an event came from (none for stops).
    pub fn keys_of(&self, event: usize) -> impl Iterator<Item = &FillKey> {
        self.sources
            .iter()
            .filter(move |s| s.event == event)
            .map(|s| &s.key)
    }
}

/// A problem that did not stop the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The 1-based line of the file, when the warning is about one.
    pub line: Option<usize>,
    /// The field (column) concerned, if any.
    pub field: Option<String>,
    /// What happened, in a sentence.
    pub message: String,
}

impl Warning {
    /// A warning about a line and field.
    pub fn new(line: Option<usize>, field: Option<&str>, message: impl Into<String>) -> Self {
        Warning {
            line,
            field: field.map(str::to_owned),
            message: bounded(message.into()),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The longest message an error or warning carries: one that quotes a
/// huge field is cut in the middle.
const MESSAGE_LIMIT: usize = 600;

/// `message`, cut in the middle when it is longer than an error or warning
/// may be.
pub fn bounded(message: String) -> String {
    if message.len() <= MESSAGE_LIMIT {
        return message;
    }
    let head: String = message.chars().take(MESSAGE_LIMIT / 2).collect();
    let tail_start = message
        .char_indices()
        .map(|(i, _)| i)
        .find(|&i| i >= message.len() - MESSAGE_LIMIT / 4)
        .unwrap_or(message.len());
    format!(
        "{head}… ({} characters left out) …{}",
        message.len() - head.len() - (message.len() - tail_start),
        &message[tail_start..]
    )
}

/// A statement's own total beside the journal's figure for the same trades.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// What the statement calls its figure.
    pub label: String,
    /// The account's currency.
    pub currency: String,
    /// The statement's figure, as printed.
    pub statement: Decimal,
    /// What the statement's figure includes that is not a trade (left out).
    pub excluded: Decimal,
    /// The journal's net P&L for the same trades.
    pub journal: Decimal,
}

impl Reconciliation {
    /// Whether the two figures agree to the cent.
    pub fn agrees(&self) -> bool {
        (self.statement - self.excluded - self.journal).abs() < Decimal::new(5, 3)
    }
}

/// A statement's own total as it was compared with the journal's figure
/// when the statement was imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementCheck {
    /// The check's id, in the order imports were committed.
    pub id: i64,
    /// The file as the user named it.
    pub file: String,
    /// The format it was read as (its command-line name, `mt4`).
    pub format: String,
    /// When the import was committed.
    pub imported_at: chrono::DateTime<chrono::Utc>,
    /// The statement's figure beside the journal's, as at the import.
    pub reconciliation: Reconciliation,
    /// The trades the journal's figure was summed over, in id order (some
    /// may have been deleted since).
    pub trades: Vec<TradeId>,
}

/// What an import added to the journal (or would add, for a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Fills the journal had not seen, now added.
    pub new_fills: usize,
    /// Fills skipped because an earlier import added them.
    pub known_fills: usize,
    /// Trades added.
    pub added: Vec<TradeId>,
    /// Open trades that new fills continued.
    pub extended: Vec<TradeId>,
    /// Warnings from grouping the new fills.
    pub warnings: Vec<Warning>,
}

/// Which state of a journal a plan was made from: it changes whenever
/// anything is committed to the journal, by this connection or another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalVersion {
    /// SQLite's `data_version` of the connection: changes when another
    /// connection commits.
    pub data_version: i64,
    /// The rows this connection has changed since it was opened.
    pub own_changes: u64,
}

/// What the journal holds, as far as planning an import needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportState {
    /// The state it was read in.
    pub version: JournalVersion,
    /// The id the next new trade gets (ids are handed out as AUTOINCREMENT
    /// would: after the largest ever used).
    pub next_id: TradeId,
    /// Whether the journal remembers any imported fill.
    pub any_imported: bool,
    /// Whether it holds no trade and remembers no imported fill.
    pub empty: bool,
}

/// A file's fills as the journal is asked about them, by position
/// (`0..count()`): each one's account, symbol and key, without holding a
/// key for each (a large file's keys would take more room than its fills).
pub trait FillNames {
    /// How many fills there are.
    fn count(&self) -> usize;
    /// The account fill `i` is recorded under (a blank account is the
    /// default one), never blank.
    fn account(&self, i: usize) -> &str;
    /// Fill `i`'s symbol, trimmed.
    fn symbol(&self, i: usize) -> &str;
    /// Writes fill `i`'s key into `key`, in place of what it held.
    fn key(&self, i: usize, key: &mut String);
}

/// What the journal held of a file's fills, read in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSnapshot {
    /// For each fill of the file, whether the journal has it, in a trade it
    /// still holds (the fills of deleted trades are not known).
    pub known: Vec<bool>,
    /// When asked for, for each fill of the file, the trade that holds it;
    /// else empty.
    pub holders: Vec<Option<TradeId>>,
    /// For the accounts and symbols of the fills not known: the latest
    /// imported trade of each (the largest id), where its position is still
    /// open, with its id, in the order of account and symbol.
    pub open_trades: Vec<(TradeId, Trade)>,
    /// For each of `open_trades`, the file's fills it holds (none when it
    /// holds none of them): where it begins in the file.
    pub open_fills: Vec<Vec<usize>>,
    /// The fills of the file that a flip split between the trade they
    /// closed and the trade they opened, where the journal holds one of
    /// those trades but not the other: the part it lacks, by fill, in the
    /// order of the fills.
    pub split: Vec<(usize, SplitPart)>,
}

/// The part of a fill split by a flip that an import is to book again,
/// when the journal holds the trade of the other part (see
/// [`ImportSnapshot::split`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitPart {
    /// Only the closing part: the journal holds the trade the fill opened.
    /// The fill closes the position before it, and no more.
    Closing,
    /// Only the opening part: the journal holds the trade the fill closed,
    /// whose closing exit (made of the fill and those booked with it) had
    /// this quantity and fee; the rest opens the next trade.
    Opening {
        /// The closing exit's quantity.
        qty: Decimal,
        /// The closing exit's fee.
        fee: Decimal,
    },
}

/// A statement's check as an import writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckRecord<'a> {
    /// The file as the user named it.
    pub file: &'a str,
    /// The format it was read as (its command-line name).
    pub format: &'a str,
    /// The statement's figure beside the journal's.
    pub reconciliation: &'a Reconciliation,
    /// The trades the journal's figure was summed over, in id order.
    pub trades: &'a [TradeId],
}

/// Makes an import's trades one at a time, handing each to the function it
/// is given, in order, until that returns `false`.
pub type Produce<'a> = dyn Fn(&mut dyn FnMut(ImportedTrade) -> bool) + Sync + 'a;

/// Books an import's trades as they are written, handing each to the
/// function it is given, in order, until that returns `false`; returns
/// whether it made them all (a file whose trades cannot be booked that way
/// makes none to keep: what it handed on is not written).
pub type Stream<'a> = dyn Fn(&mut dyn FnMut(ImportedTrade) -> bool) -> bool + Sync + 'a;

/// The trades an import writes: held, or made one at a time as they are
/// written (so that a large import never holds them all).
#[derive(Clone, Copy)]
pub enum TradeFeed<'a> {
    /// The trades, held.
    Held(&'a [ImportedTrade]),
    /// `count` trades, made by `produce`.
    Produced {
        /// How many trades `produce` makes.
        count: usize,
        /// Makes them.
        produce: &'a Produce<'a>,
    },
    /// New trades, as many as `stream` books of a file's `fills` fills,
    /// numbered from `first_id` on (the plan's ids are then none). Every
    /// trade `stream` gives is valid ([`Trade::validate`]): booking checks
    /// each, and the write does not check it again.
    Streamed {
        /// The first trade's id.
        first_id: TradeId,
        /// How many fills the file has, which progress is counted in.
        fills: usize,
        /// Books them.
        stream: &'a Stream<'a>,
    },
}

impl TradeFeed<'_> {
    /// How many trades there are, where that is known before they are made
    /// (not for [`TradeFeed::Streamed`]).
    pub fn count(&self) -> Option<usize> {
        match self {
            TradeFeed::Held(trades) => Some(trades.len()),
            TradeFeed::Produced { count, .. } => Some(*count),
            TradeFeed::Streamed { .. } => None,
        }
    }
}

impl fmt::Debug for TradeFeed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TradeFeed::Held(trades) => f.debug_tuple("Held").field(&trades.len()).finish(),
            TradeFeed::Produced { count, .. } => f.debug_tuple("Produced").field(count).finish(),
            TradeFeed::Streamed {
                first_id, fills, ..
            } => f
                .debug_struct("Streamed")
                .field("first_id", first_id)
                .field("fills", fills)
                .finish(),
        }
    }
}

impl<'a> From<&'a [ImportedTrade]> for TradeFeed<'a> {
    fn from(trades: &'a [ImportedTrade]) -> Self {
        TradeFeed::Held(trades)
    }
}

/// Everything an import writes, decided before the journal is written.
#[derive(Debug, Clone, Copy)]
pub struct ImportWrite<'a> {
    /// The state of the journal the plan was made from.
    pub version: JournalVersion,
    /// The trades: new ones, and ones that continue (replace) an open trade
    /// of the journal ([`ImportedTrade::continues`] is then set).
    pub trades: TradeFeed<'a>,
    /// Each trade's id: a new one's (from [`ImportState::next_id`] on), or
    /// the id of the trade it continues.
    pub ids: &'a [TradeId],
    /// The statement's check to keep, if any.
    pub check: Option<CheckRecord<'a>>,
    /// How to keep the analysis of each trade written, if it is to be kept.
    pub keep: Option<KeepAnalyses<'a>>,
}

/// How an import keeps the analyses of the trades it writes, so that the
/// statistics need not analyse them again (`migrations/0007_analysis_cache.sql`).
#[derive(Clone, Copy)]
pub struct KeepAnalyses<'a> {
    /// What the analyses are valid under.
    pub basis: i64,
    /// The bytes to keep for a trade, given its id. Each trade written is
    /// given once, on one thread, new trades in id order.
    pub encode: &'a (dyn Fn(TradeId, &Trade) -> Vec<u8> + Sync),
    /// How to keep the statistics of the whole journal, where the import's
    /// trades are all it will hold.
    pub stats: Option<KeepStats<'a>>,
}

impl std::fmt::Debug for KeepAnalyses<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeepAnalyses")
            .field("basis", &self.basis)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// How an import into a journal that holds nothing keeps the statistics of
/// the whole journal (`migrations/0012_kept_stats.sql`), added up as
/// [`KeepAnalyses::encode`] is given the trades: the journal keeps them
/// only if it held nothing when the import was written, and otherwise
/// forgets any it kept.
#[derive(Clone, Copy)]
pub struct KeepStats<'a> {
    /// What the statistics are valid under.
    pub basis: i64,
    /// The bytes to keep, once every trade was encoded; `None` where there
    /// are none to keep.
    pub finish: &'a (dyn Fn() -> Option<Vec<u8>> + Sync),
}

impl std::fmt::Debug for KeepStats<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeepStats")
            .field("basis", &self.basis)
            .finish_non_exhaustive()
    }
}
