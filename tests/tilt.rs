//! Tilt: rule breaks after a loss and after a win, soon after a loss, in
//! runs, by hour and weekday; and clicking a figure in the review narrows
//! the list to its trades.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use egui_kittest::kittest::Queryable;
use rust_decimal_macros::dec;
use tranche::analysis::tilt::tilt;
use tranche::analysis::{RuleSettings, analyze};
use tranche::app::store::MemoryStore;
use tranche::domain::{Event, MarketCondition, Side, Trade, TradeId};

use crate::harness::{has_text_containing, settle};
use tranche::app::TrancheApp;

/// Monday 2024-03-04 09:00 UTC, plus `minute` minutes.
fn at(minute: i64) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2024, 3, 4, 9, 0, 0)
        .unwrap()
        + Duration::minutes(minute)
}

/// A trade open from `open` to `close` (minutes), won or lost, clean or
/// broken (an add that averages down).
fn trade(open: i64, close: i64, win: bool, broken: bool) -> Trade {
    let mut trade = Trade::new("TILT", Side::Long);
    trade.market_condition = MarketCondition::Trending;
    let exit = if win { dec!(11) } else { dec!(9.5) };
    trade.events = vec![
        Event::stop(at(open), dec!(9)),
        Event::entry(at(open), dec!(100), dec!(10), dec!(0)),
    ];
    let mut qty = dec!(100);
    if broken {
        trade
            .events
            .push(Event::entry(at(open + 1), dec!(50), dec!(9.8), dec!(0)));
        trade.events.push(Event::stop(at(open + 1), dec!(9.2)));
        qty += dec!(50);
    }
    trade
        .events
        .push(Event::exit(at(close), qty, exit, dec!(0)));
    trade
}

/// A loss, a broken win 10 minutes later, a broken loss, a broken win long
/// after, a clean win.
fn day() -> Vec<Trade> {
    vec![
        trade(0, 30, false, false),
        trade(40, 60, true, true),
        trade(70, 90, false, true),
        trade(200, 220, true, true),
        trade(230, 250, true, false),
    ]
}

#[test]
fn the_tilt_figures_of_a_day() {
    let trades = day();
    let analyses: Vec<_> = trades
        .iter()
        .map(|t| analyze(t, &RuleSettings::default()))
        .collect();
    for (i, a) in analyses.iter().enumerate() {
        assert_eq!(a.violations.is_empty(), [0, 4].contains(&i), "trade {i}");
        assert_eq!(a.net_pnl > dec!(0), [1, 3, 4].contains(&i), "trade {i}");
    }
    let ids = |list: &[i64]| list.iter().map(|&i| TradeId(i)).collect::<Vec<_>>();
    let new_york = FixedOffset::west_opt(5 * 3600).unwrap();
    let tilt = tilt(
        trades
            .iter()
            .zip(&analyses)
            .enumerate()
            .map(|(i, (t, a))| (TradeId(i as i64 + 1), t, a)),
        Duration::minutes(30),
        |at| at.with_timezone(&new_york),
    );
    assert_eq!(tilt.trades, 5);
    assert_eq!(tilt.after_loss.ids, ids(&[2, 4]));
    assert_eq!(tilt.after_loss.broken, ids(&[2, 4]));
    assert_eq!(tilt.after_win.ids, ids(&[3, 5]));
    assert_eq!(tilt.after_win.broken, ids(&[3]));
    assert_eq!(
        tilt.after_sentence(),
        "after a loss you broke a rule in 100% of trades (2 of 2), after a win in 50% (1 of 2)"
    );
    // Only trade 2 opened within 30 minutes of a loss closing (trade 4: 110 minutes).
    assert_eq!(tilt.soon_after_loss.ids, ids(&[2]));
    assert!(
        tilt.soon_sentence()
            .starts_with("1 trade was opened within 30 minutes of a loss closing: you broke a rule in 100% (1 of 1); 1 won"),
        "{}",
        tilt.soon_sentence()
    );
    assert_eq!(tilt.streaks.len(), 1);
    assert_eq!(tilt.streaks[0].ids, ids(&[2, 3, 4]));
    // In New York: 04:00, 04:40, 05:10, 07:20, 07:50 on a Monday.
    let hours: Vec<(usize, usize, usize)> = tilt
        .by_hour
        .iter()
        .enumerate()
        .filter(|(_, g)| g.trades() > 0)
        .map(|(h, g)| (h, g.trades(), g.broken.len()))
        .collect();
    assert_eq!(hours, vec![(4, 2, 1), (5, 1, 1), (7, 2, 1)]);
    assert_eq!(tilt.by_weekday[0].trades(), 5);
    assert_eq!(tilt.by_weekday[0].broken.len(), 3);
    assert_eq!(tilt.worst_hour(1).map(|(h, _)| h), Some(5));
    assert_eq!(tilt.worst_weekday(5).map(|(d, _)| d), Some(0));
    assert_eq!(tilt.worst_hour(5), None);

    // A longer window takes trade 4 in too.
    let wide = tranche::analysis::tilt::tilt(
        trades
            .iter()
            .zip(&analyses)
            .enumerate()
            .map(|(i, (t, a))| (TradeId(i as i64 + 1), t, a)),
        Duration::minutes(120),
        |at| at,
    );
    assert_eq!(wide.soon_after_loss.ids, ids(&[2, 3, 4]));
}

#[test]
fn clicking_a_tilt_figure_lists_its_trades() {
    // Tall enough for the review's last sections to be on screen.
    let trades = day();
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1600.0, 6000.0])
        .build_eframe(move |cc| {
            TrancheApp::with_store(&cc.egui_ctx, MemoryStore::with_trades(trades))
        });
    settle(&mut harness);
    harness.get_by_label("Review").click();
    settle(&mut harness);
    assert!(has_text_containing(
        &harness,
        "After a loss you broke a rule in 100% of trades (2 of 2), after a win in 50% (1 of 2)."
    ));
    let all = harness.state().listed_ids();
    assert_eq!(all.len(), 5);
    assert_eq!(harness.state().review().stats().unwrap().trades, 5);
    harness.get_by_label("After a win: 50% (1 of 2)").click();
    settle(&mut harness);
    let after_win = harness
        .state()
        .review()
        .coaching()
        .tilt()
        .unwrap()
        .after_win
        .ids
        .clone();
    let mut listed = harness.state().listed_ids();
    listed.sort();
    assert_eq!(listed, after_win);
    assert!(has_text_containing(&harness, "only: after a win (2)"));
    // The review's statistics are of those trades alone.
    assert_eq!(
        harness.state().review().stats().unwrap().trades,
        after_win.len()
    );
    // Clearing it lists every trade again.
    harness.get_by_label("Clear the chosen trades").click();
    settle(&mut harness);
    assert_eq!(harness.state().listed_ids().len(), 5);
    assert_eq!(harness.state().review().stats().unwrap().trades, 5);
}
