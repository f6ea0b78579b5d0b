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

use chrono::{DateTime, FixedOffset, SecondsFormat};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

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

#[derive(Serialize)]
struct TradeOut<'a> {
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
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
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

fn trade_out(trade: &Trade) -> TradeOut<'_> {
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
            file_error(syntax_message(&e))
        } else {
            InterchangeError::Syntax {
                line: e.line(),
                column: e.column(),
                message: syntax_message(&e),
            }
        }
    })?;
    let Document { fields, trades } = document;
    match fields.get("format") {
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
    match fields.get("version") {
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
    let playbooks = match fields.get("playbooks") {
        None => Vec::new(),
        Some(value) => read_playbooks(value)?,
    };
    if let Some(key) = fields
        .keys()
        .find(|key| !matches!(key.as_str(), "format" | "version" | "playbooks"))
    {
        return Err(file_error(format!(
            "unknown field {} at the top level",
            crate::import::text::quoted(key)
        )));
    }
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

/// The top level of a document: its fields other than `trades`, and the
/// trades, converted (or the first problem found in them).
struct Document {
    fields: Map<String, Value>,
    trades: Option<Result<Vec<Trade>, InterchangeError>>,
}

impl<'de> serde::Deserialize<'de> for Document {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> serde::de::Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object with \"format\": \"{FORMAT_NAME}\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut document = Document {
            fields: Map::new(),
            trades: None,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == "trades" {
                document.trades = Some(map.next_value_seed(TradesSeed)?);
            } else {
                let value: Value = map.next_value()?;
                document.fields.insert(key, value);
            }
        }
        Ok(document)
    }
}

/// Reads the `trades` list, converting each trade as soon as it is parsed.
struct TradesSeed;

impl<'de> serde::de::DeserializeSeed<'de> for TradesSeed {
    type Value = Result<Vec<Trade>, InterchangeError>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

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

    fn string<'v>(
        &self,
        object: &'v Map<String, Value>,
        field: &str,
    ) -> Result<Option<&'v str>, InterchangeError> {
        match object.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.error(
                Some(field),
                format!("expected a string, found {}", describe(other)),
            )),
        }
    }

    fn required_string<'v>(
        &self,
        object: &'v Map<String, Value>,
        field: &str,
    ) -> Result<&'v str, InterchangeError> {
        self.string(object, field)?
            .ok_or_else(|| self.error(Some(field), "missing"))
    }

    fn decimal(
        &self,
        object: &Map<String, Value>,
        field: &str,
    ) -> Result<Option<Decimal>, InterchangeError> {
        match object.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => parse_decimal(s)
                .map(Some)
                .map_err(|message| self.error(Some(field), message)),
            Some(Value::Number(n)) => Err(self.error(
                Some(field),
                format!("expected a decimal string such as \"{n}\", found the number {n}"),
            )),
            Some(other) => Err(self.error(
                Some(field),
                format!("expected a decimal string, found {}", describe(other)),
            )),
        }
    }

    fn required_decimal(
        &self,
        object: &Map<String, Value>,
        field: &str,
    ) -> Result<Decimal, InterchangeError> {
        self.decimal(object, field)?
            .ok_or_else(|| self.error(Some(field), "missing"))
    }
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
    let mut place = Place {
        trade: number,
        symbol: None,
        event: None,
    };
    let Value::Object(object) = value else {
        return Err(place.error(
            None,
            format!("expected an object, found {}", describe(value)),
        ));
    };
    place.symbol = match object.get("symbol") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    for key in object.keys() {
        if !matches!(
            key.as_str(),
            "id" | "symbol"
                | "side"
                | "multiplier"
                | "currency"
                | "rate"
                | "stops_known"
                | "account"
                | "setup"
                | "market_condition"
                | "tags"
                | "notes"
                | "events"
        ) {
            return Err(place.error(
                None,
                format!("unknown field {}", crate::import::text::quoted(key)),
            ));
        }
    }

    let symbol = place.required_string(object, "symbol")?.to_owned();
    let side_text = place.required_string(object, "side")?;
    let side = Side::from_str(side_text).map_err(|e| place.error(Some("side"), e))?;
    let mut trade = Trade::new(symbol, side);
    if let Some(multiplier) = place.decimal(object, "multiplier")? {
        trade.multiplier = multiplier;
    }
    trade.currency = place
        .string(object, "currency")?
        .unwrap_or(DEFAULT_CURRENCY)
        .to_owned();
    if let Some(rate) = place.decimal(object, "rate")? {
        trade.rate = rate;
    }
    match object.get("stops_known") {
        None => {}
        Some(Value::Bool(known)) => trade.stops_known = *known,
        Some(other) => {
            return Err(place.error(
                Some("stops_known"),
                format!("expected true or false, found {}", describe(other)),
            ));
        }
    }
    trade.account = place
        .string(object, "account")?
        .unwrap_or(DEFAULT_ACCOUNT)
        .to_owned();
    trade.setup = place.string(object, "setup")?.unwrap_or("").to_owned();
    if let Some(condition) = place.string(object, "market_condition")? {
        trade.market_condition = MarketCondition::from_str(condition)
            .map_err(|e| place.error(Some("market_condition"), e))?;
    }
    trade.notes = place.string(object, "notes")?.unwrap_or("").to_owned();
    match object.get("tags") {
        None => {}
        Some(Value::Array(tags)) => {
            for tag in tags {
                match tag {
                    Value::String(tag) => trade.tags.push(tag.clone()),
                    other => {
                        return Err(place.error(
                            Some("tags"),
                            format!("expected a list of strings, found {}", describe(other)),
                        ));
                    }
                }
            }
        }
        Some(other) => {
            return Err(place.error(
                Some("tags"),
                format!("expected a list of strings, found {}", describe(other)),
            ));
        }
    }
    let events = match object.get("events") {
        Some(Value::Array(events)) => events,
        Some(other) => {
            return Err(place.error(
                Some("events"),
                format!("expected a list, found {}", describe(other)),
            ));
        }
        None => return Err(place.error(Some("events"), "missing")),
    };
    for (i, event) in events.iter().enumerate() {
        trade.events.push(read_event(&place, i + 1, event)?);
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

fn read_event(
    trade_place: &Place,
    number: usize,
    value: &Value,
) -> Result<Event, InterchangeError> {
    let mut place = trade_place.clone();
    place.event = Some((number, None));
    let Value::Object(object) = value else {
        return Err(place.error(
            None,
            format!("expected an object, found {}", describe(value)),
        ));
    };
    let kind = place.required_string(object, "type")?;
    if !matches!(kind, "entry" | "exit" | "stop" | "target") {
        return Err(place.error(
            Some("type"),
            format!("{kind:?} is not an event type; expected one of: entry, exit, stop, target"),
        ));
    }
    place.event = Some((number, Some(kind.to_owned())));
    let is_fill = matches!(kind, "entry" | "exit");
    for key in object.keys() {
        let known = match key.as_str() {
            "type" | "at" | "price" => true,
            "qty" | "fee" => is_fill,
            _ => false,
        };
        if !known {
            return Err(place.error(
                None,
                format!(
                    "unknown field {} for a {kind}",
                    crate::import::text::quoted(key)
                ),
            ));
        }
    }
    let at_text = place.required_string(object, "at")?;
    let at = parse_time(at_text).map_err(|message| place.error(Some("at"), message))?;
    let price = place.required_decimal(object, "price")?;
    let kind = match kind {
        "entry" | "exit" => {
            let fill = Fill {
                qty: place.required_decimal(object, "qty")?,
                price,
                fee: place.decimal(object, "fee")?.unwrap_or(Decimal::ZERO),
            };
            if kind == "entry" {
                EventKind::Entry(fill)
            } else {
                EventKind::Exit(fill)
            }
        }
        "stop" => EventKind::Stop { price },
        _ => EventKind::Target { price },
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
