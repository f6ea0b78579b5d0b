//! The import dialog for price bars files, driven through its widgets on a
//! real SQLite journal in a temporary directory: the symbol it asks for when
//! the file's name gives none, the time zone of the file's times (remembered
//! for the next file), and a bad row named by file, line and field.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use tranche::app::{Preferences, TrancheApp, journal};
use tranche::storage::{Journal, SeriesInfo};
use tranche::ui::time::Zone;

use crate::harness::{App, click, fill, has_text_containing, settle};

/// Three one-minute bars as MetaTrader 4's History Center exports them.
const MT4_BARS: &str = "\
2024.01.02,00:00,1.10000,1.10050,1.09950,1.10020,120
2024.01.02,00:01,1.10020,1.10080,1.10010,1.10070,95
2024.01.02,00:02,1.10070,1.10090,1.10030,1.10040,80
";

/// 2024-01-02 00:00 UTC.
const JAN_2_UTC: i64 = 1_704_153_600;

/// Times show in UTC, and bars files are read in UTC until another zone is
/// used, so that what the tests read does not depend on the machine.
fn preferences() -> Preferences {
    Preferences {
        zone: Zone::parse("UTC").unwrap(),
        bars_zone: Some("UTC".to_owned()),
        ..Preferences::default()
    }
}

/// The app on the SQLite journal at `path`, with these preferences.
fn journal_harness(path: &Path, prefs: Preferences) -> App {
    let opener = journal::opener(path.to_path_buf());
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| TrancheApp::with_preferences(&cc.egui_ctx, opener, prefs));
    settle(&mut harness);
    assert!(
        harness.state().is_loaded(),
        "{:?}",
        harness.state().errors()
    );
    harness
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

fn is_enabled(harness: &App, label: &str) -> bool {
    !harness.get_by_label(label).accesskit_node().is_disabled()
}

/// Picks a time zone in the dialog's zone list, found by searching `search`.
fn pick_zone(harness: &mut App, search: &str, label: &str) {
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
        .type_text(search);
    harness.run();
    harness
        .get_by_role(Role::ListBox)
        .get_by_label(label)
        .click();
    settle(harness);
}

fn stored_series(path: &Path) -> Vec<SeriesInfo> {
    Journal::open(path).unwrap().bar_series().unwrap()
}

#[test]
fn a_dropped_bars_file_whose_name_gives_no_symbol_asks_for_one() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&journal, preferences());
    let file = dir.path().join("20240102.csv");
    std::fs::write(&file, MT4_BARS).unwrap();
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(file.clone())));
    settle(&mut harness);

    let dialog = harness
        .state()
        .bars_dialog()
        .expect("the bars dialog opens");
    assert_eq!(dialog.file().name, "20240102.csv");
    assert_eq!(dialog.symbol(), "", "the name gives no instrument");
    assert!(dialog.preview().is_none());
    assert!(harness.state().errors().is_empty());
    assert!(has_text_containing(&harness, "Import price bars"));
    assert!(has_text_containing(
        &harness,
        "does not say which instrument these bars are of"
    ));
    assert!(!is_enabled(&harness, "Import"));

    fill(&mut harness, "Symbol", "eurusd");
    let dialog = harness.state().bars_dialog().unwrap();
    let preview = dialog.preview().expect("read once the symbol is typed");
    assert_eq!(preview.symbol, "EURUSD");
    assert_eq!(preview.count, 3);
    assert!(has_text_containing(&harness, "MetaTrader 4 price bars"));
    assert!(has_text_containing(&harness, "3 bars of EURUSD"));
    assert!(has_text_containing(&harness, "1 minute"));
    assert!(has_text_containing(&harness, "2024-01-02 00:00 +00:00"));
    assert!(has_text_containing(&harness, "2024-01-02 00:02 +00:00"));
    assert!(
        has_text_containing(&harness, "1.1009"),
        "a row's high, exact"
    );
    assert!(is_enabled(&harness, "Import"));

    click(&mut harness, "Import");
    assert!(harness.state().bars_dialog().is_none());
    assert!(
        harness.state().errors().is_empty(),
        "{:?}",
        harness.state().errors()
    );
    assert!(has_text_containing(
        &harness,
        "Added 3 of 3 bars of EURUSD (1 minute) from 20240102.csv"
    ));
    let series = stored_series(&journal);
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].symbol, "EURUSD");
    assert_eq!(series[0].length, 60);
    assert_eq!(series[0].bars, 3);
    assert_eq!(series[0].first, Some(JAN_2_UTC));
    assert_eq!(series[0].last, Some(JAN_2_UTC + 120));
}

#[test]
fn the_zone_chosen_shifts_the_bars_and_is_offered_for_the_next_file() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&journal, preferences());
    let file = dir.path().join("EURUSD1.csv");
    std::fs::write(&file, MT4_BARS).unwrap();
    harness.state_mut().import_file(file.clone());
    settle(&mut harness);

    let dialog = harness
        .state()
        .bars_dialog()
        .expect("the bars dialog opens");
    assert_eq!(dialog.symbol(), "EURUSD", "from the file's name");
    assert_eq!(dialog.time_zone(), chrono_tz::Tz::UTC);
    assert!(has_text_containing(&harness, "from the file's name"));
    assert!(has_text_containing(&harness, "2024-01-02 00:00 +00:00"));

    // MetaTrader server time, UTC+2: every bar starts two hours earlier.
    pick_zone(&mut harness, "utc+2", "Etc/GMT-2 (UTC+2)");
    assert_eq!(
        harness.state().bars_dialog().map(|d| d.time_zone()),
        Some(chrono_tz::Tz::Etc__GMTMinus2)
    );
    assert!(has_text_containing(&harness, "2024-01-01 22:00 +00:00"));
    assert!(has_text_containing(&harness, "2024-01-01 22:02 +00:00"));
    assert!(!has_text_containing(&harness, "2024-01-02 00:00 +00:00"));

    // Another symbol: the same bars, under its name.
    fill(&mut harness, "Symbol", "gbpusd");
    assert!(has_text_containing(&harness, "3 bars of GBPUSD"));
    assert!(has_text_containing(&harness, "2024-01-01 22:00 +00:00"));
    click(&mut harness, "Import");
    assert!(
        harness.state().errors().is_empty(),
        "{:?}",
        harness.state().errors()
    );
    let series = stored_series(&journal);
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].symbol, "GBPUSD");
    assert_eq!(series[0].first, Some(JAN_2_UTC - 2 * 3600));
    assert_eq!(series[0].last, Some(JAN_2_UTC - 2 * 3600 + 120));

    // The zone is remembered, and offered for the next bars file.
    assert_eq!(
        harness.state().preferences().bars_zone.as_deref(),
        Some("Etc/GMT-2")
    );
    harness.state_mut().import_file(file);
    settle(&mut harness);
    let dialog = harness.state().bars_dialog().expect("open again");
    assert_eq!(dialog.time_zone(), chrono_tz::Tz::Etc__GMTMinus2);
    fill(&mut harness, "Symbol", "GBPUSD");
    click(&mut harness, "Import");
    assert!(has_text_containing(
        &harness,
        "Added 0 of 3 bars of GBPUSD (1 minute) from EURUSD1.csv; 3 were in the journal already"
    ));
    assert_eq!(stored_series(&journal)[0].bars, 3);
}

#[test]
fn a_bad_row_is_named_by_file_line_and_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");
    let mut harness = journal_harness(&journal, preferences());
    let file = dir.path().join("EURUSD1.csv");
    let bad = MT4_BARS.replace("1.10080", "1.1OO80");
    std::fs::write(&file, bad).unwrap();
    harness.state_mut().import_file(file);
    settle(&mut harness);

    let dialog = harness
        .state()
        .bars_dialog()
        .expect("the bars dialog opens");
    let error = dialog.error().expect("the row cannot be read");
    assert_eq!(error.file, "EURUSD1.csv");
    assert_eq!(error.line, Some(2));
    assert_eq!(error.field.as_deref(), Some("high"));
    assert!(has_text_containing(
        &harness,
        "Cannot read EURUSD1.csv, line 2, field \"high\""
    ));
    assert!(!is_enabled(&harness, "Import"));

    click(&mut harness, "Cancel");
    assert!(harness.state().bars_dialog().is_none());
    assert!(stored_series(&journal).is_empty());
    assert_eq!(
        harness.state().preferences().bars_zone.as_deref(),
        Some("UTC")
    );
}
