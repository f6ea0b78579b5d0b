//! MetaTrader 4 statements (HTML) and MetaTrader 5 Trade History Reports
//! (HTML, usually UTF-16LE, or CSV), read so that the journal's money is the
//! statement's, to the cent.
//!
//! **Money.** Every fill is in the account's currency (the report's heading:
//! `Currency: USD`, or `12345678 (EUR, Server, real, Hedge)`). A closing
//! fill carries the broker's Profit for what it closed (MT4 and MT5
//! positions: the position's Profit; MT5 deals: the out deal's Profit), from
//! which grouping works out each trade's rate (RULES.md, "Money in the
//! account's currency"). Fees keep the statement's sign: a fill's fee is
//! `-(commission + taxes + fee + swap)`, so a positive swap, a rebate or a
//! commission credit is a negative fee, never dropped. A closed position's
//! commission, taxes and swap go on its closing fill, with the profit they
//! belong to; an open position's commission and taxes on its opening fill
//! (its swap is booked when it closes). MT5 deals keep each deal's own. A
//! closed trade's net P&L is then the sum of its positions' profit,
//! commission, swap and taxes, and an open trade's exits book what the
//! statement counts for its closed part. For pairs and metals
//! quoted in another currency than the account's (`USDJPY`, `XAUUSD+` in a
//! EUR account) the quote currency is the symbol's price currency, the
//! currency a trade is left in when no rate can be found for it.
//!
//! **The statement's own figure** ([`super::StatementTotal`]): MT4's
//! "Closed Trade P/L" (or the "Closed P/L" under Closed Transactions) sums
//! the closed transactions only: open trades' commissions are in its
//! Floating P/L. MT5's "Total Net Profit" sums every deal's profit,
//! commission, fee and swap: the commission of the deal that opened a
//! position still open is in it. A translated report is read by its shape:
//! the first row after the deals with three `label: number` pairs (net,
//! gross profit, gross loss).
//!
//! **Contract sizes.** Quantities stay in lots. The multiplier is the
//! contract size: currency pairs 100,000, gold 100, silver 5,000; other
//! symbols (index and commodity CFDs) the size the report's own profits
//! imply, Σ|profit| / Σ|price move × lots| over the closed positions, in the
//! account's currency or converted at the rate the file's pairs and metals
//! give for another quote currency (USD first) at the nearest close, when
//! that comes within 2% of a usual size. Otherwise the multiplier is 1 and
//! the rate carries size and conversion together. Broker suffixes (`.m`,
//! `_m`, `+`, `#`, `@`, `EURUSDm`) are kept in the symbol but never read as
//! part of a currency ([`super::instrument::base_symbol`]).
//!
//! **Hedging accounts.** MT4 accounts are hedging; an MT5 account is when
//! its account line says `Hedge` or it holds a long and a short position in
//! one symbol at once. There every fill names the position's direction
//! ([`super::Fill::position`]): MT4 and MT5 positions their side, MT5 deals
//! `buy in` or `sell out` long, `sell in` or `buy out` short. Netting
//! accounts leave it unset. A close by (`out by` deals) books the pair's
//! result on one deal and closes the other at the first one's open price
//! with no profit; that deal is put at its partner's price, so that it
//! gains or loses nothing, as the statement says.
//!
//! **Stops** (RULES.md, "What a statement does not say about stops"). MT4's
//! S / L and MT5's Positions S / L are the stop in force when the position
//! closed: each is a stop at the position's close time, never at its open.
//! An open position's S / L is the stop in force now: it is put at the
//! report's time (its heading), or at the file's last fill when the
//! heading's time (the terminal's local clock) is not after every fill. Such
//! a stop that would fall on an entry of the same symbol and direction (a
//! position opened and closed within a second) cannot be told from a stop
//! placed with the entry and is left out, with a warning. An MT4 statement
//! records no stop order with its time (`stops_recorded` is false): its
//! trades' stops are not judged unless the trader adds the initial stop. An
//! MT5 report with an Orders table does: a filled order's S / L is a known
//! stop at the order's time, and a position's S / L other than its
//! opening order's is a later move, at the close.
//!
//! **Layouts.** MT4's "Closed Transactions" and "Open Trades" tables have
//! one row per ticket: `Ticket, Open Time, Type, Size, Item, Price, S / L,
//! T / P, Close Time, Price, Commission, Taxes, Swap, Profit`; other builds
//! number their rows and shorten names (`N`, `Lots`, `Symbol`, `Commis`,
//! `Trade P/L`, `A/C No:`), and the short "Statement" (Save as Report) has
//! no Details section. A partial close leaves the remainder on a new ticket
//! whose comment (a `title` attribute, a Comment column, or a row of its own
//! under the ticket, with or without a magic number) says `from #<ticket>`;
//! the link is followed back to the first ticket, whose open time and price
//! the remainder shares, so that the entries of one position become one
//! tranche. Pending orders (`buy limit`, `sell stop`...) in the table were
//! cancelled or expired, and balance rows are not trades: both are skipped.
//! Alpari's "Summary trade result" rows (item `profit`, price 0) are the
//! broker's sums of archived history, not trades: they are skipped with one
//! warning, and their total is set apart from the statement's figure. MT5's
//! report has "Positions", "Orders" and "Deals"; deals are the fills (deal
//! number = execution id, order number = order id). A report without deals
//! is read from its positions, like MT4.
//!
//! **Languages.** The MT5 terminal writes the report in its own language
//! ("Отчет торговой истории", "取引履歴報告書", "Позиции", "約定", "Символ"...)
//! but keeps the order of the columns, the `S / L` and `T / P` headers and
//! the `buy`/`sell` and `in`/`out` values: a header in another language is
//! read by its shape (see `mt5_table_by_shape`), an order is filled when its
//! volume's filled part (`0.3 / 0.3`) is, and the account comes from
//! `12345678 (USD, ...)` whatever its label. A CSV report in such a language
//! may use `;` and decimal commas, which are read as such for the whole file
//! (`144,250` is 144.25). Times carry no zone: the import time zone applies.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use rust_decimal::Decimal;

use super::html::table_rows;
use super::instrument::{base_symbol, looks_like_forex, spot_contract};
use super::table::{
    Header, Row, csv_rows, opt_number, opt_text, req_datetime, req_number, to_decimal_points,
    writes_decimal_commas,
};
use super::text::normalize_header;
use super::{Fill, FillSide, ImportError, RowError, Sink, StatementTotal, StopOrder};
use crate::domain::Side;

/// The currency a symbol is quoted in, when the symbol says: a pair's second
/// currency (`USDJPY` → JPY), a metal's (`XAUUSD+` → USD).
fn quote_currency(symbol: &str) -> Option<String> {
    let base = base_symbol(symbol).to_ascii_uppercase();
    let metal = ["XAU", "XAG", "XPT", "XPD"]
        .iter()
        .any(|m| base.starts_with(m))
        && base.len() == 6
        && base.bytes().all(|b| b.is_ascii_alphabetic());
    if metal {
        return Some(base[3..].to_owned());
    }
    if !looks_like_forex(symbol) {
        return None;
    }
    let letters: String = base.chars().filter(char::is_ascii_alphabetic).collect();
    (letters.len() == 6).then(|| letters[3..].to_owned())
}

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

/// The direction of the position a fill of `side` opens.
fn opened_by(side: FillSide) -> Side {
    match side {
        FillSide::Buy => Side::Long,
        FillSide::Sell => Side::Short,
    }
}

/// A section title: a row with one filled cell (the same text repeated by a colspan).
fn title(row: &Row) -> Option<String> {
    let mut filled = row.filled();
    let first = filled.next()?;
    if filled.all(|c| c == first) {
        Some(first.trim_end_matches([':', '：']).trim().to_owned())
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
    /// Commission, taxes and fees, signed as the statement signs them (a
    /// charge is negative).
    costs: Decimal,
    /// The swap, signed as the statement signs it.
    swap: Decimal,
    /// The profit the report gives, in the account's currency.
    profit: Option<Decimal>,
    from: Option<String>,
}

/// What a row of a positions table holds.
enum PositionRow {
    /// A position (ticket).
    Position(Box<Position>),
    /// An archive row of the broker's ("Summary trade result", item
    /// `profit`, price 0): its commission + taxes + swap + profit.
    Archive(Decimal),
}

/// The sum of the signed costs a row names, by column.
fn signed_sum(row: &Row, h: &Header, names: &[&str]) -> Result<Decimal, RowError> {
    let mut total = Decimal::ZERO;
    for name in names {
        total += opt_number(row, h.find(&[name]), name)?.unwrap_or_default();
    }
    Ok(total)
}

fn position_row(
    row: &Row,
    h: &Header,
    tz: chrono_tz::Tz,
    open_table: bool,
) -> Result<Option<PositionRow>, RowError> {
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
    let symbol = opt_text(row, h.find(&["Item", "Symbol"]));
    let price_col = h
        .find_nth(&["Price", "Open Price"], 0)
        .ok_or_else(|| RowError::new("Price", "no such column"))?;
    if symbol.eq_ignore_ascii_case("profit") && text_is_zero(row.cell(price_col)) {
        let total = signed_sum(
            row,
            h,
            &[
                "Commission",
                "Commis",
                "Taxes",
                "Fee",
                "Swap",
                "Profit",
                "Trade P/L",
            ],
        )?;
        return Ok(Some(PositionRow::Archive(total)));
    }
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
    if symbol.is_empty() {
        return Err(RowError::new("Item", "is empty"));
    }
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
    let costs = signed_sum(row, h, &["Commission", "Commis", "Taxes", "Fee"])?;
    let swap = opt_number(row, h.find(&["Swap"]), "Swap")?.unwrap_or_default();
    let profit = opt_number(row, h.find(&["Profit", "Trade P/L"]), "Profit")?;
    let comment = row.notes.join(" ") + " " + opt_text(row, h.find(&["Comment"]));
    Ok(Some(PositionRow::Position(Box::new(Position {
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
    }))))
}

/// Whether a cell holds a zero (`0.00000`).
fn text_is_zero(cell: &str) -> bool {
    crate::import::text::number(cell).is_some_and(|n| n.is_zero())
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

/// A symbol's contract size as the report implies it, and the currency its
/// prices are in when that is not the account's.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Implied {
    size: Decimal,
    currency: Option<String>,
}

/// Contract sizes the report implies for symbols it does not name one for
/// (index and commodity CFDs): Σ|profit| / Σ|price move × lots × conversion|
/// over the closed positions, rounded to a usual size when within 2% of
/// one. The conversion is 1 when the symbol is quoted in the account's
/// currency; for another quote currency (USD tried first), the account's
/// currency per unit of it that the file's pairs and metals give at the
/// closest close.
fn implied_sizes(positions: &[Position], account_currency: &str) -> HashMap<String, Implied> {
    const USUAL: &[i64] = &[1, 2, 5, 10, 20, 25, 50, 100, 1000, 5000, 10_000, 100_000];
    let usual = |raw: Decimal| {
        USUAL
            .iter()
            .map(|&u| Decimal::from(u))
            .chain([Decimal::new(1, 1), Decimal::new(1, 2)])
            .find(|u| ((raw - u) / u).abs() <= Decimal::new(2, 2))
    };
    let moved = |p: &Position, close: Decimal| p.side.sign() * (close - p.open_price) * p.size;
    // The account's currency per unit of each quote currency, by close time.
    let mut rates: BTreeMap<String, Vec<(DateTime<FixedOffset>, Decimal)>> = BTreeMap::new();
    let mut unknown: BTreeMap<&str, Vec<&Position>> = BTreeMap::new();
    for p in positions {
        let (Some((at, close)), Some(profit)) = (p.close, p.profit) else {
            continue;
        };
        match (spot_contract(&p.symbol).1, quote_currency(&p.symbol)) {
            (Some(size), Some(quote)) if quote != account_currency => {
                let value = moved(p, close) * size;
                if !value.is_zero()
                    && let Some(rate) = profit.checked_div(value).filter(|r| *r > Decimal::ZERO)
                {
                    rates
                        .entry(quote)
                        .or_default()
                        .push((at, rate.round_dp(12)));
                }
            }
            (Some(_), _) => {}
            (None, _) => unknown.entry(&p.symbol).or_default().push(p),
        }
    }
    for list in rates.values_mut() {
        list.sort_by_key(|(at, _)| *at);
    }
    let nearest = |currency: &str, at: DateTime<FixedOffset>| {
        let list = rates.get(currency)?;
        let i = list.partition_point(|(t, _)| *t < at);
        let after = list.get(i);
        let before = i.checked_sub(1).and_then(|j| list.get(j));
        match (before, after) {
            (Some(b), Some(a)) if at - b.0 <= a.0 - at => Some(b.1),
            (_, Some(a)) => Some(a.1),
            (Some(b), None) => Some(b.1),
            (None, None) => None,
        }
    };
    let mut currencies: Vec<Option<&str>> = vec![None];
    currencies.extend(rates.contains_key("USD").then_some(Some("USD")));
    currencies.extend(
        rates
            .keys()
            .filter(|c| c.as_str() != "USD")
            .map(|c| Some(c.as_str())),
    );
    let mut found = HashMap::new();
    for (symbol, list) in unknown {
        for currency in &currencies {
            let (mut profits, mut values) = (Decimal::ZERO, Decimal::ZERO);
            for p in &list {
                let (Some((at, close)), Some(profit)) = (p.close, p.profit) else {
                    continue;
                };
                let conversion = match currency {
                    None => Decimal::ONE,
                    Some(c) => match nearest(c, at) {
                        Some(rate) => rate,
                        None => continue,
                    },
                };
                let value = moved(p, close).abs() * conversion;
                if value.is_zero() || profit.is_zero() {
                    continue;
                }
                profits += profit.abs();
                values += value;
            }
            if let Some(size) = profits.checked_div(values).and_then(usual) {
                found.insert(
                    symbol.to_owned(),
                    Implied {
                        size,
                        currency: currency.map(str::to_owned),
                    },
                );
                break;
            }
        }
    }
    found
}

/// The account number, its currency and whether the account is hedging,
/// from the report's heading.
struct Heading {
    account: String,
    currency: String,
    hedging: bool,
    /// When the report was made (the terminal's clock), if it says.
    at: Option<DateTime<FixedOffset>>,
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
    "口座:",
    "账户:",
    "賬戶:",
];

/// MT5's `12345678 (USD, Server, real, Hedge)`: the login, the currency
/// and whether the account is hedging.
fn mt5_account(cell: &str) -> Option<(String, String, bool)> {
    let (login, rest) = cell.split_once('(')?;
    let login = login.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
    let parts: Vec<&str> = rest
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .collect();
    let code = parts.first()?;
    let valid = login.len() >= 4
        && login.bytes().all(|b| b.is_ascii_digit())
        && parts.len() >= 2
        && code.len() == 3
        && code.chars().all(|c| c.is_ascii_alphabetic());
    let hedging = parts
        .iter()
        .any(|p| p.to_ascii_lowercase().starts_with("hedg"));
    valid.then(|| (login.to_owned(), code.to_ascii_uppercase(), hedging))
}

/// A report's time as its heading writes it: `2024.03.08 18:00`, MT4's
/// `2023 July 29, 13:27` or `2025.05.09 23:59 (local time)`.
fn heading_time(cell: &str, tz: chrono_tz::Tz) -> Option<DateTime<FixedOffset>> {
    let text = cell.split('(').next().unwrap_or(cell).trim();
    if !text.contains(':') || !text.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDateTime::parse_from_str(text, "%Y %B %d, %H:%M")
        .ok()
        .map(|naive| crate::import::text::localize(naive, tz))
        .or_else(|| crate::import::text::datetime(text, tz))
}

/// The heading of a report: the rows before its first table.
fn heading(rows: &[Row], tz: chrono_tz::Tz) -> Heading {
    let mut account = String::new();
    let mut currency = String::new();
    let mut hedging = false;
    let mut at = None;
    // The heading ends at the first title after a row of the heading.
    let (mut in_heading, mut past_title) = (true, false);
    for row in rows.iter().take(40) {
        if title(row).is_some() {
            in_heading &= !past_title;
        } else {
            past_title = true;
        }
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
                    // The next cell with other text (a colspan repeats the
                    // label), unless it is the next label (`Name:`): MT4
                    // statements may leave the account out.
                    cells[i + 1..]
                        .iter()
                        .copied()
                        .find(|c| c != cell)
                        .filter(|c| !c.contains(':'))
                        .unwrap_or("")
                } else {
                    rest
                };
                account = value
                    .split(|c: char| c.is_whitespace() || c == '(' || c == '\u{a0}')
                    .next()
                    .unwrap_or("")
                    .to_owned();
            }
            // MT5 writes "12345678 (USD, Server, real, Hedge)" in every language.
            if let Some((login, code, hedge)) = mt5_account(cell)
                && (account.is_empty() || account == login)
            {
                account = login;
                if currency.is_empty() {
                    currency = code;
                }
                hedging |= hedge;
            }
            if currency.is_empty() && lower.starts_with("currency:") {
                currency = cell["currency:".len()..].trim().to_ascii_uppercase();
            }
            if at.is_none()
                && in_heading
                && label.is_none()
                && !lower.starts_with("currency:")
                && let Some(time) = heading_time(cell, tz)
            {
                at = Some(time);
            }
        }
    }
    Heading {
        account,
        currency,
        hedging,
        at,
    }
}

/// A report's own figure: the number after a cell labelled `label` (any of
/// them, case and a trailing colon aside).
fn labelled_amount(rows: &[Row], labels: &[&str]) -> Option<(String, Decimal)> {
    for row in rows {
        let cells: Vec<&str> = row.filled().collect();
        for (i, cell) in cells.iter().enumerate() {
            let name = cell.trim_end_matches([':', '：']).trim();
            if labels.iter().any(|l| l.eq_ignore_ascii_case(name)) {
                let value = cells[i + 1..]
                    .iter()
                    .find(|c| *c != cell)
                    .and_then(|c| crate::import::text::number(c));
                if let Some(value) = value {
                    return Some((name.to_owned(), value));
                }
            }
        }
    }
    None
}

/// The first row with three `label: number` pairs (MT5's Results: net
/// profit, gross profit, gross loss, in any language): its first label and
/// number.
fn results_by_shape(rows: &[Row]) -> Option<(String, Decimal)> {
    for row in rows {
        let mut cells: Vec<&str> = row.filled().collect();
        cells.dedup();
        let pairs: Vec<(&str, Decimal)> = cells
            .windows(2)
            .filter(|w| w[0].ends_with([':', '：']))
            .filter_map(|w| {
                let plain = w[1]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'-' | b' '));
                plain
                    .then(|| crate::import::text::number(w[1]))
                    .flatten()
                    .map(|n| (w[0], n))
            })
            .collect();
        if pairs.len() >= 3 {
            let (label, amount) = pairs[0];
            return Some((
                label.trim_end_matches([':', '：']).trim().to_owned(),
                amount,
            ));
        }
    }
    None
}

/// What reading positions (and deals) found, before it goes to the sink.
struct Emitted {
    fills: Vec<Fill>,
    /// Stops the file places in time (MT5 orders' S / L).
    known_stops: Vec<StopOrder>,
    /// The stops in force at a position's close (or now, for open ones).
    last_stops: Vec<StopOrder>,
    /// The instants at which positions were opened, by symbol and direction
    /// (no direction on a netting account).
    entries: HashSet<(String, Option<Side>, DateTime<FixedOffset>)>,
    /// Price currencies the report's profits imply for symbols that do not
    /// name theirs (see [`implied_sizes`]).
    implied_currencies: BTreeMap<String, String>,
}

impl Emitted {
    fn new() -> Self {
        Emitted {
            fills: Vec::new(),
            known_stops: Vec::new(),
            last_stops: Vec::new(),
            entries: HashSet::new(),
            implied_currencies: BTreeMap::new(),
        }
    }

    /// Puts the fills and stops into the sink. A last stop at the instant of
    /// an entry of its symbol and direction would read as a stop placed
    /// with that entry: it is left out, with one warning.
    fn finish(self, account_currency: &str, sink: &mut Sink) {
        let Emitted {
            fills,
            known_stops,
            last_stops,
            entries,
            implied_currencies,
        } = self;
        let mut left_out = 0usize;
        let mut first_line = None;
        let hedged = fills.iter().any(|f| f.position.is_some());
        for stop in last_stops {
            let direction = stop.side.map(|s| opened_by(s.opposite()));
            let key = (
                stop.symbol.clone(),
                if hedged { direction } else { None },
                stop.at,
            );
            if entries.contains(&key) {
                left_out += 1;
                first_line.get_or_insert(stop.line);
                continue;
            }
            sink.parsed.stops.push(stop);
        }
        if left_out > 0 {
            sink.warn(
                first_line,
                Some("S / L"),
                format!(
                    "{left_out} S / L in force at a close {} on an entry at the same instant \
                     and cannot be told from a stop placed with it: left out",
                    if left_out == 1 { "falls" } else { "fall" }
                ),
            );
        }
        sink.parsed.stops.extend(known_stops);
        let symbols: std::collections::BTreeSet<&str> =
            fills.iter().map(|f| f.symbol.as_str()).collect();
        for symbol in symbols {
            if let Some(quote) = quote_currency(symbol)
                && quote != account_currency
            {
                sink.parsed
                    .price_currencies
                    .insert(symbol.to_owned(), quote);
            }
        }
        sink.parsed.price_currencies.extend(implied_currencies);
        sink.parsed.fills.extend(fills);
    }
}

/// Turns position rows into fills and stops. `now` is when open positions'
/// stops are in force.
fn emit(
    positions: &mut [Position],
    heading: &Heading,
    hedging: bool,
    now: impl Fn(&[Fill]) -> DateTime<FixedOffset>,
    out: &mut Emitted,
) {
    close_by_pairs(positions);
    let sizes = implied_sizes(positions, &heading.currency);
    out.implied_currencies.extend(
        sizes
            .iter()
            .filter_map(|(symbol, i)| Some((symbol.clone(), i.currency.clone()?))),
    );
    let positions = &*positions;
    let mut open_stops = Vec::new();
    for p in positions {
        let (root, root_index) = root_of(&p.ticket, positions);
        let root_pos = &positions[root_index];
        let (open_at, open_price) = if root == p.ticket {
            (p.open_at, p.open_price)
        } else {
            (root_pos.open_at, root_pos.open_price)
        };
        let (kind, multiplier) = spot_contract(&p.symbol);
        let multiplier = multiplier.or_else(|| sizes.get(&p.symbol).map(|i| i.size));
        let position = hedging.then_some(opened_by(p.side));
        let fill = |side, qty, price, fee, at, order_id: String, profit| Fill {
            account: heading.account.clone(),
            symbol: p.symbol.clone(),
            kind,
            side,
            qty,
            price,
            fee,
            at,
            currency: heading.currency.clone(),
            multiplier,
            order_id: Some(order_id),
            exec_id: None,
            profit,
            position,
            line: p.line,
        };
        // A closed position's costs go with what it booked, on its closing
        // fill; an open one's commission and taxes were paid at the open.
        let entry_fee = if p.close.is_some() {
            Decimal::ZERO
        } else {
            negated(p.costs)
        };
        out.fills.push(fill(
            p.side,
            p.size,
            open_price,
            entry_fee,
            open_at,
            format!("open #{root}"),
            Some(Decimal::ZERO),
        ));
        out.entries.insert((p.symbol.clone(), position, open_at));
        if let Some((close_at, close_price)) = p.close {
            out.fills.push(fill(
                p.side.opposite(),
                p.size,
                close_price,
                negated(p.costs + p.swap),
                close_at,
                format!("close #{}", p.ticket),
                Some(p.profit.unwrap_or_default()),
            ));
        }
        if let Some(stop) = p.stop {
            let stop = StopOrder {
                account: heading.account.clone(),
                symbol: p.symbol.clone(),
                at: open_at,
                price: stop,
                status: "S / L".to_owned(),
                side: Some(p.side.opposite()),
                line: p.line,
            };
            match p.close {
                Some((close_at, _)) => out.last_stops.push(StopOrder {
                    at: close_at,
                    status: "S / L at the close".to_owned(),
                    ..stop
                }),
                None => open_stops.push(stop),
            }
        }
    }
    let now = now(&out.fills);
    out.last_stops
        .extend(open_stops.into_iter().map(|stop| StopOrder {
            at: now,
            status: "S / L now".to_owned(),
            ..stop
        }));
}

/// A close by books the pair's result on one position and closes the other
/// at the first one's open price with no profit: that other one is put at
/// its own open price, so that it gains or loses nothing, as the report
/// says.
fn close_by_pairs(positions: &mut [Position]) {
    let mut moves = Vec::new();
    for (i, p) in positions.iter().enumerate() {
        let Some((at, close)) = p.close else { continue };
        if p.profit != Some(Decimal::ZERO) || close == p.open_price {
            continue;
        }
        let partner = positions.iter().any(|q| {
            q.symbol == p.symbol
                && q.side != p.side
                && q.close.is_some_and(|(t, c)| t == at && c == p.open_price)
                && q.open_price == close
        });
        if partner {
            moves.push((i, at, p.open_price));
        }
    }
    for (i, at, price) in moves {
        positions[i].close = Some((at, price));
    }
}

/// `-amount`, without a negative zero (`-0` in an export).
fn negated(amount: Decimal) -> Decimal {
    if amount.is_zero() {
        Decimal::ZERO
    } else {
        -amount
    }
}

/// The file's last fill, or a time in 1970 for a file without fills.
fn last_fill(fills: &[Fill]) -> DateTime<FixedOffset> {
    fills.iter().map(|f| f.at).max().unwrap_or_default()
}

/// When open positions' stops are in force: the report's time when it is
/// after every fill, else the last fill.
fn stops_now(heading_at: Option<DateTime<FixedOffset>>, fills: &[Fill]) -> DateTime<FixedOffset> {
    let last = last_fill(fills);
    match heading_at {
        Some(at) if at > last => at,
        _ => last,
    }
}

/// Whether a section title names a table of MT4 tickets, and which.
fn mt4_section(title: &str) -> Option<bool> {
    let t = title.to_ascii_lowercase();
    if t.contains("closed transactions") || t.contains("closed trades") || t == "transactions" {
        Some(false)
    } else if t.contains("open trades") || t.contains("open positions") {
        Some(true)
    } else {
        None
    }
}

/// Reads an MT4 statement: the Detailed Statement (Save as Detailed Report)
/// or the Statement (Save as Report).
pub(crate) fn read_mt4(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let rows = table_rows(text);
    let tz = sink.options.tz;
    let heading = heading(&rows, tz);
    // The table being read: whether it holds open trades, and its header.
    let mut table: Option<(bool, Option<Header>)> = None;
    let mut positions: Vec<Position> = Vec::new();
    let mut archive = (0usize, Decimal::ZERO, None);
    let mut found = false;
    for row in &rows {
        if let Some((_, Some(h))) = &table
            && opt_text(row, h.find(&["Ticket"])).is_empty()
        {
            // A row under a ticket: its comment ("from #123", "to #456",
            // "[sl]"), maybe after a magic number; or the table's totals.
            let text = row.filled().collect::<Vec<_>>().join(" ");
            if let Some(last) = positions.last_mut()
                && let Some(from) = link(&text, "from #")
                && last.from.is_none()
            {
                last.from = Some(from);
            }
            continue;
        }
        if let Some(t) = title(row) {
            if table.is_some()
                && let Some(last) = positions.last_mut()
                && (t.contains("from #") || t.contains("to #"))
            {
                // A comment row under a ticket, as a row of its own.
                if let Some(from) = link(&t, "from #")
                    && last.from.is_none()
                {
                    last.from = Some(from);
                }
                continue;
            }
            if let Some(open) = mt4_section(&t) {
                table = Some((open, None));
                found |= !open;
            } else if ["Working Orders", "Summary", "A/C Summary", "Details"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&t))
            {
                table = None;
            }
            continue;
        }
        let Some((open, header)) = &mut table else {
            continue;
        };
        let Some(h) = header.as_ref() else {
            let h = Header::new(row);
            if h.has_all(&["Ticket", "Type"]) {
                *header = Some(h);
            }
            continue;
        };
        let result = position_row(row, h, tz, *open).map(|p| match p {
            Some(PositionRow::Position(p)) => positions.push(*p),
            Some(PositionRow::Archive(total)) => {
                archive.0 += 1;
                archive.1 += total;
                archive.2.get_or_insert(row.line);
            }
            None => {}
        });
        sink.row(row.line, result)?;
    }
    if !found {
        return Err(sink.error(None, None, "no \"Closed Transactions\" table was found"));
    }
    let (archived, archived_total, archive_line) = archive;
    if archived > 0 {
        sink.warn(
            archive_line,
            Some("Item"),
            format!(
                "{archived} \"Summary trade result\" row{} (item \"profit\", price 0): the \
                 broker's sums of older history, not trades; {} {} in all, left out and set \
                 apart from the statement's total",
                if archived == 1 { "" } else { "s" },
                crate::analysis::format::money(archived_total),
                heading.currency
            ),
        );
    }
    let mut out = Emitted::new();
    emit(
        &mut positions,
        &heading,
        true,
        |fills| stops_now(heading.at, fills),
        &mut out,
    );
    out.finish(&heading.currency, sink);
    sink.parsed.stops_recorded = false;
    let total = labelled_amount(&rows, &["Closed Trade P/L"])
        .or_else(|| labelled_amount(&rows, &["Closed P/L"]));
    if let Some((label, amount)) = total {
        sink.parsed.total = Some(StatementTotal {
            label,
            currency: total_currency(&heading),
            amount,
            excluded: archived_total,
            counts_open: false,
        });
    }
    Ok(())
}

/// The currency of the statement's figure: the account's, or the journal's
/// default when the heading names none.
fn total_currency(heading: &Heading) -> String {
    if heading.currency.is_empty() {
        crate::domain::DEFAULT_CURRENCY.to_owned()
    } else {
        heading.currency.clone()
    }
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
    // Names only: not a row of figures ("Total Net Profit:,,,-868.25,...").
    let names = cells
        .iter()
        .filter(|c| !c.is_empty())
        .all(|c| !c.ends_with([':', '：']) && crate::import::text::number(c).is_none());
    if cells.iter().filter(|c| !c.is_empty()).count() >= 13
        && names
        && !cells.iter().any(|c| normalize_header(c) == "sl")
    {
        return Some(("deals", english(MT5_DEALS)));
    }
    None
}

/// How a deal stands to its position (MT5's Direction column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    In,
    Out,
    /// A reversal on a netting account: closes and opens the other way.
    InOut,
    /// One of the two deals of a close by.
    OutBy,
    /// The file does not say.
    Unknown,
}

impl Entry {
    fn parse(text: &str) -> Entry {
        match text.trim().to_ascii_lowercase().as_str() {
            "in" => Entry::In,
            "out" => Entry::Out,
            "in/out" | "inout" => Entry::InOut,
            "out by" | "outby" => Entry::OutBy,
            _ => Entry::Unknown,
        }
    }

    /// The direction of the position a deal on `side` opens or closes.
    fn position(self, side: FillSide) -> Option<Side> {
        match self {
            Entry::In | Entry::InOut => Some(opened_by(side)),
            Entry::Out | Entry::OutBy => Some(opened_by(side.opposite())),
            Entry::Unknown => None,
        }
    }
}

/// Whether deals hold a long and a short position in one symbol at once.
fn deals_hedge(deals: &[(Fill, Entry)]) -> bool {
    let mut open: HashMap<&str, (Decimal, Decimal)> = HashMap::new();
    for (fill, entry) in deals {
        let Some(direction) = entry.position(fill.side) else {
            continue;
        };
        let (long, short) = open.entry(fill.symbol.as_str()).or_default();
        let (held, other) = if direction == Side::Long {
            (long, short)
        } else {
            (short, long)
        };
        match entry {
            Entry::In => *held += fill.qty,
            // A reversal closes the other way and opens this way.
            Entry::InOut => {
                *held += (fill.qty - *other).max(Decimal::ZERO);
                *other = Decimal::ZERO;
            }
            _ => *held = (*held - fill.qty).max(Decimal::ZERO),
        }
        if *held > Decimal::ZERO && *other > Decimal::ZERO {
            return true;
        }
    }
    false
}

/// Whether positions of one symbol on both sides were open at once.
fn positions_hedge(positions: &[Position]) -> bool {
    let mut by_symbol: HashMap<&str, Vec<&Position>> = HashMap::new();
    for p in positions {
        by_symbol.entry(&p.symbol).or_default().push(p);
    }
    // Whether a position opened at `at` opened before `p` closed.
    let before_close = |at: DateTime<FixedOffset>, p: &Position| p.close.is_none_or(|c| at < c.0);
    by_symbol.values().any(|list| {
        let (longs, shorts): (Vec<&Position>, Vec<&Position>) =
            list.iter().partition(|p| p.side == FillSide::Buy);
        longs.iter().any(|a| {
            shorts
                .iter()
                .any(|b| before_close(a.open_at, b) && before_close(b.open_at, a))
        })
    })
}

/// A close by's two `out by` deals (one order): the one with no profit
/// closed its position at the other's open price; it is put at its
/// partner's price, at which its position gains nothing.
fn close_by_deals(deals: &mut [(Fill, Entry)]) {
    let mut moves = Vec::new();
    for (i, (fill, entry)) in deals.iter().enumerate() {
        if *entry != Entry::OutBy || fill.profit != Some(Decimal::ZERO) {
            continue;
        }
        let partner = deals.iter().enumerate().find(|(j, (other, e))| {
            *j != i
                && *e == Entry::OutBy
                && other.order_id == fill.order_id
                && other.symbol == fill.symbol
                && other.side != fill.side
        });
        if let Some((_, (other, _))) = partner {
            moves.push((i, other.price));
        }
    }
    for (i, price) in moves {
        deals[i].0.price = price;
    }
}

fn read_mt5_rows(rows: &[Row], sink: &mut Sink) -> Result<(), ImportError> {
    let tz = sink.options.tz;
    let heading = heading(rows, tz);
    let mut section = String::new();
    let mut header: Option<Header> = None;
    let mut positions: Vec<Position> = Vec::new();
    let mut deals: Vec<(Fill, Entry)> = Vec::new();
    let mut order_stops: Vec<StopOrder> = Vec::new();
    let mut orders_table = false;
    let mut found = false;
    let mut after_deals = 0usize;
    for (i, row) in rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        if let Some(t) = title(row) {
            // Any title ends the table above it: reports in other languages
            // name their sections in those languages.
            let lower = t.to_lowercase();
            if section == "deals" {
                after_deals = i;
            }
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
            orders_table |= section == "orders" && header.is_some();
            continue;
        }
        let Some(h) = header.as_ref() else { continue };
        match section.as_str() {
            "positions" => {
                let result = position_row(row, h, tz, false).map(|p| {
                    if let Some(PositionRow::Position(p)) = p {
                        positions.push(*p);
                    }
                });
                sink.row(row.line, result)?;
            }
            "deals" => {
                after_deals = i + 1;
                let result = deal_row(row, h, &heading, tz).map(|deal| {
                    if let Some(deal) = deal {
                        deals.push(deal);
                    }
                });
                sink.row(row.line, result)?;
            }
            "orders" => {
                let result = order_stop(row, h, &heading.account, tz).map(|stop| {
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
    let hedging = heading.hedging || positions_hedge(&positions) || deals_hedge(&deals);
    let mut out = Emitted::new();
    let now = |fills: &[Fill]| stops_now(heading.at, fills);
    if deals.is_empty() {
        emit(&mut positions, &heading, hedging, now, &mut out);
    } else {
        let sizes = implied_sizes(&positions, &heading.currency);
        close_by_deals(&mut deals);
        for (mut fill, entry) in deals {
            if fill.multiplier.is_none() {
                fill.multiplier = sizes.get(&fill.symbol).map(|i| i.size);
            }
            if hedging {
                fill.position = entry.position(fill.side);
            }
            if matches!(entry, Entry::In | Entry::InOut) || (entry == Entry::Unknown) {
                out.entries
                    .insert((fill.symbol.clone(), fill.position, fill.at));
            }
            out.fills.push(fill);
        }
        // The S / L of the orders is the stop each one was placed with; a
        // position's S / L is where its stop ended up: when the opening
        // order had another one (or none), it was moved before the close.
        let now = now(&out.fills);
        for p in &positions {
            let Some(stop) = p.stop else { continue };
            let protects = Some(p.side.opposite());
            let initial = order_stops
                .iter()
                .find(|s| s.symbol == p.symbol && s.side == protects && s.at == p.open_at);
            if initial.is_some_and(|s| s.price == stop) {
                continue;
            }
            let (at, status) = match p.close {
                Some((close_at, _)) => (close_at, "S / L at the close"),
                None => (now, "S / L now"),
            };
            out.last_stops.push(StopOrder {
                account: heading.account.clone(),
                symbol: p.symbol.clone(),
                at,
                price: stop,
                status: status.to_owned(),
                side: protects,
                line: p.line,
            });
        }
        out.implied_currencies.extend(
            sizes
                .into_iter()
                .filter_map(|(symbol, i)| Some((symbol, i.currency?))),
        );
    }
    out.known_stops = order_stops;
    out.finish(&heading.currency, sink);
    sink.parsed.stops_recorded = orders_table;
    let total = labelled_amount(&rows[after_deals..], &["Total Net Profit"])
        .or_else(|| results_by_shape(&rows[after_deals..]));
    if let Some((label, amount)) = total {
        sink.parsed.total = Some(StatementTotal {
            label,
            currency: total_currency(&heading),
            amount,
            excluded: Decimal::ZERO,
            counts_open: true,
        });
    }
    Ok(())
}

fn deal_row(
    row: &Row,
    h: &Header,
    heading: &Heading,
    tz: chrono_tz::Tz,
) -> Result<Option<(Fill, Entry)>, RowError> {
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
    let costs = signed_sum(row, h, &["Commission", "Fee", "Swap"])?;
    let entry = Entry::parse(opt_text(row, h.find(&["Direction"])));
    let profit = opt_number(row, h.find(&["Profit"]), "Profit")?;
    let profit = Some(profit.unwrap_or_default());
    let symbol = tidy_symbol(symbol);
    let (kind, multiplier) = spot_contract(&symbol);
    let text_of = |names: &[&str]| {
        let t = opt_text(row, h.find(names));
        (!t.is_empty()).then(|| t.to_owned())
    };
    Ok(Some((
        Fill {
            account: heading.account.clone(),
            symbol,
            kind,
            side,
            qty,
            price,
            fee: negated(costs),
            at,
            currency: heading.currency.clone(),
            multiplier,
            order_id: text_of(&["Order"]),
            exec_id: text_of(&["Deal"]),
            profit,
            position: None,
            line: row.line,
        },
        entry,
    )))
}

/// The stop an MT5 order was placed with, at the time it was filled: a
/// market order's, or a pending order's that was filled (`buy stop`,
/// `sell limit`...).
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
    let kind = opt_text(row, h.find(&["Type"]));
    let side = side_of(kind).or_else(|| {
        is_pending(kind)
            .then(|| side_of(kind.split_whitespace().next().unwrap_or("")))
            .flatten()
    });
    let Some(side) = side else {
        return Ok(None); // close by
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn mt5_results_are_found_after_the_deals() {
        let csv = "Trade History Report,,,\nAccount:,,,\"1234 (EUR, S, real, Hedge)\",\nDate:,,,2026.03.19 19:07,\n\
            Deals,,,\nTime,Deal,Symbol,Type,Direction,Volume,Price,Order,Commission,Fee,Swap,Profit,Balance,Comment\n\
            2025.06.17 18:30:07,1,XAUUSD+,buy,in,0.01,3381.24,11,-0.03,0,0,0,59.97,\n\
            ,,,,,,,,-0.03,0,0,0,0,\nBalance:,,,0,,,Free Margin:,,,0,,,,\n,,,\nResults,,,\n\
            Total Net Profit:,,,-0.03,Gross Profit:,,,0,Gross Loss:,,,-0.03,,\n";
        let options = crate::import::ImportOptions::default();
        let parsed =
            crate::import::parse_as(crate::import::Format::Mt5Csv, csv.as_bytes(), "x", &options)
                .unwrap();
        let total = parsed.total.unwrap();
        assert_eq!(total.amount, Decimal::new(-3, 2));
        assert_eq!(total.currency, "EUR");
        assert_eq!(parsed.fills.get(0).position, Some(Side::Long));
    }

    #[test]
    fn quote_currencies_ignore_broker_suffixes() {
        for (symbol, quote) in [
            ("XAUUSD+", Some("USD")),
            ("EURUSD.m", Some("USD")),
            ("USDJPY+", Some("JPY")),
            ("GBPJPY_m", Some("JPY")),
            ("EURUSDm", Some("USD")),
            ("EURUSD@", Some("USD")),
            ("EURUSD#", Some("USD")),
            ("XAGEUR", Some("EUR")),
            ("US30.cash", None),
            ("BTCUSD", None),
        ] {
            assert_eq!(quote_currency(symbol).as_deref(), quote, "{symbol}");
        }
    }

    #[test]
    fn report_times_as_headings_write_them() {
        let tz = chrono_tz::UTC;
        for (cell, want) in [
            ("2023 July 29, 13:27", "2023-07-29T13:27:00+00:00"),
            ("2025.05.09 23:59 (local time)", "2025-05-09T23:59:00+00:00"),
            ("2026.03.19 19:07", "2026-03-19T19:07:00+00:00"),
        ] {
            let got = heading_time(cell, tz).map(|t| t.to_rfc3339());
            assert_eq!(got.as_deref(), Some(want), "{cell}");
        }
        assert_eq!(heading_time("Name: Jane", tz), None);
    }
}
