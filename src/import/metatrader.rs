//! MetaTrader 4 Detailed Statement (HTML) and MetaTrader 5 Trade History
//! Report (HTML, usually UTF-16LE, or CSV).
//!
//! MT4's "Closed Transactions" and "Open Trades" tables have one row per
//! ticket: `Ticket, Open Time, Type, Size, Item, Price, S / L, T / P, Close
//! Time, Price, Commission, Taxes, Swap, Profit`. Each closed ticket becomes an
//! entry and an exit; its S / L becomes a stop at the open time. A partial
//! close leaves the remainder on a new ticket whose comment (a `title`
//! attribute, or a row of its own) says `from #<ticket>`; the link is followed
//! back to the first ticket, whose open time and price the remainder shares,
//! so the entries of one position become one tranche. Pending orders (`buy
//! limit`, `sell stop`...) in the table were cancelled or expired, and balance
//! rows are not trades: both are skipped. Symbols may carry a broker suffix
//! (`EURUSD.m`) and numbers a space as thousands separator.
//!
//! MT5's report has "Positions", "Orders" and "Deals". Deals are the fills
//! (deal number = execution id, order number = order id); the positions' S / L
//! become stops at the position's open time. A report without deals is read
//! from its positions, like MT4. Times carry no zone: the import time zone
//! applies. Commissions, taxes and fees are fees; a negative swap is a fee on
//! the closing fill, a positive swap (a credit) is left out with a warning.
//!
//! The terminal writes the report in its own language ("Отчет торговой
//! истории", "Позиции", "Сделки", "Символ"...) but keeps the order of the
//! columns, the `S / L` and `T / P` headers and the `buy`/`sell` and
//! `in`/`out` values: a header in another language is read by its shape
//! (see `mt5_table_by_shape`), an order is filled when its volume's filled
//! part (`0.3 / 0.3`) is, and the account comes from `12345678 (USD, ...)`
//! whatever its label. MT4 statements of other builds number their rows and
//! shorten their names (`N`, `Lots`, `Symbol`, `Commis`, `Trade P/L`,
//! `A/C No:`). A CSV report in such a language may use `;` and decimal
//! commas, which are read as such for the whole file (`144,250` is 144.25).
//!
//! Contract sizes: currency pairs 100,000 a lot (their P&L is in the quote
//! currency), gold 100, silver 5,000; for other symbols (index and commodity
//! CFDs) the size the report's own profits imply, when its closed positions
//! agree on a usual size. Fees are in the account's currency; for a pair
//! quoted against it (USDJPY in a USD account) they are converted at the
//! fill's price.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;

use super::html::table_rows;
use super::instrument::{base_symbol, looks_like_forex, spot_contract};
use super::table::{
    Header, Row, csv_rows, opt_number, opt_text, req_datetime, req_number, to_decimal_points,
    writes_decimal_commas,
};
use super::text::normalize_header;
use super::{Fill, FillSide, ImportError, RowError, Sink, StopOrder};

/// `eurusd.m` → `EURUSD.m`: the base upper case, the suffix as written.
fn tidy_symbol(symbol: &str) -> String {
    let s = symbol.trim();
    let base = base_symbol(s);
    format!("{}{}", base.to_ascii_uppercase(), &s[base.len()..])
}

fn side_of(kind: &str) -> Option<FillSide> {
    match kind.trim().to_ascii_lowercase().as_str() {
        "buy" => Some(FillSide::Buy),
        "sell" => Some(FillSide::Sell),
        _ => None,
    }
}

fn is_pending(kind: &str) -> bool {
    let k = kind.trim().to_ascii_lowercase();
    (k.starts_with("buy ") || k.starts_with("sell ")) && (k.contains("limit") || k.contains("stop"))
}

/// A section title: a row with one filled cell (the same text repeated by a colspan).
fn title(row: &Row) -> Option<String> {
    let mut filled = row.filled();
    let first = filled.next()?;
    if filled.all(|c| c == first) {
        Some(first.trim_end_matches(':').trim().to_owned())
    } else {
        None
    }
}

fn link(text: &str, word: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let pos = lower.find(word)?;
    let digits: String = text[pos + word.len()..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// One position row (MT4 ticket, MT5 position), read.
struct Position {
    line: usize,
    ticket: String,
    side: FillSide,
    symbol: String,
    size: Decimal,
    open_at: DateTime<FixedOffset>,
    open_price: Decimal,
    stop: Option<Decimal>,
    close: Option<(DateTime<FixedOffset>, Decimal)>,
    costs: Decimal,
    swap: Decimal,
    /// The profit the report gives, in the account's currency.
    profit: Option<Decimal>,
    from: Option<String>,
}

fn position_row(
    row: &Row,
    h: &Header,
    tz: chrono_tz::Tz,
    open_table: bool,
) -> Result<Option<Position>, RowError> {
    let ticket = opt_text(row, h.find(&["Ticket", "Position"]));
    if ticket.is_empty() || !ticket.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let kind = opt_text(row, h.find(&["Type"]));
    if is_pending(kind) || kind.is_empty() {
        return Ok(None);
    }
    let Some(side) = side_of(kind) else {
        return Ok(None); // balance, credit and other non-trades
    };
    let open_time = h
        .find(&["Open Time"])
        .or_else(|| h.find_nth(&["Time"], 0))
        .ok_or_else(|| RowError::new("Open Time", "no such column"))?;
    let open_at = req_datetime(row, open_time, "Open Time", tz)?;
    let size_col = h
        .find(&["Size", "Volume", "Lots"])
        .ok_or_else(|| RowError::new("Size", "no such column"))?;
    let size = req_number(row, size_col, "Size")?.abs();
    if size.is_zero() {
        return Err(RowError::new("Size", "is zero"));
    }
    let symbol = opt_text(row, h.find(&["Item", "Symbol"]));
    if symbol.is_empty() {
        return Err(RowError::new("Item", "is empty"));
    }
    let price_col = h
        .find_nth(&["Price", "Open Price"], 0)
        .ok_or_else(|| RowError::new("Price", "no such column"))?;
    let open_price = req_number(row, price_col, "Price")?;
    let stop = opt_number(row, h.find(&["S / L", "SL", "Stop Loss"]), "S / L")?
        .filter(|s| *s > Decimal::ZERO);
    let close = if open_table {
        None
    } else {
        let close_time = h
            .find(&["Close Time"])
            .or_else(|| h.find_nth(&["Time"], 1))
            .ok_or_else(|| RowError::new("Close Time", "no such column"))?;
        let close_price = h
            .find(&["Close Price"])
            .or_else(|| h.find_nth(&["Price"], 1))
            .ok_or_else(|| RowError::new("Close Price", "no such column"))?;
        Some((
            req_datetime(row, close_time, "Close Time", tz)?,
            req_number(row, close_price, "Close Price")?,
        ))
    };
    let mut costs = Decimal::ZERO;
    for name in ["Commission", "Commis", "Taxes", "Fee"] {
        costs += opt_number(row, h.find(&[name]), name)?
            .unwrap_or_default()
            .abs();
    }
    let swap = opt_number(row, h.find(&["Swap"]), "Swap")?.unwrap_or_default();
    let profit = opt_number(row, h.find(&["Profit", "Trade P/L"]), "Profit")?;
    let comment = row.notes.join(" ") + " " + opt_text(row, h.find(&["Comment"]));
    Ok(Some(Position {
        line: row.line,
        ticket: ticket.to_owned(),
        side,
        symbol: tidy_symbol(symbol),
        size,
        open_at,
        open_price,
        stop,
        close,
        costs,
        swap,
        profit,
        from: link(&comment, "from #"),
    }))
}

fn root_of<'a>(ticket: &'a str, positions: &'a [Position]) -> (&'a str, usize) {
    let mut current = ticket;
    let mut index = positions
        .iter()
        .position(|p| p.ticket == current)
        .unwrap_or(0);
    for _ in 0..positions.len() {
        let Some(from) = positions[index].from.as_deref() else {
            break;
        };
        match positions.iter().position(|p| p.ticket == from) {
            Some(i) => {
                current = &positions[i].ticket;
                index = i;
            }
            None => break,
        }
    }
    (current, index)
}

/// Contract sizes the report implies for symbols it does not name one for
/// (index and commodity CFDs): profit / (price move × lots) over the closed
/// positions, rounded to a usual size, when the positions agree.
fn implied_sizes(positions: &[Position]) -> HashMap<String, Decimal> {
    const USUAL: &[i64] = &[1, 2, 5, 10, 20, 25, 50, 100, 1000, 5000, 10_000, 100_000];
    let mut found: HashMap<String, Option<Decimal>> = HashMap::new();
    for p in positions {
        if spot_contract(&p.symbol).1.is_some() || looks_like_forex(&p.symbol) {
            continue;
        }
        let (Some((_, close)), Some(profit)) = (p.close, p.profit) else {
            continue;
        };
        let moved = p.side.sign() * (close - p.open_price) * p.size;
        if moved.is_zero() || profit.is_zero() {
            continue;
        }
        let raw = profit / moved;
        let usual = USUAL
            .iter()
            .map(|&u| Decimal::from(u))
            .chain([Decimal::new(1, 1), Decimal::new(1, 2)])
            .find(|u| ((raw - u) / u).abs() <= Decimal::new(2, 2));
        let entry = found.entry(p.symbol.clone()).or_insert(usual);
        if *entry != usual {
            *entry = None;
        }
    }
    found
        .into_iter()
        .filter_map(|(symbol, size)| size.map(|s| (symbol, s)))
        .collect()
}

/// The currency a symbol's P&L is in: a pair's quote currency, else the account's.
fn pnl_currency(symbol: &str, account_currency: &str) -> String {
    let base = base_symbol(symbol).to_ascii_uppercase();
    if looks_like_forex(symbol) && base.len() >= 6 {
        base[base.len() - 3..].to_owned()
    } else {
        account_currency.to_owned()
    }
}

/// A fee charged in the account's currency, in the currency of the symbol's
/// P&L: for a pair quoted against the account's currency (USDJPY in a USD
/// account) the fee times the price; otherwise as it is.
fn fee_in(symbol: &str, account_currency: &str, fee: Decimal, price: Decimal) -> Decimal {
    let base = base_symbol(symbol).to_ascii_uppercase();
    let converts = looks_like_forex(symbol)
        && base.len() >= 6
        && !account_currency.is_empty()
        && base[..3] == *account_currency
        && base[base.len() - 3..] != *account_currency;
    if converts {
        fee.checked_mul(price).map(|f| f.round_dp(2)).unwrap_or(fee)
    } else {
        fee
    }
}

/// Turns position rows into fills and stops.
fn emit(positions: &[Position], account: &str, currency: &str, sink: &mut Sink) {
    let sizes = implied_sizes(positions);
    for p in positions {
        let (root, root_index) = root_of(&p.ticket, positions);
        let root_pos = &positions[root_index];
        let (open_at, open_price) = if root == p.ticket {
            (p.open_at, p.open_price)
        } else {
            (root_pos.open_at, root_pos.open_price)
        };
        let (kind, multiplier) = spot_contract(&p.symbol);
        let multiplier = multiplier.or_else(|| sizes.get(&p.symbol).copied());
        let pnl_currency = pnl_currency(&p.symbol, currency);
        let fill = |side, qty, price, fee, at, order_id: String| Fill {
            account: account.to_owned(),
            symbol: p.symbol.clone(),
            kind,
            side,
            qty,
            price,
            fee: fee_in(&p.symbol, currency, fee, price),
            at,
            currency: pnl_currency.clone(),
            multiplier,
            order_id: Some(order_id),
            exec_id: None,
            profit: None,
            position: None,
            line: p.line,
        };
        sink.parsed.fills.push(fill(
            p.side,
            p.size,
            open_price,
            p.costs,
            open_at,
            format!("open #{root}"),
        ));
        if let Some((close_at, close_price)) = p.close {
            let mut fee = Decimal::ZERO;
            if p.swap < Decimal::ZERO {
                fee = -p.swap;
            } else if p.swap > Decimal::ZERO {
                sink.warn(
                    Some(p.line),
                    Some("Swap"),
                    format!("a swap credit of {} is not counted", p.swap),
                );
            }
            sink.parsed.fills.push(fill(
                p.side.opposite(),
                p.size,
                close_price,
                fee,
                close_at,
                format!("close #{}", p.ticket),
            ));
        }
        if let Some(stop) = p.stop {
            // A remainder ticket's stop was set when the ticket it came from closed.
            let at = match p
                .from
                .as_deref()
                .and_then(|f| positions.iter().find(|q| q.ticket == f))
            {
                Some(q) => q.close.map(|(t, _)| t).unwrap_or(open_at),
                None => open_at,
            };
            sink.parsed.stops.push(StopOrder {
                account: account.to_owned(),
                symbol: p.symbol.clone(),
                at,
                price: stop,
                status: "S / L".to_owned(),
                side: Some(p.side.opposite()),
                line: p.line,
            });
        }
    }
}

/// How reports label the account, in the languages the terminals speak
/// (MT4's "A/C No:" included).
const ACCOUNT_LABELS: &[&str] = &[
    "Account:",
    "A/C No:",
    "Счет:",
    "Счёт:",
    "Compte:",
    "Cuenta:",
    "Konto:",
    "Conta:",
    "Conto:",
    "Rekening:",
    "Hesap:",
];

/// The account number and currency from the report's heading.
fn account_and_currency(rows: &[Row]) -> (String, String) {
    let mut account = String::new();
    let mut currency = String::new();
    for row in rows.iter().take(40) {
        let cells: Vec<&str> = row.filled().collect();
        for (i, cell) in cells.iter().enumerate() {
            let lower = cell.to_lowercase();
            let label = ACCOUNT_LABELS
                .iter()
                .find(|l| lower.starts_with(&l.to_lowercase()))
                .map(|l| l.len());
            if account.is_empty()
                && let Some(label_len) = label
            {
                let rest = cell.get(label_len..).unwrap_or("").trim();
                let value = if rest.is_empty() {
                    // The next cell with other text (a colspan repeats the label).
                    cells[i + 1..]
                        .iter()
                        .copied()
                        .find(|c| c != cell)
                        .unwrap_or("")
                } else {
                    rest
                };
                account = value
                    .split(|c: char| c.is_whitespace() || c == '(' || c == '\u{a0}')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                // MT5: "12345678 (USD, Server, demo, Hedge)".
                if let Some(open) = value.find('(') {
                    let inner = &value[open + 1..];
                    let first = inner.split([',', ')']).next().unwrap_or("").trim();
                    if first.len() == 3 && first.chars().all(|c| c.is_ascii_alphabetic()) {
                        currency = first.to_ascii_uppercase();
                    }
                }
            }
            if currency.is_empty() && lower.starts_with("currency:") {
                currency = cell["currency:".len()..].trim().to_owned();
            }
        }
    }
    if account.is_empty() {
        // MT5 writes "12345678 (USD, Server, real, Hedge)" in every language.
        let found = rows
            .iter()
            .take(40)
            .flat_map(|r| r.filled())
            .find_map(|cell| {
                let (login, rest) = cell.split_once('(')?;
                let login = login.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
                let code = rest.split(',').next()?.trim();
                (login.len() >= 4
                    && login.bytes().all(|b| b.is_ascii_digit())
                    && rest.contains(',')
                    && code.len() == 3
                    && code.chars().all(|c| c.is_ascii_alphabetic()))
                .then(|| (login.to_owned(), code.to_ascii_uppercase()))
            });
        if let Some((login, code)) = found {
            account = login;
            if currency.is_empty() {
                currency = code;
            }
        }
    }
    (account, currency)
}

/// Reads an MT4 Detailed Statement.
pub(crate) fn read_mt4(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let rows = table_rows(text);
    let (account, currency) = account_and_currency(&rows);
    let tz = sink.options.tz;
    let mut section = String::new();
    let mut header: Option<Header> = None;
    let mut positions: Vec<Position> = Vec::new();
    let mut found = false;
    for row in &rows {
        if let Some(t) = title(row) {
            if let Some(last) = positions.last_mut().filter(|_| !section.is_empty()) {
                // A comment row under a ticket: "from #123" / "to #456".
                if let Some(from) = link(&t, "from #") {
                    if last.from.is_none() {
                        last.from = Some(from);
                    }
                    continue;
                }
                if link(&t, "to #").is_some() {
                    continue;
                }
            }
            let lower = t.to_ascii_lowercase();
            if lower.contains("transactions")
                || lower.contains("trades")
                || lower.contains("orders")
                || lower == "summary"
                || lower.contains("details")
            {
                section = lower;
                header = None;
                found |= section.contains("closed transactions");
            }
            continue;
        }
        let trade_section =
            section.contains("closed transactions") || section.contains("open trades");
        if !trade_section {
            continue;
        }
        if header.is_none() {
            let h = Header::new(row);
            if h.has_all(&["Ticket", "Type"]) {
                header = Some(h);
            }
            continue;
        }
        let Some(h) = header.as_ref() else { continue };
        let open_table = section.contains("open trades");
        let result = position_row(row, h, tz, open_table).map(|p| {
            if let Some(p) = p {
                positions.push(p);
            }
        });
        sink.row(row.line, result)?;
    }
    if !found {
        return Err(sink.error(None, None, "no \"Closed Transactions\" table was found"));
    }
    emit(&positions, &account, &currency, sink);
    Ok(())
}

/// The English names of the columns of MT5's three tables, in their order.
const MT5_POSITIONS: &[&str] = &[
    "Time",
    "Position",
    "Symbol",
    "Type",
    "Volume",
    "Price",
    "S / L",
    "T / P",
    "Time",
    "Price",
    "Commission",
    "Swap",
    "Profit",
];
const MT5_ORDERS: &[&str] = &[
    "Open Time",
    "Order",
    "Symbol",
    "Type",
    "Volume",
    "Price",
    "S / L",
    "T / P",
    "Time",
    "State",
    "Comment",
];
const MT5_DEALS: &[&str] = &[
    "Time",
    "Deal",
    "Symbol",
    "Type",
    "Direction",
    "Volume",
    "Price",
    "Order",
    "Commission",
    "Fee",
    "Swap",
    "Profit",
    "Balance",
    "Comment",
];

/// Which MT5 table a header row in any language heads, told by its shape:
/// the terminal translates the column names but keeps `S / L` and `T / P`,
/// and the order of the columns. Positions start and end with the same
/// name (Time ... Time), Orders with Open Time ... Time; Deals have no
/// S / L. Returns the section and its English header.
pub(crate) fn mt5_table_by_shape(row: &Row) -> Option<(&'static str, Header)> {
    let cells: Vec<&str> = row.cells.iter().map(|c| c.trim()).collect();
    let key = |i: usize| {
        cells
            .get(i)
            .map(|c| normalize_header(c))
            .unwrap_or_default()
    };
    let english = |names: &[&str]| Header::from_names(names.iter().copied());
    if key(6) == "sl" && key(7) == "tp" && cells.len() >= 11 {
        if cells[0] == cells[8] && cells.len() >= 13 {
            return Some(("positions", english(MT5_POSITIONS)));
        }
        return Some(("orders", english(MT5_ORDERS)));
    }
    if cells.len() >= 13 && !cells.iter().any(|c| normalize_header(c) == "sl") {
        return Some(("deals", english(MT5_DEALS)));
    }
    None
}

fn read_mt5_rows(rows: &[Row], sink: &mut Sink) -> Result<(), ImportError> {
    let (account, currency) = account_and_currency(rows);
    let tz = sink.options.tz;
    let mut section = String::new();
    let mut header: Option<Header> = None;
    let mut positions: Vec<Position> = Vec::new();
    let mut deals = 0usize;
    let mut order_stops: Vec<StopOrder> = Vec::new();
    let mut found = false;
    for row in rows {
        if row.is_blank() {
            continue;
        }
        if let Some(t) = title(row) {
            // Any title ends the table above it: reports in other languages
            // name their sections in those languages.
            let lower = t.to_lowercase();
            section = match lower.as_str() {
                "positions" | "orders" | "deals" | "open positions" | "working orders"
                | "summary" | "results" => lower,
                _ => "other".to_owned(),
            };
            header = None;
            found |= section == "deals" || section == "positions";
            continue;
        }
        if section.is_empty() {
            continue;
        }
        if header.is_none() {
            let h = Header::new(row);
            if h.has_all(&["Symbol", "Type"]) {
                header = Some(h);
            } else if let Some((table, english)) = mt5_table_by_shape(row) {
                // A translated header: its columns, in English, by position.
                section = table.to_owned();
                header = Some(english);
                found |= table == "deals" || table == "positions";
            }
            continue;
        }
        let Some(h) = header.as_ref() else { continue };
        match section.as_str() {
            "positions" => {
                let result = position_row(row, h, tz, false).map(|p| {
                    if let Some(p) = p {
                        positions.push(p);
                    }
                });
                sink.row(row.line, result)?;
            }
            "deals" => {
                let result = deal_row(row, h, &account, &currency, tz).map(|fill| {
                    if let Some(fill) = fill {
                        deals += 1;
                        sink.parsed.fills.push(fill);
                    }
                });
                sink.row(row.line, result)?;
            }
            "orders" => {
                let result = order_stop(row, h, &account, tz).map(|stop| {
                    if let Some(stop) = stop {
                        order_stops.push(stop);
                    }
                });
                sink.row(row.line, result)?;
            }
            _ => {}
        }
    }
    if !found {
        return Err(sink.error(None, None, "no \"Deals\" or \"Positions\" table was found"));
    }
    if deals == 0 {
        emit(&positions, &account, &currency, sink);
    } else {
        let sizes = implied_sizes(&positions);
        for fill in sink
            .parsed
            .fills
            .iter_mut()
            .filter(|f| f.multiplier.is_none())
        {
            fill.multiplier = sizes.get(&fill.symbol).copied();
        }
        // Deals are the fills. The S / L of the orders is the stop each one
        // was placed with; a position's S / L is where its stop ended up: when
        // the opening order had another one, the stop was moved before the close.
        for p in &positions {
            let Some(stop) = p.stop else { continue };
            let protects = Some(p.side.opposite());
            let initial = order_stops
                .iter()
                .find(|s| s.symbol == p.symbol && s.side == protects && s.at == p.open_at);
            let at = match (initial, p.close) {
                (Some(s), _) if s.price == stop => continue,
                (Some(_), Some((close_at, _))) => close_at,
                (Some(_), None) => continue,
                (None, _) => p.open_at,
            };
            sink.parsed.stops.push(StopOrder {
                account: account.clone(),
                symbol: p.symbol.clone(),
                at,
                price: stop,
                status: "S / L".to_owned(),
                side: protects,
                line: p.line,
            });
        }
        sink.parsed.stops.extend(order_stops);
    }
    Ok(())
}

fn deal_row(
    row: &Row,
    h: &Header,
    account: &str,
    currency: &str,
    tz: chrono_tz::Tz,
) -> Result<Option<Fill>, RowError> {
    let Some(side) = side_of(opt_text(row, h.find(&["Type"]))) else {
        return Ok(None); // balance, credit, commission rows
    };
    let time = h
        .find(&["Time"])
        .ok_or_else(|| RowError::new("Time", "no such column"))?;
    let at = req_datetime(row, time, "Time", tz)?;
    let symbol = opt_text(row, h.find(&["Symbol"]));
    if symbol.is_empty() {
        return Err(RowError::new("Symbol", "is empty"));
    }
    let volume = h
        .find(&["Volume"])
        .ok_or_else(|| RowError::new("Volume", "no such column"))?;
    let qty = req_number(row, volume, "Volume")?.abs();
    if qty.is_zero() {
        return Err(RowError::new("Volume", "is zero"));
    }
    let price_col = h
        .find(&["Price"])
        .ok_or_else(|| RowError::new("Price", "no such column"))?;
    let price = req_number(row, price_col, "Price")?;
    let mut fee = Decimal::ZERO;
    for name in ["Commission", "Fee"] {
        fee += opt_number(row, h.find(&[name]), name)?
            .unwrap_or_default()
            .abs();
    }
    let swap = opt_number(row, h.find(&["Swap"]), "Swap")?.unwrap_or_default();
    if swap < Decimal::ZERO {
        fee += -swap;
    }
    let symbol = tidy_symbol(symbol);
    let fee = fee_in(&symbol, currency, fee, price);
    let currency = pnl_currency(&symbol, currency);
    let (kind, multiplier) = spot_contract(&symbol);
    let text_of = |names: &[&str]| {
        let t = opt_text(row, h.find(names));
        (!t.is_empty()).then(|| t.to_owned())
    };
    Ok(Some(Fill {
        account: account.to_owned(),
        symbol,
        kind,
        side,
        qty,
        price,
        fee,
        at,
        currency,
        multiplier,
        order_id: text_of(&["Order"]),
        exec_id: text_of(&["Deal"]),
        profit: None,
        position: None,
        line: row.line,
    }))
}

/// The stop an MT5 order was placed with, at the time it was filled.
fn order_stop(
    row: &Row,
    h: &Header,
    account: &str,
    tz: chrono_tz::Tz,
) -> Result<Option<StopOrder>, RowError> {
    let state = opt_text(row, h.find(&["State"])).to_lowercase();
    // "1 / 0.5": volume ordered / filled. Its filled part tells a filled
    // order in any language; the state says it in English.
    let filled_volume = opt_text(row, h.find(&["Volume"]))
        .split_once('/')
        .and_then(|(_, filled)| crate::import::text::number(filled))
        .is_some_and(|v| v > Decimal::ZERO);
    if !state.contains("fill") && !filled_volume {
        return Ok(None); // cancelled, expired, rejected, placed
    }
    let Some(side) = side_of(opt_text(row, h.find(&["Type"]))) else {
        return Ok(None);
    };
    let Some(stop) = opt_number(row, h.find(&["S / L"]), "S / L")?.filter(|s| *s > Decimal::ZERO)
    else {
        return Ok(None);
    };
    let done = h
        .find_nth(&["Time"], 0)
        .filter(|&c| !row.cell(c).is_empty());
    let open = h.find(&["Open Time"]);
    let Some(col) = done.or(open) else {
        return Ok(None);
    };
    let symbol = opt_text(row, h.find(&["Symbol"]));
    Ok(Some(StopOrder {
        account: account.to_owned(),
        symbol: tidy_symbol(symbol),
        at: req_datetime(row, col, "Time", tz)?,
        price: stop,
        status: state,
        side: Some(side.opposite()),
        line: row.line,
    }))
}

/// Reads an MT5 Trade History Report saved as HTML.
pub(crate) fn read_mt5_html(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    read_mt5_rows(&table_rows(text), sink)
}

/// Reads an MT5 Trade History Report saved as CSV.
pub(crate) fn read_mt5_csv(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let mut rows = csv_rows(text);
    if writes_decimal_commas(&rows) {
        to_decimal_points(&mut rows);
    }
    read_mt5_rows(&rows, sink)
}
