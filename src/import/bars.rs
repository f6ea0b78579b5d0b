//! Price bar files into a [`BarSeries`]: detect the layout, read the bars, tell
//! the bar length and the symbol.
//!
//! The layouts ([`BarFormat`]), told apart by content alone:
//!
//! - MetaTrader 4 History Center export: no header, comma separated,
//!   `2024.01.02,00:00,O,H,L,C,V`.
//! - MetaTrader 5 bars export: tab separated, a header of `<DATE>`, `<TIME>`,
//!   `<OPEN>`, `<HIGH>`, `<LOW>`, `<CLOSE>`, `<TICKVOL>`, `<VOL>`, `<SPREAD>`
//!   (`<TIME>` is absent from daily bars).
//! - TradingView chart export: `time,open,high,low,close[,Volume,…]`, the time
//!   in Unix seconds or ISO 8601; indicator columns are ignored.
//! - NinjaTrader 8 export: no header, `yyyyMMdd HHmmss;O;H;L;C;V`. NinjaTrader
//!   stamps a bar with its *end*, so each bar starts one bar length before its
//!   stamp (a daily bar, `yyyyMMdd;…`, is its day).
//! - Any other CSV with `Date[,Time],Open,High,Low,Close[,Adj Close][,Volume]`
//!   (Yahoo Finance, Stooq), comma, semicolon or tab separated.
//!
//! Times without a zone are read in the zone the user gives (MetaTrader server
//! time is often UTC+2 or UTC+3); Unix seconds and ISO times with an offset
//! are exact. Prices are read as exact decimals and kept at the file's largest
//! number of decimal places. The bar length is the most common gap between
//! consecutive bars. The symbol comes from the file's name
//! (`EURUSD1.csv`, `EURUSD_M1_202401020000_202401312359.csv`,
//! `OANDA_EURUSD, 60.csv`, `ES 03-25.Last.txt`, `AAPL.csv`) unless the user
//! names it. A row that cannot be read is an [`ImportError`] naming the file,
//! line and field; a second bar at a time already read is left out with a
//! [`Warning`].

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use rust_decimal::Decimal;

use super::instrument::base_symbol;
use super::table::LineCounter;
use super::text::{self, decode};
use super::{ImportError, Warning};
use crate::domain::bars::{Bar, BarSeries, MAX_BAR_SCALE, length_words, to_units};

/// A layout of price bar files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BarFormat {
    /// MetaTrader 4 History Center export (no header).
    Mt4,
    /// MetaTrader 5 bars export (tab separated, `<DATE>` header).
    Mt5,
    /// TradingView chart export (`time,open,high,low,close,…`).
    TradingView,
    /// NinjaTrader 8 export (`yyyyMMdd HHmmss;O;H;L;C;V`, stamped with the bar's end).
    NinjaTrader,
    /// A CSV with Date, optional Time, Open, High, Low, Close columns.
    Generic,
}

impl BarFormat {
    /// Every layout.
    pub const ALL: [BarFormat; 5] = [
        BarFormat::Mt4,
        BarFormat::Mt5,
        BarFormat::TradingView,
        BarFormat::NinjaTrader,
        BarFormat::Generic,
    ];

    /// The name used with `--format`.
    pub fn as_str(self) -> &'static str {
        match self {
            BarFormat::Mt4 => "bars-mt4",
            BarFormat::Mt5 => "bars-mt5",
            BarFormat::TradingView => "bars-tradingview",
            BarFormat::NinjaTrader => "bars-ninjatrader",
            BarFormat::Generic => "bars-csv",
        }
    }

    /// A name for people.
    pub fn title(self) -> &'static str {
        match self {
            BarFormat::Mt4 => "MetaTrader 4 price bars",
            BarFormat::Mt5 => "MetaTrader 5 price bars",
            BarFormat::TradingView => "TradingView chart export",
            BarFormat::NinjaTrader => "NinjaTrader 8 price bars",
            BarFormat::Generic => "CSV of price bars",
        }
    }
}

impl fmt::Display for BarFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BarFormat {
    type Err = crate::domain::UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        BarFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or(crate::domain::UnknownName {
                what: "bars format",
                value: s.to_owned(),
                expected: "bars-mt4, bars-mt5, bars-tradingview, bars-ninjatrader, bars-csv",
            })
    }
}

/// How to read a bars file.
#[derive(Debug, Clone)]
pub struct BarOptions {
    /// The layout, when the user overrides detection.
    pub format: Option<BarFormat>,
    /// The zone of times the file gives without one.
    pub tz: chrono_tz::Tz,
    /// The instrument, when the user names it (else it is taken from the file's name).
    pub symbol: Option<String>,
}

impl Default for BarOptions {
    fn default() -> Self {
        BarOptions {
            format: None,
            tz: super::local_zone(),
            symbol: None,
        }
    }
}

/// What was read from a bars file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarFile {
    /// The file, as the user named it.
    pub file: String,
    /// Its layout.
    pub format: BarFormat,
    /// The bars.
    pub series: BarSeries,
    /// Problems that did not stop the reading.
    pub warnings: Vec<Warning>,
}

impl BarFile {
    /// What the file holds, in a few lines, before anything is written.
    pub fn preview(&self) -> String {
        let s = &self.series;
        let range = match (s.bars.first(), s.bars.last()) {
            (Some(first), Some(last)) => {
                format!(
                    ", {} to {} UTC",
                    utc_text(first.start),
                    utc_text(last.start + s.length)
                )
            }
            _ => String::new(),
        };
        let mut text = format!(
            "{}: {}, {} bars of {} for {}{range}\n",
            self.file,
            self.format.title(),
            s.bars.len(),
            length_words(s.length),
            s.symbol,
        );
        for warning in &self.warnings {
            text.push_str(&format!("  {warning}\n"));
        }
        text
    }
}

fn utc_text(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The bars layout of a file, or `None` when it is not a bars file.
pub fn detect_bars(bytes: &[u8]) -> Option<BarFormat> {
    let text = decode(&bytes[..bytes.len().min(8192)]);
    let first = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim())
        .find(|l| !l.is_empty())?;
    if first.starts_with("<DATE>") || first.to_ascii_uppercase().starts_with("<DATE>") {
        return Some(BarFormat::Mt5);
    }
    if is_mt4_row(first) {
        return Some(BarFormat::Mt4);
    }
    if is_ninjatrader_row(first) {
        return Some(BarFormat::NinjaTrader);
    }
    let delimiter = super::table::sniff_delimiter(first);
    let names: Vec<String> = first
        .split(delimiter as char)
        .map(|c| text::normalize_header(c.trim_matches('"')))
        .collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    if !(has("open") && has("high") && has("low") && has("close")) {
        return None;
    }
    if names.first().is_some_and(|n| n == "time") {
        return Some(BarFormat::TradingView);
    }
    DATE_NAMES
        .iter()
        .any(|n| has(n))
        .then_some(BarFormat::Generic)
}

/// Header names of the date (or date and time) column of a generic file.
const DATE_NAMES: [&str; 5] = ["date", "datetime", "timestamp", "time", "data"];

fn is_mt4_row(line: &str) -> bool {
    let fields: Vec<&str> = line.split(',').collect();
    fields.len() >= 6
        && mt_date(fields[0]).is_some()
        && text::time(fields[1]).is_some()
        && fields[2..6]
            .iter()
            .all(|f| Decimal::from_str(f.trim()).is_ok())
}

fn is_ninjatrader_row(line: &str) -> bool {
    let fields: Vec<&str> = line.split(';').collect();
    fields.len() >= 5
        && ninjatrader_stamp(fields[0]).is_some()
        && fields[1..5]
            .iter()
            .all(|f| Decimal::from_str(f.trim()).is_ok())
}

/// `2024.01.02` (MetaTrader) or `2024-01-02`.
fn mt_date(text: &str) -> Option<NaiveDate> {
    let b = text.trim().as_bytes();
    if b.len() != 10 || !matches!(b[4], b'.' | b'-' | b'/') || b[7] != b[4] {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)
}

/// NinjaTrader's `20240102 093100` (or `20240102` for a daily bar): the
/// date and time, and whether a time was given.
fn ninjatrader_stamp(text: &str) -> Option<(NaiveDateTime, bool)> {
    let t = text.trim();
    let (day, time) = match t.split_once(' ') {
        Some((d, tm)) => (d, Some(tm)),
        None => (t, None),
    };
    if day.len() != 8 || !day.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let date = NaiveDate::parse_from_str(day, "%Y%m%d").ok()?;
    match time {
        None => Some((date.and_time(NaiveTime::MIN), false)),
        Some(tm) => {
            let tm = tm.trim();
            if tm.len() != 6 || !tm.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let time = NaiveTime::parse_from_str(tm, "%H%M%S").ok()?;
            Some((date.and_time(time), true))
        }
    }
}

/// The symbol a bars file's name gives, and the bar length in seconds it
/// states if any: `EURUSD1.csv` (MetaTrader 4: symbol then period in
/// minutes), `EURUSD_M1_…csv` (MetaTrader 5), `OANDA_EURUSD, 60.csv`
/// (TradingView: exchange, symbol, period), `ES 03-25.Last.txt`
/// (NinjaTrader), `AAPL.csv`, `aapl_us_d.csv` (Stooq).
pub fn symbol_from_file_name(path: &str, format: BarFormat) -> Option<(String, Option<i64>)> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let mut stem = name;
    for ext in [".csv", ".txt", ".prn", ".tsv"] {
        if stem.len() > ext.len() && stem[stem.len() - ext.len()..].eq_ignore_ascii_case(ext) {
            stem = &stem[..stem.len() - ext.len()];
            break;
        }
    }
    for side in [".Last", ".Bid", ".Ask"] {
        if let Some(rest) = stem.strip_suffix(side) {
            stem = rest;
        }
    }
    let stem = stem.trim();
    if let Some((sym, period)) = stem.split_once(',') {
        // TradingView: "OANDA_EURUSD, 60", "BATS_AAPL, 1D".
        let sym = sym.rsplit(['_', ':']).next().unwrap_or(sym).trim();
        return symbol(sym).map(|s| (s, tradingview_period(period.trim())));
    }
    if format == BarFormat::Mt4 && !stem.contains('_') {
        // The longest trailing number that is a MetaTrader 4 period.
        const PERIODS: [&str; 9] = ["43200", "10080", "1440", "240", "60", "30", "15", "5", "1"];
        for p in PERIODS {
            if let Some(sym) = stem.strip_suffix(p)
                && sym.len() >= 2
            {
                let minutes: i64 = p.parse().ok()?;
                return symbol(sym).map(|s| (s, Some(minutes * 60)));
            }
        }
    }
    if format == BarFormat::NinjaTrader {
        // An instrument and its expiry, "ES 03-24", as NinjaTrader names it.
        return (stem.chars().any(char::is_alphabetic) && stem.len() <= 40)
            .then(|| (stem.to_uppercase(), None));
    }
    let mut parts = stem.split(['_', ' ']);
    let sym = parts.next()?;
    let period = parts.find_map(mt5_period);
    symbol(sym).map(|s| (s, period))
}

/// A symbol as bars are kept under: with a letter, in capitals, without a
/// broker's suffix (`EURUSD.m` is `EURUSD`).
fn symbol(text: &str) -> Option<String> {
    let t = text.trim();
    if !t.chars().any(|c| c.is_alphabetic()) || t.len() > 40 {
        return None;
    }
    Some(base_symbol(t).to_uppercase())
}

/// MetaTrader 5 timeframe names: M1, M15, H1, H4, D1, W1, MN1.
fn mt5_period(text: &str) -> Option<i64> {
    let t = text.trim().to_ascii_uppercase();
    let (unit, n) = if let Some(n) = t.strip_prefix("MN") {
        (2_592_000, n)
    } else {
        let unit = match t.chars().next()? {
            'M' => 60,
            'H' => 3_600,
            'D' => 86_400,
            'W' => 604_800,
            _ => return None,
        };
        (unit, &t[1..])
    };
    let n: i64 = n.parse().ok().filter(|&n| n > 0)?;
    Some(unit * n)
}

/// TradingView's period in a file name: minutes (`60`), or `1D`, `1W`, `30S`.
fn tradingview_period(text: &str) -> Option<i64> {
    let t = text.trim().to_ascii_uppercase();
    if let Ok(minutes) = t.parse::<i64>() {
        return (minutes > 0).then_some(minutes * 60);
    }
    let (n, unit) = t.split_at(t.len().checked_sub(1)?);
    let n: i64 = if n.is_empty() { 1 } else { n.parse().ok()? };
    let unit = match unit {
        "S" => 1,
        "D" => 86_400,
        "W" => 604_800,
        "M" => 2_592_000,
        _ => return None,
    };
    (n > 0).then_some(n * unit)
}

/// The bars symbols a trade's symbol may match, best first: the one the user
/// mapped it to in Settings, else the symbol itself and its base without a
/// broker's suffix (`EURUSD.m` matches `EURUSD`).
pub fn bars_symbols_for(
    trade_symbol: &str,
    map: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let t = trade_symbol.trim();
    if let Some(mapped) = map
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(t))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
    {
        return vec![mapped.to_uppercase()];
    }
    let mut out = vec![t.to_uppercase()];
    let base = base_symbol(t).to_uppercase();
    if !out.contains(&base) {
        out.push(base);
    }
    out
}

/// Which column holds what, for the layouts read by column.
#[derive(Debug, Clone, Copy)]
struct Columns {
    date: usize,
    time: Option<usize>,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
}

/// A bar as read, before the series' scale is known.
struct RawBar {
    stamp: i64,
    line: usize,
    prices: [Decimal; 4],
}

/// Turns local times into UTC, remembering the offset of the last hour seen.
struct Zone {
    tz: chrono_tz::Tz,
    last: Option<(NaiveDate, u32, i64)>,
}

impl Zone {
    fn utc(&mut self, naive: NaiveDateTime) -> i64 {
        use chrono::Timelike;
        let key = (naive.date(), naive.hour());
        if let Some((d, h, offset)) = self.last
            && (d, h) == (key.0, key.1)
        {
            return naive.and_utc().timestamp() - offset;
        }
        let offset = match self.tz.from_local_datetime(&naive).earliest() {
            Some(t) => t.fixed_offset().offset().local_minus_utc() as i64,
            // A time the clocks skipped: read with the offset in force after the change.
            None => self
                .tz
                .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
                .map_or(0, |t| t.fixed_offset().offset().local_minus_utc() as i64),
        };
        self.last = Some((key.0, key.1, offset));
        naive.and_utc().timestamp() - offset
    }
}

/// Reads a bars file. `file` is the path as the user named it: errors name it,
/// and the symbol is taken from it unless [`BarOptions::symbol`] is given.
pub fn read_bars(bytes: &[u8], file: &str, options: &BarOptions) -> Result<BarFile, ImportError> {
    let error = |line: Option<usize>, field: Option<&str>, message: String| ImportError {
        file: file.to_owned(),
        line,
        field: field.map(str::to_owned),
        message,
    };
    let format = options
        .format
        .or_else(|| detect_bars(bytes))
        .ok_or_else(|| {
            error(
                None,
                None,
                "this is not a price bars file Tranche knows".into(),
            )
        })?;
    let named = symbol_from_file_name(file, format);
    let symbol = match options.symbol.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => s.to_uppercase(),
        _ => named.as_ref().map(|(s, _)| s.clone()).ok_or_else(|| {
            error(
                None,
                None,
                "the file's name does not say which instrument the bars are of: rename the \
                 file after it (EURUSD1.csv, AAPL.csv) or name it (--symbol on the command line)"
                    .into(),
            )
        })?,
    };
    let named_length = named.and_then(|(_, p)| p);

    let text = decode(bytes);
    let text: &str = text.as_ref();
    let delimiter = match format {
        BarFormat::Mt4 => b',',
        BarFormat::Mt5 => b'\t',
        BarFormat::NinjaTrader => b';',
        BarFormat::TradingView | BarFormat::Generic => {
            super::table::sniff_delimiter(text.lines().find(|l| !l.trim().is_empty()).unwrap_or(""))
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text);
    let mut zone = Zone {
        tz: options.tz,
        last: None,
    };
    let mut columns: Option<(Columns, Vec<String>)> = match format {
        BarFormat::Mt4 => Some((
            Columns {
                date: 0,
                time: Some(1),
                open: 2,
                high: 3,
                low: 4,
                close: 5,
            },
            ["date", "time", "open", "high", "low", "close"]
                .map(String::from)
                .to_vec(),
        )),
        BarFormat::NinjaTrader => Some((
            Columns {
                date: 0,
                time: None,
                open: 1,
                high: 2,
                low: 3,
                close: 4,
            },
            ["date and time", "open", "high", "low", "close"]
                .map(String::from)
                .to_vec(),
        )),
        _ => None,
    };
    let mut raw: Vec<RawBar> = Vec::with_capacity(bytes.len() / 48);
    let mut intraday_stamps = false;
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            let line = e.position().map(|p| lines.line_at(p.byte() as usize));
            error(line, None, format!("cannot be read as CSV: {e}"))
        })?;
        if !more {
            break;
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte() as usize));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let Some((cols, names)) = &columns else {
            columns = Some(header_columns(&record, format).ok_or_else(|| {
                error(
                    Some(line),
                    None,
                    "the header names no date or time, open, high, low and close columns".into(),
                )
            })?);
            continue;
        };
        let cell = |i: usize| record.get(i).unwrap_or("");
        let field = |i: usize| names.get(i).map_or("?", String::as_str);
        let stamp = match format {
            BarFormat::NinjaTrader => {
                let (naive, timed) = ninjatrader_stamp(cell(0)).ok_or_else(|| {
                    error(
                        Some(line),
                        Some(field(0)),
                        format!(
                            "{} is not a time written yyyyMMdd HHmmss",
                            text::quoted(cell(0))
                        ),
                    )
                })?;
                intraday_stamps |= timed;
                zone.utc(naive)
            }
            _ => {
                let date_text = cell(cols.date);
                let time_text = cols.time.map_or("", cell);
                read_stamp(date_text, time_text, format, &mut zone).ok_or_else(|| {
                    let (i, what) = match cols.time {
                        Some(t)
                            if mt_date(date_text).is_some() || text::date(date_text).is_some() =>
                        {
                            (t, time_text)
                        }
                        _ => (cols.date, date_text),
                    };
                    error(
                        Some(line),
                        Some(field(i)),
                        format!("{} is not a date and time", text::quoted(what)),
                    )
                })?
            }
        };
        let mut prices = [Decimal::ZERO; 4];
        for (slot, i) in prices
            .iter_mut()
            .zip([cols.open, cols.high, cols.low, cols.close])
        {
            let t = cell(i);
            *slot = Decimal::from_str(t)
                .or_else(|_| Decimal::from_scientific(t))
                .map_err(|_| {
                    error(
                        Some(line),
                        Some(field(i)),
                        if t.is_empty() {
                            "the price is missing".to_owned()
                        } else {
                            format!("{} is not a price", text::quoted(t))
                        },
                    )
                })?;
        }
        let [open, high, low, close] = prices;
        if low > high {
            return Err(error(
                Some(line),
                Some(field(cols.low)),
                format!("the low {low} is above the high {high}"),
            ));
        }
        for (i, p, name) in [(cols.open, open, "open"), (cols.close, close, "close")] {
            if p > high || p < low {
                return Err(error(
                    Some(line),
                    Some(field(i)),
                    format!("the {name} {p} is outside the bar's low {low} to high {high}"),
                ));
            }
        }
        raw.push(RawBar {
            stamp,
            line,
            prices,
        });
    }
    if raw.is_empty() {
        return Err(error(None, None, "the file holds no bars".into()));
    }

    // Sorted by time (files listed newest first too); a second bar at one
    // time is left out.
    let mut warnings = Vec::new();
    raw.sort_by_key(|b| (b.stamp, b.line));
    let mut kept: Vec<RawBar> = Vec::with_capacity(raw.len());
    for bar in raw {
        match kept.last() {
            Some(last) if last.stamp == bar.stamp => {
                if warnings.len() < 50 {
                    warnings.push(Warning::new(
                        Some(bar.line),
                        None,
                        format!(
                            "a second bar at the time of line {}; it was left out",
                            last.line
                        ),
                    ));
                }
            }
            _ => kept.push(bar),
        }
    }
    let length = most_common_gap(&kept).or(named_length).ok_or_else(|| {
        error(
            None,
            None,
            "the file holds one bar, and its name does not say the bar length".into(),
        )
    })?;
    let shift = if format == BarFormat::NinjaTrader && intraday_stamps {
        length
    } else {
        0
    };

    let scale = kept
        .iter()
        .flat_map(|b| b.prices.iter())
        .map(|p| p.normalize().scale())
        .max()
        .unwrap_or(0);
    if scale > MAX_BAR_SCALE {
        return Err(error(
            None,
            None,
            format!("prices have more than {MAX_BAR_SCALE} decimal places"),
        ));
    }
    let mut series = BarSeries::new(symbol, length, scale);
    series.bars.reserve(kept.len());
    for bar in &kept {
        let units = |i: usize| {
            to_units(bar.prices[i], scale).ok_or_else(|| {
                error(
                    Some(bar.line),
                    None,
                    format!("the price {} is too large", bar.prices[i]),
                )
            })
        };
        series.bars.push(Bar {
            start: bar.stamp - shift,
            open: units(0)?,
            high: units(1)?,
            low: units(2)?,
            close: units(3)?,
        });
    }
    Ok(BarFile {
        file: file.to_owned(),
        format,
        series,
        warnings,
    })
}

/// The columns of a file with a header row, and the header's names.
fn header_columns(record: &csv::StringRecord, format: BarFormat) -> Option<(Columns, Vec<String>)> {
    let names: Vec<String> = record.iter().map(str::to_owned).collect();
    let normal: Vec<String> = record
        .iter()
        .map(|n| text::normalize_header(n.trim_matches(['<', '>'])))
        .collect();
    let find = |wanted: &[&str]| normal.iter().position(|n| wanted.contains(&n.as_str()));
    let open = find(&["open", "o"])?;
    let high = find(&["high", "h"])?;
    let low = find(&["low", "l"])?;
    let close = find(&["close", "c", "last"])?;
    let (date, time) = match format {
        BarFormat::TradingView => (find(&["time"])?, None),
        _ => {
            let date = find(&["date", "datetime", "timestamp", "data", "day"])
                .or_else(|| find(&["time"]))?;
            let time = find(&["time"]).filter(|&t| t != date);
            (date, time)
        }
    };
    Some((
        Columns {
            date,
            time,
            open,
            high,
            low,
            close,
        },
        names,
    ))
}

/// Reads a bar's time: a date and a time in two fields or one, Unix seconds
/// or milliseconds, or ISO 8601 with or without an offset.
fn read_stamp(date: &str, time: &str, format: BarFormat, zone: &mut Zone) -> Option<i64> {
    if format == BarFormat::TradingView || time.is_empty() {
        if !date.is_empty() && date.bytes().all(|c| c.is_ascii_digit()) && date.len() >= 9 {
            let n: i64 = date.parse().ok()?;
            // Unix seconds, or milliseconds from some exporters.
            return Some(if n > 100_000_000_000 { n / 1000 } else { n });
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(date) {
            return Some(t.timestamp());
        }
    }
    if let Some(d) = mt_date(date) {
        let t = if time.is_empty() {
            NaiveTime::MIN
        } else {
            text::time(time)?
        };
        return Some(zone.utc(d.and_time(t)));
    }
    if !time.is_empty()
        && let (Some(d), Some(t)) = (text::date(date), text::time(time))
    {
        return Some(zone.utc(d.and_time(t)));
    }
    let joined;
    let whole = if time.is_empty() {
        date
    } else {
        joined = format!("{date} {time}");
        &joined
    };
    if let Some(d) = text::date(whole) {
        return Some(zone.utc(d.and_time(NaiveTime::MIN)));
    }
    // ISO or common date-times without an offset, in the file's zone.
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(whole, f).ok());
    if let Some(naive) = naive {
        return Some(zone.utc(naive));
    }
    text::datetime(whole, zone.tz).map(|t| t.timestamp())
}

/// The most common gap between consecutive bars (the smaller of equally common ones).
fn most_common_gap(bars: &[RawBar]) -> Option<i64> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for pair in bars.windows(2) {
        *counts.entry(pair[1].stamp - pair[0].stamp).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(gap, n)| (n, std::cmp::Reverse(gap)))
        .map(|(gap, _)| gap)
}
