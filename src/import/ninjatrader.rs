//! NinjaTrader 8 grids exported as CSV: executions, and trades (round trips).
//!
//! Executions: `Instrument, Action, Quantity, Price, Time, ID, E/X, Position,
//! Order ID, Name, Commission, Rate, Account, Connection`; one row per fill.
//! Trades: `Trade number, Instrument, Account, Strategy, Market pos., Qty,
//! Entry price, Exit price, Entry time, Exit time, Entry name, Exit name,
//! Profit, Cum. net profit, Commission, ...` (any subset, any order); each row
//! gives an entry fill and an exit fill, the fees split evenly between them.
//! The fees are the commission and fee columns, or, when larger, the gross
//! P&L minus `Profit`: NinjaTrader's Profit is net of every fee, including
//! exchange and clearing fees that a reduced column set leaves out, so the
//! trade's net P&L is the one NinjaTrader reported. Rows that share an entry (a position scaled out in several trades)
//! share an order id, so their entries become one tranche again. Money is
//! written `$48.10 ` or `($75.90)`; trailing rows of empty cells are skipped.
//! Instruments are named `MNQ SEP26` or `MNQ 09-26`; the root gives the
//! multiplier. In cultures that write them, dates are day first
//! (`16/09/2026`, `05.10.2026`) and numbers have decimal commas (`6012,25`,
//! and `30,125` is thirty and an eighth), separated by `;` or `,`.
//! The trades grid's `Cum. net profit` of its last trade is the file's own
//! total ([`super::StatementTotal`]), in dollars.

use rust_decimal::Decimal;

use super::group::split_fee;
use super::instrument::{InstrumentKind, default_multiplier, guess_kind, root_multiplier};
use super::table::{
    Header, Row, csv_rows, opt_number, opt_text, req_number, to_decimal_points,
    writes_decimal_commas,
};
use super::text::{datetime_with, day_first};
use super::{Fill, FillSide, ImportError, RowError, Sink, StatementTotal};
use crate::domain::DEFAULT_CURRENCY;

/// A required date and time, read in the file's order of day and month.
fn datetime_of(
    row: &Row,
    col: usize,
    field: &str,
    tz: chrono_tz::Tz,
    day_first: bool,
) -> Result<chrono::DateTime<chrono::FixedOffset>, RowError> {
    let cell = row.cell(col);
    if cell.is_empty() {
        return Err(RowError::new(field, "is empty"));
    }
    datetime_with(cell, tz, day_first)
        .ok_or_else(|| {
            RowError::new(
                field,
                format!("{} is not a date and time", super::text::quoted(cell)),
            )
        })
        .and_then(|at| super::text::plausible_year(at).map_err(|m| RowError::new(field, m)))
}

/// NinjaTrader names futures `MNQ 09-26` (or by the bare root, `MNQ`) and
/// stocks by their ticker.
fn kind_of(instrument: &str) -> InstrumentKind {
    match guess_kind(instrument) {
        InstrumentKind::Other if instrument.contains(' ') => InstrumentKind::Future,
        InstrumentKind::Other if root_multiplier(instrument.trim()).is_some() => {
            InstrumentKind::Future
        }
        InstrumentKind::Other => InstrumentKind::Stock,
        k => k,
    }
}

/// The fee columns of the trades grid, summed.
const GRID_FEES: &[&str] = &[
    "Commission",
    "Clearing Fee",
    "Exchange Fee",
    "IP Fee",
    "NFA Fee",
    "Fees",
];

fn execution(
    row: &Row,
    h: &Header,
    tz: chrono_tz::Tz,
    day_first: bool,
) -> Result<Option<Fill>, RowError> {
    let instrument = opt_text(row, h.find(&["Instrument"]));
    if instrument.is_empty() {
        if row.filled().count() == 0 {
            return Ok(None);
        }
        return Err(RowError::new("Instrument", "is empty"));
    }
    let action = opt_text(row, h.find(&["Action"]));
    let side = FillSide::parse(action)
        .ok_or_else(|| RowError::new("Action", format!("{action:?} is not buy or sell")))?;
    let qty = req_number(
        row,
        h.find(&["Quantity", "Qty"])
            .ok_or_else(|| RowError::new("Quantity", "no such column"))?,
        "Quantity",
    )?
    .abs();
    if qty.is_zero() {
        return Err(RowError::new("Quantity", "is zero"));
    }
    let price = req_number(
        row,
        h.find(&["Price"])
            .ok_or_else(|| RowError::new("Price", "no such column"))?,
        "Price",
    )?;
    let at = datetime_of(
        row,
        h.find(&["Time"])
            .ok_or_else(|| RowError::new("Time", "no such column"))?,
        "Time",
        tz,
        day_first,
    )?;
    let text_of = |names: &[&str]| {
        let t = opt_text(row, h.find(names));
        (!t.is_empty()).then(|| t.to_owned())
    };
    Ok(Some(Fill {
        account: opt_text(row, h.find(&["Account"])).to_owned(),
        symbol: instrument.to_owned(),
        kind: kind_of(instrument),
        side,
        qty,
        price,
        fee: super::table::fee(row, &[h.find(&["Commission"])], "Commission")?,
        at,
        currency: String::new(),
        multiplier: None,
        order_id: text_of(&["Order ID"]),
        exec_id: text_of(&["ID", "Execution ID"]),
        profit: None,
        position: None,
        line: row.line,
    }))
}

fn round_trip(
    row: &Row,
    h: &Header,
    tz: chrono_tz::Tz,
    day_first: bool,
    multipliers: &std::collections::HashMap<String, Decimal>,
) -> Result<Vec<Fill>, RowError> {
    let instrument = opt_text(row, h.find(&["Instrument"]));
    if instrument.is_empty() {
        if row.filled().count() == 0 {
            return Ok(Vec::new());
        }
        return Err(RowError::new("Instrument", "is empty"));
    }
    let position = opt_text(row, h.find(&["Market pos.", "Market position"]));
    let side = match position.to_ascii_lowercase().as_str() {
        "long" => FillSide::Buy,
        "short" => FillSide::Sell,
        _ => {
            return Err(RowError::new(
                "Market pos.",
                format!("{position:?} is not Long or Short"),
            ));
        }
    };
    let col = |names: &[&str], field: &str| {
        h.find(names)
            .ok_or_else(|| RowError::new(field, "no such column"))
    };
    let qty = req_number(row, col(&["Qty", "Quantity"], "Qty")?, "Qty")?.abs();
    if qty.is_zero() {
        return Err(RowError::new("Qty", "is zero"));
    }
    let entry_price = req_number(row, col(&["Entry price"], "Entry price")?, "Entry price")?;
    let exit_price = req_number(row, col(&["Exit price"], "Exit price")?, "Exit price")?;
    let entry_at = datetime_of(
        row,
        col(&["Entry time"], "Entry time")?,
        "Entry time",
        tz,
        day_first,
    )?;
    let exit_at = datetime_of(
        row,
        col(&["Exit time"], "Exit time")?,
        "Exit time",
        tz,
        day_first,
    )?;
    let fee_columns: Vec<Option<usize>> = GRID_FEES.iter().map(|f| h.find(&[f])).collect();
    let commission = super::table::fee(row, &fee_columns, "Commission")?;
    // Profit is net of every fee, the exchange and clearing fees the grid may
    // leave out included: when gross minus Profit is at least the commission,
    // that difference is what the round trip cost.
    let multiplier = super::instrument::user_multiplier(instrument, multipliers)
        .unwrap_or_else(|| default_multiplier(kind_of(instrument), instrument));
    let gross = side.sign() * (exit_price - entry_price) * qty * multiplier;
    let implied = opt_number(row, h.find(&["Profit"]), "Profit")?.map(|profit| gross - profit);
    let fees = match implied {
        Some(cost) if cost >= commission => cost,
        _ => commission,
    };
    let (entry_fee, exit_fee) = split_fee(fees, Decimal::ONE, Decimal::TWO);
    let account = opt_text(row, h.find(&["Account"])).to_owned();
    let entry_name = opt_text(row, h.find(&["Entry name"]));
    let exit_name = opt_text(row, h.find(&["Exit name"]));
    let fill = |side, price, fee, at: chrono::DateTime<chrono::FixedOffset>, order: String| Fill {
        account: account.clone(),
        symbol: instrument.to_owned(),
        kind: kind_of(instrument),
        side,
        qty,
        price,
        fee,
        at,
        currency: String::new(),
        multiplier: None,
        order_id: Some(order),
        exec_id: None,
        profit: None,
        position: None,
        line: row.line,
    };
    Ok(vec![
        fill(
            side,
            entry_price,
            entry_fee,
            entry_at,
            format!("entry {} {entry_price} {entry_name}", entry_at.to_rfc3339()),
        ),
        fill(
            side.opposite(),
            exit_price,
            exit_fee,
            exit_at,
            format!("exit {} {exit_price} {exit_name}", exit_at.to_rfc3339()),
        ),
    ])
}

fn read_table(
    text: &str,
    sink: &mut Sink,
    is_header: fn(&Header) -> bool,
    mut each: impl FnMut(&Row, &Header, bool, &mut Sink) -> Result<(), RowError>,
) -> Result<(), ImportError> {
    let mut header: Option<Header> = None;
    let mut rows = csv_rows(text);
    // A culture with decimal commas writes them everywhere: "30,125" is a
    // price, not thirty thousand.
    if writes_decimal_commas(&rows) {
        to_decimal_points(&mut rows);
    }
    // A culture that writes the day first does so on every row.
    let day_first = day_first(rows.iter().flat_map(|r| r.cells.iter().map(String::as_str)));
    for row in rows {
        if row.is_blank() {
            continue;
        }
        let Some(h) = header.as_ref() else {
            let candidate = Header::new(&row);
            if is_header(&candidate) {
                header = Some(candidate);
            }
            continue;
        };
        let result = each(&row, h, day_first, sink);
        sink.row(row.line, result)?;
    }
    if header.is_none() {
        return Err(sink.error(None, None, "no NinjaTrader header was found"));
    }
    Ok(())
}

/// Reads a NinjaTrader 8 executions grid.
pub(crate) fn read_executions(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    read_table(
        text,
        sink,
        |h| h.has_all(&["Instrument", "Action", "Price", "Time"]),
        |row, h, day_first, sink| {
            let tz = sink.options.tz;
            if let Some(fill) = execution(row, h, tz, day_first)? {
                sink.parsed.fills.push(fill);
            }
            Ok(())
        },
    )
}

/// Reads a NinjaTrader 8 trades grid.
pub(crate) fn read_trades(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let mut cumulative = Cumulative::default();
    read_table(
        text,
        sink,
        |h| {
            h.has_all(&[
                "Instrument",
                "Entry price",
                "Exit price",
                "Entry time",
                "Exit time",
            ])
        },
        |row, h, day_first, sink| {
            let tz = sink.options.tz;
            let fills = round_trip(row, h, tz, day_first, &sink.options.multipliers)?;
            if !fills.is_empty() {
                cumulative.see(row, h);
            }
            sink.parsed.fills.extend(fills);
            Ok(())
        },
    )?;
    sink.parsed.total = cumulative.total();
    Ok(())
}

/// The trades grid's `Cum. net profit` of its last trade: the net profit of
/// every trade in the grid, which the journal's figure for them should match.
#[derive(Default)]
struct Cumulative {
    /// The trade number of the latest trade read, and its figure when it is
    /// in dollars (or shows no currency) and can be read.
    latest: Option<(Option<Decimal>, Option<Decimal>)>,
}

impl Cumulative {
    /// Notes the figure of a row read: the one with the largest trade number
    /// (or, without the column, the last one) is the grid's total.
    fn see(&mut self, row: &Row, h: &Header) {
        let Some(column) = h.find(&["Cum. net profit", "Cum net profit"]) else {
            return;
        };
        let number = opt_number(row, h.find(&["Trade number", "Trade #"]), "Trade number")
            .ok()
            .flatten();
        // The trades get the journal's default currency: a figure in
        // another one (`12,50 €`) cannot be compared with theirs.
        let dollars = row
            .cell(column)
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || ".,()-$".contains(c));
        let value = opt_number(row, Some(column), "Cum. net profit")
            .ok()
            .flatten()
            .filter(|_| dollars);
        let later = match (&self.latest, number) {
            (Some((Some(seen), _)), Some(number)) => number >= *seen,
            _ => true,
        };
        if later {
            self.latest = Some((number, value));
        }
    }

    fn total(&self) -> Option<StatementTotal> {
        let (_, amount) = self.latest?;
        Some(StatementTotal {
            label: "Cum. net profit".to_owned(),
            currency: DEFAULT_CURRENCY.to_owned(),
            amount: amount?,
            excluded: Decimal::ZERO,
            counts_open: false,
        })
    }
}
