//! The journal against real SQLite files: migrations, refusals, backups,
//! atomic writes, restore and settings.

use std::fs;
use std::path::{Path, PathBuf};

use rust_decimal_macros::dec;
use tranche::analysis::RuleSettings;
use tranche::domain::{Event, Trade, TradeId};
use tranche::storage::{Journal, MIGRATIONS, SCHEMA_VERSION, StorageError};

use crate::helpers::{generated_trades, sample_trades, t, worked_example};

fn journal_file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("journal.sqlite")
}

/// Opens the file with plain SQLite, outside the journal's code.
fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open with rusqlite")
}

fn user_version(path: &Path) -> i64 {
    raw(path)
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version")
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.to_string_lossy().contains(".bak-"))
        .collect();
    found.sort();
    found
}

fn without_ids(trades: Vec<(TradeId, Trade)>) -> Vec<Trade> {
    trades.into_iter().map(|(_, trade)| trade).collect()
}

#[test]
fn a_new_journal_is_created_at_the_latest_version_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(journal.path(), Some(path.as_path()));
    assert_eq!(journal.trade_count().unwrap(), 0);
    drop(journal);
    let mode: String = raw(&path)
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(
        backups(dir.path()).is_empty(),
        "a new journal needs no backup"
    );
}

#[test]
fn migrating_twice_and_reopening_keeps_the_schema_and_the_trades() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    let mut journal = Journal::open(&path).unwrap();
    let ids = journal
        .insert_trades(&sample_trades(), &mut |_, _| {})
        .unwrap();
    drop(journal);
    for _ in 0..2 {
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.schema_version().unwrap(), SCHEMA_VERSION);
        let stored = journal.trades().unwrap();
        assert_eq!(stored.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids);
        assert_eq!(without_ids(stored), sample_trades());
    }
    assert!(
        backups(dir.path()).is_empty(),
        "reopening is not a migration"
    );
}

#[test]
fn a_journal_from_a_newer_version_is_refused_and_left_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    let mut journal = Journal::open(&path).unwrap();
    journal.insert_trade(&worked_example()).unwrap();
    drop(journal);
    {
        let conn = raw(&path);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let before = fs::read(&path).unwrap();
    let listing_before = fs::read_dir(dir.path()).unwrap().count();

    let error = Journal::open(&path).unwrap_err();
    assert!(
        matches!(error, StorageError::TooNew { found, known, .. } if found == SCHEMA_VERSION + 1 && known == SCHEMA_VERSION),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("newer version of Tranche"), "{message}");
    assert!(message.contains("left untouched"), "{message}");

    assert_eq!(fs::read(&path).unwrap(), before, "the file was changed");
    assert_eq!(user_version(&path), SCHEMA_VERSION + 1);
    assert!(backups(dir.path()).is_empty());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), listing_before);
}

#[test]
fn a_sqlite_file_that_is_not_a_journal_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    raw(&path)
        .execute_batch("CREATE TABLE accounts (name TEXT); INSERT INTO accounts VALUES ('x');")
        .unwrap();
    let before = fs::read(&path).unwrap();
    let error = Journal::open(&path).unwrap_err();
    assert!(
        matches!(error, StorageError::NotAJournal { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("not a Tranche journal"));
    assert_eq!(fs::read(&path).unwrap(), before);
}

/// The upgrade path, run for real: a journal at the current version is
/// opened by a program whose migration list has one more migration (one that
/// has not shipped, given through the test hook). The copy must be written
/// first, hold the journal as it was including what was still in the
/// write-ahead log, and the journal must end at the next version.
#[test]
fn an_older_journal_is_backed_up_before_it_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    let mut v1 = Journal::open_with_migrations(&path, MIGRATIONS).unwrap();
    v1.insert_trade(&worked_example()).unwrap();
    // Keep `v1` open so that its trade is still in the WAL, not yet in the main file.
    assert!(
        fs::metadata(dir.path().join("journal.sqlite-wal"))
            .unwrap()
            .len()
            > 0
    );

    let mut next: Vec<&str> = MIGRATIONS.to_vec();
    next.push("CREATE TABLE next_table (id INTEGER PRIMARY KEY, raw TEXT NOT NULL) STRICT;");
    let v2 = Journal::open_with_migrations(&path, &next).unwrap();
    assert_eq!(v2.schema_version().unwrap(), SCHEMA_VERSION + 1);
    assert_eq!(v2.trade_count().unwrap(), 1);
    drop(v1);

    let found = backups(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    let name = found[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("journal.sqlite.bak-v{SCHEMA_VERSION}-")),
        "{name}"
    );
    let backup = raw(&found[0]);
    let version: i64 = backup
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let trades: i64 = backup
        .query_row("SELECT count(*) FROM trade", [], |r| r.get(0))
        .unwrap();
    assert_eq!(trades, 1, "the backup must include the WAL's content");
    let has_new_table: bool = backup
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'next_table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        !has_new_table,
        "the backup is of the journal before migrating"
    );
    drop(backup);
    // The backup is itself a journal that this version opens.
    assert_eq!(Journal::open(&found[0]).unwrap().trade_count().unwrap(), 1);
}

#[test]
fn a_version_1_journal_is_brought_up_to_date_with_its_trades() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    drop(Journal::open_with_migrations(&path, &MIGRATIONS[..1]).unwrap());
    crate::helpers::insert_trade_before_v4(&path, &worked_example());
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(journal.trade_count().unwrap(), 1);
    // Its money is in its own currency, its stops known: as it always was.
    assert_eq!(journal.trades().unwrap()[0].1, worked_example());
    assert_eq!(journal.imported_fill_count().unwrap(), 0);
    assert_eq!(backups(dir.path()).len(), 1);
}

#[test]
fn a_failed_migration_leaves_the_journal_at_its_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    Journal::open(&path)
        .unwrap()
        .insert_trade(&worked_example())
        .unwrap();
    let mut next: Vec<&str> = MIGRATIONS.to_vec();
    next.push("CREATE TABLE half_done (x TEXT) STRICT; THIS IS NOT SQL;");
    let error = Journal::open_with_migrations(&path, &next).unwrap_err();
    assert!(
        matches!(error, StorageError::Migration { from, to, .. } if from == SCHEMA_VERSION && to == SCHEMA_VERSION + 1),
        "{error:?}"
    );
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let half_done: bool = raw(&path)
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'half_done'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!half_done, "the migration was not rolled back");
    assert_eq!(Journal::open(&path).unwrap().trade_count().unwrap(), 1);
}

#[test]
fn invalid_trades_are_refused_with_their_validation_errors() {
    let mut journal = Journal::open_in_memory().unwrap();
    let mut trade = worked_example();
    trade.events[6] = Event::exit(
        t("2024-03-05T15:10:00-05:00"),
        dec!(400),
        dec!(106),
        dec!(0),
    );
    let error = journal.insert_trade(&trade).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the trade (AAPL) is invalid: event 7 (exit), qty: the exit of 400 is larger than the open quantity 250"
    );
    assert!(matches!(error, StorageError::InvalidTrade { ref errors, .. } if errors.len() == 1));
    assert_eq!(journal.trade_count().unwrap(), 0);
}

#[test]
fn insert_trades_writes_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    let mut journal = Journal::open(&path).unwrap();
    let mut batch = generated_trades(50);
    let at = batch[20].events[1].at;
    batch[20].events[1] = Event::entry(at, dec!(-300), dec!(100), dec!(1));
    let error = journal.insert_trades(&batch, &mut |_, _| {}).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::InvalidTrade {
                index: Some(20),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("trade 21 (SYM20) is invalid: event 2 (entry), qty"),
        "{error}"
    );
    assert_eq!(journal.trade_count().unwrap(), 0);

    // A failure inside the transaction (here a trigger that rejects a trade
    // with one event, standing in for a full disk) rolls back the trades
    // before it.
    raw(&path)
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON trade WHEN NEW.events LIKE '%\"13.13\"%'
             BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
        )
        .unwrap();
    let mut batch = generated_trades(50);
    let at = batch[30].events[1].at;
    batch[30].events[1] = Event::entry(at, dec!(300), dec!(13.13), dec!(1));
    let mut journal = Journal::open(&path).unwrap();
    let error = journal.insert_trades(&batch, &mut |_, _| {}).unwrap_err();
    assert!(error.to_string().contains("refused by test"), "{error}");
    assert_eq!(journal.trade_count().unwrap(), 0);
    let events: i64 = raw(&path)
        .query_row("SELECT count(*) FROM event", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 0);

    let mut reports = Vec::new();
    let ids = journal
        .insert_trades(&generated_trades(1200), &mut |done, total| {
            reports.push((done, total))
        })
        .unwrap();
    assert_eq!(ids.len(), 1200);
    assert_eq!(reports.first(), Some(&(0, 1200)));
    assert_eq!(reports.last(), Some(&(1200, 1200)));
    assert!(reports.contains(&(1000, 1200)));
    assert_eq!(journal.trade_count().unwrap(), 1200);
}

#[test]
fn update_replaces_a_trade_in_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    let mut journal = Journal::open(&path).unwrap();
    let id = journal.insert_trade(&worked_example()).unwrap();

    let mut edited = sample_trades()[1].clone();
    edited.notes = "edited".into();
    journal.update_trade(id, &edited).unwrap();
    assert_eq!(journal.trade(id).unwrap(), Some(edited.clone()));

    // Invalid: refused, nothing changed.
    let mut invalid = edited.clone();
    invalid.symbol = " ".into();
    assert!(matches!(
        journal.update_trade(id, &invalid),
        Err(StorageError::InvalidTrade { .. })
    ));
    assert_eq!(journal.trade(id).unwrap(), Some(edited.clone()));

    // Failing half way (after the row, its events and a first tag were
    // written): rolled back.
    raw(&path)
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON trade_tag WHEN NEW.tag = 'pyramid'
             BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
        )
        .unwrap();
    let mut journal = Journal::open(&path).unwrap();
    assert!(journal.update_trade(id, &worked_example()).is_err());
    assert_eq!(journal.trade(id).unwrap(), Some(edited));

    assert!(matches!(
        journal.update_trade(TradeId(999), &sample_trades()[1]),
        Err(StorageError::NotFound(TradeId(999)))
    ));
}

#[test]
fn delete_then_restore_brings_the_trade_back_under_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    let mut journal = Journal::open(&path).unwrap();
    let ids = journal
        .insert_trades(&sample_trades(), &mut |_, _| {})
        .unwrap();
    let last = *ids.last().unwrap();
    let trade = journal.trade(last).unwrap().unwrap();

    journal.delete_trade(last).unwrap();
    assert_eq!(journal.trade(last).unwrap(), None);
    assert_eq!(journal.trade_count().unwrap(), ids.len() - 1);
    let orphans: i64 = raw(&path)
        .query_row(
            "SELECT (SELECT count(*) FROM event WHERE trade_id = ?1)
                  + (SELECT count(*) FROM trade_tag WHERE trade_id = ?1)",
            [last.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "events and tags go with their trade");
    assert!(matches!(
        journal.delete_trade(last),
        Err(StorageError::NotFound(_))
    ));

    // A trade added meanwhile gets a fresh id, so the undo cannot collide.
    let newer = journal.insert_trade(&worked_example()).unwrap();
    assert!(newer > last);

    journal.restore_trade(last, &trade).unwrap();
    assert_eq!(journal.trade(last).unwrap(), Some(trade.clone()));
    assert!(matches!(
        journal.restore_trade(last, &trade),
        Err(StorageError::IdTaken(_))
    ));
    let listed: Vec<TradeId> = journal
        .trades()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut expected = ids.clone();
    expected.push(newer);
    assert_eq!(listed, expected);
}

#[test]
fn settings_are_stored_in_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_file(&dir);
    let mut journal = Journal::open(&path).unwrap();
    assert_eq!(journal.rule_settings().unwrap(), RuleSettings::default());
    let mut settings = RuleSettings::default();
    settings.weights[0] = 70;
    settings.risk_tolerance = dec!(0.1);
    journal.set_rule_settings(&settings).unwrap();
    journal.set_setting("currency_display", r#""EUR""#).unwrap();
    journal.set_setting("currency_display", r#""USD""#).unwrap();
    drop(journal);
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.rule_settings().unwrap(), settings);
    assert_eq!(
        journal.setting("currency_display").unwrap().as_deref(),
        Some(r#""USD""#)
    );
    assert_eq!(journal.setting("missing").unwrap(), None);
}

#[test]
fn default_path_is_in_the_data_directory() {
    let path = Journal::default_path().unwrap();
    assert!(path.ends_with("journal.sqlite"), "{}", path.display());
    assert!(path.to_string_lossy().to_lowercase().contains("tranche"));
}
