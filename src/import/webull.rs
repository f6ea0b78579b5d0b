//! Webull Orders Records CSV.
//!
//! Columns `Name, Symbol, Side, Status, Filled, Total Qty, Price, Avg Price,
//! Time-in-Force, Placed Time, Filled Time`. Prices may be written `@12.34`,
//! times end in `EDT` or `EST`, the side may be `Short`, and orders that were
//! cancelled, failed or rejected without a fill are skipped. Option symbols
//! (`AAPL210319C00125000`) are options.
//!
//! Newer exports name the columns otherwise and have no status: `Symbol,
//! Place Time, Filled Time, B/S, Side Type, Order Type, Option Type, Filled
//! Avg Price, Filled Qty, Commission, Fee, ...`, with money as `$4.35`. An
//! order with no filled quantity was not filled. Every fee column there is
//! (`Commission`, `Fee`, `Platform Fee`, `GST`) is summed.

use super::instrument::{InstrumentKind, guess_kind};
use super::table::{Header, Row, csv_rows, opt_number, opt_text};
use super::{Fill, FillSide, ImportError, RowError, Sink, text};

/// Options are named `AAPL 03/19/2021 125.00 Call` and their symbols follow
/// OCC (`AAPL210319C00125000`), sometimes with a short strike (`TSLA260620C400`).
fn kind_of(symbol: &str, name: &str) -> InstrumentKind {
    let last = name.split_whitespace().last().unwrap_or("");
    if last.eq_ignore_ascii_case("call") || last.eq_ignore_ascii_case("put") {
        return InstrumentKind::Option;
    }
    let b = symbol.trim().as_bytes();
    let strike = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if strike > 0 && b.len() > strike + 7 {
        let right = b[b.len() - strike - 1];
        let date = &b[b.len() - strike - 7..b.len() - strike - 1];
        if matches!(right, b'C' | b'P') && date.iter().all(u8::is_ascii_digit) {
            return InstrumentKind::Option;
        }
    }
    guess_kind(symbol)
}

fn row_of(row: &Row, h: &Header, sink: &mut Sink) -> Result<(), RowError> {
    let symbol = opt_text(row, h.find(&["Symbol"]));
    if symbol.is_empty() {
        if row.filled().count() == 0 {
            return Ok(());
        }
        return Err(RowError::new("Symbol", "is empty"));
    }
    let status = opt_text(row, h.find(&["Status"])).to_ascii_lowercase();
    let filled = opt_number(row, h.find(&["Filled", "Filled Qty"]), "Filled")?;
    let filled = match filled {
        Some(q) => q.abs(),
        None if status == "filled" => {
            opt_number(row, h.find(&["Total Qty", "Quantity"]), "Total Qty")?
                .unwrap_or_default()
                .abs()
        }
        None => Default::default(),
    };
    if filled.is_zero() {
        return Ok(()); // cancelled, failed, pending
    }
    let side_text = opt_text(row, h.find(&["Side", "B/S"]));
    let side = FillSide::parse(side_text)
        .ok_or_else(|| RowError::new("Side", format!("{side_text:?} is not buy, sell or short")))?;
    let price = match opt_number(row, h.find(&["Avg Price", "Filled Avg Price"]), "Avg Price")? {
        Some(price) => price,
        None => opt_number(row, h.find(&["Price"]), "Price")?
            .ok_or_else(|| RowError::new("Avg Price", "is empty on a filled order"))?,
    };
    let time = opt_text(row, h.find(&["Filled Time", "Fill Time"]));
    let time = if time.is_empty() {
        opt_text(row, h.find(&["Placed Time", "Place Time"]))
    } else {
        time
    };
    let at = text::datetime(time, sink.options.tz)
        .ok_or_else(|| RowError::new("Filled Time", format!("{time:?} is not a date and time")))?;
    sink.parsed.fills.push(Fill {
        account: String::new(),
        symbol: symbol.to_owned(),
        kind: match opt_text(row, h.find(&["Option Type"]))
            .to_ascii_lowercase()
            .as_str()
        {
            "call" | "put" => InstrumentKind::Option,
            _ => kind_of(symbol, opt_text(row, h.find(&["Name"]))),
        },
        side,
        qty: filled,
        price,
        fee: super::table::fee(
            row,
            &[
                h.find(&["Commission", "Commissions"]),
                h.find(&["Fee", "Fees"]),
                h.find(&["Platform Fee"]),
                h.find(&["GST"]),
            ],
            "Commission",
        )?,
        at,
        currency: "USD".to_owned(),
        multiplier: None,
        order_id: None,
        exec_id: None,
        profit: None,
        position: None,
        line: row.line,
    });
    Ok(())
}

/// Reads a Webull Orders Records CSV.
pub(crate) fn read(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let mut header: Option<Header> = None;
    for row in csv_rows(text) {
        if row.is_blank() {
            continue;
        }
        let Some(h) = header.as_ref() else {
            let candidate = Header::new(&row);
            if candidate.has_all(&["Symbol", "Side", "Status"])
                || (candidate.has_all(&["Symbol", "Filled Qty"])
                    && candidate.count(&["Side", "B/S"]) > 0)
            {
                header = Some(candidate);
            }
            continue;
        };
        let result = row_of(&row, h, sink);
        sink.row(row.line, result)?;
    }
    if header.is_none() {
        return Err(sink.error(
            None,
            None,
            "no header with Symbol, Side and Status (or B/S and Filled Qty) columns was found",
        ));
    }
    Ok(())
}
