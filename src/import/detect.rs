//! Which format a file is in, from its content alone (never its name).
//!
//! Markup is told apart by its markers (`<FlexQueryResponse>` or `<Trade`
//! elements with `tradePrice`; MT4's "Closed Transactions" or "Closed Trade
//! P/L"; MT5's "Trade History Report", "Deals" and "Positions", or, in a
//! report in any other language, Japanese or Russian, the shape of its
//! Positions header). The text is decoded first (`text::decode`): UTF-16
//! with or without a byte order mark and with a stray last byte, and legacy
//! code pages, read the same. A CSV is recognised by the
//! header names of one of its first rows, compared without regard to case,
//! spacing or punctuation (DAS Trader's Trades window by its `Symb`, `Route`
//! and `Cloid` or `P / L`). Statements whose trades may come after hundreds of
//! rows of other sections (IBKR Activity Statements, thinkorswim Account
//! Statements) are also told by how they begin.

use super::Format;
use super::generic::common_columns;
use super::html::table_rows;
use super::metatrader::mt5_table_by_shape;
use super::table::{Header, csv_rows};
use super::text::decode;

/// How many characters of a file's beginning detection reads.
const HEAD_CHARS: usize = 200_000;

/// How many bytes of a file hold at least its first [`HEAD_CHARS`]
/// characters in any encoding (four bytes a character at most), with a
/// character cut at the end to spare.
const HEAD_BYTES: usize = HEAD_CHARS * 4 + 8;

/// Whether `line` starts with `prefix` once its double quotes are left out
/// (`prefix` has none).
fn starts_without_quotes(line: &str, prefix: &str) -> bool {
    let mut chars = line.chars().filter(|&c| c != '"');
    prefix.chars().all(|p| chars.next() == Some(p))
}

/// The format of a file, or `None` when it is not one Tranche knows.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    // Only the file's beginning is decoded, cut where no UTF-8 character
    // continues (UTF-16, whose last character may be cut, has characters to
    // spare; see `HEAD_BYTES`).
    let mut cut = bytes.len().min(HEAD_BYTES);
    while cut > 0 && cut < bytes.len() && bytes[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    let text = decode(&bytes[..cut]);
    let head: &str = match text.char_indices().nth(HEAD_CHARS) {
        Some((end, _)) => &text[..end],
        None => &text,
    };
    let lower = head.to_ascii_lowercase();
    let trimmed = lower.trim_start();
    if trimmed.starts_with('<') {
        if lower.contains("<flexqueryresponse")
            || (lower.contains("<trade ") && lower.contains("tradeprice"))
        {
            return Some(Format::IbkrFlexXml);
        }
        if lower.contains("closed transactions") || lower.contains("closed trade p/l") {
            return Some(Format::Mt4Html);
        }
        if lower.contains("trade history report")
            || (lower.contains(">deals<") && lower.contains(">positions<"))
            || lower.contains("<b>deals</b>")
        {
            return Some(Format::Mt5Html);
        }
        // A report in another language: the shape of its Positions header.
        let positions = table_rows(head)
            .iter()
            .any(|row| matches!(mt5_table_by_shape(row), Some(("positions", _))));
        return positions.then_some(Format::Mt5Html);
    }
    if lower.contains("account trade history")
        || (lower.contains("filled orders")
            && lower.contains("exec time")
            && lower.contains("pos effect"))
    {
        return Some(Format::Thinkorswim);
    }
    // Statements whose trades come after hundreds of rows of other sections:
    // they are told by how they begin.
    let opening: Vec<&str> = lower
        .lines()
        .map(|l| l.trim().trim_start_matches('\u{feff}'))
        .filter(|l| !l.trim_matches(',').is_empty())
        .take(3)
        .collect();
    // thinkorswim: "Account Statement for 123 (margin) since ...", after a
    // paperMoney notice, then "Cash Balance".
    if opening.iter().any(|l| {
        l.starts_with("account statement for") || l.starts_with("today's trade activity for")
    }) && lower.lines().any(|l| {
        let l = l.trim().trim_end_matches(',');
        matches!(
            l,
            "cash balance" | "account order history" | "working orders"
        )
    }) {
        return Some(Format::Thinkorswim);
    }
    // IBKR Activity Statement: "Statement,Header,Field Name,Field Value" first.
    if opening
        .first()
        .is_some_and(|l| starts_without_quotes(l, "statement,header,"))
        || lower.lines().any(|l| {
            starts_without_quotes(l, "trades,header,datadiscriminator")
                || starts_without_quotes(l, "transaktionen,header,datadiscriminator")
                || starts_without_quotes(l, "operaciones,header,datadiscriminator")
        })
    {
        return Some(Format::IbkrFlexCsv);
    }
    // Only the first lines matter for a CSV header: cut at a line boundary.
    let sample: String = head.lines().take(300).collect::<Vec<_>>().join("\n");
    let rows = csv_rows(&sample);
    let mut generic = false;
    let mut mt5_sections = 0;
    for row in rows.iter().take(300) {
        let first = row.cell(0).to_ascii_uppercase();
        if matches!(first.as_str(), "BOF" | "BOS") {
            return Some(Format::IbkrFlexCsv);
        }
        // An MT5 report in another language: its Positions header's shape.
        if matches!(mt5_table_by_shape(row), Some(("positions", _))) {
            return Some(Format::Mt5Csv);
        }
        if row.filled().count() == 1 {
            let t = row.filled().next().unwrap_or("").to_ascii_lowercase();
            if matches!(t.as_str(), "deals" | "positions" | "trade history report") {
                mt5_sections += 1;
            }
            continue;
        }
        let h = Header::new(row);
        if (h.has_all(&["Symbol", "Quantity"])
            && h.count(&[
                "TradePrice",
                "IBCommission",
                "Buy/Sell",
                "IBExecID",
                "AssetClass",
                "ClientAccountID",
                "UnderlyingSymbol",
                "OrderTime",
                "NetCash",
                "BrokerExecutionCommission",
                "CurrencyPrimary",
                "IBOrderID",
            ]) >= 2)
            || (matches!(first.as_str(), "HEADER") && row.cell(1).eq_ignore_ascii_case("TRNT"))
            || (first == "TRADES"
                && row.cell(1).eq_ignore_ascii_case("Header")
                && h.count(&["T. Price", "Comm/Fee", "DataDiscriminator"]) >= 2)
            || (first == "TRANSAKTIONEN"
                && row.cell(1).eq_ignore_ascii_case("Header")
                && h.count(&["T.-Kurs", "Prov./Gebühr", "DataDiscriminator"]) >= 2)
        {
            return Some(Format::IbkrFlexCsv);
        }
        if h.has_all(&["B/S", "Contract"])
            && h.count(&[
                "Fill Time",
                "avgPrice",
                "Filled Qty",
                "filledQty",
                "Stop Price",
                "Status",
            ]) >= 2
        {
            return Some(Format::TradovateOrders);
        }
        if h.has_all(&["buyPrice", "sellPrice", "boughtTimestamp", "soldTimestamp"]) {
            return Some(Format::TradovatePerformance);
        }
        if h.has_all(&["Instrument", "Entry price", "Exit price"])
            && h.has_all(&["Entry time", "Exit time"])
        {
            return Some(Format::NinjaTraderTrades);
        }
        if h.has_all(&["Instrument", "Action", "Quantity", "Price", "Time"])
            && h.count(&["E/X", "Position", "Order ID", "ID", "Rate", "Connection"]) >= 2
        {
            return Some(Format::NinjaTraderExecutions);
        }
        if h.has_all(&["Symbol", "Side", "Status", "Filled"])
            && h.count(&["Placed Time", "Filled Time", "Avg Price", "Total Qty"]) >= 2
        {
            return Some(Format::WebullOrders);
        }
        // Webull's newer layout: B/S, Side Type, Filled Qty, Filled Avg Price.
        if h.has_all(&["Symbol", "Side Type", "Filled Qty"])
            && h.count(&[
                "Filled Avg Price",
                "Filled Time",
                "Fill Time",
                "Place Time",
                "B/S",
            ]) >= 2
        {
            return Some(Format::WebullOrders);
        }
        if h.has_all(&["txid", "ordertxid", "pair", "vol"]) {
            return Some(Format::KrakenTrades);
        }
        if super::das::is_header(&h) {
            return Some(Format::DasTrades);
        }
        if mt5_sections > 0 && h.has_all(&["Deal", "Symbol", "Type", "Direction"]) {
            return Some(Format::Mt5Csv);
        }
        if mt5_sections > 0 && h.has_all(&["Position", "Symbol", "Type", "Volume"]) {
            return Some(Format::Mt5Csv);
        }
        if !generic && common_columns(&h).is_some() {
            generic = true;
        }
    }
    generic.then_some(Format::GenericCsv)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A generic CSV of `rows` rows, each with a two-byte character, its
    /// header `pad` bytes longer than the shortest.
    fn long_csv(rows: usize, pad: usize) -> String {
        let mut text = format!(
            "Date,Time,Symbol,Side,Quantity,Price,Account,Note{}\n",
            "s".repeat(pad)
        );
        for n in 0..rows {
            text.push_str(&format!(
                "2024-01-02,09:30:00,AAPL,Buy,{n},170.25,U1,café\n"
            ));
        }
        text
    }

    #[test]
    fn a_long_file_is_told_by_its_beginning_whatever_its_encoding() {
        let text = long_csv(30_000, 0);
        assert!(text.len() > HEAD_BYTES);
        assert_eq!(detect(text.as_bytes()), Some(Format::GenericCsv));
        // The header padded so that the cut falls inside an `é`.
        let before = text.as_bytes()[..HEAD_BYTES]
            .windows(2)
            .rposition(|pair| pair == "é".as_bytes())
            .unwrap();
        let cut_inside = long_csv(30_000, HEAD_BYTES - 1 - before);
        assert!(!cut_inside.is_char_boundary(HEAD_BYTES));
        assert_eq!(detect(cut_inside.as_bytes()), Some(Format::GenericCsv));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert!(utf16.len() > HEAD_BYTES);
        assert_eq!(detect(&utf16), Some(Format::GenericCsv));
    }

    #[test]
    fn quotes_are_left_out_of_a_line_s_beginning() {
        assert!(starts_without_quotes(
            "\"trades\",\"header\"",
            "trades,header"
        ));
        assert!(starts_without_quotes("trades,header,x", "trades,header"));
        assert!(!starts_without_quotes("trades,head", "trades,header"));
        assert!(!starts_without_quotes(
            "\"trade\"s,header",
            "trades,headers"
        ));
    }
}
