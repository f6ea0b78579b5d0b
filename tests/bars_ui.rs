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
        let bars = market.bars.as_ref().expect("sample bars span every sample trade");
        assert!(bars.bars.len() > 20);
        assert!(market.excursion.is_some());
        assert!(has_text_containing(&harness, "Bars ("), "the candles are in the legend");
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
    assert!(has_text_containing(&harness, "Winners that first went further than 1R"));
    assert!(has_text_containing(&harness, "All setups"));
}
