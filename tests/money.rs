//! Money in the account's currency and stops a statement does not reveal
//! (RULES.md): a trade's rate, credits as negative fees, trades whose initial
//! stop is unknown, rates from the broker's profit, hedged positions.

use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::{Rule, RuleSettings, analyze};
use tranche::domain::{Event, Side, Trade};
use tranche::import::group::{GroupOptions, group};
use tranche::import::{Fill, FillSide, InstrumentKind, StopOrder};
use tranche::interchange::{from_json, to_json};
use tranche::storage::Journal;

use crate::helpers::{t, worked_example};

/// A USDJPY-style trade in a USD account: prices in JPY, money in USD.
fn yen_trade() -> Trade {
    let mut trade = Trade::new("USDJPY", Side::Long);
    trade.multiplier = dec!(100000);
    trade.rate = dec!(0.0067);
    trade.events = vec![
        Event::stop(t("2024-03-01T10:00:00Z"), dec!(149.50)),
        Event::entry(
            t("2024-03-01T10:00:00Z"),
            dec!(0.2),
            dec!(150.00),
            dec!(1.4),
        ),
        Event::exit(
            t("2024-03-01T12:00:00Z"),
            dec!(0.2),
            dec!(150.80),
            dec!(-0.35),
        ),
    ];
    trade
}

#[test]
fn every_money_term_is_multiplied_by_the_rate() {
    let a = analyze(&yen_trade(), &RuleSettings::default());
    // 0.80 JPY × 0.2 lot × 100,000 = 16,000 JPY, at 0.0067 USD a yen.
    assert_eq!(a.gross_pnl, dec!(107.2));
    // A swap credit is a negative fee: the account got it.
    assert_eq!(a.fees, dec!(1.05));
    assert_eq!(a.net_pnl, dec!(106.15));
    // R = 0.2 × 0.50 × 100,000 × 0.0067.
    assert_eq!(a.initial_risk, Some(dec!(67)));
    assert_eq!(a.r_multiple, Some(dec!(106.15) / dec!(67)));
}

#[test]
fn a_trade_whose_initial_stop_is_unknown_has_no_r_and_no_stop_verdicts() {
    // The worked example with its stops shuffled so that it breaks the stop
    // rules: no stop at the entry, a stop loosened later.
    let mut trade = worked_example();
    trade.events.remove(0);
    trade.events[2] = Event::stop(trade.events[2].at, dec!(90));
    trade.events[4] = Event::stop(trade.events[4].at, dec!(85));
    let judged = analyze(&trade, &RuleSettings::default());
    assert!(judged.broke(Rule::NoStop));
    assert!(judged.broke(Rule::StopLoosened));
    assert!(judged.broke(Rule::RunnerUnprotected));
    assert!(judged.stops_judged);

    trade.stops_known = false;
    let unknown = analyze(&trade, &RuleSettings::default());
    assert!(!unknown.stops_judged);
    assert_eq!((unknown.initial_risk, unknown.r_multiple), (None, None));
    let stop_rules = [
        Rule::StopNotTrailed,
        Rule::StopLoosened,
        Rule::RiskAboveInitial,
        Rule::NoStop,
        Rule::RunnerUnprotected,
    ];
    for rule in stop_rules {
        assert!(!unknown.broke(rule), "{rule:?} is not judged");
    }
    // Everything else is as before.
    assert_eq!(unknown.net_pnl, judged.net_pnl);
    assert_eq!(
        unknown.broke(Rule::AddNotSmaller),
        judged.broke(Rule::AddNotSmaller)
    );
}

#[test]
fn rate_and_unknown_stops_round_trip_through_the_json_and_the_journal() {
    let mut unknown = worked_example();
    unknown.stops_known = false;
    let trades = vec![yen_trade(), unknown, worked_example()];
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
    for trade in &trades {
        journal.insert_trade(trade).unwrap();
    }
    let stored = journal.trades().unwrap();
    let back: Vec<Trade> = stored.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(back, trades);

    let json = to_json(&stored);
    assert!(json.contains("\"rate\": \"0.0067\""), "{json}");
    assert_eq!(json.matches("\"stops_known\": false").count(), 1);
    // A rate of 1 and known stops are the defaults, left out.
    assert_eq!(json.matches("\"rate\"").count(), 1);
    let read = from_json(&json).unwrap();
    assert_eq!(read, trades);

    let bad = json.replace("\"stops_known\": false", "\"stops_known\": \"no\"");
    let error = from_json(&bad).unwrap_err().to_string();
    assert!(
        error.contains("stops_known: expected true or false"),
        "{error}"
    );
}

fn fill(side: FillSide, qty: Decimal, price: Decimal, minute: i64) -> Fill {
    Fill {
        account: "7001".into(),
        symbol: "USDJPY".into(),
        kind: InstrumentKind::Forex,
        side,
        qty,
        price,
        fee: Decimal::ZERO,
        at: Utc
            .with_ymd_and_hms(2024, 3, 1, 9, 0, 0)
            .unwrap()
            .fixed_offset()
            + Duration::minutes(minute),
        currency: "USD".into(),
        multiplier: Some(dec!(100000)),
        order_id: None,
        exec_id: Some(format!("d{minute}")),
        profit: None,
        position: None,
        line: minute as usize + 2,
    }
}

#[test]
fn the_rate_reproduces_the_brokers_profit_and_open_trades_take_the_latest() {
    use FillSide::{Buy, Sell};
    let fills = vec![
        fill(Buy, dec!(0.1), dec!(150.000), 0),
        Fill {
            profit: Some(dec!(5.33)),
            ..fill(Sell, dec!(0.1), dec!(150.800), 10)
        },
        fill(Buy, dec!(0.2), dec!(151.000), 20),
        Fill {
            profit: Some(dec!(-6.62)),
            ..fill(Sell, dec!(0.2), dec!(150.500), 30)
        },
        // Still open at the end of the file.
        fill(Buy, dec!(0.1), dec!(150.000), 40),
    ];
    let mut options = GroupOptions {
        stops_recorded: false,
        ..GroupOptions::default()
    };
    options
        .price_currencies
        .insert("USDJPY".into(), "JPY".into());
    let (trades, warnings) = group(&fills, &[], &options);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(trades.len(), 3);
    for (imported, profit) in trades[..2].iter().zip([dec!(5.33), dec!(-6.62)]) {
        let a = analyze(&imported.trade, &RuleSettings::default());
        assert_eq!(imported.trade.currency, "USD");
        assert_eq!(a.gross_pnl.round_dp(10), profit);
        assert!(!imported.trade.stops_known);
    }
    // The open trade: the latest closed trade's rate of the same pair.
    assert!(trades[2].open);
    assert_eq!(trades[2].trade.rate, trades[1].trade.rate);
    assert_eq!(trades[2].trade.currency, "USD");

    // Alone, an open trade with no rate to borrow stays in the price currency.
    let (alone, _) = group(&fills[4..], &[], &options);
    assert_eq!(
        (alone[0].trade.currency.as_str(), alone[0].trade.rate),
        ("JPY", Decimal::ONE)
    );
}

#[test]
fn a_hedging_account_books_longs_and_shorts_held_at_once_as_two_trades() {
    use FillSide::{Buy, Sell};
    let hedged = |side, qty, price, minute, position| Fill {
        position: Some(position),
        ..fill(side, qty, price, minute)
    };
    let fills = vec![
        hedged(Buy, dec!(1), dec!(150.0), 0, Side::Long),
        hedged(Sell, dec!(0.5), dec!(150.2), 5, Side::Short),
        hedged(Buy, dec!(0.5), dec!(150.4), 6, Side::Long),
        hedged(Buy, dec!(0.5), dec!(150.1), 8, Side::Short),
        hedged(Sell, dec!(1.5), dec!(150.6), 9, Side::Long),
        // Closes a short opened before the file begins.
        hedged(Buy, dec!(0.3), dec!(150.0), 12, Side::Short),
    ];
    let stops = vec![
        StopOrder {
            account: "7001".into(),
            symbol: "USDJPY".into(),
            at: fills[4].at,
            price: dec!(150.3),
            status: "S / L".into(),
            side: Some(Sell),
            line: 40,
        },
        StopOrder {
            account: "7001".into(),
            symbol: "USDJPY".into(),
            at: fills[3].at,
            price: dec!(150.5),
            status: "S / L".into(),
            side: Some(Buy),
            line: 41,
        },
    ];
    let (trades, warnings) = group(&fills, &stops, &GroupOptions::default());
    let sides: Vec<(Side, usize)> = trades
        .iter()
        .map(|t| (t.trade.side, t.trade.events.len()))
        .collect();
    // Long: two entries, a stop, an exit; short: an entry, a stop, an exit.
    assert_eq!(sides, [(Side::Long, 4), (Side::Short, 3)]);
    assert!(trades.iter().all(|t| !t.open));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .message
            .contains("closes a short position opened before the file begins"),
        "{}",
        warnings[0]
    );
    assert_eq!(warnings[0].line, Some(14));
}

#[test]
fn adding_the_initial_stop_in_the_editor_makes_the_stops_known() {
    use tranche::ui::form::{EventRow, RowKind, TradeForm};
    use tranche::ui::time::Zone;
    let zone = Zone::Named("UTC".into());
    let settings = RuleSettings::default();
    // As a statement gives it: the stop at the close only.
    let mut trade = Trade::new("EURUSD", Side::Long);
    trade.multiplier = dec!(100000);
    trade.stops_known = false;
    trade.events = vec![
        Event::entry(t("2024-03-01T10:00:00Z"), dec!(1), dec!(1.08500), dec!(0)),
        Event::stop(t("2024-03-01T11:00:00Z"), dec!(1.08600)),
        Event::exit(t("2024-03-01T11:00:00Z"), dec!(1), dec!(1.08700), dec!(0)),
    ];
    let mut form = TradeForm::from_trade(&trade, &zone);
    let preview = form.preview(&zone, &settings);
    let saved = preview.trade.expect("valid");
    assert!(
        !saved.stops_known,
        "editing something else keeps it unknown"
    );
    assert!(!preview.analysis.expect("analysed").0.stops_judged);

    form.rows.insert(
        0,
        EventRow {
            price: "1.08400".into(),
            ..EventRow::new(RowKind::Stop, "2024-03-01 10:00")
        },
    );
    let preview = form.preview(&zone, &settings);
    let saved = preview.trade.expect("valid");
    assert!(saved.stops_known);
    let (analysis, _) = preview.analysis.expect("analysed");
    assert!(analysis.stops_judged);
    assert_eq!(analysis.initial_risk, Some(dec!(100)));
}
