//! How the window shows trades in several currencies and at their own price
//! precision, a trade whose stops were not judged, the review's net P&L card,
//! and the multiplier the editor proposes from the symbol.

use egui_kittest::kittest::Queryable;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::{RuleSettings, analyze_with_steps};
use tranche::app::store::MemoryStore;
use tranche::domain::{Event, Side, Trade, TradeId};
use tranche::ui::Command;
use tranche::ui::chart::ChartData;
use tranche::ui::detail::JUDGE_STOPS_HINT;
use tranche::ui::time::Zone;

use crate::currencies::{fx, journal, not_judged};
use crate::harness::{App, app_with, click, fill, has_text_containing, settle};
use crate::helpers::t;

/// EURUSD, one lot long from 1.08517 to 1.08617 (+100 USD).
fn eurusd() -> Trade {
    fx(
        "EURUSD",
        Side::Long,
        "USD",
        6,
        dec!(1),
        dec!(1.08517),
        dec!(1.08617),
    )
}

/// One ES contract long from 5012.25 to 5020.50 (+412.50 USD).
fn es() -> Trade {
    let mut trade = Trade::new("ESZ4", Side::Long);
    trade.multiplier = dec!(50);
    trade.events = vec![
        Event::stop(t("2024-05-07T09:30:00-04:00"), dec!(5000)),
        Event::entry(
            t("2024-05-07T09:30:00-04:00"),
            dec!(1),
            dec!(5012.25),
            Decimal::ZERO,
        ),
        Event::exit(
            t("2024-05-07T11:00:00-04:00"),
            dec!(1),
            dec!(5020.5),
            Decimal::ZERO,
        ),
    ];
    trade
}

fn has_label(harness: &App, text: &str) -> bool {
    harness.query_all_by_label(text).next().is_some()
}

fn select(harness: &mut App, symbol: &str) -> TradeId {
    let id = harness
        .state()
        .trades()
        .rows()
        .iter()
        .find(|r| r.trade.symbol == symbol)
        .map(|r| r.id)
        .expect("the trade is loaded");
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Select(Some(id)), &ctx);
    settle(harness);
    id
}

#[test]
fn the_list_shows_currencies_when_there_are_several_and_prices_at_their_precision() {
    let mut trades = journal();
    trades.extend([eurusd(), es()]);
    let harness = app_with(MemoryStore::with_trades(trades));
    for pnl in [
        "-32600.00 JPY",
        "50000.00 JPY",
        "3200.00 USD",
        "100.00 USD",
        "412.50 USD",
    ] {
        assert!(has_label(&harness, pnl), "no P&L {pnl} in the list");
    }
    // Average entries at each instrument's own precision.
    for price in ["1.08517", "107.337", "5012.25", "101.60"] {
        assert!(has_label(&harness, price), "no price {price} in the list");
    }
    assert!(!has_label(&harness, "1.09"), "a price cut to two places");
}

#[test]
fn a_journal_in_one_currency_lists_its_pnl_as_before() {
    let harness = app_with(MemoryStore::with_trades([eurusd(), es()]));
    assert!(has_label(&harness, "100.00"));
    assert!(has_label(&harness, "412.50"));
    assert!(!has_label(&harness, "100.00 USD"));
    assert!(has_label(&harness, "1.08517"));
}

#[test]
fn the_detail_and_chart_write_prices_at_the_trade_precision() {
    let mut harness = app_with(MemoryStore::with_trades([eurusd(), es()]));
    select(&mut harness, "EURUSD");
    // The stop at 1.07432 (in the timeline's price column and as the stop in
    // force) and the exit, all to five places.
    assert!(has_label(&harness, "1.07432"));
    assert!(has_label(&harness, "1.08617"));
    assert!(has_text_containing(&harness, "Every scaling rule kept."));

    let trade = eurusd();
    let (_, steps) = analyze_with_steps(&trade, &RuleSettings::default());
    let zone = Zone::parse("UTC").expect("a zone");
    let chart = ChartData::new(&trade, &steps, &zone);
    assert_eq!(chart.price_dp, 5);
    let entry = &chart.markers[0].description;
    assert!(entry.contains("bought 1 @ 1.08517"), "{entry}");
    assert!(entry.contains("average 1.08517"), "{entry}");
}

#[test]
fn a_trade_whose_stops_are_not_known_says_they_were_not_judged() {
    let mut harness = app_with(MemoryStore::with_trades([eurusd(), not_judged()]));
    // In the list: the note in place of stop-rule badges, and no R.
    assert!(has_label(&harness, "stops not judged"));
    assert!(has_label(&harness, "—"));
    // A judged trade shows its R as before.
    assert!(has_label(&harness, "0.09R"), "EURUSD's R");

    select(&mut harness, "GBPUSD");
    assert!(has_text_containing(
        &harness,
        "Stop rules not judged: the statement does not say"
    ));
    assert!(has_text_containing(&harness, JUDGE_STOPS_HINT));
    assert!(has_text_containing(&harness, "Every rule judged was kept."));
    assert!(!has_text_containing(&harness, "Every scaling rule kept."));
}

#[test]
fn the_review_leads_with_the_main_currency_total() {
    let mut harness = app_with(MemoryStore::with_trades(journal()));
    click(&mut harness, "Review");
    assert!(has_label(&harness, "Net P&L"));
    assert!(has_label(&harness, "17,400 JPY"));
    assert!(has_label(&harness, "3,500.00 USD"));
    // The money charts open on the main currency.
    assert_eq!(harness.state().review().currency(), Some("JPY"));
    assert!(has_text_containing(
        &harness,
        "1 trade's stop rules were not judged"
    ));
}

fn multiplier(harness: &App) -> (String, Option<String>) {
    let editor = harness.state().editor().expect("the editor is open");
    (
        editor.form().multiplier.clone(),
        editor.multiplier_hint().map(str::to_owned),
    )
}

#[test]
fn the_editor_proposes_the_multiplier_from_the_symbol_until_one_is_typed() {
    let mut harness = app_with(MemoryStore::new());
    click(&mut harness, "New trade");
    fill(&mut harness, "Symbol", "EURUSD");
    assert_eq!(
        multiplier(&harness),
        (
            "100000".to_owned(),
            Some("100,000 per lot, from the symbol".to_owned())
        )
    );
    assert!(has_text_containing(
        &harness,
        "100,000 per lot, from the symbol"
    ));
    // Another symbol, another proposal; a stock has none.
    fill(&mut harness, "Symbol", "ESZ4");
    assert_eq!(
        multiplier(&harness),
        (
            "50".to_owned(),
            Some("50 per point, from the symbol".to_owned())
        )
    );
    fill(&mut harness, "Symbol", "AAPL");
    assert_eq!(multiplier(&harness), ("1".to_owned(), None));
    fill(&mut harness, "Symbol", "EURUSD");

    // The preview writes the prices typed to their five places.
    fill(&mut harness, "Row 1 price", "1.0843");
    fill(&mut harness, "Row 2 qty", "1");
    fill(&mut harness, "Row 2 price", "1.08517");
    assert!(has_label(&harness, "1.08430"), "the stop at five places");

    // A multiplier of the trader's own is kept whatever the symbol.
    fill(&mut harness, "Multiplier", "10000");
    fill(&mut harness, "Symbol", "USDJPY");
    assert_eq!(multiplier(&harness), ("10000".to_owned(), None));
    assert!(!has_text_containing(&harness, "from the symbol"));
    let trade = harness
        .state()
        .editor()
        .expect("the editor is open")
        .preview()
        .trade
        .clone()
        .expect("a valid trade");
    assert_eq!(trade.multiplier, dec!(10000));
}

#[test]
fn editing_a_saved_trade_proposes_nothing() {
    let mut harness = app_with(MemoryStore::with_trades([es()]));
    let id = select(&mut harness, "ESZ4");
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Edit(id), &ctx);
    settle(&mut harness);
    fill(&mut harness, "Symbol", "EURUSD");
    assert_eq!(multiplier(&harness), ("50".to_owned(), None));
}
