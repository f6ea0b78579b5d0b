//! The tranche-journal JSON format: lossless round trip, defaults, ordering,
//! and errors that say where the problem is.

use rust_decimal_macros::dec;
use tranche::domain::{EventKind, MarketCondition, Side};
use tranche::interchange::{InterchangeError, from_json, to_json};
use tranche::storage::Journal;

use crate::helpers::{journal_json, sample_trades, t};

#[test]
fn export_import_export_is_byte_identical() {
    let mut source = Journal::open_in_memory().unwrap();
    source
        .insert_trades(&sample_trades(), &mut |_, _| {})
        .unwrap();
    // A deleted trade leaves a gap in the ids; the export must not depend on them.
    let gone = source.insert_trade(&sample_trades()[0]).unwrap();
    source.delete_trade(gone).unwrap();
    source.insert_trade(&sample_trades()[2]).unwrap();
    let first = to_json(&source.trades().unwrap());

    let imported = from_json(&first).unwrap();
    let mut expected = sample_trades();
    expected.push(sample_trades()[2].clone());
    assert_eq!(imported, expected);

    let dir = tempfile::tempdir().unwrap();
    let mut target = Journal::open(&dir.path().join("copy.sqlite")).unwrap();
    target.insert_trades(&imported, &mut |_, _| {}).unwrap();
    let second = to_json(&target.trades().unwrap());
    assert_eq!(first, second);

    assert!(first.contains("Sortie précipitée — 早すぎた 📉\\nsecond line, \\\"quoted\\\""));
    assert!(first.contains(r#""multiplier": "50""#));
    assert!(first.contains(r#""at": "2024-11-06T14:20:30.250+01:00""#));
    assert!(first.contains(r#""fee": "2.1""#), "decimals are normalized");
    assert!(first.ends_with("}\n"));
}

#[test]
fn the_issue_example_reads_with_same_time_events_in_file_order() {
    let text = r#"{"format": "tranche-journal", "version": 1, "trades": [
      {"symbol": "AAPL", "side": "long", "multiplier": "1", "currency": "USD",
       "account": "main", "setup": "breakout", "market_condition": "trending",
       "tags": ["earnings"], "notes": "text",
       "events": [
         {"type": "stop",  "at": "2024-03-01T09:35:00-05:00", "price": "95"},
         {"type": "entry", "at": "2024-03-01T09:35:00-05:00", "qty": "300", "price": "100", "fee": "1.50"},
         {"type": "exit",  "at": "2024-03-04T15:10:00-05:00", "qty": "300", "price": "110", "fee": "1.50"},
         {"type": "target","at": "2024-03-01T09:35:00-05:00", "price": "120"}]}]}"#;
    let trades = from_json(text).unwrap();
    assert_eq!(trades.len(), 1);
    let trade = &trades[0];
    assert_eq!(trade.market_condition, MarketCondition::Trending);
    let kinds: Vec<&str> = trade.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["stop", "entry", "target", "exit"]);
    assert_eq!(trade.events[1].kind.fill().unwrap().fee, dec!(1.50));
}

#[test]
fn optional_fields_take_their_defaults_and_ids_are_ignored() {
    let text = journal_json(
        &[r#"{"id": 41, "symbol": "MSFT", "side": "short", "events": [
        {"type": "entry", "at": "2024-01-02T15:00:00Z", "qty": "5", "price": "370.10"}]}"#],
    );
    let trade = &from_json(&text).unwrap()[0];
    assert_eq!(trade.side, Side::Short);
    assert_eq!(trade.multiplier, dec!(1));
    assert_eq!(trade.currency, "USD");
    assert_eq!(trade.account, "default");
    assert_eq!(trade.setup, "");
    assert_eq!(trade.market_condition, MarketCondition::Unknown);
    assert!(trade.tags.is_empty());
    assert_eq!(trade.notes, "");
    assert_eq!(trade.events[0].at, t("2024-01-02T15:00:00+00:00"));
    assert!(matches!(trade.events[0].kind, EventKind::Entry(f) if f.fee == dec!(0)));
}

const STOP: &str = r#"{"type": "stop", "at": "2024-03-01T09:35:00-05:00", "price": "95"}"#;
const ENTRY: &str =
    r#"{"type": "entry", "at": "2024-03-01T09:35:00-05:00", "qty": "300", "price": "100"}"#;
const EXIT: &str =
    r#"{"type": "exit", "at": "2024-03-04T15:10:00-05:00", "qty": "300", "price": "110"}"#;

fn good_trade(symbol: &str) -> String {
    format!(r#"{{"symbol": "{symbol}", "side": "long", "events": [{STOP}, {ENTRY}, {EXIT}]}}"#)
}

/// A file whose third trade (AAPL) has these events.
fn third_trade_with(events: &[&str]) -> String {
    let bad = format!(
        r#"{{"symbol": "AAPL", "side": "long", "events": [{}]}}"#,
        events.join(", ")
    );
    journal_json(&[&good_trade("MSFT"), &good_trade("NVDA"), &bad])
}

/// Every bad input, with the message it must give.
pub fn bad_inputs() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "malformed JSON",
            "{\"format\": \"tranche-journal\",\n \"version\": 1,\n \"trades\": [}".to_owned(),
            "malformed JSON at line 3, column 13",
        ),
        (
            "a float where a decimal string is expected",
            third_trade_with(&[
                STOP,
                r#"{"type": "entry", "at": "2024-03-01T09:35:00-05:00", "qty": 300.5, "price": "100"}"#,
            ]),
            "trade 3 (AAPL), event 2 (entry), qty: expected a decimal string such as \"300.5\", found the number 300.5",
        ),
        (
            "a negative quantity",
            third_trade_with(&[
                STOP,
                r#"{"type": "entry", "at": "2024-03-01T09:35:00-05:00", "qty": "-300", "price": "100"}"#,
            ]),
            "trade 3 (AAPL), event 2 (entry), qty: the quantity must be positive, not -300",
        ),
        (
            "an exit over the open quantity",
            third_trade_with(&[
                ENTRY,
                r#"{"type": "exit", "at": "2024-03-04T15:10:00-05:00", "qty": "400", "price": "110"}"#,
                STOP,
            ]),
            "trade 3 (AAPL), event 2 (exit), qty: the exit of 400 is larger than the open quantity 300",
        ),
        (
            "an unknown side",
            journal_json(&[&good_trade("MSFT").replace("long", "sideways")]),
            "trade 1 (MSFT), side: \"sideways\" is not a valid side; expected one of: long, short",
        ),
        (
            "a time with no offset",
            third_trade_with(&[
                ENTRY,
                r#"{"type": "stop", "at": "2024-03-01T09:35:00", "price": "95"}"#,
            ]),
            "trade 3 (AAPL), event 2 (stop), at: \"2024-03-01T09:35:00\" has no UTC offset",
        ),
        (
            "a misspelt field",
            journal_json(&[&good_trade("MSFT").replace("\"side\"", "\"sdie\"")]),
            "trade 1 (MSFT): unknown field \"sdie\"",
        ),
        (
            "not a tranche journal",
            r#"{"trades": []}"#.to_owned(),
            "not a tranche journal",
        ),
        (
            "a newer format version",
            r#"{"format": "tranche-journal", "version": 2, "trades": []}"#.to_owned(),
            "written by a newer Tranche",
        ),
    ]
}

#[test]
fn bad_inputs_name_the_place_of_the_problem() {
    for (name, text, expected) in bad_inputs() {
        let error = from_json(&text).expect_err(name);
        let message = error.to_string();
        assert!(
            message.contains(expected),
            "{name}:\n  got      {message}\n  expected {expected}"
        );
    }
}

#[test]
fn an_event_is_named_by_its_position_in_the_file_not_after_sorting() {
    // The bad exit is the first event in the file but the last in time.
    let text = third_trade_with(&[
        r#"{"type": "exit", "at": "2024-03-05T10:00:00-05:00", "qty": "500", "price": "110"}"#,
        STOP,
        ENTRY,
    ]);
    let error = from_json(&text).unwrap_err();
    assert!(
        matches!(
            &error,
            InterchangeError::Trade { trade: 3, event: Some((1, Some(kind))), field: Some(field), .. }
                if kind == "exit" && field == "qty"
        ),
        "{error:?}"
    );
}
