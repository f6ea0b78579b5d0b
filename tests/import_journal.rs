//! Importing broker files into a journal on disk: re-imports add nothing,
//! overlapping files add only their new fills, open trades are extended,
//! what the user added by hand survives, a failed import writes nothing, and
//! `tranche import` end to end.

use crate::helpers::{broker_fixture as fixture, run as tranche};
use std::path::Path;

use tranche::domain::{Event, EventKind, TradeId};
use tranche::import::{GroupOptions, Import, ImportOptions, import};
use tranche::storage::{ImportOutcome, Journal, SCHEMA_VERSION};

use crate::helpers::t;

const HEADER: &str = "Account,Date,Time,Symbol,Side,Quantity,Price,Commission,Execution ID\n";

/// A generic CSV of fills, with the header.
fn csv(rows: &[&str]) -> String {
    let mut text = HEADER.to_owned();
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

const AAPL_IN: &str = "U1,2024-03-15,09:30:00,AAPL,Buy,100,170.00,1.00,E1";
const AAPL_OUT: &str = "U1,2024-03-15,10:00:00,AAPL,Sell,100,172.00,1.00,E2";
const TSLA_IN: &str = "U1,2024-03-15,11:00:00,TSLA,Buy,10,200.00,1.00,E3";
const TSLA_OUT: &str = "U1,2024-03-18,09:45:00,TSLA,Sell,10,210.00,1.00,E4";
const MSFT_IN: &str = "U1,2024-03-18,10:00:00,MSFT,Buy,5,400.00,0.50,E5";
const MSFT_OUT: &str = "U1,2024-03-18,10:30:00,MSFT,Sell,5,405.00,0.50,E6";

fn read(text: &str) -> Import {
    let options = ImportOptions {
        tz: chrono_tz::Tz::UTC,
        ..ImportOptions::default()
    };
    import(text.as_bytes(), "fills.csv", &options).expect("the file reads")
}

fn commit(journal: &mut Journal, text: &str) -> ImportOutcome {
    journal
        .commit_import(&read(text), &GroupOptions::default(), false, &mut |_, _| {})
        .expect("the import commits")
}

fn open(path: &Path) -> Journal {
    Journal::open(path).expect("the journal opens")
}

fn symbols(journal: &Journal) -> Vec<String> {
    journal
        .trades()
        .unwrap()
        .into_iter()
        .map(|(_, t)| t.symbol)
        .collect()
}

#[test]
fn importing_the_same_file_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = csv(&[AAPL_IN, AAPL_OUT, TSLA_IN]);

    let first = commit(&mut open(&path), &file);
    assert_eq!(
        (first.added.len(), first.new_fills, first.known_fills),
        (2, 3, 0)
    );
    let before = open(&path).trades().unwrap();

    let second = commit(&mut open(&path), &file);
    assert_eq!(second.added, Vec::<TradeId>::new());
    assert_eq!(second.extended, Vec::<TradeId>::new());
    assert_eq!((second.new_fills, second.known_fills), (0, 3));
    let journal = open(&path);
    assert_eq!(journal.trades().unwrap(), before);
    assert_eq!(journal.imported_fill_count().unwrap(), 3);
}

#[test]
fn fills_without_execution_ids_are_known_by_their_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = "Date,Time,Symbol,Side,Quantity,Price,Commission\n\
                2024-03-15,09:30:00,AAPL,Buy,100,170.00,1.00\n\
                2024-03-15,09:30:00,AAPL,Buy,100,170.00,1.00\n\
                2024-03-15,10:00:00,AAPL,Sell,200,172.00,2.00\n";
    assert_eq!(commit(&mut open(&path), file).new_fills, 3);
    let again = commit(&mut open(&path), file);
    assert_eq!((again.new_fills, again.known_fills), (0, 3));
    assert_eq!(open(&path).trade_count().unwrap(), 1);
}

#[test]
fn an_overlapping_file_adds_only_new_fills_and_extends_the_open_trade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let first = commit(&mut open(&path), &csv(&[AAPL_IN, AAPL_OUT, TSLA_IN]));
    let tsla = first.added[1];

    let second = commit(
        &mut open(&path),
        &csv(&[AAPL_OUT, TSLA_IN, TSLA_OUT, MSFT_IN, MSFT_OUT]),
    );
    assert_eq!(second.known_fills, 2);
    assert_eq!(second.new_fills, 3);
    assert_eq!(second.extended, vec![tsla]);
    assert_eq!(second.added.len(), 1);

    let journal = open(&path);
    assert_eq!(symbols(&journal), ["AAPL", "TSLA", "MSFT"]);
    let trade = journal.trade(tsla).unwrap().unwrap();
    let kinds: Vec<&str> = trade.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["entry", "exit"]);
    assert_eq!(trade.events[1].at, t("2024-03-18T09:45:00Z"));
    assert_eq!(journal.imported_fill_count().unwrap(), 6);
}

#[test]
fn stops_notes_and_tags_added_by_hand_survive_reimports_and_extensions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let first_file = csv(&[AAPL_IN, AAPL_OUT, TSLA_IN]);
    let outcome = commit(&mut open(&path), &first_file);
    let (aapl, tsla) = (outcome.added[0], outcome.added[1]);

    let mut journal = open(&path);
    for id in [aapl, tsla] {
        let mut trade = journal.trade(id).unwrap().unwrap();
        let stop = trade.events[0].kind.price() - rust_decimal::Decimal::from(5);
        trade.events.insert(
            1,
            Event {
                at: trade.events[0].at,
                kind: EventKind::Stop { price: stop },
            },
        );
        trade.notes = "waited for the open".to_owned();
        trade.tags = vec!["gap".to_owned(), "a+".to_owned()];
        trade.setup = "breakout".to_owned();
        journal.update_trade(id, &trade).unwrap();
    }
    let edited_aapl = journal.trade(aapl).unwrap().unwrap();
    let edited_tsla = journal.trade(tsla).unwrap().unwrap();
    drop(journal);

    let again = commit(&mut open(&path), &first_file);
    assert_eq!(again.new_fills, 0);
    let journal = open(&path);
    assert_eq!(journal.trade(aapl).unwrap().unwrap(), edited_aapl);
    assert_eq!(journal.trade(tsla).unwrap().unwrap(), edited_tsla);
    drop(journal);

    let later = commit(&mut open(&path), &csv(&[TSLA_IN, TSLA_OUT]));
    assert_eq!(later.extended, vec![tsla]);
    let journal = open(&path);
    assert_eq!(journal.trade(aapl).unwrap().unwrap(), edited_aapl);
    let extended = journal.trade(tsla).unwrap().unwrap();
    assert_eq!(extended.notes, "waited for the open");
    assert_eq!(extended.tags, ["gap", "a+"]);
    assert_eq!(extended.setup, "breakout");
    assert_eq!(extended.events[..2], edited_tsla.events[..]);
    assert_eq!(extended.events.len(), 3);
    assert_eq!(extended.events[2].kind.name(), "exit");
}

#[test]
fn a_failed_import_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    commit(&mut open(&path), &csv(&[TSLA_IN]));
    let before = open(&path).trades().unwrap();
    {
        // Make the journal refuse one trade, as a full disk or a lock would
        // fail a write part way through.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON trade WHEN NEW.symbol = 'MSFT'
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .unwrap();
    }
    let file = csv(&[AAPL_IN, AAPL_OUT, TSLA_OUT, MSFT_IN, MSFT_OUT]);
    let error = open(&path)
        .commit_import(
            &read(&file),
            &GroupOptions::default(),
            false,
            &mut |_, _| {},
        )
        .unwrap_err();
    assert!(error.to_string().contains("refused"), "{error}");
    let journal = open(&path);
    assert_eq!(journal.trades().unwrap(), before);
    assert_eq!(journal.imported_fill_count().unwrap(), 1);
}

#[test]
fn a_dry_run_reports_the_outcome_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    commit(&mut open(&path), &csv(&[TSLA_IN]));
    let outcome = open(&path)
        .commit_import(
            &read(&csv(&[TSLA_IN, TSLA_OUT, MSFT_IN, MSFT_OUT])),
            &GroupOptions::default(),
            true,
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!((outcome.added.len(), outcome.extended.len()), (1, 1));
    assert_eq!((outcome.new_fills, outcome.known_fills), (3, 1));
    let journal = open(&path);
    assert_eq!(symbols(&journal), ["TSLA"]);
    assert_eq!(journal.imported_fill_count().unwrap(), 1);
}

#[test]
fn the_command_line_previews_imports_and_reimports_a_broker_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let j = path.to_str().unwrap();
    let file = fixture("generic/fills.csv");
    let args = ["--journal", j, "import", &file, "--tz", "America/New_York"];

    let dry = tranche(&[&args[..], &["--dry-run"]].concat());
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(text.contains("dry run"), "{text}");
    assert!(!path.exists(), "a dry run must not create the journal");

    let first = tranche(&args);
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(text.contains("format: CSV of fills (csv)"), "{text}");
    assert!(text.contains("fills: 8"), "{text}");
    assert!(text.contains("trades: 3 (0 open)"), "{text}");
    assert!(text.contains("from 2024-03-15T09:30:00-04:00"), "{text}");
    assert!(text.contains("3 trades added, 0 trades extended"), "{text}");
    assert!(
        text.contains("0 fills skipped as already imported"),
        "{text}"
    );

    let second = tranche(&args);
    let text = String::from_utf8_lossy(&second.stdout);
    assert!(text.contains("0 trades added"), "{text}");
    assert!(
        text.contains("8 fills skipped as already imported"),
        "{text}"
    );
    let journal = open(&path);
    assert_eq!(symbols(&journal), ["AAPL", "TSLA", "ESZ4"]);
}

#[test]
fn the_command_line_names_the_file_line_and_field_of_a_bad_row_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let j = path.to_str().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        csv(&[
            AAPL_IN,
            "U1,2024-03-15,10:00:00,AAPL,Sell,lots,172.00,1.00,E2",
        ]),
    )
    .unwrap();
    let f = file.to_str().unwrap();

    let failed = tranche(&["--journal", j, "import", f, "--tz", "UTC"]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(stderr.contains("bad.csv, line 3"), "{stderr}");
    assert!(stderr.contains("field \"quantity\""), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    // No journal, and nothing made aside for it, is left.
    let journal_files = || -> Vec<String> {
        crate::helpers::files_in(dir.path())
            .into_iter()
            .filter(|name| name.starts_with("j.sqlite"))
            .collect()
    };
    assert_eq!(journal_files(), Vec::<String>::new());

    let skipped = tranche(&[
        "--journal",
        j,
        "import",
        f,
        "--tz",
        "UTC",
        "--skip-bad-rows",
    ]);
    let text = String::from_utf8_lossy(&skipped.stdout);
    assert!(
        skipped.status.success(),
        "{}",
        String::from_utf8_lossy(&skipped.stderr)
    );
    assert!(text.contains("line 3"), "{text}");
    assert!(text.contains("1 trade added"), "{text}");
    // The journal made aside while the file was read is in its place.
    assert_eq!(journal_files(), ["j.sqlite"]);
    assert_eq!(open(&path).trade_count().unwrap(), 1);
}

#[test]
fn journal_files_are_told_from_broker_files_by_their_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let j = path.to_str().unwrap();
    let exported = dir.path().join("journal.txt");
    assert!(
        tranche(&["--journal", j, "import", &fixture("generic/fills.csv")])
            .status
            .success()
    );
    let out = tranche(&["--journal", j, "export", "-o", exported.to_str().unwrap()]);
    assert!(out.status.success());

    let other = dir.path().join("other.sqlite");
    let o = other.to_str().unwrap();
    let imported = tranche(&["--journal", o, "import", exported.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&imported.stdout);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(text.contains("added 3 trades"), "{text}");
}

#[test]
fn stop_orders_listed_again_by_an_overlapping_file_are_not_added_twice() {
    let orders = std::fs::read_to_string(fixture("tradovate/orders.csv")).unwrap();
    let lines: Vec<&str> = orders.lines().collect();
    let (header, entry, stop, exit) = (lines[0], lines[1], lines[3], lines[4]);
    let first = [header, entry, stop].join("\n");
    let second = [header, entry, stop, exit].join("\n");
    let options = ImportOptions {
        tz: chrono_tz::America::Chicago,
        ..ImportOptions::default()
    };
    let read = |text: &str| import(text.as_bytes(), "orders.csv", &options).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = open(&path);
    let outcome = journal
        .commit_import(
            &read(&first),
            &GroupOptions::default(),
            false,
            &mut |_, _| {},
        )
        .unwrap();
    let id = outcome.added[0];
    let stops_at_5200 = |journal: &Journal| {
        journal
            .trade(id)
            .unwrap()
            .unwrap()
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Stop { price } if price == rust_decimal::Decimal::from(5200)))
            .count()
    };
    assert_eq!(stops_at_5200(&journal), 1);

    let outcome = journal
        .commit_import(
            &read(&second),
            &GroupOptions::default(),
            false,
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(outcome.extended, vec![id]);
    assert_eq!(stops_at_5200(&journal), 1);
    let trade = journal.trade(id).unwrap().unwrap();
    assert_eq!(trade.events.last().unwrap().kind.name(), "exit");
    assert!(trade.validate().is_ok());
}

#[test]
fn imported_trades_never_take_the_id_of_a_deleted_trade() {
    let mut journal = Journal::open_in_memory().unwrap();
    let first = commit(&mut journal, &csv(&[AAPL_IN, AAPL_OUT]));
    let hand_made = journal
        .insert_trade(&crate::helpers::worked_example())
        .unwrap();
    journal.delete_trade(hand_made).unwrap();
    let later = commit(&mut journal, &csv(&[MSFT_IN, MSFT_OUT, TSLA_IN, TSLA_OUT]));
    assert!(later.added.iter().all(|id| id.0 > hand_made.0), "{later:?}");
    assert!(hand_made.0 > first.added[0].0);
    let ids: Vec<TradeId> = journal
        .trades()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids, [vec![first.added[0]], later.added.clone()].concat());
    // A trade added by hand afterwards gets the next id too.
    let next = journal
        .insert_trade(&crate::helpers::worked_example())
        .unwrap();
    assert!(next.0 > later.added[1].0);
}

#[test]
fn a_deleted_imported_trade_comes_back_once_when_its_file_is_imported_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = csv(&[AAPL_IN, AAPL_OUT, TSLA_IN]);
    let first = commit(&mut open(&path), &file);
    let (aapl, tsla) = (first.added[0], first.added[1]);
    let trade = open(&path).trade(aapl).unwrap().unwrap();

    open(&path).delete_trade(aapl).unwrap();
    assert_eq!(open(&path).imported_fill_count().unwrap(), 1);
    let again = commit(&mut open(&path), &file);
    assert_eq!((again.new_fills, again.known_fills), (2, 1));
    assert_eq!(again.extended, Vec::<TradeId>::new());
    assert_eq!(again.added.len(), 1);
    assert!(again.added[0].0 > tsla.0);
    let journal = open(&path);
    assert_eq!(symbols(&journal), ["TSLA", "AAPL"]);
    assert_eq!(journal.trade(again.added[0]).unwrap().unwrap(), trade);
    assert_eq!(journal.imported_fill_count().unwrap(), 3);
    drop(journal);

    let third = commit(&mut open(&path), &file);
    assert_eq!((third.new_fills, third.known_fills), (0, 3));
    assert_eq!(open(&path).trade_count().unwrap(), 2);
}

#[test]
fn undoing_the_delete_of_an_imported_trade_brings_its_fills_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = csv(&[AAPL_IN, AAPL_OUT, TSLA_IN]);
    let first = commit(&mut open(&path), &file);
    let aapl = first.added[0];
    let mut journal = open(&path);
    let trade = journal.trade(aapl).unwrap().unwrap();
    journal.delete_trade(aapl).unwrap();
    journal.restore_trade(aapl, &trade).unwrap();
    assert_eq!(journal.imported_fill_count().unwrap(), 3);
    drop(journal);

    let again = commit(&mut open(&path), &file);
    assert_eq!((again.new_fills, again.known_fills), (0, 3));
    assert_eq!(again.added, Vec::<TradeId>::new());
    let journal = open(&path);
    assert_eq!(symbols(&journal), ["AAPL", "TSLA"]);
    assert_eq!(journal.trade(aapl).unwrap().unwrap(), trade);

    // Undoing a delete after the trade was imported again leaves the
    // imported copy with the fills (the newer trade has them), until it is
    // deleted in turn: then the restored trade has them again, and
    // importing the file once more adds nothing.
    let mut journal = open(&path);
    journal.delete_trade(aapl).unwrap();
    let reimported = commit(&mut journal, &file).added[0];
    journal.restore_trade(aapl, &trade).unwrap();
    assert_eq!(symbols(&journal), ["AAPL", "TSLA", "AAPL"]);
    assert_eq!(journal.imported_fill_count().unwrap(), 3);
    let later = commit(&mut journal, &file);
    assert_eq!((later.new_fills, later.known_fills), (0, 3));
    journal.delete_trade(reimported).unwrap();
    assert_eq!(journal.imported_fill_count().unwrap(), 3);
    let last = commit(&mut journal, &file);
    assert_eq!((last.added.len(), last.known_fills), (0, 3));
    assert_eq!(symbols(&journal), ["AAPL", "TSLA"]);
}

#[test]
fn fills_of_a_deleted_open_trade_start_a_new_trade_instead_of_extending_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let tsla = commit(&mut open(&path), &csv(&[AAPL_IN, AAPL_OUT, TSLA_IN])).added[1];
    open(&path).delete_trade(tsla).unwrap();

    let later = commit(&mut open(&path), &csv(&[TSLA_IN, TSLA_OUT]));
    assert_eq!(later.extended, Vec::<TradeId>::new());
    assert_eq!(
        (later.added.len(), later.new_fills, later.known_fills),
        (1, 2, 0)
    );
    let trade = open(&path).trade(later.added[0]).unwrap().unwrap();
    let kinds: Vec<&str> = trade.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["entry", "exit"]);
}

#[test]
fn a_version_2_journal_keeps_its_imported_fills_when_it_is_upgraded() {
    use tranche::storage::MIGRATIONS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = csv(&[AAPL_IN, AAPL_OUT, TSLA_IN]);
    // A journal as version 2 wrote it: trades, and their fills with symbols.
    {
        drop(Journal::open_with_migrations(&path, &MIGRATIONS[..2]).unwrap());
        for imported in read(&file).trades() {
            let id = tranche::domain::TradeId(crate::helpers::insert_trade_before_v4(
                &path,
                &imported.trade,
            ));
            let conn = rusqlite::Connection::open(&path).unwrap();
            for source in &imported.sources {
                conn.execute(
                    "INSERT INTO imported_fill (account, key, trade_id, seq, symbol)
                     VALUES ('U1', ?1, ?2, ?3, ?4)",
                    rusqlite::params![
                        source.key.0,
                        id.0,
                        source.event as i64,
                        imported.trade.symbol
                    ],
                )
                .unwrap();
            }
        }
    }
    let journal = open(&path);
    assert_eq!(journal.imported_fill_count().unwrap(), 3);
    assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
    drop(journal);
    let again = commit(&mut open(&path), &file);
    assert_eq!((again.new_fills, again.known_fills), (0, 3));
    // The open TSLA trade is still the one its later fills extend.
    let later = commit(&mut open(&path), &csv(&[TSLA_IN, TSLA_OUT]));
    assert_eq!((later.extended.len(), later.added.len()), (1, 0));
}

/// The fill records of a journal as rows, as the `imported_fill` table (and
/// now view) shows them.
fn fill_rows(path: &Path) -> Vec<(String, String, i64, i64)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT account, key, trade_id, seq FROM imported_fill ORDER BY account, key")
        .unwrap();
    stmt.query_map([], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn a_version_10_journal_keeps_its_fill_records_when_it_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    // A flip, whose opening part is remembered apart, and a trade deleted.
    let flip = "U1,2024-03-15,10:00:00,AAPL,Sell,150,172.00,1.50,E2";
    let file = csv(&[AAPL_IN, flip, TSLA_IN, TSLA_OUT, MSFT_IN]);
    let first = commit(&mut open(&path), &file);
    assert_eq!(first.added.len(), 4);
    let mut journal = open(&path);
    let (msft, _) = journal
        .trades()
        .unwrap()
        .into_iter()
        .find(|(_, trade)| trade.symbol == "MSFT")
        .unwrap();
    journal.delete_trade(msft).unwrap();
    drop(journal);
    let rows = fill_rows(&path);
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert!(rows.iter().any(|row| row.1 == "o:x:E2"));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(crate::helpers::KEPT_STATS_AWAY).unwrap();
    conn.execute_batch(crate::helpers::FILL_RECORDS_BACK_INTO_THEIR_TABLE)
        .unwrap();
    conn.pragma_update(None, "user_version", 10).unwrap();
    drop(conn);

    let journal = open(&path);
    assert_eq!(journal.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
    assert_eq!(journal.imported_fill_count().unwrap(), 4);
    drop(journal);
    assert_eq!(fill_rows(&path), rows);
    // The deleted trade's fill is imported again; the others are known.
    let again = commit(&mut open(&path), &file);
    assert_eq!((again.new_fills, again.known_fills), (1, 4));
    assert_eq!(again.added.len(), 1);
    // The short the flip opened is still the trade a later buy extends.
    let later = commit(
        &mut open(&path),
        &csv(&["U1,2024-03-18,10:00:00,AAPL,Buy,50,171.00,0.50,E7"]),
    );
    assert_eq!((later.extended.len(), later.added.len()), (1, 0));
}

/// A generic CSV of `n` fills over 20 symbols, scaling in and out.
fn generated_csv(n: usize) -> String {
    let mut text = HEADER.to_owned();
    let mut positions = [0i64; 20];
    for i in 0..n {
        let s = i % 20;
        let buy = positions[s] < 200 && (i / 20) % 4 < 2;
        positions[s] += if buy { 100 } else { -100 };
        text.push_str(&format!(
            "U1,2024-03-{:02},{:02}:{:02}:{:02},S{s},{},100,{}.{:02},1.25,G{i}\n",
            1 + i / 200_000,
            9 + (i / 20) / 3600 % 8,
            (i / 20) / 60 % 60,
            (i / 20) % 60,
            if buy { "Buy" } else { "Sell" },
            100 + i % 97,
            i % 100
        ));
    }
    text
}

#[test]
fn a_large_import_keeps_every_constraint_of_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let text = generated_csv(45_000);
    let file = read(&text);
    assert_eq!(file.fills.len(), 45_000);
    assert_eq!(file.fills.get(44_999).line, 45_001);
    let mut reported = Vec::new();
    let outcome = open(&path)
        .commit_import(
            &file,
            &GroupOptions::default(),
            false,
            &mut |done, total| reported.push((done, total)),
        )
        .unwrap();
    assert_eq!(outcome.added.len(), file.trades().len());
    assert_eq!(outcome.new_fills, 45_000);
    assert_eq!(
        reported.last(),
        Some(&(file.trades().len(), file.trades().len()))
    );

    let journal = open(&path);
    assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let orphans: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(orphans, 0);
    let stored: Vec<_> = journal
        .trades()
        .unwrap()
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let expected: Vec<_> = file.trades().iter().map(|t| t.trade.clone()).collect();
    assert!(stored == expected);
    drop(journal);

    let again = open(&path)
        .commit_import(&file, &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap();
    assert_eq!((again.new_fills, again.known_fills), (0, 45_000));
}

/// The fingerprint keys of fills without an execution id are stored in
/// journals: they must stay the same from one version to the next, or a
/// re-import would add the fills again. These were written by the version
/// that first stored them (FNV-1a 64 over the fill's content).
#[test]
fn fill_fingerprints_stay_what_journals_hold() {
    use chrono::{TimeZone, Utc};
    use rust_decimal_macros::dec;
    use tranche::import::group::fill_keys;
    use tranche::import::{Fill, FillSide, InstrumentKind};
    let fill = |account: &str, side, qty, price, order: Option<&str>| Fill {
        account: account.into(),
        symbol: "AAPL".into(),
        kind: InstrumentKind::Stock,
        side,
        qty,
        price,
        fee: dec!(1.25),
        at: Utc
            .with_ymd_and_hms(2024, 3, 1, 14, 30, 0)
            .unwrap()
            .fixed_offset(),
        currency: "USD".into(),
        multiplier: None,
        order_id: order.map(str::to_owned),
        exec_id: None,
        profit: None,
        position: None,
        line: 2,
    };
    let fills = [
        fill("U1", FillSide::Buy, dec!(100), dec!(170.25), None),
        fill("U1", FillSide::Buy, dec!(100), dec!(170.25), None),
        fill("", FillSide::Sell, dec!(0.50), dec!(171.10), Some("O7")),
    ];
    let keys: Vec<String> = fill_keys(&fills).into_iter().map(|k| k.0).collect();
    // FNV-1a 64 of "U1|AAPL|1709303400.000000000|buy|100|170.25|" and of
    // "|AAPL|1709303400.000000000|sell|0.5|171.1|O7", worked out apart from
    // Tranche; identical rows are counted.
    assert_eq!(
        keys,
        [
            "f:a9e7f4844132e6d2:1",
            "f:a9e7f4844132e6d2:2",
            "f:cb9bd2e6cab2a33d:1"
        ]
    );
}

/// Writes `import` into `journal` as every import was written before its
/// trades were made one at a time: all of them grouped at once and held.
fn write_held(journal: &mut Journal, import: &Import) {
    use tranche::domain::imported::{ImportWrite, TradeFeed};
    let options = GroupOptions {
        multipliers: Default::default(),
        ..import.group_options(&GroupOptions::default())
    };
    let (trades, _) = tranche::import::group::group(&import.fills, &import.stops, &options);
    let state = journal.import_state().unwrap();
    let ids: Vec<TradeId> = (0..trades.len())
        .map(|i| TradeId(state.next_id.0 + i as i64))
        .collect();
    let write = ImportWrite {
        keep: None,
        version: state.version,
        trades: TradeFeed::Held(&trades),
        ids: &ids,
        check: None,
    };
    let recorded = journal.write_import(&write, false, &mut |_, _| {}).unwrap();
    assert!(recorded.is_some());
}

#[test]
fn trades_written_as_they_are_made_are_those_grouped_all_at_once() {
    // Several accounts (one blank), symbols, flips, scaling in and out, an
    // order filled in parts, a repeated execution, fills without ids (two
    // of them identical), an open position at the end; and a file with stop
    // orders.
    let generic = csv(&[
        "U1,2024-03-15,09:30:00,AAPL,Buy,100,170.00,1.00,E1",
        "U2,2024-03-15,09:30:00,AAPL,Sell,50,170.10,0.50,E2",
        "U1,2024-03-15,09:31:00,AAPL,Buy,50,170.50,0.50,E3",
        ",2024-03-15,09:32:00,MSFT,Buy,10,400.00,0.25,",
        ",2024-03-15,09:32:00,MSFT,Buy,10,400.00,0.25,",
        "U1,2024-03-15,09:40:00,AAPL,Sell,200,171.00,2.00,E4",
        "U2,2024-03-15,09:45:00,AAPL,Buy,50,169.90,0.50,E5",
        "U2,2024-03-15,09:45:00,AAPL,Buy,50,169.90,0.50,E5",
        ",2024-03-15,10:00:00,MSFT,Sell,30,401.00,0.75,",
        "U1,2024-03-15,10:05:00,AAPL,Buy,50,170.20,0.50,E6",
        ",2024-03-15,10:10:00,MSFT,Buy,10,399.00,0.25,",
        "U1,2024-03-15,10:20:00,TSLA,Sell,5,200.00,0.10,E7",
        "U1,2024-03-15,10:25:00,TSLA,Buy,10,199.00,0.20,E8",
    ]);
    let stops = std::fs::read_to_string(fixture("tradovate/orders.csv")).unwrap();
    for (name, text) in [("fills.csv", generic.as_str()), ("orders.csv", &stops)] {
        let dir = tempfile::tempdir().unwrap();
        let options = ImportOptions {
            tz: chrono_tz::Tz::UTC,
            ..ImportOptions::default()
        };
        let file = import(text.as_bytes(), name, &options).expect("the file reads");
        let preview = file.preview();
        let mut made = open(&dir.path().join("made.sqlite"));
        let outcome = made
            .commit_import(&file, &GroupOptions::default(), false, &mut |_, _| {})
            .unwrap();
        // Nothing held the trades: they were made as they were written.
        assert!(file.held_trades().is_none(), "{name}");
        let mut held = open(&dir.path().join("held.sqlite"));
        write_held(&mut held, &file);

        let trades = made.trades().unwrap();
        assert!(trades.len() >= 2, "{name}: {}", trades.len());
        assert_eq!(trades, held.trades().unwrap(), "{name}");
        assert_eq!(outcome.added.len(), preview.trades, "{name}");
        assert_eq!(
            trades
                .iter()
                .filter(|(_, t)| t.events.iter().any(|e| e.kind.is_fill()) && {
                    let a = tranche::analysis::analyze(t, &Default::default());
                    !a.is_closed()
                })
                .count(),
            preview.open_trades,
            "{name}"
        );
        assert_eq!(
            made.imported_fill_count().unwrap(),
            held.imported_fill_count().unwrap(),
            "{name}"
        );
        assert_eq!(made.integrity_check().unwrap(), ["ok"], "{name}");
        // The trades of the preview are those written.
        let previewed: Vec<_> = file.trades().iter().map(|t| t.trade.clone()).collect();
        let written: Vec<_> = trades.into_iter().map(|(_, t)| t).collect();
        assert_eq!(previewed, written, "{name}");

        // Importing it again adds nothing.
        let again = made
            .commit_import(&file, &GroupOptions::default(), false, &mut |_, _| {})
            .unwrap();
        assert_eq!((again.added.len(), again.new_fills), (0, 0), "{name}");
        assert_eq!(again.known_fills, file.fills.len(), "{name}");
        assert_eq!(made.trades().unwrap().len(), written.len(), "{name}");
    }
}

/// The rows of a trading history (no header): three accounts (one blank),
/// four symbols, scaling in and out, orders filled in several fills at one
/// instant, and fills without an execution id (each with its own content,
/// so that a later statement keys them as an earlier one did). With
/// `flips`, some fills take a position through zero (closing one trade and
/// opening the next, the other way).
fn history_of(n: usize, flips: bool) -> Vec<String> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let mut rows = Vec::with_capacity(n);
    let mut positions = [[0i64; 4]; 3];
    let mut second = 0u64;
    while rows.len() < n {
        second += 1 + next(90);
        let a = next(3) as usize;
        let s = next(4) as usize;
        let account = ["U1", "U2", ""][a];
        let symbol = ["AAPL", "MSFT", "TSLA", "NVDA"][s];
        let buy = next(2) == 0;
        let at = format!(
            "2024-03-{:02},{:02}:{:02}:{:02}",
            11 + second / 28_800,
            9 + second % 28_800 / 3_600,
            second % 3_600 / 60,
            second % 60
        );
        for part in 0..=next(3) {
            let position = &mut positions[a][s];
            let mut qty = 10 * (1 + next(4) as i64);
            if *position != 0 && (*position > 0) != buy {
                qty = if flips && next(3) == 0 {
                    position.abs() + qty
                } else {
                    qty.min(position.abs())
                };
            }
            *position += if buy { qty } else { -qty };
            let line = rows.len();
            let exec = if next(6) == 0 {
                String::new()
            } else {
                format!("X{line}")
            };
            rows.push(format!(
                "{account},{at},{symbol},{},{qty},{}.{:02},0.{:02},{exec}",
                if buy { "Buy" } else { "Sell" },
                100 + next(20),
                part * 7 + next(5),
                10 + next(80)
            ));
        }
    }
    rows.truncate(n);
    rows
}

/// A history of `n` fills in which no fill takes a position through zero.
fn history(n: usize) -> Vec<String> {
    history_of(n, false)
}

/// How many trades of a journal open with the fill that closed the one
/// before (of the same account and symbol, the other way).
fn flip_count(journal: &Journal) -> usize {
    let trades = journal.trades().unwrap();
    trades
        .iter()
        .filter(|(_, b)| {
            trades.iter().any(|(_, a)| {
                a.account == b.account
                    && a.symbol == b.symbol
                    && a.side != b.side
                    && a.events.last().map(|e| e.at) == b.opened_at()
                    && a.events.last().map(|e| e.kind.price())
                        == b.events.first().map(|e| e.kind.price())
            })
        })
        .count()
}

/// The trades of a journal, whatever their ids, in an order of their own.
fn contents(journal: &Journal) -> Vec<String> {
    let mut trades: Vec<String> = journal
        .trades()
        .unwrap()
        .into_iter()
        .map(|(_, t)| format!("{t:?}"))
        .collect();
    trades.sort();
    trades
}

/// The trades still open in a journal.
fn open_trades(journal: &Journal) -> Vec<TradeId> {
    journal
        .trades()
        .unwrap()
        .into_iter()
        .filter(|(_, t)| !tranche::analysis::analyze(t, &Default::default()).is_closed())
        .map(|(id, _)| id)
        .collect()
}

/// Commits `text` over the journal at `path`: first as a dry run, whose
/// outcome the commit must repeat.
fn commit_previewed(path: &Path, text: &str) -> ImportOutcome {
    let file = read(text);
    let mut journal = open(path);
    let previewed = journal
        .commit_import(&file, &GroupOptions::default(), true, &mut |_, _| {})
        .unwrap();
    let outcome = journal
        .commit_import(&file, &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap();
    assert_eq!(outcome, previewed);
    assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
    outcome
}

#[test]
fn an_overlapping_later_statement_gives_the_trades_of_the_whole_history() {
    overlapping_statements_give_the_trades_of_the_whole_history(false);
}

#[test]
fn an_overlapping_later_statement_continues_trades_opened_by_a_flip() {
    overlapping_statements_give_the_trades_of_the_whole_history(true);
}

fn overlapping_statements_give_the_trades_of_the_whole_history(flips: bool) {
    let rows = history_of(700, flips);
    let whole = |from: usize, to: usize| {
        let rows: Vec<&str> = rows[from..to].iter().map(String::as_str).collect();
        csv(&rows)
    };
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.sqlite");
    commit(&mut open(&all), &whole(0, rows.len()));
    let expected = contents(&open(&all));
    assert!(expected.len() > 30, "{}", expected.len());
    let flipped = flip_count(&open(&all));
    assert_eq!(flipped > 10, flips, "{flipped} flips");

    // An earlier statement of the first `seen` rows, then a later one from
    // row `from` on: the rows in between are in both.
    for (from, seen) in [
        (0, 0),
        (0, 1),
        (0, 233),
        (120, 350),
        (349, 350),
        (0, 699),
        (0, 700),
    ] {
        let path = dir.path().join(format!("{from}-{seen}.sqlite"));
        if seen > 0 {
            commit(&mut open(&path), &whole(0, seen));
        }
        let open_before = open_trades(&open(&path));
        let later = commit_previewed(&path, &whole(from, rows.len()));
        let case = format!("rows {from}.. over 0..{seen}");
        assert_eq!(later.known_fills, seen - from, "{case}");
        assert_eq!(later.new_fills, rows.len() - seen, "{case}");
        // Every trade open at the end of the earlier statement goes on
        // with the later one's fills.
        let mut extended = later.extended.clone();
        extended.sort();
        if seen <= 350 {
            assert_eq!(extended, open_before, "{case}");
        } else {
            // Near the end, some symbols have no fill after the first.
            assert!(extended.iter().all(|id| open_before.contains(id)), "{case}");
            assert_eq!(extended.is_empty(), seen == rows.len(), "{case}");
        }
        assert_eq!(contents(&open(&path)), expected, "{case}");
        assert_eq!(
            open(&path).imported_fill_count().unwrap(),
            rows.len(),
            "{case}"
        );

        // Either statement again, or the whole history, adds nothing.
        for (again_from, again_to) in [(from, rows.len()), (0, seen), (0, rows.len())] {
            let again = commit_previewed(&path, &whole(again_from, again_to));
            assert_eq!(
                (again.added.len(), again.extended.len(), again.new_fills),
                (0, 0, 0),
                "{case}"
            );
            assert_eq!(again.known_fills, again_to - again_from, "{case}");
        }
        assert_eq!(contents(&open(&path)), expected, "{case}");
    }
}

#[test]
fn the_fills_of_deleted_trades_come_back_as_the_trades_they_made() {
    let rows = history(500);
    let text = |to: usize| {
        let rows: Vec<&str> = rows[..to].iter().map(String::as_str).collect();
        csv(&rows)
    };
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.sqlite");
    commit(&mut open(&all), &text(rows.len()));
    let expected = contents(&open(&all));

    let path = dir.path().join("j.sqlite");
    commit(&mut open(&path), &text(300));
    // Every trade of three accounts' symbols is deleted: one whose last
    // trade is still open, one whose last trade is closed, and one more.
    // (`deleted_trades_come_back_once_beside_open_and_flipped_trades`
    // deletes some trades of a symbol and keeps others.)
    let mut journal = open(&path);
    let open_ids = open_trades(&journal);
    let trades = journal.trades().unwrap();
    let pair = |id: TradeId| {
        let t = &trades.iter().find(|(i, _)| *i == id).unwrap().1;
        (t.account.clone(), t.symbol.clone())
    };
    let mut pairs = vec![pair(open_ids[0]), pair(open_ids[open_ids.len() - 1])];
    let closed_pair = trades
        .iter()
        .map(|(id, _)| pair(*id))
        .find(|p| !open_ids.iter().any(|id| pair(*id) == *p))
        .expect("a symbol of an account whose trades are all closed");
    pairs.push(closed_pair);
    let deleted: Vec<TradeId> = trades
        .iter()
        .filter(|(id, _)| pairs.contains(&pair(*id)))
        .map(|(id, _)| *id)
        .collect();
    assert!(deleted.len() >= 4, "{deleted:?}");
    let mut fills_deleted = 0;
    for id in &deleted {
        let before = journal.imported_fill_count().unwrap();
        journal.delete_trade(*id).unwrap();
        fills_deleted += before - journal.imported_fill_count().unwrap();
    }
    drop(journal);

    let later = commit_previewed(&path, &text(rows.len()));
    assert_eq!(later.known_fills, 300 - fills_deleted);
    assert_eq!(later.new_fills, rows.len() - 300 + fills_deleted);
    for id in &deleted {
        assert!(!later.extended.contains(id));
    }
    assert_eq!(contents(&open(&path)), expected);
    let again = commit_previewed(&path, &text(rows.len()));
    assert_eq!((again.new_fills, again.known_fills), (0, rows.len()));
}

#[test]
fn a_hedging_account_s_statement_imported_again_adds_only_what_was_deleted() {
    let bytes = std::fs::read(fixture("mt5/ReportHistory-14186099-hedge.csv")).unwrap();
    let read = || {
        let options = ImportOptions {
            tz: chrono_tz::Tz::UTC,
            ..ImportOptions::default()
        };
        import(&bytes, "hedge.csv", &options).expect("the statement reads")
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = open(&path);
    let first = journal
        .commit_import(&read(), &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap();
    assert!(first.added.len() >= 4, "{first:?}");
    let expected = contents(&journal);
    // Positions both ways at once on one symbol.
    let trades = journal.trades().unwrap();
    assert!(trades.iter().any(|(_, a)| trades.iter().any(|(_, b)| {
        a.symbol == b.symbol
            && a.side != b.side
            && a.opened_at() < b.events.last().map(|e| e.at)
            && b.opened_at() < a.events.last().map(|e| e.at)
    })));

    let again = journal
        .commit_import(&read(), &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap();
    assert_eq!((again.added.len(), again.new_fills), (0, 0));
    // Every trade of the symbol held both ways at once deleted, and the
    // statement imported again.
    let symbol = &trades
        .iter()
        .find(|(_, a)| {
            trades
                .iter()
                .any(|(_, b)| a.symbol == b.symbol && a.side != b.side)
        })
        .unwrap()
        .1
        .symbol;
    let deleted: Vec<TradeId> = trades
        .iter()
        .filter(|(_, t)| &t.symbol == symbol)
        .map(|(id, _)| *id)
        .collect();
    assert!(deleted.len() >= 3, "{deleted:?}");
    for id in &deleted {
        journal.delete_trade(*id).unwrap();
    }
    let back = journal
        .commit_import(&read(), &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap();
    assert_eq!(back.added.len(), deleted.len());
    assert_eq!(back.known_fills + back.new_fills, read().fills.len());
    assert_eq!(contents(&journal), expected);
    assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
}

/// The kind and quantity of each entry and exit of a trade.
fn fills_of(journal: &Journal, id: TradeId) -> Vec<String> {
    journal
        .trade(id)
        .unwrap()
        .unwrap()
        .events
        .iter()
        .filter_map(|e| {
            e.kind
                .fill()
                .map(|f| format!("{} {}", e.kind.name(), f.qty))
        })
        .collect()
}

#[test]
fn a_trade_opened_by_a_flip_is_continued_by_the_next_statement() {
    // Long then short, and short then long.
    for (open_side, flip_side) in [("Buy", "Sell"), ("Sell", "Buy")] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let earlier = [
            format!("U1,2024-03-15,09:30:00,AAPL,{open_side},100,170.00,1.00,E1"),
            format!("U1,2024-03-15,10:00:00,AAPL,{flip_side},150,172.00,1.50,E2"),
        ];
        let later = [
            format!("U1,2024-03-18,10:00:00,AAPL,{open_side},20,171.00,0.25,E3"),
            format!("U1,2024-03-18,11:00:00,AAPL,{open_side},30,170.50,0.25,E4"),
        ];
        let statement =
            |rows: &[&String]| csv(&rows.iter().map(|r| r.as_str()).collect::<Vec<_>>());
        let first = commit(&mut open(&path), &statement(&[&earlier[0], &earlier[1]]));
        assert_eq!(first.added.len(), 2);
        let flipped = first.added[1];
        assert_eq!(fills_of(&open(&path), flipped), ["entry 50"]);
        let second = commit(&mut open(&path), &statement(&[&later[0]]));
        assert_eq!(second.extended, vec![flipped]);
        assert_eq!(second.added, Vec::<TradeId>::new());
        // A statement that overlaps both goes on with the same trade.
        let third = commit(
            &mut open(&path),
            &statement(&[&earlier[1], &later[0], &later[1]]),
        );
        assert_eq!((third.known_fills, third.new_fills), (2, 1));
        assert_eq!(third.extended, vec![flipped]);
        let journal = open(&path);
        assert_eq!(
            fills_of(&journal, flipped),
            ["entry 50", "exit 20", "exit 30"]
        );
        let trade = journal.trade(flipped).unwrap().unwrap();
        // The flip's fee is split pro rata, exactly.
        let fee = trade.events[0].kind.fill().unwrap().fee;
        assert_eq!(fee, rust_decimal::Decimal::new(5, 1));
        assert_eq!(journal.imported_fill_count().unwrap(), 4);
        drop(journal);

        // The whole history again adds nothing.
        let all = statement(&[&earlier[0], &earlier[1], &later[0], &later[1]]);
        let again = commit_previewed(&path, &all);
        assert_eq!((again.added.len(), again.extended.len()), (0, 0));
        assert_eq!((again.known_fills, again.new_fills), (4, 0));
        assert_eq!(open(&path).trade_count().unwrap(), 2);
    }
}

#[test]
fn a_deleted_trade_comes_back_before_an_open_one_of_the_same_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = csv(&[
        AAPL_IN,
        AAPL_OUT,
        "U1,2024-03-15,11:00:00,AAPL,Buy,30,171.00,1.00,E7",
    ]);
    let first = commit(&mut open(&path), &file);
    let (closed, open_id) = (first.added[0], first.added[1]);
    let trade = open(&path).trade(closed).unwrap().unwrap();
    open(&path).delete_trade(closed).unwrap();
    let again = commit(&mut open(&path), &file);
    assert_eq!(again.extended, Vec::<TradeId>::new());
    assert_eq!(again.added.len(), 1);
    let journal = open(&path);
    assert_eq!(journal.trade(again.added[0]).unwrap().unwrap(), trade);
    assert_eq!(fills_of(&journal, open_id), ["entry 30"]);
}

/// Whether trade `b` opens with the fill that closed trade `a` (of the same
/// account and symbol, the other way).
fn flipped_into(a: &tranche::domain::Trade, b: &tranche::domain::Trade) -> bool {
    a.account == b.account
        && a.symbol == b.symbol
        && a.side != b.side
        && a.events.last().map(|e| e.at) == b.opened_at()
        && a.events.last().map(|e| e.kind.price()) == b.events.first().map(|e| e.kind.price())
}

#[test]
fn deleted_trades_come_back_once_beside_open_and_flipped_trades() {
    let rows = history_of(400, true);
    let text = |from: usize, to: usize| {
        let rows: Vec<&str> = rows[from..to].iter().map(String::as_str).collect();
        csv(&rows)
    };
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.sqlite");
    commit(&mut open(&all), &text(0, rows.len()));
    let expected = contents(&open(&all));

    type Pick = fn(usize, &[(TradeId, tranche::domain::Trade)], &[TradeId]) -> bool;
    let picks: [(&str, Pick); 6] = [
        ("every other trade", |i, _, _| i % 2 == 0),
        ("every third trade", |i, _, _| i % 3 == 1),
        ("trades opened by a flip", |i, trades, _| {
            trades.iter().any(|(_, a)| flipped_into(a, &trades[i].1))
        }),
        ("trades closed by a flip", |i, trades, _| {
            trades.iter().any(|(_, b)| flipped_into(&trades[i].1, b))
        }),
        ("closed trades before an open one", |i, trades, open| {
            let (id, t) = &trades[i];
            !open.contains(id)
                && trades[i + 1..]
                    .iter()
                    .find(|(_, b)| b.account == t.account && b.symbol == t.symbol)
                    .is_some_and(|(next, _)| open.contains(next))
        }),
        ("open trades", |i, trades, open| open.contains(&trades[i].0)),
    ];
    // One statement, or an earlier one and a later one that overlap.
    for statements in [vec![(0, rows.len())], vec![(0, 250), (150, rows.len())]] {
        for (name, pick) in picks {
            let case = format!("{name}, statements {statements:?}");
            let path = dir.path().join("j.sqlite");
            let _ = std::fs::remove_file(&path);
            for &(from, to) in &statements {
                commit(&mut open(&path), &text(from, to));
            }
            assert_eq!(contents(&open(&path)), expected, "{case}");
            let mut journal = open(&path);
            let trades = journal.trades().unwrap();
            let open_ids = open_trades(&journal);
            let deleted: Vec<TradeId> = (0..trades.len())
                .filter(|&i| pick(i, &trades, &open_ids))
                .map(|i| trades[i].0)
                .collect();
            assert!(deleted.len() >= 3, "{case}: {deleted:?}");
            for id in &deleted {
                journal.delete_trade(*id).unwrap();
            }
            drop(journal);

            let back = commit_previewed(&path, &text(0, rows.len()));
            assert_eq!(back.added.len(), deleted.len(), "{case}");
            assert_eq!(back.extended, Vec::<TradeId>::new(), "{case}");
            assert_eq!(back.known_fills + back.new_fills, rows.len(), "{case}");
            assert_eq!(contents(&open(&path)), expected, "{case}");
            assert_eq!(open(&path).imported_fill_count().unwrap(), rows.len());
            // Once only: again, either statement adds nothing.
            for &(from, to) in statements.iter().chain(&[(0, rows.len())]) {
                let again = commit_previewed(&path, &text(from, to));
                assert_eq!(
                    (again.added.len(), again.extended.len(), again.new_fills),
                    (0, 0, 0),
                    "{case}: again {from}..{to}"
                );
            }
            assert_eq!(contents(&open(&path)), expected, "{case}");
        }
    }
}

#[test]
fn a_flip_filled_in_several_fills_comes_back_with_either_trade() {
    // An order filled in two fills at one instant takes a long through
    // zero; the short it opens is closed by a flip into a long still open.
    let file = "Account,Date,Time,Symbol,Side,Quantity,Price,Commission,Execution ID,Order ID\n\
        U1,2024-03-15,09:30:00,ES,Buy,100,170.00,1.00,E1,O1\n\
        U1,2024-03-15,10:00:00,ES,Sell,60,172.00,0.60,E2,O2\n\
        U1,2024-03-15,10:00:00,ES,Sell,90,172.10,0.93,E3,O2\n\
        U1,2024-03-15,11:00:00,ES,Buy,80,171.00,0.70,E4,O3\n\
        U1,2024-03-15,12:00:00,ES,Buy,10,170.90,0.10,E5,O4\n";
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.sqlite");
    let first = commit(&mut open(&all), file);
    assert_eq!(first.added.len(), 3);
    let expected = contents(&open(&all));
    let journal = open(&all);
    assert_eq!(
        fills_of(&journal, first.added[0]),
        ["entry 100", "exit 100"]
    );
    assert_eq!(fills_of(&journal, first.added[1]), ["entry 50", "exit 50"]);
    assert_eq!(fills_of(&journal, first.added[2]), ["entry 30", "entry 10"]);
    drop(journal);
    // Every one of the trades deleted, and every two of them.
    for deleted in [
        vec![0],
        vec![1],
        vec![2],
        vec![0, 1],
        vec![1, 2],
        vec![0, 2],
    ] {
        let path = dir.path().join(format!("{deleted:?}.sqlite"));
        let ids = commit(&mut open(&path), file).added;
        for &i in &deleted {
            open(&path).delete_trade(ids[i]).unwrap();
        }
        let back = commit_previewed(&path, file);
        assert_eq!(back.added.len(), deleted.len(), "{deleted:?}");
        assert_eq!(back.extended, Vec::<TradeId>::new(), "{deleted:?}");
        assert_eq!(contents(&open(&path)), expected, "{deleted:?}");
        let again = commit_previewed(&path, file);
        assert_eq!((again.new_fills, again.known_fills), (0, 5), "{deleted:?}");
        assert_eq!(open(&path).trade_count().unwrap(), 3, "{deleted:?}");
    }
}

#[test]
fn an_earlier_statement_imported_after_a_later_one_leaves_its_open_trade_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let later = commit(
        &mut open(&path),
        &csv(&["U1,2024-03-18,09:30:00,TSLA,Buy,30,210.00,1.00,E9"]),
    );
    let open_id = later.added[0];
    let earlier = commit(
        &mut open(&path),
        &csv(&[
            TSLA_IN,
            "U1,2024-03-15,15:00:00,TSLA,Sell,10,205.00,1.00,E8",
        ]),
    );
    assert_eq!(earlier.extended, Vec::<TradeId>::new());
    assert_eq!(earlier.added.len(), 1);
    let journal = open(&path);
    assert_eq!(
        fills_of(&journal, earlier.added[0]),
        ["entry 10", "exit 10"]
    );
    assert_eq!(fills_of(&journal, open_id), ["entry 30"]);
    drop(journal);
    let again = commit(&mut open(&path), &csv(&[TSLA_IN]));
    assert_eq!((again.new_fills, again.added.len()), (0, 0));
}

#[test]
fn a_trade_opened_by_a_flip_before_its_part_was_remembered_is_continued_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let earlier = csv(&[
        "U1,2024-03-15,09:30:00,AAPL,Buy,100,170.00,1.00,E1",
        "U1,2024-03-15,10:00:00,AAPL,Sell,150,172.00,1.50,E2",
    ]);
    let first = commit(&mut open(&path), &earlier);
    let (long, short) = (first.added[0], first.added[1]);
    // As a journal written before the opening part of a fill split by a
    // flip was remembered apart: only with the trade it closed.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let forgotten: i64 = conn
        .query_row(
            "SELECT count(*) FROM imported_fill WHERE key LIKE 'o:%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(forgotten, 1);
    conn.execute_batch(
        "UPDATE fill_record SET fills = (
             SELECT json_group_object(key, value) FROM json_each(fill_record.fills)
             WHERE key NOT LIKE 'o:%');
         DELETE FROM fill_record WHERE fills = '{}';",
    )
    .unwrap();
    drop(conn);
    let later = csv(&["U1,2024-03-18,10:00:00,AAPL,Buy,50,171.00,0.50,E3"]);
    let second = commit(&mut open(&path), &later);
    assert_eq!(second.extended, vec![short]);
    assert_eq!(second.added, Vec::<TradeId>::new());
    let journal = open(&path);
    assert_eq!(fills_of(&journal, short), ["entry 50", "exit 50"]);
    assert_eq!(fills_of(&journal, long), ["entry 100", "exit 100"]);
    drop(journal);
    // Either statement again adds nothing.
    for file in [&earlier, &later] {
        let again = commit_previewed(&path, file);
        assert_eq!((again.added.len(), again.new_fills), (0, 0));
    }
    assert_eq!(open(&path).trade_count().unwrap(), 2);
}
