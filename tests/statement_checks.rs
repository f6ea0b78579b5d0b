//! Statements that state their own total: the check kept with each committed
//! import, on a journal file, and `tranche import` printing it.

use crate::helpers::{broker_fixture as fixture, run as tranche};
use std::path::Path;

use chrono::Utc;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::domain::TradeId;
use tranche::import::{GroupOptions, Import, ImportOptions, StatementTotal, import};
use tranche::storage::{ImportOutcome, Journal, StatementCheck};

const HEADER: &str = "Account,Date,Time,Symbol,Side,Quantity,Price,Commission,Execution ID\n";
const AAPL_IN: &str = "U1,2024-03-15,09:30:00,AAPL,Buy,100,170.00,1.00,E1";
const AAPL_OUT: &str = "U1,2024-03-15,10:00:00,AAPL,Sell,100,172.00,1.00,E2";
const TSLA_IN: &str = "U1,2024-03-15,11:00:00,TSLA,Buy,10,200.00,1.00,E3";
const TSLA_OUT: &str = "U1,2024-03-18,09:45:00,TSLA,Sell,10,210.00,1.00,E4";
const MSFT_IN: &str = "U1,2024-03-18,10:00:00,MSFT,Buy,5,400.00,0.50,E5";
const MSFT_OUT: &str = "U1,2024-03-18,10:30:00,MSFT,Sell,5,405.00,0.50,E6";

/// A CSV of fills that states a total of closed trades, as a statement
/// would: `amount`, of which `excluded` is not the file's trades.
fn statement(rows: &[&str], amount: Decimal, excluded: Decimal) -> Import {
    let mut text = HEADER.to_owned();
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    let options = ImportOptions {
        tz: chrono_tz::Tz::UTC,
        ..ImportOptions::default()
    };
    let mut read = import(text.as_bytes(), "statement.csv", &options).expect("the file reads");
    read.total = Some(StatementTotal {
        label: "Closed Trade P/L".to_owned(),
        currency: "USD".to_owned(),
        amount,
        excluded,
        counts_open: false,
    });
    read
}

fn commit(path: &Path, import: &Import, dry_run: bool) -> ImportOutcome {
    Journal::open(path)
        .expect("the journal opens")
        .commit_import(import, &GroupOptions::default(), dry_run, &mut |_, _| {})
        .expect("the import commits")
}

fn checks(path: &Path) -> Vec<StatementCheck> {
    Journal::open(path)
        .expect("the journal opens")
        .statement_checks()
        .expect("the checks read")
}

fn id_of(path: &Path, symbol: &str) -> TradeId {
    Journal::open(path)
        .expect("the journal opens")
        .trades()
        .expect("the trades read")
        .into_iter()
        .find(|(_, t)| t.symbol == symbol)
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no {symbol} trade"))
}

#[test]
fn a_committed_import_keeps_its_check_with_the_trades_its_total_covers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    // AAPL nets 198 and TSLA 98; MSFT is still open, which a total of closed
    // trades leaves out. The statement's 300 includes 4 that is not trades.
    let file = statement(
        &[AAPL_IN, AAPL_OUT, TSLA_IN, TSLA_OUT, MSFT_IN],
        dec!(300.00),
        dec!(4.00),
    );
    let before = Utc::now();
    commit(&path, &file, false);

    let kept = checks(&path);
    assert_eq!(kept.len(), 1);
    let check = &kept[0];
    assert_eq!(check.file, "statement.csv");
    assert_eq!(check.format, "csv");
    assert!(check.imported_at >= before - chrono::Duration::seconds(1));
    assert!(check.imported_at <= Utc::now());
    assert_eq!(check.reconciliation, file.reconciliation().unwrap());
    assert_eq!(check.reconciliation.journal, dec!(296.00));
    assert!(check.reconciliation.agrees());
    assert_eq!(
        check.trades,
        [id_of(&path, "AAPL"), id_of(&path, "TSLA")],
        "the open MSFT trade is not covered"
    );

    // Every figure is kept as the text of the exact decimal.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let stored: (String, String, String, String, String) = conn
        .query_row(
            "SELECT statement, excluded, journal, imported_at, label FROM statement_check",
            [],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        (stored.0.as_str(), stored.1.as_str(), stored.2.as_str()),
        ("300.00", "4.00", "296")
    );
    assert!(stored.3.ends_with('Z'), "{}", stored.3);
    assert_eq!(stored.4, "Closed Trade P/L");
}

#[test]
fn a_reimport_keeps_a_check_naming_the_trades_that_already_hold_its_fills() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = statement(&[AAPL_IN, AAPL_OUT, TSLA_IN, TSLA_OUT], dec!(296), dec!(0));
    commit(&path, &file, false);
    let again = commit(&path, &file, false);
    assert_eq!((again.new_fills, again.known_fills), (0, 4));

    let kept = checks(&path);
    assert_eq!(kept.len(), 2, "one check per committed import");
    assert!(kept[0].id < kept[1].id);
    assert_eq!(kept[1].trades, kept[0].trades);
    assert_eq!(kept[1].trades.len(), 2);
}

#[test]
fn a_check_names_the_open_trade_its_file_closed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    // The first file opens MSFT and states nothing; the second holds the
    // same entry again, and the exit: MSFT nets 24, AAPL 198.
    let mut first = statement(&[MSFT_IN], dec!(0), dec!(0));
    first.total = None;
    commit(&path, &first, false);
    let msft = id_of(&path, "MSFT");

    let second = statement(&[MSFT_IN, MSFT_OUT, AAPL_IN, AAPL_OUT], dec!(222), dec!(0));
    let outcome = commit(&path, &second, false);
    assert_eq!(outcome.extended, [msft]);

    let kept = checks(&path);
    assert_eq!(kept.len(), 1, "only a file with a total keeps a check");
    assert_eq!(kept[0].trades, [msft, id_of(&path, "AAPL")]);
    assert!(kept[0].reconciliation.agrees());
}

#[test]
fn a_dry_run_and_a_file_without_a_total_keep_no_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = statement(&[AAPL_IN, AAPL_OUT], dec!(198), dec!(0));
    let outcome = commit(&path, &file, true);
    assert_eq!(outcome.added.len(), 1);
    assert!(checks(&path).is_empty());

    let mut plain = file.clone();
    plain.total = None;
    commit(&path, &plain, false);
    assert!(checks(&path).is_empty());
}

#[test]
fn a_failed_import_keeps_no_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    Journal::open(&path).expect("the journal is created");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON trade WHEN NEW.symbol = 'TSLA'
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .unwrap();
    }
    let file = statement(&[AAPL_IN, AAPL_OUT, TSLA_IN, TSLA_OUT], dec!(296), dec!(0));
    let error = Journal::open(&path)
        .unwrap()
        .commit_import(&file, &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap_err();
    assert!(error.to_string().contains("refused"), "{error}");
    assert!(checks(&path).is_empty());
    assert_eq!(Journal::open(&path).unwrap().trade_count().unwrap(), 0);
}

#[test]
fn deleting_a_trade_leaves_its_check_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let file = statement(&[AAPL_IN, AAPL_OUT, TSLA_IN, TSLA_OUT], dec!(296), dec!(0));
    commit(&path, &file, false);
    let aapl = id_of(&path, "AAPL");
    let tsla = id_of(&path, "TSLA");
    let mut journal = Journal::open(&path).unwrap();
    journal.delete_trade(aapl).expect("deleted");
    let kept = journal.statement_checks().expect("the checks read");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].trades, [aapl, tsla]);
    assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
}

#[test]
fn the_command_line_prints_the_check_before_and_after_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let j = path.to_str().unwrap();
    let file = fixture("ninjatrader/trades.csv");
    let args = ["--journal", j, "import", &file, "--tz", "America/New_York"];
    let line = "statement 289.69 USD; journal 289.69 USD: agrees";

    let dry = tranche(&[&args[..], &["--dry-run"]].concat());
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(text.contains(&format!("\n{line}\n")), "the preview: {text}");
    assert!(
        text.contains(&format!("Cum. net profit: {line} (dry run: not kept)")),
        "{text}"
    );

    let first = tranche(&args);
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        text.contains(&format!("Cum. net profit: {line} (kept with the import)")),
        "{text}"
    );
    assert_eq!(checks(&path).len(), 1);
}

#[test]
fn the_command_line_shows_a_disagreement_without_failing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let j = path.to_str().unwrap();
    // The statement says 300.00; its trades net 289.69.
    let text = std::fs::read_to_string(fixture("ninjatrader/trades.csv"))
        .unwrap()
        .replace("$289.69 ", "$300.00 ");
    let file = dir.path().join("trades.csv");
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();

    let run = tranche(&["--journal", j, "import", f, "--tz", "America/New_York"]);
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        out.contains("statement 300.00 USD; journal 289.69 USD: does not agree"),
        "{out}"
    );
    assert!(err.contains("does not agree"), "{err}");
    let kept = checks(&path);
    assert_eq!(kept.len(), 1);
    assert!(!kept[0].reconciliation.agrees());
}
