//! Any CSV of fills: the layout journals share, or the user's column mapping.
//!
//! The common layout has one row per fill with columns named like `Date`,
//! `Time` (or one `DateTime`), `Symbol`, `Side` (`Buy`, `Sell`, `Short`,
//! `Cover`, `B`, `S`), `Quantity`/`Qty`, `Price`, `Commission`/`Fee`, and
//! optionally `Account`, `Execution ID`, `Order ID`, `Currency`,
//! `Multiplier` and an asset class. Names are matched without regard to case,
//! spaces or punctuation, and under common aliases. Without a side column the
//! sign of the quantity gives the side. Lines before the header are skipped.
//!
//! A [`ColumnMapping`] names the columns of any other CSV; the import dialog
//! builds it from the header the user sees.

use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::instrument::{InstrumentKind, guess_kind};
use super::table::{Cells, Header, LineCounter, opt_number, opt_text, req_number, sniff_delimiter};
use super::{FillSide, ImportError, RowError, Sink, text};

/// Which column holds what, by header name. Empty names mean "no such column".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The date, or the date and time together.
    pub date: String,
    /// The time of day, when separate from the date.
    pub time: String,
    /// The instrument.
    pub symbol: String,
    /// Buy or sell; without it the quantity's sign is the side.
    pub side: String,
    /// The quantity.
    pub quantity: String,
    /// The price.
    pub price: String,
    /// Fee columns, summed (their sign is ignored).
    pub fees: Vec<String>,
    /// The account.
    pub account: String,
    /// The broker's execution id.
    pub exec_id: String,
    /// The broker's order id.
    pub order_id: String,
    /// The currency.
    pub currency: String,
    /// The multiplier.
    pub multiplier: String,
}

const DATE: &[&str] = &[
    "Date",
    "Trade Date",
    "Exec Date",
    "Execution Date",
    "Fill Date",
    "Transaction Date",
    "T/D",
];
const TIME: &[&str] = &[
    "Time",
    "Exec Time",
    "Execution Time",
    "Trade Time",
    "Fill Time",
];
const DATETIME: &[&str] = &[
    "DateTime",
    "Date/Time",
    "Date Time",
    "Timestamp",
    "Filled Time",
    "Executed At",
    "Execution Timestamp",
    "Fill Timestamp",
    "Time Stamp",
];
const SYMBOL: &[&str] = &[
    "Symbol",
    "Ticker",
    "Instrument",
    "Contract",
    "Security",
    "Market",
    "Pair",
];
const SIDE: &[&str] = &[
    "Side",
    "Action",
    "Buy/Sell",
    "B/S",
    "Direction",
    "Transaction Type",
    "Type",
];
const QTY: &[&str] = &[
    "Quantity",
    "Qty",
    "Shares",
    "Size",
    "Volume",
    "Contracts",
    "Units",
    "Filled Qty",
    "Filled",
];
const PRICE: &[&str] = &[
    "Price",
    "Fill Price",
    "Exec Price",
    "Execution Price",
    "Trade Price",
    "Avg Price",
    "Average Price",
    "Avg Fill Price",
];
const COMMISSION: &[&str] = &[
    "Commission",
    "Commissions",
    "Comm",
    "Commission & Fees",
    "Commissions & Fees",
    "Commissions and Fees",
];
/// Fee columns, each summed when present (a file may have several).
const FEES: &[&str] = &[
    "Fees",
    "Fee",
    "Misc Fees",
    "Other Fees",
    "Reg Fees",
    "Reg Fee",
    "TransFee",
    "Transfer Fees",
    "Transaction Fee",
    "ECN Fee",
    "ECNFee",
    "ECN Fees",
    "SEC Fee",
    "TAF Fee",
    "Clearing Fee",
    "Clearing Fees",
    "Exchange Fee",
    "Exchange Fees",
    "NFA Fee",
    "Routing Fee",
    "SEC",
    "TAF",
    "NSCC",
    "Nasdaq",
    "ECN Remove",
    "ECN Add",
];
const ACCOUNT: &[&str] = &[
    "Account",
    "Account ID",
    "Account Number",
    "Acct",
    "Account Name",
];
const EXEC_ID: &[&str] = &[
    "Execution ID",
    "Exec ID",
    "Fill ID",
    "Trade ID",
    "Transaction ID",
    "Trade Number",
    "ID",
];
const ORDER_ID: &[&str] = &["Order ID", "Order Number", "Order No", "Order"];
const CURRENCY: &[&str] = &["Currency", "Ccy"];
const MULTIPLIER: &[&str] = &["Multiplier", "Contract Size", "Point Value"];
const ASSET: &[&str] = &[
    "Asset Class",
    "Asset Type",
    "Instrument Type",
    "Security Type",
    "Sec Type",
    "Asset Category",
];

/// Column positions of one file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    pub(crate) date: Option<usize>,
    pub(crate) time: Option<usize>,
    pub(crate) symbol: usize,
    pub(crate) side: Option<usize>,
    pub(crate) qty: usize,
    pub(crate) price: usize,
    pub(crate) fees: Vec<Option<usize>>,
    pub(crate) account: Option<usize>,
    pub(crate) exec_id: Option<usize>,
    pub(crate) order_id: Option<usize>,
    pub(crate) currency: Option<usize>,
    pub(crate) multiplier: Option<usize>,
    pub(crate) asset: Option<usize>,
}

/// The columns of the common layout, when `header` has them.
pub(crate) fn common_columns(header: &Header) -> Option<Columns> {
    let symbol = header.find(SYMBOL)?;
    let qty = header.find(QTY)?;
    let price = header.find(PRICE)?;
    // A date with a time column; else one date-and-time column (a date column
    // alone would put every fill at midnight); else a date; else a time column
    // that holds the date too.
    let (date, time) = match (header.find(DATE), header.find(DATETIME), header.find(TIME)) {
        (Some(date), _, Some(time)) => (date, Some(time)),
        (_, Some(datetime), _) => (datetime, None),
        (Some(date), None, None) => (date, None),
        (None, None, Some(time)) => (time, None),
        (None, None, None) => return None,
    };
    Some(Columns {
        date: Some(date),
        time,
        symbol,
        side: header.find(SIDE),
        qty,
        price,
        fees: {
            let mut fees = vec![header.find(COMMISSION)];
            for alias in FEES {
                let col = header.find(&[alias]);
                if col.is_some() && !fees.contains(&col) {
                    fees.push(col);
                }
            }
            fees
        },
        account: header.find(ACCOUNT),
        exec_id: header.find(EXEC_ID),
        order_id: header.find(ORDER_ID),
        currency: header.find(CURRENCY),
        multiplier: header.find(MULTIPLIER),
        asset: header.find(ASSET),
    })
}

fn mapped_columns(header: &Header, m: &ColumnMapping) -> Result<Columns, String> {
    let opt = |name: &str| -> Result<Option<usize>, String> {
        if name.trim().is_empty() {
            Ok(None)
        } else {
            header
                .find(&[name])
                .map(Some)
                .ok_or_else(|| format!("the mapped column {name:?} is not in the header"))
        }
    };
    let req = |what: &str, name: &str| -> Result<usize, String> {
        opt(name)?.ok_or_else(|| format!("no column is mapped to the {what}"))
    };
    Ok(Columns {
        date: Some(req("date", &m.date)?),
        time: opt(&m.time)?,
        symbol: req("symbol", &m.symbol)?,
        side: opt(&m.side)?,
        qty: req("quantity", &m.quantity)?,
        price: req("price", &m.price)?,
        fees: m.fees.iter().map(|f| opt(f)).collect::<Result<_, _>>()?,
        account: opt(&m.account)?,
        exec_id: opt(&m.exec_id)?,
        order_id: opt(&m.order_id)?,
        currency: opt(&m.currency)?,
        multiplier: opt(&m.multiplier)?,
        asset: None,
    })
}

/// A column the reader would use whose name the header repeats: which value
/// is meant cannot be known, so the file is refused, naming both columns.
fn repeated_column(header: &Header, names: &csv::StringRecord, cols: &Columns) -> Option<String> {
    let used = [
        cols.date,
        cols.time,
        Some(cols.symbol),
        cols.side,
        Some(cols.qty),
        Some(cols.price),
        cols.account,
        cols.exec_id,
        cols.order_id,
        cols.currency,
        cols.multiplier,
        cols.asset,
    ];
    used.into_iter()
        .chain(cols.fees.iter().copied())
        .flatten()
        .find_map(|col| {
            let other = header.same_name_as(col)?;
            let name = names.get(col).unwrap_or("").trim();
            Some(format!(
                "the columns {} and {} are both named {}; which one to read cannot be \
                 known: rename or remove one",
                col.min(other) + 1,
                col.max(other) + 1,
                text::quoted(name)
            ))
        })
}

/// An asset class as brokers name it.
pub(crate) fn kind_from_asset(text: &str) -> Option<InstrumentKind> {
    let t = text.trim().to_ascii_lowercase();
    Some(match t.as_str() {
        "stk" | "stock" | "stocks" | "equity" | "etf" | "shares" | "common" => {
            InstrumentKind::Stock
        }
        "fut" | "future" | "futures" => InstrumentKind::Future,
        "opt"
        | "option"
        | "options"
        | "fop"
        | "call"
        | "put"
        | "equity and index options"
        | "options on futures" => InstrumentKind::Option,
        "cash" | "fx" | "forex" | "currency" => InstrumentKind::Forex,
        "crypto" | "cryptocurrency" => InstrumentKind::Crypto,
        "" => return None,
        _ => InstrumentKind::Other,
    })
}

/// Parameters shared by the readers built on this one.
pub(crate) struct Flavour {
    pub(crate) tz: Tz,
    pub(crate) kind: Option<InstrumentKind>,
}

/// The fill of a row, its strings borrowed from the row; `None` for a blank
/// or summary row.
pub(crate) fn fill_from<'r, R: Cells + ?Sized>(
    row: &'r R,
    cols: &Columns,
    flavour: &Flavour,
    line: usize,
    kinds: &mut super::group::FastMap<String, InstrumentKind>,
) -> Result<Option<super::fills::BorrowedFill<'r>>, RowError> {
    let symbol = row.cell(cols.symbol);
    let date_text = opt_text(row, cols.date);
    let time_text = opt_text(row, cols.time);
    let qty_text = row.cell(cols.qty);
    let price_text = row.cell(cols.price);
    if symbol.is_empty() && qty_text.is_empty() && price_text.is_empty() {
        return Ok(None); // a blank or summary row
    }
    if symbol.is_empty() {
        return Err(RowError::new("symbol", "is empty"));
    }
    if let Some(bad) = symbol.chars().find(|c| c.is_control()) {
        return Err(RowError::new(
            "symbol",
            format!(
                "{} holds a control character ({:?}); a symbol is one line of text",
                text::quoted(symbol),
                bad
            ),
        ));
    }
    let at = text::date_and_time(date_text, time_text, flavour.tz).ok_or_else(|| {
        RowError::new(
            "date",
            format!(
                "{} is not a date and time",
                text::quoted(format!("{date_text} {time_text}").trim())
            ),
        )
    })?;
    let at = text::plausible_year(at).map_err(|message| RowError::new("date", message))?;
    let signed = req_number(row, cols.qty, "quantity")?;
    let side = match cols.side.map(|c| row.cell(c)) {
        Some(s) if !s.is_empty() => {
            let side = FillSide::parse(s).ok_or_else(|| {
                RowError::new("side", format!("{} is not buy or sell", text::quoted(s)))
            })?;
            // A sell may be written negative (as IBKR does); a buy may not.
            if side == FillSide::Buy && signed < Decimal::ZERO {
                return Err(RowError::new(
                    "quantity",
                    format!(
                        "{signed} is negative on a {} row: a buy is a positive quantity",
                        text::quoted(s)
                    ),
                ));
            }
            side
        }
        _ if signed < Decimal::ZERO => FillSide::Sell,
        _ => FillSide::Buy,
    };
    let qty = signed.abs();
    if qty.is_zero() {
        return Err(RowError::new("quantity", "is zero"));
    }
    let price = req_number(row, cols.price, "price")?;
    let fee = super::table::fee(row, &cols.fees, "commission")?;
    let kind = flavour
        .kind
        .or_else(|| cols.asset.and_then(|c| kind_from_asset(row.cell(c))))
        .unwrap_or_else(|| match kinds.get(symbol) {
            Some(kind) => *kind,
            None => *kinds.entry(symbol.to_owned()).or_insert(guess_kind(symbol)),
        });
    let text_of = |c: Option<usize>| {
        let t = opt_text(row, c);
        (!t.is_empty()).then_some(t)
    };
    Ok(Some(super::fills::BorrowedFill {
        account: opt_text(row, cols.account),
        symbol,
        kind,
        side,
        qty,
        price,
        fee,
        at,
        currency: opt_text(row, cols.currency),
        multiplier: opt_number(row, cols.multiplier, "multiplier")?,
        order_id: text_of(cols.order_id),
        exec_id: text_of(cols.exec_id),
        profit: None,
        position: None,
        line,
    }))
}

/// Reads a CSV of fills with the common layout, or the options' mapping.
pub(crate) fn read(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let flavour = Flavour {
        tz: sink.options.tz,
        kind: None,
    };
    let mapping = sink.options.column_mapping.clone();
    read_with(text, sink, mapping.as_ref(), &flavour)
}

/// Reads a CSV of fills; the header is the first row whose columns fit.
///
/// A large file's rows are read in parts, side by side: the text after the
/// header is cut at line ends, and each part is read from its cut to the
/// first record that starts at or after the next cut. A cut is only kept if
/// the part before it, reading on, starts a record exactly where the next
/// part started reading (a quoted field can hold a line end); where it does
/// not, the rest of the file is read on from there, as if in one part.
pub(crate) fn read_with(
    text: &str,
    sink: &mut Sink,
    mapping: Option<&ColumnMapping>,
    flavour: &Flavour,
) -> Result<(), ImportError> {
    read_in_parts(text, sink, mapping, flavour, None)
}

/// [`read_with`] in `parts` parts, or as many as the file's size is worth.
fn read_in_parts(
    text: &str,
    sink: &mut Sink,
    mapping: Option<&ColumnMapping>,
    flavour: &Flavour,
    parts: Option<usize>,
) -> Result<(), ImportError> {
    let delimiter = sniff_delimiter(text);
    let mut reader = csv_reader(text.as_bytes(), delimiter);
    let mut record = csv::StringRecord::new();
    let mut columns: Option<Columns> = None;
    let mut first_problem = None;
    let mut rows_seen = 0usize;
    let mut lines = LineCounter::new(text);
    while columns.is_none() {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| lines.line_at(p.byte() as usize));
                return Err(sink.error(line, None, format!("unreadable CSV: {e}")));
            }
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows_seen += 1;
        let header = Header::from_names(record.iter());
        let found = match mapping {
            Some(m) => mapped_columns(&header, m).map_err(|e| {
                first_problem.get_or_insert(e);
            }),
            None => common_columns(&header).ok_or(()),
        };
        if let Ok(cols) = found {
            if let Some(problem) = repeated_column(&header, &record, &cols) {
                let line = record.position().map(|p| lines.line_at(p.byte() as usize));
                return Err(sink.error(line, None, problem));
            }
            columns = Some(cols);
        } else if rows_seen > 50 {
            break;
        }
    }
    let Some(cols) = columns else {
        return Err(sink.error(
            None,
            None,
            first_problem.unwrap_or_else(|| {
                "no header with date, symbol, quantity and price columns was found".to_owned()
            }),
        ));
    };
    let body = reader.position().byte() as usize;
    let rows = RowReader {
        text,
        delimiter,
        cols: &cols,
        flavour,
        file: sink.file,
        options: sink.options,
    };
    let parts = parts.unwrap_or_else(|| super::parallel::parts_for((text.len() - body) / 64));
    let mut from = body;
    if parts > 1 {
        from = rows.read_in_parts(body, parts, sink)?;
    }
    if from < text.len() {
        let total = text.len();
        let line = 1 + super::table::count_lines(&text.as_bytes()[..from]);
        let read = rows.read(from, line, None, &mut |done| sink.report(done, total));
        sink.parsed.fills.append(read.fills);
        sink.parsed.warnings.extend(read.warnings);
        sink.parsed.repeated_times.extend(read.repeated_times);
        if let Some(error) = read.error {
            return Err(error);
        }
    }
    Ok(())
}

fn csv_reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes)
}

/// Reads the rows of fills after a CSV's header.
struct RowReader<'a> {
    text: &'a str,
    delimiter: u8,
    cols: &'a Columns,
    flavour: &'a Flavour,
    file: &'a str,
    options: &'a super::ImportOptions,
}

/// What reading a stretch of rows gave.
struct Rows {
    fills: super::FillStore,
    warnings: Vec<super::Warning>,
    /// Lines whose time the clocks showed twice (see `Parsed::repeated_times`).
    repeated_times: Vec<(usize, chrono::DateTime<chrono::FixedOffset>)>,
    /// The row (or CSV) error that stopped the reading, if one did.
    error: Option<ImportError>,
    /// Where the first record read starts.
    first: Option<usize>,
    /// Where reading stopped: the start of the first record at or after
    /// `until`, or `None` at the end of the text (or at an error).
    stop: Option<usize>,
}

impl RowReader<'_> {
    /// Where the record at `offset` starts: after any line ends there.
    fn record_start(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut offset = offset.min(bytes.len());
        while offset < bytes.len() && matches!(bytes[offset], b'\r' | b'\n') {
            offset += 1;
        }
        offset
    }

    /// Reads the rows from byte `from` (the start of line `line`) to the end
    /// of the text, or to the first record that starts at or after `until`.
    /// `progress(done)` is told the offset reached now and then.
    fn read(
        &self,
        from: usize,
        line: usize,
        until: Option<usize>,
        progress: &mut dyn FnMut(usize),
    ) -> Rows {
        let text = &self.text[from..];
        let mut sink = Sink::new(self.file, self.options);
        let end = until.unwrap_or(self.text.len()).max(from);
        let lines_ahead = super::table::count_lines(&self.text.as_bytes()[from..end]);
        sink.parsed.fills.reserve(lines_ahead);
        let mut reader = csv_reader(text.as_bytes(), self.delimiter);
        let mut record = csv::StringRecord::new();
        let mut lines = LineCounter::starting_at(self.text, from, line);
        let mut kinds = super::group::FastMap::default();
        let (mut first, mut stop, mut error) = (None, None, None);
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e
                        .position()
                        .map(|p| lines.line_at(from + p.byte() as usize));
                    error = Some(sink.error(line, None, format!("unreadable CSV: {e}")));
                    break;
                }
            }
            let byte = from + record.position().map_or(0, |p| p.byte() as usize);
            let start = self.record_start(byte);
            if until.is_some_and(|until| start >= until) {
                stop = Some(start);
                break;
            }
            first.get_or_insert(start);
            let line = lines.line_at(byte);
            if line.is_multiple_of(4_096) {
                progress(byte);
            }
            if record.iter().all(|c| super::table::trim(c).is_empty()) {
                continue;
            }
            let result =
                fill_from(&record, self.cols, self.flavour, line, &mut kinds).map(|fill| {
                    if let Some(fill) = fill {
                        sink.parsed.fills.push_borrowed(&fill);
                    }
                });
            if let Err(e) = sink.row(line, result) {
                error = Some(e);
                break;
            }
        }
        Rows {
            fills: sink.parsed.fills,
            warnings: sink.parsed.warnings,
            repeated_times: sink.parsed.repeated_times,
            error,
            first,
            stop,
        }
    }

    /// Reads the rows from `body` on in `parts` parts side by side, into
    /// `sink`; returns where the rest is to be read from (the end of the
    /// text when every cut held).
    ///
    /// The parts are taken in order, each by the first thread free to take
    /// it: this one, which reports the progress of all, and as many of
    /// rayon's as the pool has threads besides it.
    fn read_in_parts(
        &self,
        body: usize,
        parts: usize,
        sink: &mut Sink,
    ) -> Result<usize, ImportError> {
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let bytes = self.text.as_bytes();
        let mut cuts = vec![body];
        for k in 1..parts {
            let aim = body + (bytes.len() - body) * k / parts;
            let Some(newline) = memchr::memchr(b'\n', &bytes[aim..]) else {
                break;
            };
            let cut = aim + newline + 1;
            if cut > *cuts.last().unwrap_or(&body) && cut < bytes.len() {
                cuts.push(cut);
            }
        }
        if cuts.len() < 2 {
            return Ok(body);
        }
        // The line each part starts on, counted once for all.
        let mut line = 1 + super::table::count_lines(&bytes[..body]);
        let mut starts = Vec::with_capacity(cuts.len());
        for (k, &cut) in cuts.iter().enumerate() {
            if k > 0 {
                line += super::table::count_lines(&bytes[cuts[k - 1]..cut]);
            }
            starts.push(line);
        }
        let done: Vec<AtomicUsize> = cuts.iter().map(|_| AtomicUsize::new(0)).collect();
        let read: Vec<OnceLock<Rows>> = cuts.iter().map(|_| OnceLock::new()).collect();
        let next = AtomicUsize::new(0);
        let total = bytes.len();
        let take_parts = |progress: &mut dyn FnMut()| {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&from) = cuts.get(k) else {
                    return;
                };
                let until = cuts.get(k + 1).copied();
                let rows = self.read(from, starts[k], until, &mut |at| {
                    done[k].store(at - from, Ordering::Relaxed);
                    progress();
                });
                // Each part is taken once: its slot is empty.
                let _ = read[k].set(rows);
            }
        };
        let helpers = rayon::current_num_threads()
            .saturating_sub(1)
            .min(cuts.len() - 1);
        let mut report = || {
            let read: usize = done.iter().map(|d| d.load(Ordering::Relaxed)).sum();
            sink.report(body + read, total);
        };
        // Progress is reported on this thread, which may find every part
        // taken: the helpers say when theirs move on, until they are done.
        // A thread of rayon's pool does not wait for them so, but as the
        // scope does, taking part in what is left.
        let in_pool = rayon::current_thread_index().is_some();
        let (tick, ticks) = std::sync::mpsc::channel::<()>();
        rayon::in_place_scope(|scope| {
            for _ in 0..helpers {
                let tick = tick.clone();
                scope.spawn(move |_| {
                    take_parts(&mut || {
                        let _ = tick.send(());
                    });
                });
            }
            drop(tick);
            take_parts(&mut report);
            if !in_pool {
                ticks.iter().for_each(|()| report());
            }
        });
        // The scope returns once every part is taken and read.
        let mut next_first = None;
        for (k, rows) in read.into_iter().map(OnceLock::into_inner).enumerate() {
            let Some(rows) = rows else {
                return Ok(next_first.unwrap_or(cuts[k]));
            };
            if k > 0 && rows.first != next_first {
                // The previous part read on past this cut: the rest is read
                // from where that part stopped.
                return Ok(next_first.unwrap_or(cuts[k]));
            }
            sink.parsed.fills.append(rows.fills);
            sink.parsed.warnings.extend(rows.warnings);
            sink.parsed.repeated_times.extend(rows.repeated_times);
            if let Some(error) = rows.error {
                return Err(error);
            }
            match rows.stop {
                Some(stop) => next_first = Some(stop),
                // The end of the text: a part after a cut always stops at
                // the next cut or reads to the end.
                None => return Ok(bytes.len()),
            }
        }
        Ok(bytes.len())
    }
}

/// The column names of a CSV, for the column-mapping step: the first row
/// with two filled cells or more, within the first 50 rows.
pub fn header_names(bytes: &[u8]) -> Vec<String> {
    let text = text::decode(bytes);
    let head: String = text.lines().take(50).collect::<Vec<_>>().join("\n");
    super::table::csv_rows(&head)
        .into_iter()
        .find(|row| row.filled().count() >= 2)
        .map(|row| row.cells.iter().map(|c| c.trim().to_owned()).collect())
        .unwrap_or_default()
}

/// Up to `count` rows that follow the header [`header_names`] finds, trimmed,
/// for the column-mapping step to show what each column holds.
pub fn sample_rows(bytes: &[u8], count: usize) -> Vec<Vec<String>> {
    let text = text::decode(bytes);
    let head: String = text.lines().take(50 + count).collect::<Vec<_>>().join("\n");
    super::table::csv_rows(&head)
        .into_iter()
        .skip_while(|row| row.filled().count() < 2)
        .skip(1)
        .filter(|row| row.filled().count() >= 2)
        .take(count)
        .map(|row| row.cells.iter().map(|c| c.trim().to_owned()).collect())
        .collect()
}

impl ColumnMapping {
    /// A mapping prefilled from the column names the common layout knows,
    /// for the user to complete or correct.
    pub fn guess(names: &[String]) -> ColumnMapping {
        let header = Header::from_names(names.iter().map(String::as_str));
        let name = |aliases: &[&str]| {
            header
                .find(aliases)
                .and_then(|i| names.get(i).cloned())
                .unwrap_or_default()
        };
        let (date, time) = match (header.find(DATE), header.find(DATETIME)) {
            (Some(_), _) => (name(DATE), name(TIME)),
            (None, Some(_)) => (name(DATETIME), String::new()),
            (None, None) => (name(TIME), String::new()),
        };
        let mut fees: Vec<String> = Vec::new();
        for alias in COMMISSION.iter().chain(FEES) {
            let n = name(&[alias]);
            if !n.is_empty() && !fees.contains(&n) {
                fees.push(n);
            }
        }
        ColumnMapping {
            date,
            time,
            symbol: name(SYMBOL),
            side: name(SIDE),
            quantity: name(QTY),
            price: name(PRICE),
            fees,
            account: name(ACCOUNT),
            exec_id: name(EXEC_ID),
            order_id: name(ORDER_ID),
            currency: name(CURRENCY),
            multiplier: name(MULTIPLIER),
        }
    }

    /// Whether the fields every fill needs are mapped: date, symbol,
    /// quantity and price.
    pub fn is_complete(&self) -> bool {
        [&self.date, &self.symbol, &self.quantity, &self.price]
            .iter()
            .all(|f| !f.trim().is_empty())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::import::{ImportOptions, Parsed};

    fn read(text: &str, parts: usize, skip_bad_rows: bool) -> (Result<(), ImportError>, Parsed) {
        let options = ImportOptions {
            tz: chrono_tz::UTC,
            skip_bad_rows,
            ..ImportOptions::default()
        };
        let mut sink = Sink::new("f.csv", &options);
        let flavour = Flavour {
            tz: options.tz,
            kind: None,
        };
        let result = read_in_parts(text, &mut sink, None, &flavour, Some(parts));
        (result, sink.parsed)
    }

    /// A CSV of `rows` fills after a title line; `odd(i)` may change row `i`.
    fn csv(rows: usize, line_end: &str, odd: impl Fn(usize) -> Option<String>) -> String {
        let mut text = format!("Fills export{line_end}{line_end}");
        text.push_str("Date,Time,Symbol,Side,Quantity,Price,Commission,Execution ID,Note");
        text.push_str(line_end);
        for i in 0..rows {
            let row = odd(i).unwrap_or_else(|| {
                format!(
                    "2024-03-{:02},09:{:02}:{:02},SYM{},{},{},{}.25,1.00,E{i},",
                    1 + i % 28,
                    i / 60 % 60,
                    i % 60,
                    i % 7,
                    if i % 3 == 0 { "Sell" } else { "Buy" },
                    1 + i % 9,
                    100 + i % 50
                )
            });
            text.push_str(&row);
            text.push_str(line_end);
        }
        text
    }

    fn assert_same_in_parts(text: &str, skip_bad_rows: bool) -> (Result<(), ImportError>, Parsed) {
        let whole = read(text, 1, skip_bad_rows);
        for parts in [2, 3, 5, 16] {
            let split = read(text, parts, skip_bad_rows);
            assert_eq!(split.0, whole.0, "{parts} parts");
            assert!(split.1 == whole.1, "{parts} parts");
        }
        whole
    }

    #[test]
    fn reading_in_parts_gives_what_reading_in_one_gives() {
        let (result, parsed) = assert_same_in_parts(&csv(500, "\n", |_| None), false);
        assert_eq!(result, Ok(()));
        assert_eq!(parsed.fills.len(), 500);
        assert_eq!(parsed.fills.get(499).line, 503);
        assert_eq!(parsed.fills.get(499).exec_id.as_deref(), Some("E499"));

        let (result, parsed) = assert_same_in_parts(&csv(400, "\r\n", |_| None), false);
        assert_eq!(result, Ok(()));
        assert_eq!(parsed.fills.get(399).line, 403);

        // Blank lines and rows of empty cells anywhere.
        let blanks = csv(300, "\n", |i| (i % 37 == 5).then(|| ",,,\n\n".to_owned()));
        let (result, parsed) = assert_same_in_parts(&blanks, false);
        assert_eq!(result, Ok(()));
        assert_eq!(parsed.fills.len(), 292);
    }

    #[test]
    fn a_quoted_line_end_where_the_file_is_cut_is_read_as_one_row() {
        // Notes over several lines everywhere: some part starts inside one.
        for every in [1, 2, 7, 40] {
            let text = csv(300, "\n", |i| {
                (i % every == 0).then(|| {
                    format!(
                        "2024-03-01,10:00:{:02},SYM1,Buy,1,100,1,Q{i},\"a note\n\nover, lines\nand \"\"quotes\"\"\"",
                        i % 60
                    )
                })
            });
            let (result, parsed) = assert_same_in_parts(&text, false);
            assert_eq!(result, Ok(()));
            assert_eq!(parsed.fills.len(), 300, "every {every}");
        }
    }

    #[test]
    fn bad_rows_are_reported_at_their_line_whatever_part_reads_them() {
        let text = csv(600, "\n", |i| {
            [150, 450, 451]
                .contains(&i)
                .then(|| format!("2024-03-01,10:00:00,SYM1,Buy,lots,100,1,B{i},"))
        });
        let (result, parsed) = assert_same_in_parts(&text, false);
        let error = result.unwrap_err();
        assert_eq!(error.line, Some(154));
        assert_eq!(error.field.as_deref(), Some("quantity"));
        assert!(parsed.fills.len() < 600);

        let (result, parsed) = assert_same_in_parts(&text, true);
        assert_eq!(result, Ok(()));
        assert_eq!(parsed.fills.len(), 597);
        let lines: Vec<Option<usize>> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(154), Some(454), Some(455)]);
    }
}
