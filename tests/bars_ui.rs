//! The trade chart on the market: sample trades come with sample bars, and
//! the selected trade's bars are read by a worker job and drawn as candles.

use egui_kittest::Harness;
use tranche::app::TrancheApp;
use tranche::storage::Journal;
use tranche::ui::Command;

use crate::harness::{click, has_text_containing, settle};

#[test]
fn sample_trades_open_on_candles_with_their_excursions() {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(|cc| {
            TrancheApp::with_store(&cc.egui_ctx, Journal::open_in_memory().unwrap())
        });
    settle(&mut harness);
    click(&mut harness, "Load sample trades");
    let ids = harness.state().listed_ids();
    assert!(ids.len() > 10);
    for id in ids.iter().take(4) {
        let ctx = harness.ctx.clone();
        harness.state_mut().apply(Command::Select(Some(*id)), &ctx);
        settle(&mut harness);
        // The chart asked for the bars, the worker read them, the chart drew them.
        harness.run();
        settle(&mut harness);
        let market = harness.state().market().expect("bars were read");
        assert_eq!(market.id, *id);
        let bars = market
            .bars
            .as_ref()
            .expect("sample bars span every sample trade");
        assert!(bars.bars.len() > 20);
        assert!(market.excursion.is_some());
        assert!(
            has_text_containing(&harness, "Bars ("),
            "the candles are in the legend"
        );
    }
}

#[test]
fn without_bars_the_chart_is_as_before() {
    let trades = tranche::app::sample::sample_trades().unwrap();
    let store = tranche::app::store::MemoryStore::with_trades(trades);
    let mut harness = crate::harness::app_with(store);
    let id = harness.state().listed_ids()[0];
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Select(Some(id)), &ctx);
    settle(&mut harness);
    harness.run();
    settle(&mut harness);
    let market = harness.state().market().expect("the bars were asked for");
    assert!(market.bars.is_none());
    assert!(!has_text_containing(&harness, "Bars ("));
}

#[test]
fn the_review_measures_every_trade_against_the_market() {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(|cc| {
            TrancheApp::with_store(&cc.egui_ctx, Journal::open_in_memory().unwrap())
        });
    settle(&mut harness);
    click(&mut harness, "Load sample trades");
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(Command::Show(tranche::ui::View::Review), &ctx);
    for _ in 0..5 {
        settle(&mut harness);
        harness.run();
    }
    assert!(has_text_containing(&harness, "Against the market"));
    assert!(
        has_text_containing(&harness, "trades measured against their bars"),
        "the worker measured the sample trades"
    );
    assert!(has_text_containing(
        &harness,
        "Winners that first went further than 1R"
    ));
    assert!(has_text_containing(&harness, "All setups"));
}

#[test]
fn a_bars_file_opened_in_the_app_adds_its_bars_and_the_chart_shows_them() {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(|cc| {
            TrancheApp::with_store(&cc.egui_ctx, Journal::open_in_memory().unwrap())
        });
    settle(&mut harness);
    let dir = tempfile::tempdir().unwrap();
    let trades = dir.path().join("t.json");
    let numbered = [(
        tranche::domain::TradeId(1),
        crate::helpers::worked_example(),
    )];
    std::fs::write(&trades, tranche::interchange::to_json(&numbered)).unwrap();
    harness.state_mut().import_file(trades);
    settle(&mut harness);
    let id = harness.state().listed_ids()[0];
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Select(Some(id)), &ctx);
    settle(&mut harness);
    harness.run();
    settle(&mut harness);
    assert!(harness.state().market().unwrap().bars.is_none());

    // Hourly bars over the worked example's days, in UTC.
    let mut text = String::from("time,open,high,low,close\n");
    let start = crate::helpers::t("2024-03-01T00:00:00Z").timestamp();
    for i in 0..24 * 6 {
        text.push_str(&format!("{},100,112,95,101\n", start + i * 3600));
    }
    let bars = dir.path().join("NASDAQ_AAPL, 60.csv");
    std::fs::write(&bars, text).unwrap();
    harness.state_mut().import_file(bars);
    settle(&mut harness);
    // The dialog takes the symbol from the file's name.
    let dialog = harness
        .state()
        .bars_dialog()
        .expect("the bars dialog opens");
    assert_eq!(dialog.symbol(), "AAPL");
    assert!(has_text_containing(&harness, "144 bars of AAPL"));
    click(&mut harness, "Import");
    assert!(harness.state().bars_dialog().is_none());
    assert!(has_text_containing(
        &harness,
        "Added 144 of 144 bars of AAPL (1 hour) from NASDAQ_AAPL, 60.csv"
    ));
    harness.run();
    settle(&mut harness);
    harness.run();
    let market = harness.state().market().expect("read again");
    assert_eq!(market.bars.as_ref().map(|b| b.length), Some(3600));
    assert!(has_text_containing(&harness, "Bars (1 hour)"));
}

#[test]
fn settings_map_a_trade_symbol_to_the_bars_of_another_name() {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(|cc| {
            TrancheApp::with_store(&cc.egui_ctx, Journal::open_in_memory().unwrap())
        });
    settle(&mut harness);
    let dir = tempfile::tempdir().unwrap();
    let trades = dir.path().join("t.json");
    let numbered = [(
        tranche::domain::TradeId(1),
        crate::helpers::worked_example(),
    )];
    std::fs::write(&trades, tranche::interchange::to_json(&numbered)).unwrap();
    harness.state_mut().import_file(trades);
    settle(&mut harness);
    // Bars kept under another name than the trade's AAPL.
    let mut text = String::from("time,open,high,low,close\n");
    let start = crate::helpers::t("2024-03-01T00:00:00Z").timestamp();
    for i in 0..24 * 6 {
        text.push_str(&format!("{},100,112,95,101\n", start + i * 3600));
    }
    let bars = dir.path().join("NASDAQ_APPLE, 60.csv");
    std::fs::write(&bars, text).unwrap();
    harness.state_mut().import_file(bars);
    settle(&mut harness);
    click(&mut harness, "Import");
    let id = harness.state().listed_ids()[0];
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Select(Some(id)), &ctx);
    for _ in 0..3 {
        settle(&mut harness);
        harness.run();
    }
    assert!(harness.state().market().unwrap().bars.is_none());

    harness
        .state_mut()
        .apply(Command::Show(tranche::ui::View::Settings), &ctx);
    settle(&mut harness);
    assert!(has_text_containing(&harness, "Price bars symbols"));
    let map = [("aapl".to_owned(), "APPLE".to_owned())].into();
    harness
        .state_mut()
        .apply(Command::SetBarsSymbols(map), &ctx);
    settle(&mut harness);
    assert!(has_text_containing(&harness, "Bars symbols saved"));
    harness.state_mut().apply(Command::Select(Some(id)), &ctx);
    for _ in 0..3 {
        settle(&mut harness);
        harness.run();
    }
    let market = harness.state().market().expect("read again");
    assert_eq!(
        market.bars.as_ref().map(|b| b.symbol.as_str()),
        Some("APPLE")
    );
}
