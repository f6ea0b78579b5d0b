//! The tranche-journal JSON format: a lossless export and import of a whole journal.
//!
//! ```json
//! {"format": "tranche-journal", "version": 1, "trades": [
//!   {"symbol": "AAPL", "side": "long", "multiplier": "1", "currency": "USD",
//!    "account": "main", "setup": "breakout", "market_condition": "trending",
//!    "tags": ["earnings"], "notes": "text",
//!    "events": [
//!      {"type": "stop",  "at": "2024-03-01T09:35:00-05:00", "price": "95"},
//!      {"type": "entry", "at": "2024-03-01T09:35:00-05:00", "qty": "300", "price": "100", "fee": "1.50"},
//!      {"type": "exit",  "at": "2024-03-04T15:10:00-05:00", "qty": "300", "price": "110", "fee": "1.50"}]}]}
//! ```
//!
//! - Decimals are JSON strings (`"1.50"`); a JSON number where a decimal is
//!   expected is an error, because a number may already have been rounded
//!   through a float by whatever wrote the file.
//! - Times are RFC 3339 with an offset; a time without one is an error.
//! - Optional fields: `multiplier` (1), `currency` (USD), `rate` (1: units of
//!   the currency per unit of the price currency), `stops_known` (true; false
//!   when the stop at the initial entry is not known), `account` (default),
//!   `setup` (""), `market_condition` (unknown), `tags` ([]), `notes` (""), and an
//!   event's `fee` (0). An `id` on a trade is accepted and ignored. Any other
//!   unknown field is an error, so that a misspelt `"fees"` is not silently lost.
//! - Events are sorted by time when read; events at the same time keep the
//!   order they were given in.
//!
//! - `playbooks` (optional, before `trades`): the setups' playbooks, each
//!   `{"setup", "weights" (rule id → weight, or null for the journal's),
//!   "max_adds", "conditions", "target_r"}`; written only when there are some.
//!
//! [`to_json`] writes events in time order, decimals without trailing zeros
//! and times with their offset, pretty-printed, so that export, import into an
//! empty journal and export again gives the same bytes. It leaves trade ids
//! out: a journal with deleted trades would otherwise export different ids
//! after a re-import.
//!
//! [`from_json`] reports the first problem with its place: malformed JSON by
//! line and column, anything else by trade (1-based position in the file and
//! symbol), event (1-based position in the file, and type) and field, e.g.
//! `trade 3 (AAPL), event 2 (exit), qty: the exit of 400 is larger than the open
//! quantity 300`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analysis::format::exact;
use crate::domain::{
    DEFAULT_ACCOUNT, DEFAULT_CURRENCY, Event, EventKind, Fill, MarketCondition, Playbook, Side,
    Trade, TradeId,
};

/// The value of the `format` field.
pub const FORMAT_NAME: &str = "tranche-journal";
/// The version of the format this program reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// Why a tranche-journal file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterchangeError {
    /// The text is not JSON.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// The file as a whole is not a tranche journal (format, version, trades).
    #[error("{0}")]
    File(String),
    /// A trade or one of its events is wrong.
    #[error("{}", self.trade_message())]
    Trade {
        /// 1-based position of the trade in the file.
        trade: usize,
        /// The trade's symbol, if it could be read.
        symbol: Option<String>,
        /// 1-based position of the event in the file's list, and its type if known.
        event: Option<(usize, Option<String>)>,
        /// The field at fault, as named in the file.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
}

impl InterchangeError {
    fn trade_message(&self) -> String {
        let InterchangeError::Trade {
            trade,
            symbol,
            event,
            field,
            message,
        } = self
        else {
            return self.to_string();
        };
        let mut place = format!("trade {trade}");
        if let Some(symbol) = symbol {
            place.push_str(&format!(" ({symbol})"));
        }
        if let Some((number, kind)) = event {
            place.push_str(&format!(", event {number}"));
            if let Some(kind) = kind {
                place.push_str(&format!(" ({kind})"));
            }
        }
        if let Some(field) = field {
            place.push_str(&format!(", {field}"));
        }
        format!("{place}: {message}")
    }
}

// ---------------------------------------------------------------------------
// Export

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'static str,
    version: u64,
    #[serde(skip_serializing_if = "<[Playbook]>::is_empty")]
    playbooks: &'a [Playbook],
    trades: SeqOf<'a, TradeOut<'a>>,
}

/// A sequence serialized as it is produced, one element at a time, so that
/// a large list is never held whole (the bytes are those of a `Vec`).
pub struct SeqOf<'a, T>(std::cell::RefCell<Option<Box<dyn Iterator<Item = T> + 'a>>>);

impl<'a, T> SeqOf<'a, T> {
    /// The sequence of what `items` yields (serialized once).
    pub fn new(items: impl Iterator<Item = T> + 'a) -> Self {
        SeqOf(std::cell::RefCell::new(Some(Box::new(items))))
    }
}

impl<T: Serialize> Serialize for SeqOf<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self.0.borrow_mut().take();
        serializer.collect_seq(items.into_iter().flatten())
    }
}

/// One trade as the format writes it ([`trade_out`]).
#[derive(Serialize)]
pub(crate) struct TradeOut<'a> {
    symbol: &'a str,
    side: &'static str,
    multiplier: String,
    currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<String>,
    account: &'a str,
    setup: &'a str,
    market_condition: &'static str,
    tags: &'a [String],
    notes: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stops_known: Option<bool>,
    events: Vec<EventOut>,
}

#[derive(Serialize)]
struct EventOut {
    #[serde(rename = "type")]
    kind: &'static str,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    qty: Option<String>,
    price: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fee: Option<String>,
}

/// A time as the format writes it: RFC 3339 with the recorded offset,
/// fractional seconds only when there are some.
pub fn format_time(at: &DateTime<FixedOffset>) -> String {
    let mut text = String::with_capacity(32);
    crate::domain::write_time(&mut text, at);
    text
}

/// Writes trades as a tranche-journal document (pretty-printed, ending in a newline).
/// Events are written in time order (same-time events keep their order).
pub fn to_json(trades: &[(TradeId, Trade)]) -> String {
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_json(trades, &mut bytes);
    // Invariant: serde_json writes UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// [`to_json`], written to `out` as it is made: one trade at a time, so that
/// a large journal's document never exists whole in memory.
pub fn write_json(
    trades: &[(TradeId, Trade)],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_json_with(trades, &[], out)
}

/// [`write_json`] with the setups' playbooks, written before the trades
/// (left out when there are none).
pub fn write_json_with(
    trades: &[(TradeId, Trade)],
    playbooks: &[Playbook],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let file = FileOut {
        format: FORMAT_NAME,
        version: FORMAT_VERSION,
        playbooks,
        trades: SeqOf::new(trades.iter().map(|(_, trade)| trade_out(trade))),
    };
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &file).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// A trade as the format writes it: events in time order (same-time events
/// keep their order), decimals exact.
pub(crate) fn trade_out(trade: &Trade) -> TradeOut<'_> {
    let mut order: Vec<&Event> = trade.events.iter().collect();
    order.sort_by_key(|e| e.at); // stable: same-time events keep their order
    TradeOut {
        symbol: &trade.symbol,
        side: trade.side.as_str(),
        multiplier: exact(trade.multiplier),
        currency: &trade.currency,
        rate: (trade.rate != Decimal::ONE).then(|| exact(trade.rate)),
        account: &trade.account,
        setup: &trade.setup,
        market_condition: trade.market_condition.as_str(),
        tags: &trade.tags,
        notes: &trade.notes,
        stops_known: (!trade.stops_known).then_some(false),
        events: order
            .into_iter()
            .map(|e| {
                let fill = e.kind.fill();
                EventOut {
                    kind: e.kind.name(),
                    at: format_time(&e.at),
                    qty: fill.map(|f| exact(f.qty)),
                    price: exact(e.kind.price()),
                    fee: fill.map(|f| exact(f.fee)),
                }
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// Import

/// Whether a file's content is a tranche-journal document rather than a
/// broker statement: a JSON object (no broker file starts with a brace).
pub fn looks_like_journal(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// Reads a tranche-journal document: every trade, events sorted by time, each
/// validated. The first problem found is returned with its place in the file.
pub fn from_json(text: &str) -> Result<Vec<Trade>, InterchangeError> {
    from_json_with_playbooks(text).map(|(trades, _)| trades)
}

/// [`from_json`] with the document's playbooks (none when it has none).
pub fn from_json_with_playbooks(
    text: &str,
) -> Result<(Vec<Trade>, Vec<Playbook>), InterchangeError> {
    // A byte-order mark, as some editors write one, is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Trades are converted one at a time as the parser reaches them, so a
    // large file never exists as one big tree of JSON values in memory.
    let document: Document = serde_json::from_str(text).map_err(|e| {
        if e.classify() == serde_json::error::Category::Data {
            let message = syntax_message(&e);
            match quoted_name(&message, "unknown field `") {
                Some(name) => file_error(format!(
                    "unknown field {} at the top level",
                    crate::import::text::quoted(name)
                )),
                None => file_error(message),
            }
        } else {
            InterchangeError::Syntax {
                line: e.line(),
                column: e.column(),
                message: syntax_message(&e),
            }
        }
    })?;
    let Document {
        format,
        version,
        playbooks,
        trades,
    } = document;
    match &format {
        Some(Value::String(name)) if name == FORMAT_NAME => {}
        Some(other) => {
            return Err(file_error(format!(
                "format: expected \"{FORMAT_NAME}\", found {}",
                describe(other)
            )));
        }
        None => {
            return Err(file_error(format!(
                "not a tranche journal: the \"format\": \"{FORMAT_NAME}\" field is missing"
            )));
        }
    }
    match &version {
        Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION) => {}
        Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v > FORMAT_VERSION) => {
            return Err(file_error(format!(
                "version: the file is version {n}, written by a newer Tranche; this one reads \
                 version {FORMAT_VERSION}"
            )));
        }
        Some(other) => {
            return Err(file_error(format!(
                "version: expected {FORMAT_VERSION}, found {}",
                describe(other)
            )));
        }
        None => return Err(file_error("version: missing".to_owned())),
    }
    let playbooks = match &playbooks {
        None => Vec::new(),
        Some(value) => read_playbooks(value)?,
    };
    let trades = trades.unwrap_or_else(|| Err(file_error("trades: missing".to_owned())))?;
    Ok((trades, playbooks))
}

/// The `playbooks` list: each with a setup, rule ids it knows, and a
/// positive target; a setup listed twice is an error.
fn read_playbooks(value: &Value) -> Result<Vec<Playbook>, InterchangeError> {
    let playbooks: Vec<Playbook> =
        serde_json::from_value(value.clone()).map_err(|e| file_error(format!("playbooks: {e}")))?;
    let mut seen = std::collections::HashSet::new();
    for (i, playbook) in playbooks.iter().enumerate() {
        let place = format!("playbooks: playbook {} ({:?})", i + 1, playbook.setup);
        if playbook.setup.trim().is_empty() {
            return Err(file_error(format!("{place}: setup: missing")));
        }
        if !seen.insert(playbook.setup.trim().to_lowercase()) {
            return Err(file_error(format!("{place}: the setup is listed twice")));
        }
        for id in playbook.weights.iter().flat_map(|w| w.keys()) {
            if id.parse::<crate::analysis::Rule>().is_err() {
                return Err(file_error(format!("{place}: weights: unknown rule {id:?}")));
            }
        }
        if playbook.target_r.is_some_and(|t| t <= Decimal::ZERO) {
            return Err(file_error(format!(
                "{place}: target_r: must be more than 0"
            )));
        }
    }
    Ok(playbooks)
}

/// The top level of a document: its format and version as given, and the
/// trades, converted (or the first problem found in them).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default, deserialize_with = "present")]
    format: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    version: Option<Value>,
    /// The setups' playbooks, read once the format is known.
    #[serde(default, deserialize_with = "present")]
    playbooks: Option<Value>,
    #[serde(default, deserialize_with = "trades_as_read")]
    trades: Option<Result<Vec<Trade>, InterchangeError>>,
}

/// An optional field that, when given, must be a `T` (`null` is not
/// taken for a missing field).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// Reads the `trades` list, converting each trade as soon as it is parsed.
fn trades_as_read<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Result<Vec<Trade>, InterchangeError>>, D::Error> {
    deserializer.deserialize_seq(TradesSeed).map(Some)
}

/// Reads the `trades` list, converting each trade as soon as it is parsed.
struct TradesSeed;

impl<'de> serde::de::Visitor<'de> for TradesSeed {
    type Value = Result<Vec<Trade>, InterchangeError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of trades")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut trades = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let mut first_error = None;
        while first_error.is_none() {
            let Some(value) = seq.next_element::<Value>()? else {
                break;
            };
            match read_trade(trades.len() + 1, &value) {
                Ok(trade) => trades.push(trade),
                Err(error) => first_error = Some(error),
            }
        }
        // After a bad trade, still read the rest: a syntax error later in the
        // file is reported as such.
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(match first_error {
            Some(error) => Err(error),
            None => Ok(trades),
        })
    }
}

/// A trade as the file gives it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TradeIn {
    /// Accepted and ignored.
    #[serde(default, rename = "id")]
    _id: Option<serde::de::IgnoredAny>,
    symbol: String,
    side: String,
    #[serde(default, deserialize_with = "present")]
    multiplier: Option<DecimalText>,
    #[serde(default, deserialize_with = "present")]
    currency: Option<String>,
    #[serde(default, deserialize_with = "present")]
    rate: Option<DecimalText>,
    #[serde(default, deserialize_with = "present")]
    stops_known: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    account: Option<String>,
    #[serde(default, deserialize_with = "present")]
    setup: Option<String>,
    #[serde(default, deserialize_with = "present")]
    market_condition: Option<String>,
    #[serde(default, deserialize_with = "present")]
    tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    notes: Option<String>,
    events: Vec<EventIn>,
}

/// An event as the file gives it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventIn {
    #[serde(rename = "type")]
    kind: EventType,
    at: String,
    price: DecimalText,
    #[serde(default, deserialize_with = "present")]
    qty: Option<DecimalText>,
    #[serde(default, deserialize_with = "present")]
    fee: Option<DecimalText>,
}

/// The `type` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum EventType {
    Entry,
    Exit,
    Stop,
    Target,
}

/// The event types, as [`EventType`] reads them.
const EVENT_TYPES: [&str; 4] = ["entry", "exit", "stop", "target"];

/// A decimal written as a JSON string, read exactly (see [`parse_decimal`]).
struct DecimalText(Decimal);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

struct DecimalVisitor;

impl DecimalVisitor {
    /// A number where a decimal string is expected: refused, as it may
    /// already have been rounded through a float.
    fn number<E: serde::de::Error>(n: impl fmt::Display) -> E {
        E::custom(format!(
            "expected a decimal string such as \"{n}\", found the number {n}"
        ))
    }
}

impl serde::de::Visitor<'_> for DecimalVisitor {
    type Value = DecimalText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<DecimalText, E> {
        parse_decimal(text).map(DecimalText).map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<DecimalText, E> {
        Err(Self::number(n))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<DecimalText, E> {
        Err(Self::number(n))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<DecimalText, E> {
        // As JSON writes the number back.
        match serde_json::Number::from_f64(n) {
            Some(n) => Err(Self::number(n)),
            None => Err(Self::number(n)),
        }
    }
}

fn syntax_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the error already says where.
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(cut) => full[..cut].to_owned(),
        None => full,
    }
}

fn file_error(message: String) -> InterchangeError {
    InterchangeError::File(message)
}

/// A JSON value described for an error message.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", crate::import::text::quoted(s)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Where in the file a problem is: which trade, and which event.
#[derive(Clone)]
struct Place {
    trade: usize,
    symbol: Option<String>,
    event: Option<(usize, Option<String>)>,
}

impl Place {
    fn error(&self, field: Option<&str>, message: impl fmt::Display) -> InterchangeError {
        InterchangeError::Trade {
            trade: self.trade,
            symbol: self.symbol.clone(),
            event: self.event.clone(),
            field: field.map(str::to_owned),
            message: message.to_string(),
        }
    }

    /// The place of event `number` (1-based) of the trade, with its type
    /// when `event` (its JSON) gives a valid one.
    fn event(&self, number: usize, event: Option<&Value>) -> Place {
        let kind = event
            .and_then(|e| e.get("type"))
            .and_then(Value::as_str)
            .filter(|kind| EVENT_TYPES.contains(kind));
        Place {
            event: Some((number, kind.map(str::to_owned))),
            ..self.clone()
        }
    }
}

/// What a field of a trade or event holds, for the message of a field that
/// holds something else.
fn expected(field: Option<&str>) -> &'static str {
    match field {
        None => "an object",
        Some("multiplier" | "rate" | "price" | "qty" | "fee") => "a decimal string",
        Some("stops_known") => "true or false",
        Some("tags") => "a list of strings",
        Some("events") => "a list",
        Some(_) => "a string",
    }
}

/// The name serde quotes in a message such as "unknown field `sdie`, ...".
fn quoted_name<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// A problem serde found in trade `place` (whose JSON is `value`), named
/// by its place: the event and field its path leads to, and what is wrong
/// in the words the format's documentation uses.
fn serde_error(
    place: &Place,
    value: &Value,
    error: serde_path_to_error::Error<serde_json::Error>,
) -> InterchangeError {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = error.path().iter().collect();
    let message = error.inner().to_string();
    // The place the path leads to: the trade, or one of its events; the
    // field named there; and the JSON found there.
    let mut at = place.clone();
    let mut field: Option<&str> = None;
    let mut found = Some(value);
    let mut rest = segments.as_slice();
    if let [Segment::Map { key }, Segment::Seq { index }, tail @ ..] = rest
        && key == "events"
    {
        let event = value.get("events").and_then(|e| e.get(*index));
        at = place.event(index + 1, event);
        found = event;
        rest = tail;
    }
    if let [Segment::Map { key }, tail @ ..] = rest {
        field = Some(key.as_str());
        found = found.and_then(|v| v.get(key));
        for segment in tail {
            if let Segment::Seq { index } = segment {
                found = found.and_then(|v| v.get(*index));
            }
        }
    }
    let in_event = at.event.is_some();
    if let Some(name) = quoted_name(&message, "unknown field `") {
        let quoted = crate::import::text::quoted(name);
        return match at.event.as_ref().map(|(_, kind)| kind) {
            Some(Some(kind)) => at.error(None, format!("unknown field {quoted} for a {kind}")),
            _ => at.error(None, format!("unknown field {quoted}")),
        };
    }
    if let Some(name) = quoted_name(&message, "missing field `") {
        return at.error(Some(name), "missing");
    }
    if let Some(name) = quoted_name(&message, "unknown variant `") {
        return at.error(
            field,
            format!("{name:?} is not an event type; expected one of: entry, exit, stop, target"),
        );
    }
    if message.starts_with("invalid type") || message.starts_with("invalid length") {
        let found = found.map_or_else(|| "nothing".to_owned(), describe);
        let what = if field.is_none() && in_event && rest.is_empty() {
            "an object"
        } else {
            expected(field)
        };
        return at.error(field, format!("expected {what}, found {found}"));
    }
    at.error(field, message)
}

/// Parses a plain decimal: an optional minus, digits, and an optional
/// fraction (`-12.50`). No exponents, spaces, `+` or thousands separators.
fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (fraction.is_empty() != digits.contains('.'));
    if !plain {
        return Err(format!(
            "{} is not a decimal number such as \"12.50\"",
            crate::import::text::quoted(text)
        ));
    }
    // Exactly, or not at all: a value is never rounded on input.
    Decimal::from_str_exact(text).map_err(|_| {
        format!(
            "{} has more than 28 significant digits, which cannot be held exactly; it is not \
             rounded",
            crate::import::text::quoted(text)
        )
    })
}

fn read_trade(number: usize, value: &Value) -> Result<Trade, InterchangeError> {
    let place = Place {
        trade: number,
        symbol: value
            .get("symbol")
            .and_then(Value::as_str)
            .map(str::to_owned),
        event: None,
    };
    let given: TradeIn = serde_path_to_error::deserialize(value)
        .map_err(|error| serde_error(&place, value, error))?;
    let side = Side::from_str(&given.side).map_err(|e| place.error(Some("side"), e))?;
    let mut trade = Trade::new(given.symbol, side);
    if let Some(DecimalText(multiplier)) = given.multiplier {
        trade.multiplier = multiplier;
    }
    trade.currency = given
        .currency
        .unwrap_or_else(|| DEFAULT_CURRENCY.to_owned());
    if let Some(DecimalText(rate)) = given.rate {
        trade.rate = rate;
    }
    if let Some(known) = given.stops_known {
        trade.stops_known = known;
    }
    trade.account = given.account.unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
    trade.setup = given.setup.unwrap_or_default();
    if let Some(condition) = given.market_condition {
        trade.market_condition = MarketCondition::from_str(&condition)
            .map_err(|e| place.error(Some("market_condition"), e))?;
    }
    trade.notes = given.notes.unwrap_or_default();
    trade.tags = given.tags.unwrap_or_default();
    for (i, event) in given.events.into_iter().enumerate() {
        let place = place.event(i + 1, value.get("events").and_then(|e| e.get(i)));
        trade.events.push(read_event(&place, event)?);
    }

    // Time order, same-time events in file order; `order` maps back to file positions.
    let order = trade.sort_events();
    if let Err(errors) = trade.validate() {
        // Report the first problem, by its place in the file.
        let error = &errors[0];
        let mut place = place.clone();
        place.event = error
            .event()
            .map(|i| (order[i] + 1, Some(trade.events[i].kind.name().to_owned())));
        return Err(place.error(Some(error.field().name()), error));
    }
    Ok(trade)
}

/// An event read by serde, checked as its type requires.
fn read_event(place: &Place, event: EventIn) -> Result<Event, InterchangeError> {
    let EventIn {
        kind,
        at,
        price: DecimalText(price),
        qty,
        fee,
    } = event;
    let name = EVENT_TYPES[kind as usize];
    if matches!(kind, EventType::Stop | EventType::Target) {
        // The fields only fills have (serde took them for any event).
        let extra = [("qty", qty.is_some()), ("fee", fee.is_some())];
        if let Some((field, _)) = extra.iter().find(|(_, given)| *given) {
            return Err(place.error(
                None,
                format!(
                    "unknown field {} for a {name}",
                    crate::import::text::quoted(field)
                ),
            ));
        }
    }
    let at = parse_time(&at).map_err(|message| place.error(Some("at"), message))?;
    let kind = match kind {
        EventType::Entry | EventType::Exit => {
            let Some(DecimalText(qty)) = qty else {
                return Err(place.error(Some("qty"), "missing"));
            };
            let fill = Fill {
                qty,
                price,
                fee: fee.map_or(Decimal::ZERO, |DecimalText(fee)| fee),
            };
            if kind == EventType::Entry {
                EventKind::Entry(fill)
            } else {
                EventKind::Exit(fill)
            }
        }
        EventType::Stop => EventKind::Stop { price },
        EventType::Target => EventKind::Target { price },
    };
    Ok(Event { at, kind })
}

/// Parses an RFC 3339 time, which must carry an offset (`Z` or `±hh:mm`).
pub fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|_| {
        let without_offset = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .is_ok()
            || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").is_ok();
        if without_offset {
            format!(
                "{} has no UTC offset; write the time with one, e.g. \
                 \"2024-03-01T09:35:00-05:00\" or \"2024-03-01T14:35:00Z\"",
                crate::import::text::quoted(text)
            )
        } else {
            format!(
                "{} is not an RFC 3339 time such as \"2024-03-01T09:35:00-05:00\"",
                crate::import::text::quoted(text)
            )
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The message reading a document of one trade (`trade`, JSON) gives.
    fn message_for(trade: &str) -> String {
        let text =
            format!("{{\"format\": \"tranche-journal\", \"version\": 1, \"trades\": [{trade}]}}");
        from_json(&text).unwrap_err().to_string()
    }

    #[test]
    fn each_problem_is_said_in_the_format_s_words() {
        let entry = r#"{"type": "entry", "at": "2024-03-01T09:35:00Z", "qty": "1", "price": "2"}"#;
        let cases = [
            (
                format!(r#"{{"symbol": 5, "side": "long", "events": [{entry}]}}"#),
                "trade 1, symbol: expected a string, found the number 5",
            ),
            (
                format!(r#"{{"symbol": "A", "side": "long", "currency": null, "events": [{entry}]}}"#),
                "trade 1 (A), currency: expected a string, found null",
            ),
            (
                format!(r#"{{"symbol": "A", "side": "long", "tags": ["x", 3], "events": [{entry}]}}"#),
                "trade 1 (A), tags: expected a list of strings, found the number 3",
            ),
            (
                r#"{"symbol": "A", "side": "long", "events": {}}"#.to_owned(),
                "trade 1 (A), events: expected a list, found an object",
            ),
            (
                r#"{"symbol": "A", "events": []}"#.to_owned(),
                "trade 1 (A), side: missing",
            ),
            (
                "[1]".to_owned(),
                "trade 1: expected an object, found a list",
            ),
            (
                r#"{"symbol": "A", "side": "long", "events": [7]}"#.to_owned(),
                "trade 1 (A), event 1: expected an object, found the number 7",
            ),
            (
                r#"{"symbol": "A", "side": "long", "events": [{"type": "fill", "at": "x", "price": "1"}]}"#.to_owned(),
                "trade 1 (A), event 1, type: \"fill\" is not an event type; expected one of: entry, exit, stop, target",
            ),
            (
                r#"{"symbol": "A", "side": "long", "events": [{"type": "stop", "at": "2024-03-01T09:35:00Z", "price": "1", "qty": "1"}]}"#.to_owned(),
                "trade 1 (A), event 1 (stop): unknown field \"qty\" for a stop",
            ),
            (
                r#"{"symbol": "A", "side": "long", "events": [{"type": "stop", "at": "2024-03-01T09:35:00Z", "price": "1", "size": "1"}]}"#.to_owned(),
                "trade 1 (A), event 1 (stop): unknown field \"size\" for a stop",
            ),
            (
                r#"{"symbol": "A", "side": "long", "events": [{"type": "entry", "at": "2024-03-01T09:35:00Z", "price": "1"}]}"#.to_owned(),
                "trade 1 (A), event 1 (entry), qty: missing",
            ),
            (
                r#"{"symbol": "A", "side": "long", "events": [{"type": "entry", "at": "2024-03-01T09:35:00Z", "qty": 1e5, "price": "1"}]}"#.to_owned(),
                "trade 1 (A), event 1 (entry), qty: expected a decimal string such as \"100000.0\", found the number 100000.0",
            ),
            (
                format!(r#"{{"id": 4, "symbol": "A", "side": "long", "market_condition": "calm", "events": [{entry}]}}"#),
                "trade 1 (A), market_condition: ",
            ),
        ];
        for (trade, expected) in cases {
            let message = message_for(&trade);
            assert!(
                message.starts_with(expected),
                "{trade}\n  got      {message}\n  expected {expected}"
            );
        }
        let error =
            from_json(r#"{"format": "tranche-journal", "version": 1, "trades": [], "extra": 1}"#)
                .unwrap_err()
                .to_string();
        assert_eq!(error, "unknown field \"extra\" at the top level");
    }

    #[test]
    fn plain_decimals_only() {
        assert!(parse_decimal("12.50").is_ok());
        assert!(parse_decimal("-3").is_ok());
        assert!(parse_decimal("0.5").is_ok());
        for bad in [
            "", "-", "1.", ".5", "1e5", "+1", " 1", "1_000", "1,5", "abc", "1.2.3",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad:?} accepted");
        }
    }
}
