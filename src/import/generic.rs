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

use std::collections::HashMap;

use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::instrument::{InstrumentKind, guess_kind};
use super::table::{Cells, Header, LineCounter, opt_number, opt_text, req_number, sniff_delimiter};
use super::{Fill, FillSide, ImportError, RowError, Sink, text};

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

pub(crate) fn fill_from<R: Cells + ?Sized>(
    row: &R,
    cols: &Columns,
    flavour: &Flavour,
    line: usize,
    kinds: &mut HashMap<String, InstrumentKind>,
) -> Result<Option<Fill>, RowError> {
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
    let at = text::date_and_time(date_text, time_text, flavour.tz).ok_or_else(|| {
        RowError::new(
            "date",
            format!(
                "{:?} is not a date and time",
                format!("{date_text} {time_text}").trim()
            ),
        )
    })?;
    let signed = req_number(row, cols.qty, "quantity")?;
    let side = match cols.side.map(|c| row.cell(c)) {
        Some(s) if !s.is_empty() => FillSide::parse(s)
            .ok_or_else(|| RowError::new("side", format!("{s:?} is not buy or sell")))?,
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
        (!t.is_empty()).then(|| t.to_owned())
    };
    Ok(Some(Fill {
        account: opt_text(row, cols.account).to_owned(),
        symbol: symbol.to_owned(),
        kind,
        side,
        qty,
        price,
        fee,
        at,
        currency: opt_text(row, cols.currency).to_owned(),
        multiplier: opt_number(row, cols.multiplier, "multiplier")?,
        order_id: text_of(cols.order_id),
        exec_id: text_of(cols.exec_id),
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
pub(crate) fn read_with(
    text: &str,
    sink: &mut Sink,
    mapping: Option<&ColumnMapping>,
    flavour: &Flavour,
) -> Result<(), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut columns: Option<Columns> = None;
    let mut first_problem = None;
    let mut rows_seen = 0usize;
    let mut lines = LineCounter::new(text);
    let mut kinds: HashMap<String, InstrumentKind> = HashMap::new();
    // About one fill a line: room for them all at once.
    sink.parsed
        .fills
        .reserve(text.bytes().filter(|&b| b == b'\n').count());
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| lines.line_at(p.byte() as usize));
                return Err(sink.error(line, None, format!("unreadable CSV: {e}")));
            }
        }
        let byte = record.position().map(|p| p.byte() as usize).unwrap_or(0);
        let line = lines.line_at(byte);
        if line.is_multiple_of(16_384) {
            sink.report(byte, text.len());
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let Some(cols) = columns.as_ref() else {
            rows_seen += 1;
            let header = Header::from_names(record.iter());
            let found = match mapping {
                Some(m) => mapped_columns(&header, m).map_err(|e| {
                    first_problem.get_or_insert(e);
                }),
                None => common_columns(&header).ok_or(()),
            };
            if let Ok(cols) = found {
                columns = Some(cols);
            } else if rows_seen > 50 {
                break;
            }
            continue;
        };
        let result = fill_from(&record, cols, flavour, line, &mut kinds).map(|fill| {
            if let Some(fill) = fill {
                sink.parsed.fills.push(fill);
            }
        });
        sink.row(line, result)?;
    }
    if columns.is_none() {
        return Err(sink.error(
            None,
            None,
            first_problem.unwrap_or_else(|| {
                "no header with date, symbol, quantity and price columns was found".to_owned()
            }),
        ));
    }
    Ok(())
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
