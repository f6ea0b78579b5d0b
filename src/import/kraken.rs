//! Kraken's trades export (`trades.csv`).
//!
//! Columns `txid, ordertxid, pair, time, type, ordertype, price, cost, fee, vol,
//! margin, misc, ledgers`; times are UTC; `type` is buy or sell; `vol` is the
//! quantity and `fee` is in the quote currency. The `ledgers` field may spill
//! into further unnamed columns, which are ignored.

use super::generic::{ColumnMapping, Flavour, read_with};
use super::instrument::InstrumentKind;
use super::{ImportError, Sink};

/// The mapping of Kraken's columns.
pub fn mapping() -> ColumnMapping {
    ColumnMapping {
        date: "time".into(),
        symbol: "pair".into(),
        side: "type".into(),
        quantity: "vol".into(),
        price: "price".into(),
        fees: vec!["fee".into()],
        exec_id: "txid".into(),
        order_id: "ordertxid".into(),
        ..ColumnMapping::default()
    }
}

/// Reads a Kraken trades export.
pub(crate) fn read(text: &str, sink: &mut Sink) -> Result<(), ImportError> {
    let flavour = Flavour {
        tz: chrono_tz::UTC,
        kind: Some(InstrumentKind::Crypto),
    };
    read_with(text, sink, Some(&mapping()), &flavour)?;
    let mut fills = std::mem::take(&mut sink.parsed.fills).into_vec();
    for fill in &mut fills {
        fill.currency = quote_currency(&fill.symbol);
    }
    sink.parsed.fills = fills.into();
    Ok(())
}

/// The quote currency of a Kraken pair: `XXBTZEUR` → `EUR`, `XBTUSDC` → `USDC`.
fn quote_currency(pair: &str) -> String {
    let p = pair.trim().to_ascii_uppercase();
    for quote in [
        "USDC", "USDT", "ZUSD", "ZEUR", "ZGBP", "ZJPY", "ZCAD", "ZCHF", "USD", "EUR", "GBP", "JPY",
        "CAD", "CHF", "XBT", "ETH",
    ] {
        if p.len() > quote.len() && p.ends_with(quote) {
            return quote.trim_start_matches('Z').to_owned();
        }
    }
    String::new()
}
