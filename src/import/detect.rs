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

/// The format of a file, or `None` when it is not one Tranche knows.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let text = decode(bytes);
    let head: String = text.chars().take(200_000).collect();
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
        let positions = table_rows(&head)
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
    if opening.first().is_some_and(|l| {
        let l = l.replace('"', "");
        l.starts_with("statement,header,")
    }) || lower.lines().any(|l| {
        let l = l.replace('"', "");
        l.starts_with("trades,header,datadiscriminator")
            || l.starts_with("transaktionen,header,datadiscriminator")
            || l.starts_with("operaciones,header,datadiscriminator")
    }) {
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
