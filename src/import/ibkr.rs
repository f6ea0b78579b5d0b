//! Interactive Brokers Flex Query, Trades section, as CSV and as XML (and the
//! Trades section of a CSV Activity Statement).
//!
//! The user chooses the columns of a Flex Query and their order, so every
//! column is found by name. Quantities are signed (negative for sells) and
//! `IBCommission` is negative for a cost. CSV files may carry `BOF`/`BOS`/
//! `EOS`/`EOF` wrapper lines, `HEADER`/`DATA` line descriptors with section
//! codes, several sections and repeated headers. Only executions are read:
//! rows whose `LevelOfDetail` is `ORDER`, `CLOSED_LOT` or a summary are
//! skipped, as are sections other than trades (`TRNT`) and cancellations;
//! a query of orders only is read one fill per order, with a warning.
//! An Activity Statement's rows start with `Trades,Header` / `Trades,Data`;
//! its `DataDiscriminator` says `Order` or `Trade` (an execution), `T. Price`
//! is the price and `Comm/Fee` the commission. A statement in German has
//! `Transaktionen` rows with `Datum/Zeit`, `Menge`, `T.-Kurs`, `Prov./Gebühr`
//! and `Vermögenswertkategorie` (`Aktien`, `Aktien- und Indexoptionen`); one
//! in Spanish `Operaciones` rows with `Fecha/Hora`, `Cantidad`, `Precio
//! trans.`, `Tarifa/com.`.
//! Its Trades rows give no multiplier: the "Financial Instrument
//! Information" section does, by symbol (options on futures are not 100).
//! The time of a fill is `DateTime`, else `TradeDate` and `TradeTime`, else
//! (a Trade Confirmation query with `Price`, `Commission` and `OrderTime`)
//! the order's time.
//! In XML, each `<Trade .../>` (or `<TradeConfirm .../>`) element is a row;
//! `<Order>`, `<Lot>` and other elements are not.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::generic::kind_from_asset;
use super::instrument::{InstrumentKind, guess_kind};
use super::table::{Header, Row, csv_rows, opt_number, opt_text, req_number};
use super::{Fill, FillSide, ImportError, RowError, Sink, text};

const WRAPPERS: &[&str] = &["BOF", "BOA", "BOS", "EOS", "EOA", "EOF"];

// Column names, in English and as statements in German (and Spanish) name them.
const SYMBOL: &[&str] = &["Symbol", "Símbolo"];
const QUANTITY: &[&str] = &["Quantity", "Menge", "Cantidad"];
const TRADE_PRICE: &[&str] = &[
    "TradePrice",
    "T. Price",
    "T.-Kurs",
    "Precio trans.",
    "T. Precio",
];
const COMMISSION: &[&str] = &[
    "IBCommission",
    "Commission",
    "Comm/Fee",
    "Comm in USD",
    "Prov./Gebühr",
    "Provision/Gebühr",
    "Tarifa/com.",
];
const DATE_TIME: &[&str] = &["DateTime", "Date/Time", "Datum/Zeit", "Fecha/Hora"];
const ASSET: &[&str] = &[
    "AssetClass",
    "AssetCategory",
    "Asset Category",
    "Vermögenswertkategorie",
    "Anlagekategorie",
    "Categoría de activo",
];
const CURRENCY: &[&str] = &["CurrencyPrimary", "Currency", "Währung", "Divisa"];
const ACCOUNT: &[&str] = &["ClientAccountID", "AccountId", "Account", "Konto", "Cuenta"];

/// The section of an Activity Statement that holds the trades, by language.
fn is_trades_section(name: &str) -> bool {
    matches!(name, "TRADES" | "TRANSAKTIONEN" | "OPERACIONES")
}

/// An asset category as IBKR names it, in English or German.
fn asset_kind(text: &str) -> Option<InstrumentKind> {
    match text.trim().to_lowercase().as_str() {
        "aktien" | "acciones" => Some(InstrumentKind::Stock),
        "aktien- und indexoptionen"
        | "optionen"
        | "optionen auf futures"
        | "opciones sobre acciones e índices" => Some(InstrumentKind::Option),
        "devisen" => Some(InstrumentKind::Forex),
        other => kind_from_asset(other),
    }
}

fn is_trade_header(header: &Header) -> bool {
    header.find(SYMBOL).is_some()
        && header.find(QUANTITY).is_some()
        && (header.find(TRADE_PRICE).is_some() || header.has_all(&["Price", "Buy/Sell"]))
}

/// Executions, and the orders they make up: rows of any other level of
/// detail (closed lots, summaries) are not fills.
#[derive(Default)]
struct Rows {
    orders: Vec<Fill>,
    executions: usize,
    /// Flex queries name the level of detail; Activity Statements list orders.
    flex_orders: bool,
    /// The account an Activity Statement names in its heading.
    account: String,
    /// Whether the file writes its dates day first (`dd/MM/yyyy`).
    day_first: bool,
    /// Multipliers by symbol from an Activity Statement's "Financial
    /// Instrument Information" (its Trades rows do not give them).
    multipliers: HashMap<String, Decimal>,
}

impl Rows {
    /// Reads one row into the sink (executions) or aside (orders).
    fn read(&mut self, row: &Row, h: &Header, sink: &mut Sink) -> Result<(), ImportError> {
        let level =
            opt_text(row, h.find(&["LevelOfDetail", "DataDiscriminator"])).to_ascii_uppercase();
        match level.as_str() {
            // Activity statements call an execution a "Trade".
            "" | "EXECUTION" | "TRADE" => {
                let result = fill_from(row, h, self.day_first, sink).map(|fill| {
                    if let Some(fill) = fill {
                        self.executions += 1;
                        sink.parsed.fills.push(fill);
                    }
                });
                sink.row(row.line, result)
            }
            "ORDER" => {
                self.flex_orders |= h.find(&["LevelOfDetail"]).is_some();
                // Used only when the query has no executions; errors then too.
                if let Ok(Some(fill)) = fill_from(row, h, self.day_first, sink) {
                    self.orders.push(fill);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A query of orders only: each order is one fill.
    fn finish(self, sink: &mut Sink) {
        if self.executions == 0 && !self.orders.is_empty() {
            if self.flex_orders {
                sink.warn(
                    None,
                    Some("LevelOfDetail"),
                    "the query has orders but no executions: each order is read as one fill",
                );
            }
            sink.parsed.fills.extend(self.orders);
        }
        let mut fills = std::mem::take(&mut sink.parsed.fills).into_vec();
        for fill in fills.iter_mut().filter(|f| f.multiplier.is_none()) {
            fill.multiplier = self.multipliers.get(&fill.symbol).copied();
        }
        if !self.account.is_empty() {
            for fill in fills.iter_mut().filter(|f| f.account.is_empty()) {
                fill.account.clone_from(&self.account);
            }
        }
        sink.parsed.fills = fills.into();
    }
}

/// Reads one execution (or order) row; `None` for blank and cancelled rows.
fn fill_from(
    row: &Row,
    h: &Header,
    day_first: bool,
    sink: &mut Sink,
) -> Result<Option<Fill>, RowError> {
    let symbol = opt_text(row, h.find(SYMBOL));
    let qty_text = opt_text(row, h.find(QUANTITY));
    if symbol.is_empty() && qty_text.is_empty() {
        return Ok(None);
    }
    let buy_sell = opt_text(row, h.find(&["Buy/Sell", "BuySell"]));
    if buy_sell.contains("(Ca.)") || buy_sell.to_ascii_uppercase().contains("CANCEL") {
        sink.warn(
            Some(row.line),
            Some("Buy/Sell"),
            "a cancelled execution is skipped",
        );
        return Ok(None);
    }
    if symbol.is_empty() {
        return Err(RowError::new("Symbol", "is empty"));
    }
    let qty_col = h
        .find(QUANTITY)
        .ok_or_else(|| RowError::new("Quantity", "no such column"))?;
    let signed = req_number(row, qty_col, "Quantity")?;
    let side = match FillSide::parse(buy_sell) {
        Some(side) => side,
        None if signed < Decimal::ZERO => FillSide::Sell,
        None if signed > Decimal::ZERO => FillSide::Buy,
        None => return Err(RowError::new("Quantity", "is zero")),
    };
    let qty = signed.abs();
    if qty.is_zero() {
        return Err(RowError::new("Quantity", "is zero"));
    }
    let price_col = h
        .find(TRADE_PRICE)
        .or_else(|| h.find(&["Price"]))
        .ok_or_else(|| RowError::new("TradePrice", "no such column"))?;
    let price = req_number(row, price_col, "TradePrice")?;
    let commission = opt_number(row, h.find(COMMISSION), "IBCommission")?.unwrap_or_default();
    let fee = if commission > Decimal::ZERO {
        sink.warn(
            Some(row.line),
            Some("IBCommission"),
            format!("a commission credit of {commission} is not counted as a fee"),
        );
        Decimal::ZERO
    } else {
        -commission
    };
    let tz = sink.options.tz;
    let datetime = opt_text(row, h.find(DATE_TIME));
    let at = if !datetime.is_empty() {
        text::datetime_with(datetime, tz, day_first).ok_or_else(|| {
            RowError::new("DateTime", format!("{datetime:?} is not a date and time"))
        })?
    } else if opt_text(row, h.find(&["TradeTime"])).is_empty()
        && !opt_text(row, h.find(&["OrderTime"])).is_empty()
    {
        // A Trade Confirmation query with the order's time but not the
        // execution's: the order time, not midnight of the trade date.
        let order_time = opt_text(row, h.find(&["OrderTime"]));
        text::datetime_with(order_time, tz, day_first).ok_or_else(|| {
            RowError::new(
                "OrderTime",
                format!("{order_time:?} is not a date and time"),
            )
        })?
    } else {
        let date = opt_text(row, h.find(&["TradeDate"]));
        let time = opt_text(row, h.find(&["TradeTime"]));
        if date.is_empty() {
            return Err(RowError::new(
                "DateTime",
                "neither DateTime nor TradeDate is given",
            ));
        }
        text::date_and_time_with(date, time, tz, day_first).ok_or_else(|| {
            RowError::new(
                "TradeDate",
                format!("{date:?} {time:?} is not a date and time"),
            )
        })?
    };
    let kind = asset_kind(opt_text(row, h.find(ASSET))).unwrap_or_else(|| guess_kind(symbol));
    let text_of = |names: &[&str]| {
        let t = opt_text(row, h.find(names));
        (!t.is_empty()).then(|| t.to_owned())
    };
    Ok(Some(Fill {
        account: opt_text(row, h.find(ACCOUNT)).to_owned(),
        symbol: symbol.split_whitespace().collect::<Vec<_>>().join(" "),
        kind,
        side,
        qty,
        price,
        fee,
        at,
        currency: opt_text(row, h.find(CURRENCY)).to_owned(),
        multiplier: opt_number(row, h.find(&["Multiplier"]), "Multiplier")?
            .filter(|m| *m > Decimal::ZERO),
        order_id: text_of(&["IBOrderID", "OrderID"]),
        exec_id: text_of(&["IBExecID", "ExecID", "TradeID", "TransactionID"]),
        profit: None,
        position: None,
        line: row.line,
    }))
}

/// Reads a Flex Query CSV.
pub(crate) fn read_csv(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let mut header: Option<Header> = None;
    let mut in_other_section = false;
    let mut instruments: Option<Header> = None;
    let mut saw_header = false;
    let all = csv_rows(text);
    let mut rows = Rows {
        day_first: text::day_first(all.iter().flat_map(|r| r.cells.iter().map(String::as_str))),
        ..Rows::default()
    };
    for mut row in all {
        if row.is_blank() {
            continue;
        }
        let first = row.cell(0).to_uppercase();
        if WRAPPERS.contains(&first.as_str()) {
            match first.as_str() {
                "BOS" => {
                    let code = row.cell(1).to_ascii_uppercase();
                    in_other_section = !code.is_empty()
                        && !matches!(code.as_str(), "TRNT" | "TCNF")
                        && !code.starts_with("TRADE");
                    header = None;
                }
                "EOS" => {
                    in_other_section = false;
                    header = None;
                }
                _ => {}
            }
            continue;
        }
        // "HEADER","TRNT",... / "DATA","TRNT",...: line descriptors and section codes.
        let descriptor = matches!(first.as_str(), "HEADER" | "DATA");
        if descriptor {
            let code = row.cell(1).to_ascii_uppercase();
            if !matches!(code.as_str(), "TRNT" | "TCNF") {
                continue;
            }
            row.cells.drain(..2.min(row.cells.len()));
        }
        // An Activity Statement: "Trades","Header",... / "Trades","Data",...; every
        // other section, and the subtotals, are not fills.
        let second = row.cell(1).to_ascii_uppercase();
        if matches!(
            first.as_str(),
            "ACCOUNT INFORMATION" | "KONTOINFORMATIONEN" | "INFORMACIÓN SOBRE LA CUENTA"
        ) && second == "DATA"
            && matches!(row.cell(2), "Account" | "Konto" | "Cuenta")
        {
            rows.account = row.cell(3).to_owned();
        }
        if first == "FINANCIAL INSTRUMENT INFORMATION" {
            match second.as_str() {
                "HEADER" => {
                    instruments = Some(Header::from_names(
                        row.cells.iter().skip(2).map(String::as_str),
                    ))
                }
                "DATA" => {
                    if let Some(h) = instruments.as_ref() {
                        let cells = Row {
                            cells: row.cells[2..].to_vec(),
                            ..row.clone()
                        };
                        let symbol = opt_text(&cells, h.find(&["Symbol"]));
                        let multiplier = text::number(opt_text(&cells, h.find(&["Multiplier"])));
                        if let Some(m) = multiplier.filter(|m| *m > Decimal::ZERO)
                            && !symbol.is_empty()
                        {
                            rows.multipliers
                                .insert(symbol.split_whitespace().collect::<Vec<_>>().join(" "), m);
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        if !descriptor && matches!(second.as_str(), "HEADER" | "DATA" | "SUBTOTAL" | "TOTAL") {
            if !is_trades_section(&first) || !matches!(second.as_str(), "HEADER" | "DATA") {
                continue;
            }
            row.cells.drain(..2);
        }
        if in_other_section {
            continue;
        }
        let candidate = Header::new(&row);
        if is_trade_header(&candidate) {
            header = Some(candidate);
            saw_header = true;
            continue;
        }
        let Some(h) = header.as_ref() else { continue };
        if row.cells.len() < 2 {
            continue;
        }
        rows.read(&row, h, sink)?;
    }
    rows.finish(sink);
    if !saw_header {
        return Err(sink.error(
            None,
            None,
            "no Trades header (Symbol, Quantity, TradePrice) was found",
        ));
    }
    Ok(())
}

/// Reads a Flex Query XML.
pub(crate) fn read_xml(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let elements = xml_elements(text).map_err(|(line, message)| {
        sink.error(
            Some(line),
            None,
            format!("the XML cannot be read: {message}"),
        )
    })?;
    let mut found_root = false;
    let mut rows = Rows {
        day_first: text::day_first(
            elements
                .iter()
                .flat_map(|e| e.attrs.iter().map(|(_, v)| v.as_str())),
        ),
        ..Rows::default()
    };
    for element in elements {
        let name = element.name.as_str();
        if name == "flexqueryresponse" || name == "flexstatement" || name == "trades" {
            found_root = true;
        }
        // <Trade> in Activity queries, <TradeConfirm> in Trade Confirmation queries.
        if name != "trade" && name != "tradeconfirm" {
            continue;
        }
        found_root = true;
        let header = Header::from_names(element.attrs.iter().map(|(n, _)| n.as_str()));
        let row = Row {
            line: element.line,
            cells: element.attrs.into_iter().map(|(_, v)| v).collect(),
            notes: Vec::new(),
        };
        rows.read(&row, &header, sink)?;
    }
    rows.finish(sink);
    if !found_root {
        return Err(sink.error(
            None,
            None,
            "no FlexQueryResponse or Trade elements were found",
        ));
    }
    Ok(())
}

/// An element of a Flex XML document: its name in lower case, its
/// attributes (values unescaped) and the line its tag ends on.
struct XmlElement {
    name: String,
    attrs: Vec<(String, String)>,
    line: usize,
}

/// Every opening (or empty) element of `text`, read with quick-xml; a
/// document that is not well formed is the line and what is wrong.
fn xml_elements(text: &str) -> Result<Vec<XmlElement>, (usize, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut lines = super::table::LineCounter::new(text);
    let mut line_at = |offset: usize| lines.line_at(offset);
    let mut elements = Vec::new();
    loop {
        let event = reader.read_event();
        let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                let name = tag.name().0.to_ascii_lowercase();
                let mut attrs = Vec::new();
                for attr in tag.attributes() {
                    let attr = attr.map_err(|e| (line_at(end.saturating_sub(1)), e.to_string()))?;
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| (line_at(end.saturating_sub(1)), e.to_string()))?;
                    attrs.push((attr.key.0.to_owned(), value.into_owned()));
                }
                elements.push(XmlElement {
                    name,
                    attrs,
                    line: line_at(end.saturating_sub(1)),
                });
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err((line_at(at), e.to_string()));
            }
        }
    }
    Ok(elements)
}
