//! The desktop app driven through its widgets with egui_kittest: no GPU, no display.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use rust_decimal_macros::dec;
use tranche::analysis::{Rule, RuleSettings};
use tranche::app::sample::sample_trades;
use tranche::app::store::MemoryStore;
use tranche::app::store::StoreError;
use tranche::app::{Preferences, TrancheApp};
use tranche::domain::{Trade, TradeId};
use tranche::ui::Command;

use crate::harness::{App, click, fill, has_text_containing, settle};

fn harness_with(store: MemoryStore) -> App {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| TrancheApp::with_store(&cc.egui_ctx, store));
    settle(&mut harness);
    harness
}

/// Types the rows of a trade into a new-trade editor: `(row, kind button, fields)`.
fn type_rows(harness: &mut App, rows: &[(&str, &[(&str, &str)])]) {
    for (n, (button, fields)) in rows.iter().enumerate() {
        let row = n + 1;
        // A new trade starts with a stop row and an entry row.
        if row > 2 {
            click(harness, button);
        }
        for (field, text) in *fields {
            fill(harness, &format!("Row {row} {field}"), text);
        }
    }
}

#[test]
fn log_a_trade_with_two_adds_and_two_exits_by_typing() {
    let mut harness = harness_with(MemoryStore::new());
    click(&mut harness, "New trade");
    fill(&mut harness, "Symbol", "NVDA");
    type_rows(
        &mut harness,
        &[
            ("+ Stop", &[("time", "2025-06-02 09:35"), ("price", "95")]),
            (
                "+ Entry",
                &[
                    ("time", "2025-06-02 09:35"),
                    ("qty", "300"),
                    ("price", "100"),
                ],
            ),
            (
                "+ Entry",
                &[
                    ("time", "2025-06-02 10:10"),
                    ("qty", "200"),
                    ("price", "104"),
                ],
            ),
            ("+ Stop", &[("price", "99")]),
            (
                "+ Entry",
                &[
                    ("time", "2025-06-02 10:40"),
                    ("qty", "200"),
                    ("price", "106"),
                ],
            ),
            ("+ Stop", &[("price", "102")]),
            (
                "+ Exit",
                &[
                    ("time", "2025-06-02 11:30"),
                    ("qty", "350"),
                    ("price", "110"),
                    ("fee", "1.50"),
                ],
            ),
            ("+ Stop", &[("price", "104")]),
            (
                "+ Exit",
                &[
                    ("time", "2025-06-02 14:00"),
                    ("qty", "350"),
                    ("price", "108"),
                    ("fee", "1.50"),
                ],
            ),
        ],
    );
    // The second add is as large as the first: the preview says so before saving.
    assert!(has_text_containing(&harness, "add-not-smaller:"));
    let preview = harness
        .state()
        .editor()
        .expect("editor open")
        .preview()
        .clone();
    assert!(preview.is_valid(), "errors: {:?}", preview.errors);
    click(&mut harness, "Save");

    let app = harness.state();
    assert!(app.editor().is_none(), "the editor closes after saving");
    assert_eq!(app.trades().len(), 1);
    let row = &app.trades().rows()[0];
    assert_eq!(row.trade.symbol, "NVDA");
    assert_eq!(row.analysis.adds, 2);
    assert_eq!(row.analysis.partial_exits, 1);
    assert_eq!(row.analysis.score, 95);
    let rules: Vec<Rule> = row.analysis.violations.iter().map(|v| v.rule).collect();
    assert_eq!(rules, [Rule::AddNotSmaller]);
    assert_eq!(app.selected(), Some(row.id));
    assert_eq!(app.listed_ids(), [row.id]);
    // In the list: the symbol, the score and the badge.
    assert!(harness.query_all_by_label("NVDA").next().is_some());
    assert!(harness.query_all_by_label("95").next().is_some());
    assert!(
        harness
            .query_all_by_label("add-not-smaller")
            .next()
            .is_some()
    );
}

#[test]
fn averaging_down_shows_its_violation_before_saving() {
    let mut harness = harness_with(MemoryStore::new());
    click(&mut harness, "New trade");
    fill(&mut harness, "Symbol", "TSLA");
    type_rows(
        &mut harness,
        &[
            ("+ Stop", &[("time", "2025-06-02 09:35"), ("price", "240")]),
            (
                "+ Entry",
                &[
                    ("time", "2025-06-02 09:35"),
                    ("qty", "200"),
                    ("price", "250"),
                ],
            ),
            (
                "+ Entry",
                &[
                    ("time", "2025-06-02 10:00"),
                    ("qty", "100"),
                    ("price", "245"),
                ],
            ),
        ],
    );
    assert!(has_text_containing(&harness, "averaging-down:"));
    let preview = harness
        .state()
        .editor()
        .expect("editor open")
        .preview()
        .clone();
    let (analysis, _) = preview.analysis.expect("analysed");
    assert!(analysis.broke(Rule::AveragingDown));
    assert_eq!(
        analysis
            .violations
            .iter()
            .find(|v| v.rule == Rule::AveragingDown)
            .map(|v| v.event),
        Some(2)
    );
    assert!(harness.state().trades().is_empty(), "nothing saved yet");
}

#[test]
fn an_invalid_quantity_disables_save_and_shows_the_reason() {
    let mut harness = harness_with(MemoryStore::new());
    click(&mut harness, "New trade");
    fill(&mut harness, "Symbol", "AAPL");
    type_rows(
        &mut harness,
        &[
            ("+ Stop", &[("time", "2025-06-02 09:35"), ("price", "95")]),
            (
                "+ Entry",
                &[
                    ("time", "2025-06-02 09:35"),
                    ("qty", "3OO"),
                    ("price", "100"),
                ],
            ),
        ],
    );
    assert!(has_text_containing(
        &harness,
        "Qty: \"3OO\" is not a number"
    ));
    assert!(harness.get_by_label("Save").accesskit_node().is_disabled());

    // A number again, then an exit larger than the open quantity.
    fill(&mut harness, "Row 2 qty", "300");
    assert!(!harness.get_by_label("Save").accesskit_node().is_disabled());
    click(&mut harness, "+ Exit");
    fill(&mut harness, "Row 3 qty", "400");
    fill(&mut harness, "Row 3 price", "101");
    assert!(has_text_containing(
        &harness,
        "larger than the open quantity 300"
    ));
    assert!(harness.get_by_label("Save").accesskit_node().is_disabled());
    harness.get_by_label("Save").click();
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::S);
    settle(&mut harness);
    assert!(harness.state().trades().is_empty());
    assert!(harness.state().editor().is_some());
}

#[test]
fn cancel_asks_before_discarding_changes() {
    let mut harness = harness_with(MemoryStore::new());
    click(&mut harness, "New trade");
    // Nothing typed yet: Esc closes at once.
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(harness.state().editor().is_none());

    click(&mut harness, "New trade");
    fill(&mut harness, "Symbol", "MSFT");
    click(&mut harness, "Cancel");
    assert!(
        harness
            .state()
            .editor()
            .is_some_and(|e| e.is_asking_to_discard())
    );
    click(&mut harness, "Keep editing");
    assert_eq!(
        harness.state().editor().map(|e| e.form().symbol.clone()),
        Some("MSFT".to_owned())
    );
    click(&mut harness, "Cancel");
    click(&mut harness, "Discard");
    assert!(harness.state().editor().is_none());
}

#[test]
fn an_empty_journal_offers_sample_trades() {
    let mut harness = harness_with(MemoryStore::new());
    assert!(harness.state().is_loaded());
    click(&mut harness, "Load sample trades");
    let expected = sample_trades().expect("samples parse").len();
    assert_eq!(harness.state().trades().len(), expected);
    assert!(harness.state().selected().is_some());
    assert_eq!(harness.state().listed_ids().len(), expected);
}

#[test]
fn delete_a_trade_then_undo() {
    let trades = sample_trades().expect("samples parse");
    let mut harness = harness_with(MemoryStore::with_trades(trades.clone()));
    assert_eq!(harness.state().trades().len(), trades.len());
    // Find the NVDA trade in the list and select it.
    fill(&mut harness, "Search trades", "nvda");
    harness.get_by_label("NVDA").click();
    settle(&mut harness);
    let id = harness.state().selected().expect("selected");
    assert_eq!(
        harness.state().trade(id).map(|r| r.trade.symbol.clone()),
        Some("NVDA".to_owned())
    );

    click(&mut harness, "Delete…");
    // It asks first; keeping it changes nothing.
    click(&mut harness, "Keep it");
    assert_eq!(harness.state().trades().len(), trades.len());
    click(&mut harness, "Delete…");
    click(&mut harness, "Delete trade");
    assert!(harness.state().trade(id).is_none());
    assert_eq!(harness.state().trades().len(), trades.len() - 1);
    assert!(harness.state().can_undo_delete());

    click(&mut harness, "Undo");
    let restored = harness.state().trade(id).expect("restored under its id");
    assert_eq!(restored.trade.symbol, "NVDA");
    assert_eq!(harness.state().trades().len(), trades.len());
    assert!(!harness.state().can_undo_delete());
}

#[test]
fn the_list_filters_and_sorts() {
    let trades = sample_trades().expect("samples parse");
    let mut harness = harness_with(MemoryStore::with_trades(trades.clone()));
    fill(&mut harness, "Search trades", "tilt");
    let shown = harness.state().listed_ids();
    assert_eq!(
        shown.len(),
        trades
            .iter()
            .filter(|t| t.tags.iter().any(|g| g == "tilt"))
            .count()
    );
    fill(&mut harness, "Search trades", "");
    assert_eq!(harness.state().listed_ids().len(), trades.len());

    // Sort by score, lowest first after a second click.
    click(&mut harness, "Score");
    click(&mut harness, "Score");
    let app = harness.state();
    let scores: Vec<u32> = app
        .listed_ids()
        .iter()
        .map(|&id| app.trade(id).map_or(0, |r| r.analysis.score))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
    assert_eq!(
        app.preferences().list.sort,
        tranche::ui::list::SortColumn::Score
    );
}

#[test]
fn typing_narrows_the_search_and_deleting_widens_it_again() {
    let trades = sample_trades().expect("samples parse");
    let mut harness = harness_with(MemoryStore::with_trades(trades.clone()));
    let matching = |needle: &str| {
        trades
            .iter()
            .filter(|t| {
                let mut hay = format!("{} {}", t.symbol, t.setup);
                for tag in &t.tags {
                    hay.push(' ');
                    hay.push_str(tag);
                }
                hay.to_lowercase().contains(needle)
            })
            .count()
    };
    // One key at a time, as a person types.
    harness
        .get_by_role_and_label(Role::TextInput, "Search trades")
        .focus();
    harness.run();
    for (typed, needle) in [("b", "b"), ("r", "br"), ("e", "bre")] {
        harness
            .get_by_role_and_label(Role::TextInput, "Search trades")
            .type_text(typed);
        harness.run();
        assert_eq!(
            harness.state().listed_ids().len(),
            matching(needle),
            "{needle}"
        );
    }
    assert!(matching("bre") < matching("b"));
    harness.key_press(Key::Backspace);
    harness.key_press(Key::Backspace);
    harness.run();
    assert_eq!(harness.state().listed_ids().len(), matching("b"));
    // Another filter after a search starts from every trade again.
    click(&mut harness, "Score");
    assert_eq!(harness.state().listed_ids().len(), matching("b"));
}

#[test]
fn tab_moves_through_the_event_grid() {
    let mut harness = harness_with(MemoryStore::new());
    click(&mut harness, "New trade");
    let focused = |harness: &App| {
        harness
            .root()
            .children_recursive()
            .find(|node| node.is_focused())
            .and_then(|node| node.accesskit_node().label())
    };
    fill(&mut harness, "Row 2 qty", "300");
    harness.key_press(Key::Tab);
    harness.run();
    assert_eq!(focused(&harness).as_deref(), Some("Row 2 price"));
    harness
        .get_by_role_and_label(Role::TextInput, "Row 2 price")
        .type_text("100");
    harness.run();
    // Typing completes the trade and the preview grows; the field keeps its focus.
    assert_eq!(focused(&harness).as_deref(), Some("Row 2 price"));
    harness.key_press(Key::Tab);
    harness.run();
    assert_eq!(focused(&harness).as_deref(), Some("Row 2 fee"));
    harness
        .get_by_role_and_label(Role::TextInput, "Row 2 fee")
        .type_text("1.25");
    harness.run();
    let form = harness
        .state()
        .editor()
        .expect("editor open")
        .form()
        .clone();
    assert_eq!(form.rows[1].qty, "300");
    assert_eq!(form.rows[1].price, "100");
    assert_eq!(form.rows[1].fee, "1.25");
}

/// The app on the SQLite journal at `path`, as `tranche` opens it.
fn journal_harness(path: &std::path::Path) -> App {
    let opener = tranche::app::journal::opener(path.to_path_buf());
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            TrancheApp::with_preferences(&cc.egui_ctx, opener, Preferences::default())
        });
    settle(&mut harness);
    assert!(
        harness.state().is_loaded(),
        "errors: {:?}",
        harness.state().errors()
    );
    harness
}

fn select_symbol(harness: &mut App, symbol: &str) -> TradeId {
    fill(harness, "Search trades", symbol);
    harness.get_by_label(symbol).click();
    settle(harness);
    harness.state().selected().expect("a trade is selected")
}

#[test]
fn an_edit_survives_a_restart_on_the_same_journal() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let id = {
        let mut harness = journal_harness(&path);
        click(&mut harness, "Load sample trades");
        let id = select_symbol(&mut harness, "NVDA");
        click(&mut harness, "Edit");
        fill(&mut harness, "Setup", "pullback to the 10 EMA");
        // The first add was at 124; it was really filled at 123.5.
        fill(&mut harness, "Row 3 price", "123.5");
        click(&mut harness, "Save");
        assert!(
            harness.state().editor().is_none(),
            "{:?}",
            harness.state().errors()
        );
        id
    };

    let mut harness = journal_harness(&path);
    let app = harness.state();
    assert_eq!(app.trades().len(), sample_trades().expect("samples").len());
    let row = app.trade(id).expect("the edited trade, same id");
    assert_eq!(row.trade.setup, "pullback to the 10 EMA");
    assert_eq!(row.trade.events[2].kind.price(), dec!(123.5));
    // And in the window.
    select_symbol(&mut harness, "NVDA");
    assert!(has_text_containing(&harness, "pullback to the 10 EMA"));
}

#[test]
fn a_delete_on_the_journal_can_be_undone() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let count = sample_trades().expect("samples").len();
    {
        let mut harness = journal_harness(&path);
        click(&mut harness, "Load sample trades");
        let id = select_symbol(&mut harness, "GOOGL");
        click(&mut harness, "Delete…");
        click(&mut harness, "Delete trade");
        assert!(harness.state().trade(id).is_none());
        click(&mut harness, "Undo");
        assert!(harness.state().trade(id).is_some());
        // A second trade stays deleted.
        let gone = select_symbol(&mut harness, "PLTR");
        click(&mut harness, "Delete…");
        click(&mut harness, "Delete trade");
        assert!(harness.state().trade(gone).is_none());
    }
    let harness = journal_harness(&path);
    let symbols: Vec<String> = harness
        .state()
        .trades()
        .rows()
        .iter()
        .map(|r| r.trade.symbol.clone())
        .collect();
    assert_eq!(symbols.len(), count - 1);
    assert!(symbols.iter().any(|s| s == "GOOGL"));
    assert!(!symbols.iter().any(|s| s == "PLTR"));
}

/// A journal whose writes all fail, as a full disk or a locked file would.
struct FailingStore;

impl tranche::app::store::Store for FailingStore {
    fn trades(&self) -> Result<Vec<(TradeId, Trade)>, StoreError> {
        Ok(Vec::new())
    }
    fn insert_trade(&mut self, _: &Trade) -> Result<TradeId, StoreError> {
        Err("the disk is full".into())
    }
    fn insert_trades(
        &mut self,
        _: &[Trade],
        _: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError> {
        Err("the disk is full".into())
    }
    fn insert_trades_with_playbooks(
        &mut self,
        _: &[Trade],
        _: &[tranche::domain::Playbook],
        _: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError> {
        Err("the disk is full".into())
    }
    fn update_trade(&mut self, _: TradeId, _: &Trade) -> Result<(), StoreError> {
        Err("the disk is full".into())
    }
    fn delete_trade(&mut self, _: TradeId) -> Result<(), StoreError> {
        Err("the disk is full".into())
    }
    fn restore_trade(&mut self, _: TradeId, _: &Trade) -> Result<(), StoreError> {
        Err("the disk is full".into())
    }
    fn rule_settings(&self) -> Result<RuleSettings, StoreError> {
        Ok(RuleSettings::default())
    }
    fn set_rule_settings(&mut self, _: &RuleSettings) -> Result<(), StoreError> {
        Err("the disk is full".into())
    }
    fn location(&self) -> Option<String> {
        None
    }
    fn commit_import(
        &mut self,
        _: &tranche::import::Import,
        _: &tranche::import::GroupOptions,
        _: bool,
        _: &mut dyn FnMut(usize, usize),
    ) -> Result<tranche::storage::ImportOutcome, StoreError> {
        Err("the disk is full".into())
    }
    fn import_multipliers(&self) -> Result<tranche::model::Multipliers, StoreError> {
        Ok(Default::default())
    }
    fn set_import_multipliers(
        &mut self,
        _: &tranche::model::Multipliers,
    ) -> Result<(), StoreError> {
        Err("the disk is full".into())
    }
}

#[test]
fn a_failed_save_keeps_the_editor_open_and_says_why() {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(|cc| TrancheApp::with_store(&cc.egui_ctx, FailingStore));
    settle(&mut harness);
    // Ctrl+N opens a new trade.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    settle(&mut harness);
    assert!(harness.state().editor().is_some());
    fill(&mut harness, "Symbol", "AAPL");
    fill(&mut harness, "Row 1 price", "95");
    fill(&mut harness, "Row 2 qty", "100");
    fill(&mut harness, "Row 2 price", "100");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::S);
    settle(&mut harness);
    let app = harness.state();
    assert!(app.trades().is_empty());
    let editor = app.editor().expect("the editor stays open");
    assert!(!editor.is_saving());
    assert_eq!(editor.form().symbol, "AAPL");
    assert!(app.errors().iter().any(|e| e.contains("the disk is full")));
    assert!(has_text_containing(&harness, "Not saved: the disk is full"));
    click(&mut harness, "Dismiss");
    assert!(harness.state().errors().is_empty());
}

#[test]
fn new_rule_weights_rescore_every_trade() {
    let trades = sample_trades().expect("samples parse");
    let mut harness = harness_with(MemoryStore::with_trades(trades));
    click(&mut harness, "Settings");
    assert!(has_text_containing(&harness, "Rule weights"));
    let mut settings = RuleSettings::default();
    settings.weights[Rule::AddNotSmaller.index()] = 30;
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(Command::ApplyRuleSettings(settings.clone()), &ctx);
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.rule_settings(), &settings);
    let googl = app
        .trades()
        .rows()
        .iter()
        .find(|r| r.trade.symbol == "GOOGL")
        .expect("GOOGL sample");
    assert_eq!(googl.analysis.score, 70);
}

#[test]
fn a_journal_that_cannot_be_opened_is_explained_in_the_window() {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(|cc| {
            TrancheApp::with_preferences(
                &cc.egui_ctx,
                Box::new(|| Err("this journal was written by a newer version of Tranche".into())),
                Preferences::default(),
            )
        });
    settle(&mut harness);
    let app = harness.state();
    assert!(!app.is_loaded());
    assert_eq!(app.errors().len(), 1, "{:?}", app.errors());
    assert!(has_text_containing(
        &harness,
        "The journal could not be opened"
    ));
    assert!(has_text_containing(&harness, "newer version of Tranche"));
}

/// Image snapshots: they need a GPU adapter (Mesa's lavapipe is enough).
/// Regenerate with `UPDATE_SNAPSHOTS=1 cargo test --features snapshots`.
#[cfg(feature = "snapshots")]
mod snapshots {
    use super::*;
    use tranche::analysis::{RuleSettings, analyze_with_steps};
    use tranche::app::store::Store;
    use tranche::ui::Theme;
    use tranche::ui::chart::{ChartData, chart_ui};
    use tranche::ui::time::Zone;

    fn new_york() -> Zone {
        Zone::parse("America/New_York").expect("a zone")
    }

    fn snapshot_harness(store: MemoryStore) -> App {
        let prefs = Preferences {
            zone: new_york(),
            theme: Theme::Dark,
            ..Preferences::default()
        };
        let mut harness = Harness::builder()
            .with_size([1280.0, 800.0])
            .build_eframe(move |cc| {
                TrancheApp::with_preferences(
                    &cc.egui_ctx,
                    Box::new(move || Ok(Box::new(store) as Box<dyn Store>)),
                    prefs,
                )
            });
        settle(&mut harness);
        harness
    }

    #[test]
    fn main_window_with_sample_trades() {
        let trades = sample_trades().expect("samples parse");
        let mut harness = snapshot_harness(MemoryStore::with_trades(trades));
        let id = harness.state().listed_ids()[3];
        let ctx = harness.ctx.clone();
        harness.state_mut().apply(Command::Select(Some(id)), &ctx);
        settle(&mut harness);
        harness.snapshot("main_window");
    }

    #[test]
    fn editor_with_a_violation() {
        let mut harness = snapshot_harness(MemoryStore::new());
        click(&mut harness, "New trade");
        fill(&mut harness, "Symbol", "TSLA");
        type_rows(
            &mut harness,
            &[
                ("+ Stop", &[("time", "2025-06-02 09:35"), ("price", "240")]),
                (
                    "+ Entry",
                    &[
                        ("time", "2025-06-02 09:35"),
                        ("qty", "200"),
                        ("price", "250"),
                    ],
                ),
                (
                    "+ Entry",
                    &[
                        ("time", "2025-06-02 10:00"),
                        ("qty", "200"),
                        ("price", "245"),
                    ],
                ),
                (
                    "+ Exit",
                    &[
                        ("time", "2025-06-02 11:30"),
                        ("qty", "400"),
                        ("price", "238"),
                    ],
                ),
            ],
        );
        harness.snapshot("editor_violation");
    }

    #[test]
    fn trade_chart() {
        let trades = sample_trades().expect("samples parse");
        let trade = trades
            .iter()
            .find(|t| t.symbol == "MSFT" && t.events.len() > 8)
            .expect("the MSFT pyramid");
        let (_, steps) = analyze_with_steps(trade, &RuleSettings::default());
        let zone = new_york();
        let data = ChartData::new(trade, &steps, &zone);
        let mut harness = Harness::builder()
            .with_size([720.0, 440.0])
            .build_ui(move |ui| {
                chart_ui(ui, &data, &zone, egui::Id::unique("chart"), 320.0);
            });
        harness.run();
        harness.snapshot("trade_chart");
    }
}
