//! The review dashboard driven with egui_kittest over the sample journal: its
//! cards agree with `tranche report --json`, follow the filter, and a bar opens
//! its trade.

use egui::Modifiers;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use egui_plot::PlotPoint;
use rust_decimal::Decimal;
use tranche::analysis::stats::{Filter, analyze_all, journal_stats, pair};
use tranche::analysis::{Messages, RuleSettings, format};
use tranche::app::TrancheApp;
use tranche::app::sample::sample_trades;
use tranche::app::store::MemoryStore;
use tranche::domain::{Side, Trade, TradeId};
use tranche::report::report_json;
use tranche::ui::Command;
use tranche::ui::filter::TradeFilter;
use tranche::ui::review::{Chart, scale_out_plot_id};
use tranche::ui::time::Zone;

use crate::harness::{App, fill, settle};

/// The sample trades with the ids the in-memory store gives them.
fn samples() -> Vec<(TradeId, Trade)> {
    sample_trades()
        .expect("samples parse")
        .into_iter()
        .enumerate()
        .map(|(i, t)| (TradeId(i as i64 + 1), t))
        .collect()
}

/// The report of `trades` through `filter`, with times read in the zone the
/// app shows them in (the computer's), as the review reads them.
fn expected_report(trades: &[(TradeId, Trade)], filter: &Filter) -> serde_json::Value {
    let filter = &Filter {
        zone: Zone::Local.calendar(),
        ..filter.clone()
    };
    let settings = RuleSettings::default();
    let analyses = analyze_all(trades, &settings, Messages::Skip);
    report_json(&journal_stats(&pair(trades, &analyses), filter, &settings))
}

fn review_harness() -> App {
    let trades = samples().into_iter().map(|(_, t)| t);
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |cc| {
            TrancheApp::with_store(&cc.egui_ctx, MemoryStore::with_trades(trades))
        });
    settle(&mut harness);
    harness.get_by_label("Review").click();
    settle(&mut harness);
    harness
}

fn has_label(harness: &App, text: &str) -> bool {
    harness.query_all_by_label(text).next().is_some()
}

/// The figures the cards show: those of `tranche report --json`, money to the
/// cent as `tranche report` writes it for people.
fn card_figures(report: &serde_json::Value) -> Vec<String> {
    let p = &report["performance"];
    let number = |v: &serde_json::Value| -> Option<Decimal> { v.as_str()?.parse().ok() };
    let places = |d: Decimal, dp: u32| {
        let rounded =
            d.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        format!("{rounded:.*}", dp as usize)
    };
    let mut figures = vec![report["trades"].to_string()];
    // A share as a percentage, R and ratios to two places, scores whole.
    if let Some(rate) = number(&p["win_rate"]) {
        figures.push(format!("{}%", places(rate * Decimal::ONE_HUNDRED, 1)));
    }
    if let Some(r) = number(&p["expectancy_r"]) {
        figures.push(places(r, 2));
    }
    for key in ["expectancy", "max_drawdown"] {
        for (currency, value) in p[key].as_object().expect("money map") {
            let exact = number(value).expect("a number");
            figures.push(format::money_for_people(exact, currency));
        }
    }
    let factors = p["profit_factor"].as_object().expect("ratio map");
    for (currency, value) in factors {
        let factor = places(number(value).expect("a number"), 2);
        figures.push(if factors.len() > 1 {
            format!("{factor} ({currency})")
        } else {
            factor
        });
    }
    if let Some(score) = number(&report["adherence"]["mean_score"]) {
        figures.push(places(score, 0));
    }
    figures
}

fn assert_cards_match(harness: &App, expected: &serde_json::Value) {
    let shown = harness.state().review().report_json().expect("computed");
    assert_eq!(&shown, expected, "the dashboard's statistics");
    for figure in card_figures(expected) {
        assert!(has_label(harness, &figure), "no card shows {figure}");
    }
}

#[test]
fn the_cards_show_the_report_figures() {
    let harness = review_harness();
    let expected = expected_report(&samples(), &Filter::default());
    assert_cards_match(&harness, &expected);
    assert!(
        harness
            .query_all_by_label_contains("Max drawdown")
            .next()
            .is_some()
    );
}

#[test]
fn the_filter_changes_the_cards_consistently() {
    let trades = samples();
    let mut harness = review_harness();
    let symbol = trades[0].1.symbol.clone();
    fill(&mut harness, "Symbol filter", &symbol);
    settle(&mut harness);
    let filter = Filter {
        symbol: Some(symbol.clone()),
        ..Filter::default()
    };
    let expected = expected_report(&trades, &filter);
    assert_ne!(expected, expected_report(&trades, &Filter::default()));
    assert_cards_match(&harness, &expected);
    assert!(
        harness
            .query_all_by_label_contains("small sample")
            .next()
            .is_some(),
        "a filtered sample says it is small"
    );

    // Clearing the filter brings back every trade.
    harness.get_by_label("Clear filter").click();
    settle(&mut harness);
    assert_cards_match(&harness, &expected_report(&trades, &Filter::default()));
}

#[test]
fn the_list_and_the_review_share_one_filter() {
    let trades = samples();
    let mut harness = review_harness();
    let all = harness.state().listed_ids().len();
    assert_eq!(all, trades.len());
    // A date range and a side, typed once, filter both.
    let middle = trades[trades.len() / 2]
        .1
        .events
        .first()
        .expect("an event")
        .at
        .date_naive();
    fill(&mut harness, "From date", &middle.to_string());
    harness.get_by_label("Side filter").click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "long").click();
    settle(&mut harness);

    let typed = TradeFilter {
        from: middle.to_string(),
        side: Some(Side::Long),
        ..TradeFilter::default()
    };
    assert_eq!(harness.state().filter(), &typed);
    let filter = typed.to_filter(&Zone::Local);
    let settings = RuleSettings::default();
    let analyses = analyze_all(&trades, &settings, Messages::Skip);
    let mut passing: Vec<TradeId> = trades
        .iter()
        .zip(&analyses)
        .filter(|((_, trade), analysis)| filter.accepts(trade, analysis))
        .map(|((id, _), _)| *id)
        .collect();
    assert!(!passing.is_empty() && passing.len() < all, "{passing:?}");
    let mut listed = harness.state().listed_ids();
    listed.sort();
    passing.sort();
    assert_eq!(listed, passing, "the list shows the trades that pass");
    assert_cards_match(&harness, &expected_report(&trades, &filter));
    assert_eq!(
        harness.state().preferences().filter,
        typed,
        "the filter is remembered between runs"
    );
}

#[test]
fn the_statistics_are_not_recomputed_without_a_change() {
    let mut harness = review_harness();
    let before = harness.state().review().report_json();
    // A frame with nothing changed keeps the same cache (and the same timing).
    let took = harness.state().review().last_refresh_ms();
    harness.run();
    assert_eq!(harness.state().review().last_refresh_ms(), took);
    assert_eq!(harness.state().review().report_json(), before);
}

#[test]
fn the_worst_scale_out_bar_opens_its_trade() {
    let mut harness = review_harness();
    let review = harness.state().review();
    let (bar, id) = review.most_capped_bar().expect("a scaled-out trade");
    assert!(bar.y < 0.0, "the worst bar capped a profit");
    // A click halfway down the bar hits it; beside it, nothing.
    let hit = review.trade_at(Chart::ScaleOut, bar.x, bar.y / 2.0, 0.0, 0.0);
    assert_eq!(hit, Some(id));
    assert_eq!(
        review.trade_at(Chart::ScaleOut, bar.x + 0.5, bar.y / 2.0, 0.0, 0.0),
        None
    );
    // The click emits the list's select command, which opens the trade.
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Select(Some(id)), &ctx);
    settle(&mut harness);
    assert_eq!(harness.state().selected(), Some(id));
    let symbol = harness
        .state()
        .trade(id)
        .expect("loaded")
        .trade
        .symbol
        .clone();
    assert!(has_label(&harness, &symbol));
}

#[test]
fn clicking_the_worst_scale_out_bar_opens_its_trade() {
    let trades = samples().into_iter().map(|(_, t)| t);
    // Tall enough that the scale-out chart is on screen.
    let mut harness = Harness::builder()
        .with_size([1600.0, 2600.0])
        .build_eframe(move |cc| {
            TrancheApp::with_store(&cc.egui_ctx, MemoryStore::with_trades(trades))
        });
    settle(&mut harness);
    harness.get_by_label("Review").click();
    settle(&mut harness);
    let (bar, id) = harness
        .state()
        .review()
        .most_capped_bar()
        .expect("a scaled-out trade");
    let memory = egui_plot::PlotMemory::load(&harness.ctx, scale_out_plot_id())
        .expect("the scale-out chart was drawn");
    let pos = memory
        .transform()
        .position_from_point(&PlotPoint::new(bar.x, bar.y / 2.0));
    harness.hover_at(pos);
    harness.run();
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
        harness.run();
    }
    settle(&mut harness);
    assert_eq!(harness.state().selected(), Some(id));
}

#[test]
fn the_statistics_export_as_csv() {
    let harness = review_harness();
    let csv = harness.state().review().csv().expect("computed");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("figure,value"));
    let expected = expected_report(&samples(), &Filter::default());
    let win_rate = expected["performance"]["win_rate"].as_str().unwrap_or("");
    assert!(csv.contains(&format!("performance.win_rate,{win_rate}")));
}

#[cfg(feature = "snapshots")]
mod snapshots {
    use super::*;
    use tranche::app::Preferences;
    use tranche::app::store::Store;
    use tranche::ui::{Theme, View};

    #[test]
    fn review_dashboard_with_sample_trades() {
        let store = MemoryStore::with_trades(samples().into_iter().map(|(_, t)| t));
        let prefs = Preferences {
            theme: Theme::Dark,
            ..Preferences::default()
        };
        let mut harness = Harness::builder()
            .with_size([1600.0, 1000.0])
            .build_eframe(move |cc| {
                TrancheApp::with_preferences(
                    &cc.egui_ctx,
                    Box::new(move || Ok(Box::new(store) as Box<dyn Store>)),
                    prefs,
                )
            });
        settle(&mut harness);
        let ctx = harness.ctx.clone();
        harness.state_mut().apply(Command::Show(View::Review), &ctx);
        settle(&mut harness);
        harness.snapshot("review_dashboard");
    }
}

#[test]
fn the_window_reopens_on_the_review_it_was_left_on() {
    let harness = review_harness();
    let prefs = harness.state().preferences();
    assert_eq!(prefs.view, tranche::ui::View::Review);

    let reopen = |prefs: tranche::app::Preferences| {
        let store = MemoryStore::with_trades(samples().into_iter().map(|(_, t)| t));
        let mut harness = Harness::builder()
            .with_size([1600.0, 1000.0])
            .build_eframe(move |cc| {
                TrancheApp::with_preferences(
                    &cc.egui_ctx,
                    Box::new(move || Ok(Box::new(store) as Box<dyn tranche::app::store::Store>)),
                    prefs,
                )
            });
        settle(&mut harness);
        harness
    };
    let again = reopen(prefs.clone());
    assert!(has_label(&again, "Export CSV…"), "the review is showing");
    assert!(again.state().review().stats().is_some());

    // Settings are never reopened: the window opens on the trades instead.
    let settings = reopen(tranche::app::Preferences {
        view: tranche::ui::View::Settings,
        ..prefs
    });
    assert_eq!(
        settings.state().preferences().view,
        tranche::ui::View::Detail
    );
    assert!(!has_label(&settings, "Export CSV…"));
}

#[test]
fn the_statements_section_compares_each_check_with_the_trades_as_they_are_now() {
    use tranche::app::{Preferences, journal};
    use tranche::import::{GroupOptions, ImportOptions, import};
    use tranche::storage::Journal;

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/brokers/ninjatrader/trades.csv");
    let bytes = std::fs::read(fixture).expect("the fixture");
    let options = ImportOptions {
        tz: chrono_tz::America::New_York,
        ..ImportOptions::default()
    };
    let file = import(&bytes, "trades.csv", &options).expect("the file reads");
    Journal::open(&path)
        .and_then(|mut j| j.commit_import(&file, &GroupOptions::default(), false, &mut |_, _| {}))
        .expect("imported");

    let opener = journal::opener(path.clone());
    let prefs = Preferences {
        zone: Zone::parse("UTC").expect("UTC"),
        ..Preferences::default()
    };
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |cc| TrancheApp::with_preferences(&cc.egui_ctx, opener, prefs));
    settle(&mut harness);
    harness.get_by_label("Review").click();
    settle(&mut harness);

    assert!(has_label(&harness, "Statements"));
    assert!(has_label(&harness, "trades.csv"));
    assert!(has_label(&harness, "289.69 USD"), "the statement's figure");
    // At the import and now, the journal's figure agrees.
    assert!(has_label(&harness, "journal at import 289.69 USD: agrees"));
    assert!(has_label(&harness, "now 289.69 USD: agrees"));
    let statements = harness.state().review().statements().expect("computed");
    assert_eq!(statements.len(), 1);
    let (check, now) = statements[0];
    assert_eq!(now.reconciliation, check.reconciliation);
    assert_eq!((check.trades.len(), now.gone), (3, 0));

    // Deleting a trade changes the figure now, not the one at the import.
    let mnq = harness
        .state()
        .trades()
        .rows()
        .iter()
        .find(|row| row.trade.symbol == "MNQ 06-24")
        .map(|row| row.id)
        .expect("the MNQ trade");
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Delete(mnq), &ctx);
    settle(&mut harness);
    assert_eq!(harness.state().trades().len(), 2);
    assert!(has_label(&harness, "journal at import 289.69 USD: agrees"));
    assert!(has_label(&harness, "now 271.59 USD: does not agree"));
    assert!(has_label(&harness, "(1 of 3 trades deleted)"));
    let statements = harness.state().review().statements().expect("computed");
    assert_eq!(statements[0].1.gone, 1);
}
