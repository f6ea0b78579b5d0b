//! Tradovate Orders CSV (the Orders report of the Tradovate platform).
//!
//! One row per order: `orderId, Account, Order ID, B/S, Contract, Product,
//! avgPrice, filledQty, Fill Time, Status, Timestamp, Date, Quantity, Type,
//! Limit Price, Stop Price, Filled Qty, Avg Fill Price, ...`. Values often
//! start with a space (` Buy`, ` Filled`, ` Stop`), and times carry no zone:
//! the import time zone applies. Filled orders become fills at their fill
//! time. Stop orders of any status (working, cancelled, filled) become stop
//! orders at their `Timestamp`, so a bracket's stop history is kept; other
//! cancelled or rejected orders are skipped. There is no commission column
//! in this report; one is read when present. With its Stop Price column the
//! report records every stop, so a trade without one had none: its stops
//! are known (RULES.md, "What a statement does not say about stops").
//!
//! The Performance report pairs fills: `symbol, qty, buyPrice, sellPrice, pnl,
//! boughtTimestamp, soldTimestamp, buyFillId, sellFillId, ...`. Each row gives a
//! buy and a sell; rows that share a fill (a fill paired with several others)
//! share an order id, so that fill becomes one tranche again. The same report
//! also comes with spelled-out names (`Contract, Paired Qty, Buy Price, Sell
//! Price, Bought Timestamp, Sold Timestamp`).

use rust_decimal::Decimal;

use super::instrument::{InstrumentKind, guess_kind};
use super::table::{Header, Row, csv_rows, opt_number, opt_text};
use super::{Fill, FillSide, ImportError, RowError, Sink, StopOrder, text};

fn row_of(row: &Row, h: &Header, sink: &mut Sink) -> Result<(), RowError> {
    let tz = sink.options.tz;
    let contract = opt_text(row, h.find(&["Contract", "Symbol"]));
    if contract.is_empty() {
        if row.filled().count() == 0 {
            return Ok(());
        }
        return Err(RowError::new("Contract", "is empty"));
    }
    let side_text = opt_text(row, h.find(&["B/S", "Side"]));
    let side = FillSide::parse(side_text)
        .ok_or_else(|| RowError::new("B/S", format!("{side_text:?} is not buy or sell")))?;
    let status = opt_text(row, h.find(&["Status"])).to_owned();
    let kind = opt_text(row, h.find(&["Type", "Order Type"])).to_ascii_lowercase();
    let account = opt_text(row, h.find(&["Account"])).to_owned();
    let order_id = {
        let t = opt_text(row, h.find(&["orderId", "Order ID"]));
        (!t.is_empty()).then(|| t.to_owned())
    };
    if kind.contains("stop") {
        let price = opt_number(row, h.find(&["Stop Price"]), "Stop Price")?.or(opt_number(
            row,
            h.find(&["decimalStop"]),
            "decimalStop",
        )?);
        if let Some(price) = price.filter(|p| *p > Decimal::ZERO) {
            let stamp = opt_text(row, h.find(&["Timestamp"]));
            let date = opt_text(row, h.find(&["Date"]));
            let at = text::datetime(stamp, tz)
                .or_else(|| text::datetime(date, tz))
                .ok_or_else(|| {
                    RowError::new("Timestamp", format!("{stamp:?} is not a date and time"))
                })?;
            sink.parsed.stops.push(StopOrder {
                account: account.clone(),
                symbol: contract.to_owned(),
                at,
                price,
                status: status.clone(),
                side: Some(side),
                line: row.line,
            });
        }
    }
    let filled =
        opt_number(row, h.find(&["filledQty", "Filled Qty"]), "filledQty")?.unwrap_or_default();
    if filled.is_zero() {
        return Ok(()); // cancelled, rejected or working: no fill
    }
    let price = opt_number(
        row,
        h.find(&["avgPrice", "Avg Fill Price", "decimalFillAvg"]),
        "avgPrice",
    )?
    .ok_or_else(|| RowError::new("avgPrice", "is empty on a filled order"))?;
    let fill_time = opt_text(row, h.find(&["Fill Time"]));
    let at = text::datetime(fill_time, tz)
        .or_else(|| text::datetime(opt_text(row, h.find(&["Timestamp"])), tz))
        .ok_or_else(|| {
            RowError::new("Fill Time", format!("{fill_time:?} is not a date and time"))
        })?;
    let fee = super::table::fee(
        row,
        &[
            h.find(&["Commission", "Commissions"]),
            h.find(&["Fees", "Fee"]),
        ],
        "Commission",
    )?;
    let kind = match guess_kind(contract) {
        InstrumentKind::Other => InstrumentKind::Future,
        k => k,
    };
    sink.parsed.fills.push(Fill {
        account,
        symbol: contract.to_owned(),
        kind,
        side,
        qty: filled.abs(),
        price,
        fee,
        at,
        currency: opt_text(row, h.find(&["Currency"])).to_owned(),
        multiplier: None,
        order_id,
        exec_id: None,
        profit: None,
        position: None,
        line: row.line,
    });
    Ok(())
}

/// Reads a Tradovate Orders CSV.
pub(crate) fn read(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let mut header: Option<Header> = None;
    for row in csv_rows(text) {
        if row.is_blank() {
            continue;
        }
        let Some(h) = header.as_ref() else {
            let candidate = Header::new(&row);
            if candidate.has_all(&["B/S", "Contract"]) || candidate.has_all(&["B/S", "Status"]) {
                // The Orders report lists every order, stops included (with
                // their price and time), cancelled or not: a trade with no
                // stop in it had none.
                sink.parsed.stops_recorded =
                    candidate.find(&["Stop Price", "decimalStop"]).is_some();
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
            "no header with B/S and Contract columns was found",
        ));
    }
    Ok(())
}

fn pair(row: &Row, h: &Header, tz: chrono_tz::Tz) -> Result<Vec<Fill>, RowError> {
    let symbol = opt_text(row, h.find(&["symbol", "Contract"]));
    if symbol.is_empty() {
        if row.filled().count() == 0 {
            return Ok(Vec::new());
        }
        return Err(RowError::new("symbol", "is empty"));
    }
    let col = |name: &str| {
        h.find(&[name])
            .ok_or_else(|| RowError::new(name, "no such column"))
    };
    let qty_col = h
        .find(&["qty", "Paired Qty"])
        .ok_or_else(|| RowError::new("qty", "no such column"))?;
    let qty = super::table::req_number(row, qty_col, "qty")?.abs();
    if qty.is_zero() {
        return Err(RowError::new("qty", "is zero"));
    }
    let mut fills = Vec::with_capacity(2);
    for (side, price, time, id) in [
        (FillSide::Buy, "buyPrice", "boughtTimestamp", "buyFillId"),
        (FillSide::Sell, "sellPrice", "soldTimestamp", "sellFillId"),
    ] {
        let price = super::table::req_number(row, col(price)?, price)?;
        let at = super::table::req_datetime(row, col(time)?, time, tz)?;
        let fill_id = opt_text(row, h.find(&[id]));
        fills.push(Fill {
            account: String::new(),
            symbol: symbol.to_owned(),
            kind: match guess_kind(symbol) {
                InstrumentKind::Other => InstrumentKind::Future,
                k => k,
            },
            side,
            qty,
            price,
            fee: Decimal::ZERO,
            at,
            currency: String::new(),
            multiplier: None,
            order_id: (!fill_id.is_empty()).then(|| format!("fill {fill_id}")),
            exec_id: None,
            profit: None,
            position: None,
            line: row.line,
        });
    }
    Ok(fills)
}

/// Reads a Tradovate Performance CSV.
pub(crate) fn read_performance(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let mut header: Option<Header> = None;
    for row in csv_rows(text) {
        if row.is_blank() {
            continue;
        }
        let Some(h) = header.as_ref() else {
            let candidate = Header::new(&row);
            if candidate.has_all(&["buyPrice", "sellPrice", "boughtTimestamp", "soldTimestamp"]) {
                header = Some(candidate);
            }
            continue;
        };
        let tz = sink.options.tz;
        let result = pair(&row, h, tz).map(|fills| sink.parsed.fills.extend(fills));
        sink.row(row.line, result)?;
    }
    if header.is_none() {
        return Err(sink.error(
            None,
            None,
            "no header with buyPrice, sellPrice, boughtTimestamp and soldTimestamp was found",
        ));
    }
    Ok(())
}
