//! Reading and writing tranche-journal JSON for the app's import, export and
//! sample trades.

use chrono::DateTime;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::analysis::format;
use crate::domain::{Event, EventKind, Trade, TradeId};

/// Reads the trades of a tranche-journal JSON document.
pub fn parse(text: &str) -> Result<Vec<Trade>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if doc.get("format").and_then(Value::as_str) != Some("tranche-journal") {
        return Err("not a tranche-journal file (no \"format\": \"tranche-journal\")".to_owned());
    }
    let trades = doc
        .get("trades")
        .and_then(Value::as_array)
        .ok_or("the file has no \"trades\" list")?;
    trades
        .iter()
        .enumerate()
        .map(|(i, t)| parse_trade(t).map_err(|e| format!("trade {}: {e}", i + 1)))
        .collect()
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn decimal(v: &Value, key: &str, default: Option<Decimal>) -> Result<Decimal, String> {
    match v.get(key) {
        Some(Value::String(s)) => {
            Decimal::from_str_exact(s).map_err(|_| format!("{key} {s:?} is not a decimal"))
        }
        None => default.ok_or_else(|| format!("{key} is missing")),
        Some(other) => Err(format!("{key} must be a decimal string, not {other}")),
    }
}

fn parse_trade(t: &Value) -> Result<Trade, String> {
    let symbol = text(t, "symbol").ok_or("symbol is missing")?;
    let side = text(t, "side")
        .ok_or("side is missing")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let mut trade = Trade::new(symbol, side);
    trade.multiplier = decimal(t, "multiplier", Some(Decimal::ONE))?;
    if let Some(c) = text(t, "currency") {
        trade.currency = c.to_owned();
    }
    if let Some(a) = text(t, "account") {
        trade.account = a.to_owned();
    }
    trade.setup = text(t, "setup").unwrap_or_default().to_owned();
    if let Some(m) = text(t, "market_condition") {
        trade.market_condition = m.parse().map_err(|e| format!("{e}"))?;
    }
    trade.tags = t
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    trade.notes = text(t, "notes").unwrap_or_default().to_owned();
    let events = t
        .get("events")
        .and_then(Value::as_array)
        .ok_or("events are missing")?;
    for (i, e) in events.iter().enumerate() {
        let at = text(e, "at").ok_or_else(|| format!("event {}: at is missing", i + 1))?;
        let at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| format!("event {}: {at:?} is not an RFC 3339 time", i + 1))?;
        let price = decimal(e, "price", None).map_err(|m| format!("event {}: {m}", i + 1))?;
        let event = match text(e, "type") {
            Some("entry") | Some("exit") => {
                let qty = decimal(e, "qty", None).map_err(|m| format!("event {}: {m}", i + 1))?;
                let fee = decimal(e, "fee", Some(Decimal::ZERO))
                    .map_err(|m| format!("event {}: {m}", i + 1))?;
                if text(e, "type") == Some("entry") {
                    Event::entry(at, qty, price, fee)
                } else {
                    Event::exit(at, qty, price, fee)
                }
            }
            Some("stop") => Event::stop(at, price),
            Some("target") => Event::target(at, price),
            other => return Err(format!("event {}: unknown type {other:?}", i + 1)),
        };
        trade.events.push(event);
    }
    trade.sort_events();
    trade.validate().map_err(|errors| {
        errors
            .iter()
            .map(|e| match e.event() {
                Some(i) => format!("event {}: {e}", i + 1),
                None => e.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    Ok(trade)
}

/// Writes trades as a tranche-journal JSON document.
pub fn write(trades: &[(TradeId, Trade)]) -> String {
    let trades: Vec<Value> = trades
        .iter()
        .map(|(_, t)| {
            let events: Vec<Value> = t
                .events
                .iter()
                .map(|e| {
                    let at = e.at.to_rfc3339();
                    match e.kind {
                        EventKind::Entry(f) | EventKind::Exit(f) => json!({
                            "type": e.kind.name(), "at": at, "qty": format::exact(f.qty),
                            "price": format::exact(f.price), "fee": format::exact(f.fee)}),
                        EventKind::Stop { price } | EventKind::Target { price } => json!({
                            "type": e.kind.name(), "at": at, "price": format::exact(price)}),
                    }
                })
                .collect();
            json!({"symbol": t.symbol, "side": t.side.as_str(), "multiplier": format::exact(t.multiplier),
                "currency": t.currency, "account": t.account, "setup": t.setup,
                "market_condition": t.market_condition.as_str(), "tags": t.tags, "notes": t.notes,
                "events": events})
        })
        .collect();
    let doc = json!({"format": "tranche-journal", "version": 1, "trades": trades});
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
