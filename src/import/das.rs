//! DAS Trader Pro: the Trades window, exported as CSV.
//!
//! Columns `Time, Symb, Side, Price, Qty, Route, Broker, Account, Type, Cloid,
//! P / L` (rows may end in a comma, leaving an empty last column). The window
//! lists one trading day's executions, in no time order, and gives the time
//! of day only: the day comes from [`super::ImportOptions::date`], and the
//! times are read in the import time zone. Times may lack the leading zero
//! (`9:43:10`, as a spreadsheet saves them).
//!
//! - Sides are `B`, `S` and `SS`. `SS` is a sell marked short by the account
//!   type (`Type` `Short`), whether it opens a short or closes the rest of a
//!   long; `B` both buys and covers. They are read as buys and sells and the
//!   position tells opening from closing.
//! - `Cloid` is the order id; simulated fills have `AUTO` instead. Fills of
//!   one symbol and side at one second without an order id are taken as one
//!   order's partial fills (one tranche), each still a fill of its own: two
//!   identical rows are two fills. A `Token` column serves as the order id
//!   where there is no `Cloid` column.
//! - `P / L` is the profit DAS books on each closing fill, average cost,
//!   before commissions and fees (the gross of DAS's account report). Its sum
//!   less the file's fees is the file's own figure ([`super::StatementTotal`]),
//!   compared with the journal's net P&L of every trade of the file, open ones
//!   included, since DAS books the partial exits of positions still open.
//! - A fill with a profit that does not reduce the position the file has
//!   built so far closes a position opened before the file (held overnight):
//!   a warning says so, as its trade cannot be right without that opening.
//! - Fees: `Commission` (or `Comm`) and regulatory fee columns (`SEC`, `TAF`,
//!   `NSCC`, `Clearing`, `Fee`...) are costs whatever their sign; `ECN Fee`
//!   keeps its sign, a negative one being a credit for adding liquidity.
//!   Without such columns the fees are zero.
//!
//! Fills are put in time order, fills at one second in the order of the file.
//! Prices and money are in USD; DAS records no stop orders.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::instrument::guess_kind;
use super::table::{Header, Row, csv_rows, opt_number, opt_text, req_number};
use super::{Fill, FillSide, ImportError, RowError, Sink, StatementTotal, text};

const TIME: &[&str] = &["Time"];
const SYMBOL: &[&str] = &["Symb", "Symbol"];
const SIDE: &[&str] = &["Side"];
const PRICE: &[&str] = &["Price"];
const QTY: &[&str] = &["Qty", "Quantity", "Shares"];
const ACCOUNT: &[&str] = &["Account", "Acct"];
const ORDER: &[&str] = &["Cloid", "Token", "Tkn", "Order ID"];
const PROFIT: &[&str] = &["P / L", "PnL", "Realized P / L"];
const COMMISSION: &[&str] = &["Commission", "Comm"];
/// Fee columns that are costs whatever their sign, each summed.
const FEES: &[&str] = &[
    "SEC Fee", "SEC", "TAF Fee", "TAF", "FINRA", "NSCC", "Clearing", "Clr Fee", "Fee", "Fees",
    "Misc Fee",
];
/// The ECN fee: a cost, or a credit when negative.
const ECN: &[&str] = &["ECN Fee", "ECN"];

/// The money of a DAS account.
const CURRENCY: &str = "USD";

/// What [`super::ImportError`] says when the trading day is not given.
pub const NO_DATE: &str =
    "a DAS Trader trades export has times but no date; give the trading day with --date YYYY-MM-DD";

/// Whether a header row is a DAS Trader Trades window's: DAS's columns, and
/// its `Symb` (or `Symbol` with `Cloid` or `P / L`).
pub(crate) fn is_header(h: &Header) -> bool {
    h.has_all(&["Time", "Side", "Price"])
        && h.count(QTY) > 0
        && (h.has_all(&["Symb"]) || (h.has_all(&["Symbol"]) && h.count(&["Cloid", "P / L"]) > 0))
        && h.count(&["Route", "Cloid", "P / L", "Broker", "Token", "Liq"]) >= 2
}

/// The columns of the header, found once.
struct Columns {
    time: usize,
    symbol: usize,
    side: usize,
    price: usize,
    qty: usize,
    account: Option<usize>,
    order: Option<usize>,
    profit: Option<usize>,
    commission: Option<usize>,
    fees: Vec<usize>,
    ecn: Option<usize>,
}

impl Columns {
    fn new(h: &Header) -> Option<Self> {
        Some(Columns {
            time: h.find(TIME)?,
            symbol: h.find(SYMBOL)?,
            side: h.find(SIDE)?,
            price: h.find(PRICE)?,
            qty: h.find(QTY)?,
            account: h.find(ACCOUNT),
            order: h.find(ORDER),
            profit: h.find(PROFIT),
            commission: h.find(COMMISSION),
            fees: FEES.iter().filter_map(|name| h.find(&[name])).collect(),
            ecn: h.find(ECN),
        })
    }
}

/// A fill read, with the profit DAS booked on it.
struct Read {
    fill: Fill,
    profit: Option<Decimal>,
}

fn row_of(
    row: &Row,
    c: &Columns,
    date: chrono::NaiveDate,
    tz: chrono_tz::Tz,
) -> Result<Option<Read>, RowError> {
    let symbol = row.cell(c.symbol);
    if symbol.is_empty() {
        if row.cell(c.time).is_empty() {
            return Ok(None); // a row of other cells: no execution
        }
        return Err(RowError::new("Symb", "is empty"));
    }
    let side_text = row.cell(c.side);
    let side = FillSide::parse(side_text)
        .ok_or_else(|| RowError::new("Side", format!("{side_text:?} is not B, S or SS")))?;
    let qty = req_number(row, c.qty, "Qty")?.abs();
    if qty.is_zero() {
        return Err(RowError::new("Qty", "is zero"));
    }
    let price = req_number(row, c.price, "Price")?;
    let time_text = row.cell(c.time);
    let time = text::time(time_text)
        .ok_or_else(|| RowError::new("Time", format!("{time_text:?} is not a time of day")))?;
    let mut fee = super::table::fee(row, &[c.commission], "Commission")?;
    for &col in &c.fees {
        fee += super::table::fee(row, &[Some(col)], "Fee")?;
    }
    fee += opt_number(row, c.ecn, "ECN Fee")?.unwrap_or_default();
    let order = opt_text(row, c.order);
    let order_id =
        (!order.is_empty() && !order.eq_ignore_ascii_case("AUTO")).then(|| order.to_owned());
    let profit = opt_number(row, c.profit, "P / L")?;
    Ok(Some(Read {
        fill: Fill {
            account: opt_text(row, c.account).to_owned(),
            symbol: symbol.to_owned(),
            kind: guess_kind(symbol),
            side,
            qty,
            price,
            fee,
            at: text::localize(date.and_time(time), tz),
            currency: CURRENCY.to_owned(),
            multiplier: None,
            order_id,
            exec_id: None,
            profit: None,
            position: None,
            line: row.line,
        },
        profit,
    }))
}

/// Reads a DAS Trader Pro Trades window export.
pub(crate) fn read(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    // The columns, and the day the file's times are on.
    let mut found: Option<(Columns, chrono::NaiveDate)> = None;
    let mut read: Vec<Read> = Vec::new();
    for row in csv_rows(text) {
        if row.is_blank() {
            continue;
        }
        let Some((c, date)) = found.as_ref() else {
            let header = Header::new(&row);
            if is_header(&header)
                && let Some(columns) = Columns::new(&header)
            {
                let Some(date) = sink.options.date else {
                    return Err(sink.error(None, None, NO_DATE));
                };
                found = Some((columns, date));
            }
            continue;
        };
        match row_of(&row, c, *date, sink.options.tz) {
            Ok(Some(r)) => read.push(r),
            Ok(None) => {}
            Err(e) => sink.bad_row(e, row.line)?,
        }
    }
    let Some((c, _)) = found else {
        return Err(sink.error(
            None,
            None,
            "no header with Time, Symb, Side, Price and Qty columns was found",
        ));
    };
    // Time order; fills at one second keep the file's order (a stable sort),
    // which grouping keeps, as the file is then in time order.
    read.sort_by_key(|r| r.fill.at);
    one_order_per_second(&mut read);
    warn_of_earlier_positions(&read, sink);
    if c.profit.is_some() {
        let profit: Decimal = read.iter().filter_map(|r| r.profit).sum();
        let fees: Decimal = read.iter().map(|r| r.fill.fee).sum();
        sink.parsed.total = Some(StatementTotal {
            label: if fees.is_zero() {
                "P / L column".to_owned()
            } else {
                "P / L column less fees".to_owned()
            },
            currency: CURRENCY.to_owned(),
            amount: profit - fees,
            excluded: Decimal::ZERO,
            counts_open: true,
        });
    }
    sink.parsed.fills = read.into_iter().map(|r| r.fill).collect();
    Ok(())
}

/// Gives the fills without an order id that share an account, symbol, side
/// and second one made-up order id, so that they make one tranche.
fn one_order_per_second(read: &mut [Read]) {
    let mut counts: HashMap<(&str, &str, FillSide, chrono::DateTime<chrono::FixedOffset>), usize> =
        HashMap::new();
    for r in read.iter().filter(|r| r.fill.order_id.is_none()) {
        let f = &r.fill;
        *counts
            .entry((f.account.as_str(), f.symbol.as_str(), f.side, f.at))
            .or_default() += 1;
    }
    let shared: Vec<bool> = read
        .iter()
        .map(|r| {
            let f = &r.fill;
            f.order_id.is_none()
                && counts
                    .get(&(f.account.as_str(), f.symbol.as_str(), f.side, f.at))
                    .is_some_and(|&n| n > 1)
        })
        .collect();
    for (r, shared) in read.iter_mut().zip(shared) {
        if shared {
            let f = &mut r.fill;
            f.order_id = Some(format!(
                "AUTO {} {}",
                f.side.as_str(),
                f.at.format("%H:%M:%S")
            ));
        }
    }
}

/// Warns of each fill on which DAS booked a profit though, by the file's own
/// fills, it does not reduce a position: it closes one opened before the file.
fn warn_of_earlier_positions(read: &[Read], sink: &mut Sink) {
    let mut position: HashMap<(&str, &str), Decimal> = HashMap::new();
    let mut warnings = Vec::new();
    for r in read {
        let f = &r.fill;
        let held = position
            .entry((f.account.as_str(), f.symbol.as_str()))
            .or_default();
        let reduces = !held.is_zero() && held.is_sign_positive() != (f.side == FillSide::Buy);
        if let Some(profit) = r.profit.filter(|p| !p.is_zero())
            && !reduces
        {
            warnings.push((
                f.line,
                format!(
                    "DAS booked {} on this {} of {} {}, so it closes a position opened before \
                     the file; without that position in the journal it opens a trade instead",
                    crate::analysis::format::money(profit),
                    f.side.as_str(),
                    f.qty.normalize(),
                    f.symbol
                ),
            ));
        }
        *held += f.side.sign() * f.qty;
    }
    warnings.sort_by_key(|(line, _)| *line);
    for (line, message) in warnings {
        sink.warn(Some(line), Some("P / L"), message);
    }
}
