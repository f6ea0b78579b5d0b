//! The window around the panels, driven with egui_kittest: dropped files,
//! the delete modal, the keyboard, and files written through the worker
//! after a file dialog (answered here by a fixed chooser, as the desktop's
//! would).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use tranche::app::TrancheApp;
use tranche::app::dialogs::{Chooser, Request};
use tranche::app::sample::sample_trades;
use tranche::app::store::MemoryStore;
use tranche::ui::View;

use crate::harness::{App, click, has_text_containing, settle};

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

fn drop_file(harness: &mut App, path: &Path) {
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_path_buf())));
    settle(harness);
}

/// The app over the sample trades, its file dialogs answered by `chooser`.
fn app_choosing(chooser: Chooser, size: [f32; 2]) -> App {
    let store = MemoryStore::with_trades(sample_trades().expect("samples parse"));
    let mut harness = Harness::builder().with_size(size).build_eframe(move |cc| {
        TrancheApp::with_store(&cc.egui_ctx, store).with_file_chooser(chooser)
    });
    settle(&mut harness);
    harness
}

/// A chooser that answers every dialog with `path`, and keeps the requests.
fn answering(path: Option<PathBuf>) -> (Chooser, Arc<Mutex<Vec<Request>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&asked);
    let chooser: Chooser = Arc::new(move |request: &Request| {
        seen.lock().expect("not poisoned").push(request.clone());
        path.clone()
    });
    (chooser, asked)
}

fn is_enabled(harness: &App, label: &str) -> bool {
    !harness.get_by_label(label).accesskit_node().is_disabled()
}

#[test]
fn a_dropped_journal_file_adds_its_trades_and_a_drop_into_the_editor_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("two.json");
    let trade = r#"{"symbol": "DROP", "side": "long", "events": [
        {"type": "entry", "at": "2025-01-02T10:00:00Z", "qty": "10", "price": "5"},
        {"type": "exit", "at": "2025-01-02T11:00:00Z", "qty": "10", "price": "6"}]}"#;
    std::fs::write(&file, crate::helpers::journal_json(&[trade, trade])).expect("written");
    let mut harness = crate::harness::app_with(MemoryStore::new());

    // While the editor is open, a drop is refused and the status bar says why.
    click(&mut harness, "New trade");
    drop_file(&mut harness, &file);
    assert!(harness.state().trades().is_empty());
    let refused = format!(
        "{} was not imported: finish what is open first, then drop it again.",
        file.display()
    );
    assert_eq!(harness.state().errors(), [refused.as_str()]);
    assert!(has_text_containing(&harness, &refused));

    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(harness.state().editor().is_none(), "Esc leaves the editor");
    click(&mut harness, "Dismiss");
    drop_file(&mut harness, &file);
    assert!(
        harness.state().errors().is_empty(),
        "{:?}",
        harness.state().errors()
    );
    let symbols: Vec<&str> = harness
        .state()
        .trades()
        .rows()
        .iter()
        .map(|r| r.trade.symbol.as_str())
        .collect();
    assert_eq!(symbols, ["DROP", "DROP"]);
    assert!(has_text_containing(
        &harness,
        "Added 2 trades from two.json"
    ));
}

#[test]
fn the_delete_modal_names_the_trade_and_deletes_it_only_when_confirmed() {
    let trades = sample_trades().expect("samples parse");
    let mut harness = crate::harness::app_with(MemoryStore::with_trades(trades.clone()));
    let id = harness.state().listed_ids()[0];
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(tranche::ui::Command::AskDelete(id), &ctx);
    settle(&mut harness);
    assert_eq!(harness.state().asking_to_delete(), Some(id));
    let symbol = harness
        .state()
        .trade(id)
        .expect("listed")
        .trade
        .symbol
        .clone();
    assert!(has_text_containing(
        &harness,
        &format!("This deletes the {symbol} ")
    ));
    // Esc closes the modal and deletes nothing.
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert_eq!(harness.state().asking_to_delete(), None);
    assert_eq!(harness.state().trades().len(), trades.len());

    harness
        .state_mut()
        .apply(tranche::ui::Command::AskDelete(id), &ctx);
    settle(&mut harness);
    click(&mut harness, "Delete trade");
    assert_eq!(harness.state().asking_to_delete(), None);
    assert!(harness.state().trade(id).is_none());
    assert_eq!(harness.state().trades().len(), trades.len() - 1);
    assert!(has_text_containing(
        &harness,
        &format!("Deleted the {symbol} trade.")
    ));
}

#[test]
fn the_arrow_keys_move_through_the_list_and_esc_leaves_the_review() {
    let mut harness =
        crate::harness::app_with(MemoryStore::with_trades(sample_trades().expect("samples")));
    let listed = harness.state().listed_ids();
    harness.key_press(Key::ArrowDown);
    settle(&mut harness);
    let first = harness.state().selected().expect("a trade is selected");
    harness.key_press(Key::ArrowDown);
    settle(&mut harness);
    let second = harness.state().selected().expect("a trade is selected");
    let at = |id| listed.iter().position(|&l| l == id).expect("listed");
    assert_eq!(at(second), at(first) + 1);
    harness.key_press(Key::ArrowUp);
    settle(&mut harness);
    assert_eq!(harness.state().selected(), Some(first));

    click(&mut harness, "Review");
    assert_eq!(harness.state().preferences().view, View::Review);
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert_eq!(harness.state().preferences().view, View::Detail);
}

#[test]
fn export_asks_for_a_file_and_the_worker_writes_the_journal_there() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = dir.path().join("journal.json");
    let (chooser, asked) = answering(Some(target.clone()));
    let mut harness = app_choosing(chooser, [1280.0, 800.0]);
    click(&mut harness, "Export…");
    let count = sample_trades().expect("samples").len();
    let written = std::fs::read_to_string(&target).expect("the journal was written");
    assert!(written.contains("\"tranche-journal\""), "{written}");
    assert!(written.contains("NVDA"));
    assert!(has_text_containing(
        &harness,
        &format!("Exported {count} trades to {}", target.display())
    ));
    let asked = asked.lock().expect("not poisoned");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].title, "Export the journal");
    assert!(asked[0].save);
    assert_eq!(asked[0].file_name.as_deref(), Some("tranche-journal.json"));
    assert!(!harness.state().is_dialog_open());
    assert!(is_enabled(&harness, "Import…"), "free for the next dialog");
}

#[test]
fn without_a_file_dialog_import_asks_for_a_path_and_its_buttons_are_free_again() {
    // The chooser answers at once with no file: no dialog could be shown.
    let (chooser, asked) = answering(None);
    let mut harness = app_choosing(chooser, [1280.0, 800.0]);
    click(&mut harness, "Import…");
    assert_eq!(asked.lock().expect("not poisoned").len(), 1);
    assert!(harness.state().is_asking_for_path());
    assert!(has_text_containing(
        &harness,
        "No file dialog could be shown"
    ));
    click(&mut harness, "Cancel");
    assert!(!harness.state().is_asking_for_path());
    assert!(!harness.state().is_dialog_open());
    assert!(is_enabled(&harness, "Import…"));
    assert!(is_enabled(&harness, "Export…"));
}

#[test]
fn the_reviews_csv_is_written_by_the_worker_where_the_dialog_says() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = dir.path().join("stats.csv");
    let (chooser, asked) = answering(Some(target.clone()));
    let mut harness = app_choosing(chooser, [1600.0, 1000.0]);
    click(&mut harness, "Review");
    let expected = harness.state().review().csv().expect("computed");
    click(&mut harness, "Export CSV…");
    let written = std::fs::read_to_string(&target).expect("the statistics were written");
    assert_eq!(written, expected);
    assert!(written.starts_with("figure,value\n"));
    assert!(has_text_containing(
        &harness,
        &format!("Saved to {}", target.display())
    ));
    assert!(!harness.state().review().is_saving());
    assert!(is_enabled(&harness, "Export CSV…"));
    let asked = asked.lock().expect("not poisoned");
    assert_eq!(asked[0].title, "Export the statistics");
    assert_eq!(
        asked[0].file_name.as_deref(),
        Some("tranche-statistics.csv")
    );
    assert_eq!(asked[0].filters, [("CSV", vec!["csv"])]);
}

#[test]
fn a_review_file_that_cannot_be_written_is_explained_on_the_review() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = dir.path().join("no-such-folder").join("stats.csv");
    let (chooser, _) = answering(Some(target.clone()));
    let mut harness = app_choosing(chooser, [1600.0, 1000.0]);
    click(&mut harness, "Review");
    click(&mut harness, "Export CSV…");
    assert!(!target.exists());
    assert!(has_text_containing(
        &harness,
        &format!("Could not write {}: ", target.display())
    ));
    // Said on the review, where it was asked for; not in the status bar.
    assert!(harness.state().errors().is_empty());
    assert!(is_enabled(&harness, "Export CSV…"), "it can be tried again");
}
