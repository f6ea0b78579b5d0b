//! thinkorswim (TD Ameritrade, Schwab) Account Statement CSV.
//!
//! The statement is a stack of sections; the fills are in "Account Trade
//! History": `,Exec Time,Spread,Side,Qty,Pos Effect,Symbol,Exp,Strike,Type,
//! Price,Net Price,Order Type`. Quirks handled: a UTF-8 BOM, CRLF, trailing
//! commas, 2- or 4-digit years, signed quantities (`+300`, `-12`), prices like
//! `.06`, and the legs of a multi-leg order after the first, which leave the
//! time (and spread) blank: they take the time of the row above. Options are
//! named `SPY 21 OCT 22 370 PUT`; futures keep their `/ES...` symbol.
//!
//! Sections are separated by rows of empty cells or, in newer statements, by
//! empty lines: a title in the first column (one filled cell) starts a new
//! section either way. Options on futures name the future, its multiplier as
//! `1/<m>` and the expiry in the Symbol column and the option's root in Exp
//! (`/GCQ26 1/100 28 JUL 26 (American) (AUG 26)`, `/OGQ26`): they become
//! `/OGQ26 28 JUL 26 2400 CALL` with that multiplier.
//!
//! "Today's Trade Activity" (and paperMoney) exports hold the same rows under
//! "Filled Orders". Stop orders (`STP`, `STP LMT`) in "Account Order History",
//! "Working Orders" and "Canceled Orders" become stop orders at the time they
//! were placed; their order type is the unnamed column after `PRICE`. An
//! order may take several rows: Schwab writes a stop as `~ MKT` on the row
//! with the time, and the trigger (`24.20 STP`, after a trailing stop's
//! `BASE-1.60`) on rows below it that leave the time blank. A statement with
//! its "Account Order History" records every stop, so a trade without one had
//! none: its stops are known (RULES.md); without that section they are not.
//!
//! The Trade History has no fees and its times may stop at the minute. The
//! statement's "Cash Balance" and "Futures Statements" sections carry both, on
//! `TRD` rows described as `BOT +300 PYPL @13.39` (futures with their exchange,
//! `/MESM26:XCME`): each fill takes the fees (and the time to the second) of
//! the matching row there (its time within two seconds of the trade's: the
//! two sections sometimes disagree by that much), when one is found. A multi-leg order has one row
//! for all its legs (`SOLD -5 VERTICAL IWM 100 (Weeklys) 27 MAR 26 205/200
//! PUT @.85`): its fee is shared by the legs in proportion to their
//! quantities.

use chrono::{DateTime, FixedOffset, Timelike};
use rust_decimal::{Decimal, RoundingStrategy};

use super::instrument::{InstrumentKind, futures_root, root_multiplier};
use super::table::{Header, Row, csv_rows, opt_text, req_number};
use super::{Fill, FillSide, ImportError, RowError, Sink, StopOrder, text};

/// A section title: one filled cell, in the first column. A row whose only
/// filled cell is further right (`,,,TRG BY #123,,,` under an order) is part
/// of the section, and so is a note in the first column (`RE #123`, `1st
/// trgs OCO`), which has a `#` or starts with a digit, as no title does but
/// "... Statements".
fn title(row: &Row) -> Option<&str> {
    let mut filled = row.filled();
    let first = filled.next()?;
    let note = (first.contains('#') && !first.ends_with("Statements"))
        || first.starts_with(|c: char| c.is_ascii_digit());
    (filled.next().is_none() && !row.cell(0).is_empty() && !note).then_some(first)
}

/// A row of the cash or futures section describing a fill.
struct CashTrade {
    at: DateTime<FixedOffset>,
    side: FillSide,
    qty: Decimal,
    symbol: String,
    price: Option<Decimal>,
    fee: Decimal,
    used: bool,
    /// An order of several legs (`SOLD -5 VERTICAL IWM ...`): its fee is the
    /// whole order's, `symbol` the underlying.
    spread: bool,
}

/// The words thinkorswim names multi-leg orders with in cash descriptions.
const SPREAD_WORDS: &[&str] = &[
    "VERTICAL",
    "IRON",
    "CONDOR",
    "BUTTERFLY",
    "STRADDLE",
    "STRANGLE",
    "CALENDAR",
    "DIAGONAL",
    "COVERED",
    "COLLAR",
    "CUSTOM",
    "COMBO",
    "BACKRATIO",
    "VERT",
    "ROLL",
    "UNBALANCED",
    "~BUTTERFLY",
    "~CONDOR",
    "~IRON",
];

fn cash_trade(row: &Row, h: &Header, tz: chrono_tz::Tz) -> Option<CashTrade> {
    if !opt_text(row, h.find(&["TYPE"])).eq_ignore_ascii_case("TRD") {
        return None;
    }
    let date = opt_text(row, h.find(&["Exec Date", "DATE"]));
    let time = opt_text(row, h.find(&["Exec Time", "TIME"]));
    let at = text::date_and_time(date, time, tz)?;
    let description = opt_text(row, h.find(&["DESCRIPTION"]));
    let words: Vec<&str> = description.split_whitespace().collect();
    let pos = words.iter().position(|w| matches!(*w, "BOT" | "SOLD"))?;
    let side = if words[pos] == "BOT" {
        FillSide::Buy
    } else {
        FillSide::Sell
    };
    let qty = text::number(words.get(pos + 1)?)?.abs();
    let mut next = pos + 2;
    while words
        .get(next)
        .is_some_and(|w| SPREAD_WORDS.contains(&w.to_ascii_uppercase().as_str()))
    {
        next += 1;
    }
    let spread = next > pos + 2;
    // Futures carry their exchange: "/MESM26:XCME".
    let symbol = words.get(next)?.split(':').next()?.to_owned();
    let price = words
        .iter()
        .rev()
        .find_map(|w| w.strip_prefix('@'))
        .and_then(text::number);
    let mut fee = Decimal::ZERO;
    for col in [h.find(&["Misc Fees"]), h.find(&["Commissions & Fees"])] {
        if let Some(v) = col.and_then(|c| text::number(row.cell(c))) {
            fee += v.abs();
        }
    }
    Some(CashTrade {
        at,
        side,
        qty,
        symbol,
        price,
        fee,
        used: false,
        spread,
    })
}

/// Reads the Account Trade History of a statement.
pub(crate) fn read(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let rows = csv_rows(text);
    let tz = sink.options.tz;
    // "Account Statement for 123 (margin) since ...", "Today's Trade Activity for 123SCHW ..."
    let account = rows
        .iter()
        .take(5)
        .find_map(|r| {
            let first = r.cell(0);
            let pos = first.find(" for ")?;
            (first.starts_with("Account Statement") || first.contains("Trade Activity")).then(
                || {
                    first[pos + 5..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_owned()
                },
            )
        })
        .unwrap_or_default();

    let mut cash: Vec<CashTrade> = Vec::new();
    let mut section = String::new();
    let mut header: Option<Header> = None;
    let mut found = false;
    let mut previous: Option<(String, String)> = None; // exec time, spread
    let mut order_head: Option<Row> = None; // the first row of the order being read
    for row in &rows {
        if row.is_blank() {
            header = None;
            continue;
        }
        // Newer statements separate sections by empty lines, which the CSV
        // reader drops: a title ends the section above it.
        if let Some(t) = title(row) {
            section = t.to_owned();
            header = None;
            order_head = None;
            continue;
        }
        let Some(h) = header.as_ref() else {
            header = Some(Header::new(row));
            continue;
        };
        match section.as_str() {
            "Cash Balance" | "Futures Statements" => {
                if let Some(c) = cash_trade(row, h, tz) {
                    cash.push(c);
                }
            }
            "Account Order History" | "Working Orders" | "Canceled Orders" => {
                // The order history lists every order, stops included: a
                // trade with no stop in it had none.
                sink.parsed.stops_recorded |= section == "Account Order History";
                // An order takes several rows: the first has the time, the
                // others (time blank) its stop trigger, `RE #` or `TRG BY #`.
                let time_col = h.find(&["Time Placed", "Time Canceled", "Exec Time"]);
                if !opt_text(row, time_col).is_empty() {
                    order_head = Some(row.clone());
                }
                let head = order_head.as_ref().unwrap_or(row);
                if let Some(stop) = order_stop(row, head, h, &account, tz, &section) {
                    sink.parsed.stops.push(stop);
                }
            }
            // "Filled Orders" in Today's Trade Activity and in paperMoney.
            "Account Trade History" | "Filled Orders" => {
                found = true;
                let result = trade_row(row, h, &account, tz, &mut previous).map(|fill| {
                    if let Some(fill) = fill {
                        sink.parsed.fills.push(fill);
                    }
                });
                sink.row(row.line, result)?;
            }
            _ => {}
        }
    }
    if !found
        && !rows
            .iter()
            .any(|r| matches!(title(r), Some("Account Trade History" | "Filled Orders")))
    {
        return Err(sink.error(
            None,
            None,
            "no \"Account Trade History\" (or \"Filled Orders\") section was found",
        ));
    }
    // Fees and seconds from the cash sections.
    let mut fills = std::mem::take(&mut sink.parsed.fills).into_vec();
    let mut priced = vec![false; fills.len()];
    for (fill, priced) in fills.iter_mut().zip(&mut priced) {
        let base = fill.symbol.split_whitespace().next().unwrap_or("");
        let matched = cash
            .iter_mut()
            .filter(|c| {
                !c.used
                    && !c.spread
                    && c.side == fill.side
                    && c.qty == fill.qty
                    && c.symbol.eq_ignore_ascii_case(base)
                    && c.price.is_none_or(|p| p == fill.price)
                    && same_execution_time(c.at, fill.at)
            })
            .min_by_key(|c| (c.at - fill.at).num_milliseconds().abs());
        if let Some(c) = matched {
            c.used = true;
            *priced = true;
            fill.fee = c.fee;
            if fill.at.second() == 0 {
                fill.at = c.at;
            }
        }
    }
    // A multi-leg order's fee is on one cash row: shared by its legs (the
    // fills of that underlying in that minute) in proportion to their
    // quantities, in cents, the remainder on the last leg.
    for c in cash.iter_mut().filter(|c| c.spread && !c.used) {
        let legs: Vec<usize> = (0..fills.len())
            .filter(|&i| {
                let f = &fills[i];
                !priced[i]
                    && f.kind == InstrumentKind::Option
                    && f.symbol
                        .split_whitespace()
                        .next()
                        .is_some_and(|u| u.eq_ignore_ascii_case(&c.symbol))
                    && same_execution_time(c.at, f.at)
            })
            .collect();
        let total: Decimal = legs.iter().map(|&i| fills[i].qty).sum();
        if legs.is_empty() || total.is_zero() {
            continue;
        }
        c.used = true;
        let mut left = c.fee;
        for (n, &i) in legs.iter().enumerate() {
            let fill = &mut fills[i];
            let share = if n + 1 == legs.len() {
                left
            } else {
                c.fee
                    .checked_mul(fill.qty)
                    .and_then(|f| f.checked_div(total))
                    .map(|f| f.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
                    .unwrap_or(Decimal::ZERO)
            };
            left -= share;
            fill.fee = share;
            priced[i] = true;
            if fill.at.second() == 0 {
                fill.at = c.at;
            }
        }
    }
    sink.parsed.fills = fills.into();
    Ok(())
}

/// Whether a cash row's time is a trade's: the cash sections give the
/// second, the trade history the second or only the minute, and the two
/// may differ by a second or two (a known thinkorswim quirk).
fn same_execution_time(cash: DateTime<FixedOffset>, trade: DateTime<FixedOffset>) -> bool {
    let apart = (cash - trade).num_milliseconds();
    if trade.second() == 0 && trade.nanosecond() == 0 {
        (-2_000..62_000).contains(&apart)
    } else {
        apart.abs() <= 2_000
    }
}

/// The instrument of a row: options are named `SPY 21 OCT 22 370 PUT`.
fn instrument(row: &Row, h: &Header, symbol: &str) -> (String, InstrumentKind, Option<Decimal>) {
    let kind_text = opt_text(row, h.find(&["Type"])).to_ascii_uppercase();
    let exp = opt_text(row, h.find(&["Exp"]));
    let strike = opt_text(row, h.find(&["Strike"]));
    match kind_text.as_str() {
        "CALL" | "PUT" if symbol.starts_with('/') && exp.starts_with('/') => {
            futures_option(symbol, exp, strike, &kind_text)
        }
        "CALL" | "PUT" => {
            let name = [symbol, exp, strike, kind_text.as_str()]
                .iter()
                .filter(|w| !w.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            // Options on futures move with the future's multiplier.
            let m = if symbol.starts_with('/') {
                futures_root(symbol).and_then(root_multiplier)
            } else {
                Some(Decimal::ONE_HUNDRED)
            };
            (name, InstrumentKind::Option, m)
        }
        "FUTURE" => (symbol.to_owned(), InstrumentKind::Future, None),
        "STOCK" | "ETF" | "EQUITY" => (symbol.to_owned(), InstrumentKind::Stock, None),
        "CRYPTO" => (symbol.to_owned(), InstrumentKind::Crypto, None),
        _ if symbol.starts_with('/') => (symbol.to_owned(), InstrumentKind::Future, None),
        _ => (symbol.to_owned(), InstrumentKind::Other, None),
    }
}

/// An option on a future, as the Trade History writes it: the Symbol column
/// holds the future, the multiplier as `1/<m>`, the expiry and notes
/// (`/GCQ26 1/100 28 JUL 26 (American) (AUG 26)`), the Exp column the
/// option's own root (`/OGQ26`). It is named `/OGQ26 28 JUL 26 2400 CALL`.
fn futures_option(
    symbol: &str,
    root: &str,
    strike: &str,
    right: &str,
) -> (String, InstrumentKind, Option<Decimal>) {
    let mut words = symbol.split_whitespace();
    let future = words.next().unwrap_or(symbol);
    let mut multiplier = None;
    let mut expiry = Vec::new();
    for word in words.by_ref() {
        if word.starts_with('(') {
            break;
        }
        match word.strip_prefix("1/") {
            Some(m) if multiplier.is_none() => multiplier = text::number(m),
            _ => expiry.push(word),
        }
    }
    let name = [root, &expiry.join(" "), strike, right]
        .iter()
        .filter(|w| !w.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let multiplier = multiplier
        .filter(|m| *m > Decimal::ZERO)
        .or_else(|| futures_root(future).and_then(root_multiplier));
    (name, InstrumentKind::Option, multiplier)
}

/// A stop order of an order section (`STP` or `STP LMT` in the order type
/// column, which has no name: it follows `PRICE`), at the time it was placed.
/// The trigger may be on a later row of the order (`head` is its first row,
/// with the time, side and symbol): `~ MKT` on the first, `24.20 STP` below.
/// A trailing stop's `BASE-1.60` is not a price; the row with the price is.
fn order_stop(
    row: &Row,
    head: &Row,
    h: &Header,
    account: &str,
    tz: chrono_tz::Tz,
    section: &str,
) -> Option<StopOrder> {
    let price_col = h.find(&["PRICE"])?;
    let order_type = h
        .find(&["Order Type"])
        .map(|c| row.cell(c))
        .unwrap_or_else(|| row.cell(price_col + 1));
    if !order_type.to_ascii_uppercase().starts_with("STP") {
        return None;
    }
    let price = text::number(row.cell(price_col)).filter(|p| *p > Decimal::ZERO)?;
    // Fields the row leaves blank are the order's first row's.
    let field = |names: &[&str]| match opt_text(row, h.find(names)) {
        "" => opt_text(head, h.find(names)),
        own => own,
    };
    let time = field(&["Time Placed", "Time Canceled", "Exec Time"]);
    let at = text::datetime(time, tz)?;
    let symbol = field(&["Symbol"]);
    if symbol.is_empty() {
        return None;
    }
    let status = match field(&["Status"]) {
        "" => section.to_owned(),
        s => s.to_owned(),
    };
    let described = if opt_text(row, h.find(&["Symbol"])).is_empty() {
        head
    } else {
        row
    };
    Some(StopOrder {
        account: account.to_owned(),
        symbol: instrument(described, h, symbol).0,
        at,
        price,
        status,
        side: FillSide::parse(field(&["Side"])),
        line: row.line,
    })
}

fn trade_row(
    row: &Row,
    h: &Header,
    account: &str,
    tz: chrono_tz::Tz,
    previous: &mut Option<(String, String)>,
) -> Result<Option<Fill>, RowError> {
    let symbol = opt_text(row, h.find(&["Symbol"]));
    let qty_col = h
        .find(&["Qty"])
        .ok_or_else(|| RowError::new("Qty", "no such column"))?;
    if symbol.is_empty() && row.cell(qty_col).is_empty() {
        return Ok(None);
    }
    let mut exec_time = opt_text(row, h.find(&["Exec Time"])).to_owned();
    let mut spread = opt_text(row, h.find(&["Spread"])).to_owned();
    if exec_time.is_empty() {
        // A further leg of a multi-leg order: same time as the row above.
        let (t, s) = previous
            .clone()
            .ok_or_else(|| RowError::new("Exec Time", "is empty on the first row"))?;
        exec_time = t;
        if spread.is_empty() {
            spread = s;
        }
    }
    *previous = Some((exec_time.clone(), spread));
    let at = text::datetime(&exec_time, tz).ok_or_else(|| {
        RowError::new("Exec Time", format!("{exec_time:?} is not a date and time"))
    })?;
    if symbol.is_empty() {
        return Err(RowError::new("Symbol", "is empty"));
    }
    let signed = req_number(row, qty_col, "Qty")?;
    let side = match FillSide::parse(opt_text(row, h.find(&["Side"]))) {
        Some(s) => s,
        None if signed < Decimal::ZERO => FillSide::Sell,
        None => FillSide::Buy,
    };
    let qty = signed.abs();
    if qty.is_zero() {
        return Err(RowError::new("Qty", "is zero"));
    }
    let price_col = h
        .find(&["Price"])
        .ok_or_else(|| RowError::new("Price", "no such column"))?;
    let price = req_number(row, price_col, "Price")?;
    let (symbol, kind, multiplier) = instrument(row, h, symbol);
    Ok(Some(Fill {
        account: account.to_owned(),
        symbol,
        kind,
        side,
        qty,
        price,
        fee: Decimal::ZERO,
        at,
        currency: "USD".to_owned(),
        multiplier,
        order_id: None,
        exec_id: None,
        profit: None,
        position: None,
        line: row.line,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Row {
        Row {
            line: 1,
            cells: cells.iter().map(|c| (*c).to_owned()).collect(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn titles_and_notes() {
        assert_eq!(
            title(&row(&["Account Trade History", "", ""])),
            Some("Account Trade History")
        );
        assert_eq!(
            title(&row(&["Total Cash $5,540.08"])),
            Some("Total Cash $5,540.08")
        );
        assert_eq!(
            title(&row(&["Crypto # (Crypto offered by a bank) Statements"])),
            Some("Crypto # (Crypto offered by a bank) Statements")
        );
        assert_eq!(title(&row(&["", "", "", "TRG BY #7000", ""])), None);
        assert_eq!(title(&row(&["RE #7001", "", ""])), None);
        assert_eq!(title(&row(&["1st trgs OCO", "", ""])), None);
        assert_eq!(title(&row(&["Symbol", "Description"])), None);
    }
}
