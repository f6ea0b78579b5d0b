//! The pyramid planner in the app: live in the editor while an add is
//! typed, and the "Plan an add" form of an open trade's detail.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::planner::Limit;
use tranche::app::store::MemoryStore;
use tranche::domain::{Event, MarketCondition, Side, Trade};

use crate::harness::{App, app_with, click, fill, has_text_containing};
use crate::helpers::t;

fn live(harness: &App) -> Option<(Decimal, Limit, Option<Decimal>)> {
    let editor = harness.state().editor().expect("editor open");
    let live = editor.live_plan()?;
    let plan = live.plan.as_ref().ok()?;
    Some((plan.max_add, plan.limit, plan.stop_needed))
}

#[test]
fn the_editor_plans_the_add_being_typed() {
    let mut harness = app_with(MemoryStore::new());
    click(&mut harness, "New trade");
    fill(&mut harness, "Symbol", "NVDA");
    for (row, field, text) in [
        (1, "time", "2025-06-02 09:35"),
        (1, "price", "95"),
        (2, "time", "2025-06-02 09:35"),
        (2, "qty", "300"),
        (2, "price", "100"),
    ] {
        fill(&mut harness, &format!("Row {row} {field}"), text);
    }
    click(&mut harness, "+ Entry");
    fill(&mut harness, "Row 3 time", "2025-06-02 10:10");
    fill(&mut harness, "Row 3 qty", "200");
    fill(&mut harness, "Row 3 price", "104");
    click(&mut harness, "+ Stop");
    fill(&mut harness, "Row 4 price", "99");
    // The first add is the one being typed: 1200 / 5 = 240 at the stop of 99,
    // and its 200 need the stop at (30000 + 20800 - 1500) / 500.
    assert_eq!(
        live(&harness),
        Some((dec!(240), Limit::Risk, Some(dec!(98.6))))
    );

    // A new add: at 106 with the stop still at 99, (99*500 - 50800 + 1500) / 7 = 28.
    click(&mut harness, "+ Entry");
    fill(&mut harness, "Row 5 time", "2025-06-02 10:40");
    fill(&mut harness, "Row 5 price", "106");
    assert_eq!(
        live(&harness).map(|l| (l.0, l.1)),
        Some((dec!(28), Limit::Risk))
    );
    assert!(has_text_containing(
        &harness,
        "Largest add at this price and stop: 28"
    ));

    // The typed size asks for its stop: (50800 + 106*50 - 1500) / 550.
    fill(&mut harness, "Row 5 qty", "50");
    let (_, _, needed) = live(&harness).unwrap();
    assert_eq!(needed, Some(dec!(54600) / dec!(550)));
    assert!(has_text_containing(
        &harness,
        "An add of 50 needs the stop at 99.2727 or better"
    ));

    // A stop typed after the add is the stop the plan assumes: 116 at 100.
    click(&mut harness, "+ Stop");
    fill(&mut harness, "Row 6 price", "100");
    assert_eq!(
        live(&harness).map(|l| (l.0, l.1)),
        Some((dec!(116), Limit::Risk))
    );
    assert!(has_text_containing(
        &harness,
        "Largest add at this price and stop: 116"
    ));

    // Below the average entry the add is refused.
    fill(&mut harness, "Row 5 price", "101");
    assert_eq!(
        live(&harness).map(|l| (l.0, l.1)),
        Some((dec!(0), Limit::AveragingDown))
    );
    assert!(has_text_containing(&harness, "that is averaging down"));
}

#[test]
fn the_detail_of_an_open_trade_has_a_planner_form() {
    let mut trade = Trade::new("NVDA", Side::Long);
    trade.market_condition = MarketCondition::Trending;
    trade.events = vec![
        Event::stop(t("2025-06-02T09:35:00-04:00"), dec!(95)),
        Event::entry(
            t("2025-06-02T09:35:00-04:00"),
            dec!(300),
            dec!(100),
            dec!(0),
        ),
        Event::entry(
            t("2025-06-02T10:10:00-04:00"),
            dec!(200),
            dec!(104),
            dec!(0),
        ),
        Event::stop(t("2025-06-02T10:10:00-04:00"), dec!(99)),
    ];
    let mut harness = app_with(MemoryStore::with_trades([trade]));
    // Settled: the trade's detail must have all it loads before the form
    // is typed in.
    click(&mut harness, "NVDA");
    click(&mut harness, "Plan an add");
    fill(&mut harness, "Add price", "106");
    fill(&mut harness, "Stop with the add", "100");
    assert!(has_text_containing(
        &harness,
        "Largest add at this price and stop: 116"
    ));
    fill(&mut harness, "Add size", "50");
    assert!(has_text_containing(
        &harness,
        "An add of 50 needs the stop at 99.2727 or better"
    ));
    fill(&mut harness, "Add price", "abc");
    assert!(has_text_containing(&harness, "price"));
    assert!(!has_text_containing(
        &harness,
        "Largest add at this price and stop"
    ));
}
