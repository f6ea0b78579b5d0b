//! The import dialog for broker statements, driven through its widgets on a
//! real SQLite journal in a temporary directory, and the multipliers imports
//! use, set in Settings (and read by `tranche import`).

use std::path::{Path, PathBuf};
use std::process::Command;

use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rust_decimal_macros::dec;

use tranche::analysis::RuleSettings;
use tranche::app::store::{MemoryStore, Multipliers, Store, StoreError};
use tranche::app::{Preferences, TrancheApp, journal};
use tranche::domain::{EventKind, Trade, TradeId};
use tranche::import::{GroupOptions, Import};
use tranche::storage::{ImportOutcome, Journal};
use tranche::ui::time::Zone;

use crate::harness::{App, click, fill, has_text_containing, settle};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import_dialog")
        .join(name)
}

/// Times show in UTC, so that what the tests read does not depend on the machine.
fn preferences() -> Preferences {
    Preferences {
        zone: Zone::parse("UTC").expect("UTC"),
        ..Preferences::default()
    }
}

/// The app on the SQLite journal at `path`, as `tranche` opens it.
fn journal_harness(path: &Path) -> App {
    let opener = journal::opener(path.to_path_buf());
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| TrancheApp::with_preferences(&cc.egui_ctx, opener, preferences()));
    settle(&mut harness);
    assert!(
        harness.state().is_loaded(),
        "errors: {:?}",
        harness.state().errors()
    );
    harness
}

fn has_text(harness: &App, text: &str) -> bool {
    harness.query_by_label(text).is_some()
}

fn is_enabled(harness: &App, label: &str) -> bool {
    !harness.get_by_label(label).accesskit_node().is_disabled()
}

/// Opens `file` as the file dialog would, and waits for its preview.
fn open_file(harness: &mut App, file: &Path) {
    harness.state_mut().import_file(file.to_path_buf());
    settle(harness);
}

/// Picks a time zone in the dialog's searchable zone list.
fn pick_zone(harness: &mut App, name: &str) {
    harness
        .get_by_role_and_label(Role::ComboBox, "Time zone")
        .click();
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, "Search time zones")
        .focus();
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, "Search time zones")
        .type_text(name);
    harness.run();
    harness
        .get_by_role(Role::ListBox)
        .get_by_label(name)
        .click();
    settle(harness);
}

/// Picks the column that holds `field` in the column-mapping step.
fn map_column(harness: &mut App, field: &str, column: &str) {
    harness.get_by_role_and_label(Role::ComboBox, field).click();
    harness.run();
    harness
        .get_by_role(Role::ListBox)
        .get_by_label(column)
        .click();
    settle(harness);
}

fn stored_trades(path: &Path) -> Vec<(TradeId, Trade)> {
    Journal::open(path)
        .expect("the journal opens")
        .trades()
        .expect("its trades")
}

fn symbols(harness: &App) -> Vec<String> {
    harness
        .state()
        .trades()
        .rows()
        .iter()
        .map(|row| row.trade.symbol.clone())
        .collect()
}

#[test]
fn a_broker_statement_is_previewed_then_imported_into_the_list_and_the_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    open_file(&mut harness, &fixture("tradovate_orders.csv"));

    let dialog = harness.state().import_dialog().expect("the dialog opens");
    assert_eq!(dialog.file().name, "tradovate_orders.csv");
    assert_eq!(dialog.time_zone(), tranche::import::local_zone());
    assert!(has_text(&harness, "Import a broker statement"));
    // The format was detected from the content; the numbers of the preview.
    assert!(has_text(&harness, "Tradovate Orders"));
    assert!(has_text(&harness, "5 fills"));
    assert!(has_text(&harness, "3 trades, 1 still open"));
    // What committing would do, from a dry run against the journal.
    assert!(has_text(
        &harness,
        "Adds 5 new fills: 3 new trades, 0 open trades extended."
    ));

    // The file gives no zone: the zone picked moves every time.
    pick_zone(&mut harness, "Asia/Tokyo");
    assert_eq!(
        harness.state().import_dialog().map(|d| d.time_zone()),
        Some(chrono_tz::Tz::Asia__Tokyo)
    );
    assert!(has_text(
        &harness,
        "From 2025-01-14 00:31 +00:00 to 2025-01-16 00:45 +00:00"
    ));
    pick_zone(&mut harness, "America/New_York");
    assert!(has_text(
        &harness,
        "From 2025-01-14 14:31 +00:00 to 2025-01-16 14:45 +00:00"
    ));
    assert!(has_text(&harness, "5 fills"));
    assert!(is_enabled(&harness, "Import"));

    click(&mut harness, "Import");
    let app = harness.state();
    assert!(app.import_dialog().is_none(), "{:?}", app.errors());
    assert!(app.errors().is_empty(), "{:?}", app.errors());
    assert_eq!(symbols(&harness), ["MNQH5", "MESH5", "MNQH5"]);
    assert!(has_text_containing(
        &harness,
        "Imported tradovate_orders.csv: Added 5 new fills"
    ));
    // In the list.
    assert!(harness.query_all_by_label("MESH5").next().is_some());

    // And in the file, read in New York time, with the stop order's history.
    let stored = stored_trades(&path);
    assert_eq!(stored.len(), 3);
    let (_, mnq) = &stored[0];
    assert_eq!(mnq.symbol, "MNQH5");
    assert_eq!(mnq.multiplier, dec!(2));
    assert_eq!(mnq.account, "SIM2217");
    assert_eq!(
        mnq.events[0].at.to_rfc3339(),
        "2025-01-14T09:31:12-05:00",
        "{:?}",
        mnq.events
    );
    assert!(
        mnq.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Stop { price } if price == dec!(20990)))
    );
    assert_eq!(stored[1].1.multiplier, dec!(5));
    assert_eq!(
        Journal::open(&path)
            .and_then(|j| j.imported_fill_count())
            .expect("fill count"),
        5
    );
}

#[test]
fn a_second_import_of_the_same_file_reports_nothing_new() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    let file = fixture("tradovate_orders.csv");
    open_file(&mut harness, &file);
    click(&mut harness, "Import");
    assert_eq!(harness.state().trades().len(), 3);

    open_file(&mut harness, &file);
    assert!(has_text(&harness, "5 fills"));
    assert!(has_text(
        &harness,
        "Nothing new: all 5 fills were imported before."
    ));
    let check = harness
        .state()
        .import_dialog()
        .and_then(|d| d.check().cloned())
        .expect("the dry run answered");
    assert_eq!((check.new_fills, check.known_fills), (0, 5));
    assert_eq!((check.added, check.extended), (0, 0));
    click(&mut harness, "Import");
    assert_eq!(harness.state().trades().len(), 3);
    assert_eq!(stored_trades(&path).len(), 3);
    assert!(has_text_containing(&harness, "Nothing new"));
}

#[test]
fn cancel_leaves_the_journal_untouched() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    click(&mut harness, "Load sample trades");
    let before = stored_trades(&path);
    assert!(!before.is_empty());

    open_file(&mut harness, &fixture("tradovate_orders.csv"));
    assert!(has_text(&harness, "5 fills"));
    click(&mut harness, "Cancel");
    assert!(harness.state().import_dialog().is_none());

    // Esc cancels too, even while the zone changes.
    open_file(&mut harness, &fixture("tradovate_orders.csv"));
    pick_zone(&mut harness, "Europe/London");
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(harness.state().import_dialog().is_none());

    assert_eq!(harness.state().trades().len(), before.len());
    assert_eq!(stored_trades(&path), before);
    let journal = Journal::open(&path).expect("the journal opens");
    assert_eq!(journal.imported_fill_count().expect("fill count"), 0);
    assert_eq!(journal.integrity_check().expect("checked"), ["ok"]);
}

#[test]
fn a_bad_row_is_named_then_skipped_with_a_warning() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    open_file(&mut harness, &fixture("fills_with_a_bad_row.csv"));

    // The error names the file, the line and the field; nothing can be imported.
    let error = harness
        .state()
        .import_dialog()
        .and_then(|d| d.error().cloned())
        .expect("the bad row stops the preview");
    assert_eq!(error.line, Some(4));
    assert_eq!(error.field.as_deref(), Some("quantity"));
    assert!(has_text(
        &harness,
        "Cannot read fills_with_a_bad_row.csv, line 4, field \"quantity\": \"fifty\" is not a number"
    ));
    assert!(!is_enabled(&harness, "Import"));

    click(&mut harness, "Skip bad rows");
    assert!(has_text(&harness, "4 fills"));
    assert!(has_text(&harness, "2 trades, 0 still open"));
    assert!(has_text(&harness, "1 warning"));
    assert!(has_text(
        &harness,
        "line 4: quantity: row skipped: \"fifty\" is not a number"
    ));
    assert!(is_enabled(&harness, "Import"));
    click(&mut harness, "Import");
    assert_eq!(symbols(&harness), ["AMD", "INTC"]);
    assert_eq!(stored_trades(&path).len(), 2);
}

#[test]
fn a_csv_in_no_known_layout_is_imported_through_the_column_mapping() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    open_file(&mut harness, &fixture("unknown_layout.csv"));
    pick_zone(&mut harness, "Europe/Berlin");

    let dialog = harness.state().import_dialog().expect("the dialog opens");
    assert!(dialog.needs_mapping());
    // Prefilled from the names the common layout knows.
    assert_eq!(dialog.mapping().side, "B/S");
    assert_eq!(dialog.mapping().quantity, "Units");
    assert_eq!(dialog.mapping().price, "Exec price");
    assert!(has_text(&harness, "Columns"));
    assert!(has_text(
        &harness,
        "Choose the column for: date and time, symbol."
    ));
    assert!(!is_enabled(&harness, "Import"));

    map_column(&mut harness, "Date and time", "When");
    // Beside each choice, what the first row holds there.
    assert!(has_text(&harness, "e.g. 2025-03-10 14:30:00"));
    assert!(has_text(&harness, "e.g. 40"));
    assert!(has_text(&harness, "Choose the column for: symbol."));
    assert!(!is_enabled(&harness, "Import"));
    map_column(&mut harness, "Symbol", "Instrument code");
    assert!(has_text(&harness, "3 fills"));
    assert!(has_text(&harness, "2 trades, 1 still open"));
    // Berlin is an hour ahead of UTC in March.
    assert!(has_text(
        &harness,
        "From 2025-03-10 13:30 +00:00 to 2025-03-11 09:00 +00:00"
    ));
    map_column(&mut harness, "Fee", "Brokerage");
    assert!(is_enabled(&harness, "Import"));
    click(&mut harness, "Import");

    assert_eq!(symbols(&harness), ["SAP", "ASML"]);
    let stored = stored_trades(&path);
    let (_, sap) = &stored[0];
    let fees: Vec<_> = sap
        .events
        .iter()
        .filter_map(|e| e.kind.fill().map(|f| f.fee))
        .collect();
    assert_eq!(fees, [dec!(2.00), dec!(2.00)]);
    assert_eq!(sap.events[0].at.to_rfc3339(), "2025-03-10T14:30:00+01:00");
}

#[test]
fn a_multiplier_set_in_settings_applies_to_imported_futures() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    {
        let mut harness = journal_harness(&path);
        click(&mut harness, "Settings");
        click(&mut harness, "Add multiplier");
        fill(&mut harness, "Multiplier 1 symbol", "kc");
        fill(&mut harness, "Multiplier 1 value", "0");
        assert!(has_text(&harness, "the multiplier must be more than 0"));
        assert!(!is_enabled(&harness, "Save multipliers"));
        fill(&mut harness, "Multiplier 1 value", "37500");
        assert!(!has_text(&harness, "the multiplier must be more than 0"));
        click(&mut harness, "Save multipliers");
        let saved = harness.state().multipliers().clone();
        assert_eq!(saved.get("KC"), Some(&dec!(37500)));
        assert!(!is_enabled(&harness, "Save multipliers"));

        // The built-in table has no coffee: without the setting this is 1.
        open_file(&mut harness, &fixture("coffee_futures.csv"));
        assert!(has_text(&harness, "1 trade, 0 still open"));
        click(&mut harness, "Import");
        let row = &harness.state().trades().rows()[0];
        assert_eq!(row.trade.symbol, "KCK5");
        assert_eq!(row.trade.multiplier, dec!(37500));
        // (388.35 - 385.10) x 37,500 less two commissions of 2.45.
        assert_eq!(row.analysis.net_pnl, dec!(121870.10));
    }
    assert_eq!(stored_trades(&path)[0].1.multiplier, dec!(37500));

    // Kept in the journal: the app reads them back with it.
    let mut harness = journal_harness(&path);
    assert_eq!(harness.state().multipliers().get("KC"), Some(&dec!(37500)));
    click(&mut harness, "Settings");
    let symbol = harness
        .get_by_role_and_label(Role::TextInput, "Multiplier 1 symbol")
        .value();
    assert_eq!(symbol.as_deref(), Some("KC"));
    click(&mut harness, "Remove");
    click(&mut harness, "Save multipliers");
    assert!(harness.state().multipliers().is_empty());
    let journal = Journal::open(&path).expect("the journal opens");
    assert!(journal.import_multipliers().expect("read").is_empty());
}

#[test]
fn the_command_line_import_uses_the_journals_multipliers() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    Journal::open(&path)
        .and_then(|mut j| j.set_import_multipliers(&[("KC".to_owned(), dec!(37500))].into()))
        .expect("multipliers saved");
    let output = Command::new(env!("CARGO_BIN_EXE_tranche"))
        .env_remove("TRANCHE_JOURNAL")
        .arg("--journal")
        .arg(&path)
        .arg("import")
        .arg(fixture("coffee_futures.csv"))
        .args(["--tz", "America/New_York"])
        .output()
        .expect("run tranche");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stored = stored_trades(&path);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1.multiplier, dec!(37500));
}

#[test]
fn a_journal_file_is_still_added_at_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let trades = tranche::app::sample::sample_trades().expect("samples");
    let numbered: Vec<(TradeId, Trade)> = trades
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, t)| (TradeId(i as i64 + 1), t))
        .collect();
    // Its name says CSV; its content says journal, and content decides.
    let file = dir.path().join("exported.csv");
    std::fs::write(&file, tranche::interchange::to_json(&numbered)).expect("written");

    let mut harness = journal_harness(&path);
    open_file(&mut harness, &file);
    assert!(harness.state().import_dialog().is_none());
    assert_eq!(harness.state().trades().len(), trades.len());
    assert_eq!(stored_trades(&path).len(), trades.len());
}

#[test]
fn the_in_memory_journal_previews_but_says_it_cannot_import() {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(|cc| TrancheApp::with_store(&cc.egui_ctx, MemoryStore::new()));
    settle(&mut harness);
    open_file(&mut harness, &fixture("tradovate_orders.csv"));
    assert!(has_text(&harness, "5 fills"));
    assert!(has_text_containing(
        &harness,
        "This journal cannot take the import: the in-memory journal cannot import broker statements"
    ));
    assert!(!is_enabled(&harness, "Import"));
    click(&mut harness, "Cancel");
    assert!(harness.state().trades().is_empty());
    assert!(harness.state().errors().is_empty());
}

#[test]
fn a_later_file_extends_the_trade_left_open() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    open_file(&mut harness, &fixture("tradovate_orders.csv"));
    pick_zone(&mut harness, "America/Chicago");
    click(&mut harness, "Import");
    let open = harness
        .state()
        .trades()
        .rows()
        .iter()
        .find(|row| row.analysis.closed_at.is_none())
        .map(|row| row.id)
        .expect("the MNQ trade left open");

    // The next file lists the last fill again, then the exit.
    open_file(&mut harness, &fixture("tradovate_orders_next_day.csv"));
    pick_zone(&mut harness, "America/Chicago");
    assert!(has_text(
        &harness,
        "Adds 1 new fill: 0 new trades, 1 open trade extended. \
         1 fill was imported before and is skipped."
    ));
    click(&mut harness, "Import");
    let app = harness.state();
    assert_eq!(app.trades().len(), 3, "no trade added");
    let row = app.trade(open).expect("the same trade, extended");
    assert!(row.analysis.closed_at.is_some(), "now closed");
    // 1 MNQ bought at 21100 and sold at 21122.75, at 2 a point.
    assert_eq!(row.analysis.net_pnl, dec!(45.50));
    assert_eq!(stored_trades(&path).len(), 3);
}

#[test]
fn a_file_that_cannot_be_read_is_explained() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    open_file(&mut harness, &dir.path().join("missing.csv"));
    let app = harness.state();
    assert!(app.import_dialog().is_none());
    assert_eq!(app.errors().len(), 1, "{:?}", app.errors());
    assert!(
        app.errors()[0].contains("missing.csv"),
        "{:?}",
        app.errors()
    );
    assert!(has_text_containing(&harness, "missing.csv failed"));
}

/// The SQLite journal, except that committing an import fails as a full disk would.
struct FullDisk(Journal);

impl Store for FullDisk {
    fn trades(&self) -> Result<Vec<(TradeId, Trade)>, StoreError> {
        Store::trades(&self.0)
    }
    fn insert_trade(&mut self, trade: &Trade) -> Result<TradeId, StoreError> {
        Store::insert_trade(&mut self.0, trade)
    }
    fn insert_trades(
        &mut self,
        trades: &[Trade],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError> {
        Store::insert_trades(&mut self.0, trades, progress)
    }
    fn insert_trades_with_playbooks(
        &mut self,
        trades: &[Trade],
        playbooks: &[tranche::domain::Playbook],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError> {
        Store::insert_trades_with_playbooks(&mut self.0, trades, playbooks, progress)
    }
    fn update_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StoreError> {
        Store::update_trade(&mut self.0, id, trade)
    }
    fn delete_trade(&mut self, id: TradeId) -> Result<(), StoreError> {
        Store::delete_trade(&mut self.0, id)
    }
    fn restore_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StoreError> {
        Store::restore_trade(&mut self.0, id, trade)
    }
    fn rule_settings(&self) -> Result<RuleSettings, StoreError> {
        Store::rule_settings(&self.0)
    }
    fn set_rule_settings(&mut self, settings: &RuleSettings) -> Result<(), StoreError> {
        Store::set_rule_settings(&mut self.0, settings)
    }
    fn location(&self) -> Option<String> {
        Store::location(&self.0)
    }
    fn commit_import(
        &mut self,
        import: &Import,
        options: &GroupOptions,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportOutcome, StoreError> {
        if dry_run {
            Store::commit_import(&mut self.0, import, options, dry_run, progress)
        } else {
            Err("database or disk is full".into())
        }
    }
    fn import_multipliers(&self) -> Result<Multipliers, StoreError> {
        Store::import_multipliers(&self.0)
    }
    fn set_import_multipliers(&mut self, multipliers: &Multipliers) -> Result<(), StoreError> {
        Store::set_import_multipliers(&mut self.0, multipliers)
    }
}

#[test]
fn a_failed_commit_is_shown_in_the_dialog_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let journal = Journal::open(&path).expect("the journal opens");
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            TrancheApp::with_preferences(
                &cc.egui_ctx,
                Box::new(move || Ok(Box::new(FullDisk(journal)) as Box<dyn Store>)),
                preferences(),
            )
        });
    settle(&mut harness);
    open_file(&mut harness, &fixture("tradovate_orders.csv"));
    assert!(has_text(
        &harness,
        "Adds 5 new fills: 3 new trades, 0 open trades extended."
    ));
    click(&mut harness, "Import");
    let dialog = harness
        .state()
        .import_dialog()
        .expect("the dialog stays open");
    assert!(!dialog.is_committing());
    assert!(has_text(
        &harness,
        "Nothing was imported: database or disk is full"
    ));
    // Import can be tried again, or the dialog cancelled.
    assert!(is_enabled(&harness, "Import"));
    click(&mut harness, "Cancel");
    assert!(harness.state().trades().is_empty());
    assert!(stored_trades(&path).is_empty());
}

/// A file dropped on the window, as the windowing layer hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_file_dropped_on_the_window_opens_the_import_dialog() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(fixture(
            "tradovate_orders.csv",
        ))));
    settle(&mut harness);
    let dialog = harness.state().import_dialog().expect("the dialog opens");
    assert_eq!(dialog.file().name, "tradovate_orders.csv");
    assert!(has_text(&harness, "5 fills"));

    // A second drop while the dialog is open is refused, and says why.
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(fixture(
            "tradovate_orders.csv",
        ))));
    settle(&mut harness);
    assert!(
        harness
            .state()
            .errors()
            .iter()
            .any(|e| e.contains("finish what is open first")),
        "{:?}",
        harness.state().errors()
    );
}

#[test]
fn without_a_file_dialog_a_path_can_be_typed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    harness.state_mut().ask_for_path(false);
    harness.run();
    assert!(has_text_containing(
        &harness,
        "No file dialog could be shown"
    ));
    assert!(!is_enabled(&harness, "Import"), "nothing typed yet");
    let typed = format!("  \"{}\" ", fixture("tradovate_orders.csv").display());
    fill(&mut harness, "File path", &typed);
    click(&mut harness, "Import");
    let dialog = harness.state().import_dialog().expect("the dialog opens");
    assert_eq!(dialog.file().name, "tradovate_orders.csv");

    // Exporting to a typed path writes the journal there.
    click(&mut harness, "Import");
    assert!(harness.state().import_dialog().is_none());
    let export = dir.path().join("out.json");
    harness.state_mut().ask_for_path(true);
    harness.run();
    fill(&mut harness, "File path", &export.display().to_string());
    harness.key_press(Key::Enter);
    settle(&mut harness);
    let written = std::fs::read_to_string(&export).expect("exported");
    assert!(written.contains("MNQH5"), "{written}");
}

fn broker_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/brokers")
        .join(name)
}

#[test]
fn a_statement_with_its_own_total_says_whether_the_journal_agrees() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&path);
    open_file(&mut harness, &broker_fixture("ninjatrader/trades.csv"));
    let line = "Cum. net profit: statement 289.69 USD; journal 289.69 USD: agrees";
    assert!(has_text(&harness, line), "the preview shows the comparison");
    let preview = harness
        .state()
        .import_dialog()
        .and_then(|d| d.preview().cloned())
        .expect("a preview");
    assert!(preview.preview.reconciliation.is_some_and(|r| r.agrees()));

    click(&mut harness, "Import");
    assert!(
        harness.state().errors().is_empty(),
        "{:?}",
        harness.state().errors()
    );
    assert!(
        has_text_containing(&harness, &format!("{line}.")),
        "the result says it too"
    );
    assert_eq!(harness.state().statement_checks().len(), 1);

    // The same trades under a total they do not make: said, and importable.
    let text = std::fs::read_to_string(broker_fixture("ninjatrader/trades.csv"))
        .expect("the fixture")
        .replace("$289.69 ", "$300.00 ");
    let other = dir.path().join("trades-300.csv");
    std::fs::write(&other, text).expect("written");
    open_file(&mut harness, &other);
    let line = "Cum. net profit: statement 300.00 USD; journal 289.69 USD: does not agree";
    assert!(has_text(&harness, line));
    assert!(is_enabled(&harness, "Import"));
    click(&mut harness, "Import");
    assert!(has_text_containing(&harness, &format!("{line}.")));
    let checks = harness.state().statement_checks();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[1].file, "trades-300.csv");
    assert_eq!(checks[1].trades, checks[0].trades, "the same trades");
}

#[test]
fn the_empty_texts_of_an_import_are_written_as_empty_texts() {
    // The import's bulk writer binds an empty text as a static "" (an empty
    // `String` points nowhere): it must reach the file as '', never NULL.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    // Forty round trips: more than one full batch of the bulk writer.
    let mut csv = String::from(
        "orderId,Account,Order ID,B/S,Contract,Product,avgPrice,filledQty,Fill Time,Status,\
         Timestamp,Date,Quantity,Type,Limit Price,Stop Price\n",
    );
    for n in 0..80 {
        let at = format!("01/14/2025 {:02}:{:02}:00", 9 + n / 60, n % 60);
        let (side, price) = if n % 2 == 0 {
            ("Buy", 21000 + n)
        } else {
            ("Sell", 21002 + n)
        };
        let id = 1000 + n;
        csv.push_str(&format!(
            "{id},SIM2217,{id}, {side},MNQH5,MNQ,{price}.25,1,{at}, Filled,{at},1/14/25,1, Market,,\n"
        ));
    }
    let file = dir.path().join("forty.csv");
    std::fs::write(&file, csv).expect("written");
    let mut harness = journal_harness(&path);
    open_file(&mut harness, &file);
    click(&mut harness, "Import");
    assert!(
        harness.state().errors().is_empty(),
        "{:?}",
        harness.state().errors()
    );
    let stored = stored_trades(&path);
    assert_eq!(stored.len(), 40);
    let empty_in_trades: usize = stored
        .iter()
        .map(|(_, t)| {
            [&t.account, &t.setup, &t.notes]
                .iter()
                .filter(|s| s.is_empty())
                .count()
        })
        .sum();
    assert!(empty_in_trades > 0, "the import leaves some texts empty");
    let conn = rusqlite::Connection::open(&path).expect("the journal file");
    let (empty_in_file, null_in_file): (i64, i64) = conn
        .query_row(
            "SELECT
                 sum((account = '' AND typeof(account) = 'text')
                   + (setup = '' AND typeof(setup) = 'text')
                   + (notes = '' AND typeof(notes) = 'text')),
                 sum((account IS NULL) + (setup IS NULL) + (notes IS NULL))
             FROM trade",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("counted");
    assert_eq!(empty_in_file, empty_in_trades as i64);
    assert_eq!(null_in_file, 0);
}
