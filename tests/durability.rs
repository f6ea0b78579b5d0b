//! Nothing lost, never locked out: atomic exports, backups that are never
//! half written, readers that never wait for a writer, journals created by
//! several processes at once, and imports that say when nothing was imported.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use tranche::domain::TradeId;
use tranche::interchange::to_json;
use tranche::storage::{Journal, SCHEMA_VERSION};

use crate::helpers::{
    EVENTS_BACK_INTO_THEIR_TABLE, FILL_RECORDS_BACK_INTO_THEIR_TABLE, KEPT_STATS_AWAY, files_in,
    generated_trades, run, sample_trades, tranche, worked_example,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_of(trades: &[tranche::domain::Trade]) -> String {
    let numbered: Vec<_> = trades
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, t)| (TradeId(i as i64 + 1), t))
        .collect();
    to_json(&numbered)
}

/// A journal as schema version 3 wrote it, holding `trades` generated trades:
/// written now, then taken back to version 3 (no rate, no statement checks,
/// no playbooks).
fn version_3_journal(path: &Path, trades: usize) {
    let mut journal = Journal::open(path).unwrap();
    journal
        .insert_trades(&generated_trades(trades), &mut |_, _| {})
        .unwrap();
    drop(journal);
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(KEPT_STATS_AWAY).unwrap();
    conn.execute_batch(EVENTS_BACK_INTO_THEIR_TABLE).unwrap();
    conn.execute_batch(FILL_RECORDS_BACK_INTO_THEIR_TABLE)
        .unwrap();
    conn.execute_batch(
        "DROP TRIGGER analysis_cache_trade_insert;
         DROP TRIGGER analysis_cache_trade_update;
         DROP TRIGGER analysis_cache_trade_delete;
         DROP TABLE analysis_cache;
         DROP TABLE analysis_shown;
         DROP TABLE bar;
         DROP TABLE bar_series;
         ALTER TABLE trade DROP COLUMN rate;
         ALTER TABLE trade DROP COLUMN stops_known;
         DROP TABLE statement_check_trade;
         DROP TABLE statement_check;
         DROP TABLE playbook;
         PRAGMA user_version = 3;",
    )
    .unwrap();
}

/// An upgrade is killed at moments through its backup and migration. Every
/// file named like a backup is a whole journal of the old version; a half
/// written copy keeps its temporary name and is removed at the next open;
/// the journal itself is sound, at the old version or the new.
#[test]
fn a_killed_upgrade_never_leaves_an_empty_backup() {
    const TRADES: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.sqlite");
    version_3_journal(&template, TRADES);

    // One whole upgrade, to time it.
    let timing = tempfile::tempdir().unwrap();
    let full = timing.path().join("j.sqlite");
    fs::copy(&template, &full).unwrap();
    let started = Instant::now();
    let output = run(&["--journal", full.to_str().unwrap(), "report"]);
    let duration = started.elapsed();
    assert!(output.status.success(), "{}", text(&output.stderr));

    let mut killed_with_a_partial_copy = 0;
    for (n, fraction) in [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5].iter().enumerate() {
        let round = tempfile::tempdir().unwrap();
        let path = round.path().join("j.sqlite");
        fs::copy(&template, &path).unwrap();
        let mut child = tranche()
            .args(["--journal", path.to_str().unwrap(), "report"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(duration.mul_f64(*fraction));
        let _ = child.kill(); // SIGKILL; an error only if it has already exited
        child.wait().unwrap();

        let names = files_in(round.path());
        if names.iter().any(|name| name.contains(".partial")) {
            killed_with_a_partial_copy += 1;
        }
        for name in names.iter().filter(|n| n.contains(".bak-v3-")) {
            if name.contains(".partial") {
                continue;
            }
            // A backup is a whole version-3 journal: this version reads it
            // (upgrading a copy of it, as it would any old journal).
            let copy = round.path().join(format!("check-{n}.sqlite"));
            fs::copy(round.path().join(name), &copy).unwrap();
            let version: i64 = rusqlite::Connection::open(&copy)
                .unwrap()
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .unwrap();
            assert_eq!(version, 3, "{name}");
            let journal = Journal::open(&copy).unwrap();
            assert_eq!(journal.trade_count().unwrap(), TRADES, "{name}");
            assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
        }
        // The next open removes a half-written copy and finishes the job.
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(journal.trade_count().unwrap(), TRADES);
        assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
        drop(journal);
        assert!(
            !files_in(round.path())
                .iter()
                .any(|name| name.contains(".partial")),
            "kill point {n}: {:?}",
            files_in(round.path())
        );
    }
    // Not an assertion on timing: the machine may be too fast or too slow
    // for a kill to land inside the copy. The checks above hold either way.
    eprintln!(
        "upgrade of {TRADES} trades took {duration:?}; {killed_with_a_partial_copy} kills left a partial copy"
    );
}

/// A reader does not wait for a writer holding the journal's write lock: it
/// sees the last committed state at once (WAL), where it used to fail after
/// five seconds with "database is locked".
#[test]
fn readers_do_not_wait_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    Journal::open(&path)
        .unwrap()
        .insert_trade(&worked_example())
        .unwrap();
    let writer = rusqlite::Connection::open(&path).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    writer
        .execute("UPDATE trade SET notes = 'uncommitted'", [])
        .unwrap();
    let j = path.to_str().unwrap();
    for command in [
        vec!["trades", "--json"],
        vec!["show", "1"],
        vec!["report", "--json"],
        vec!["export", "--format", "json"],
    ] {
        let output = run(&[&["--journal", j][..], &command].concat());
        assert!(
            output.status.success(),
            "{command:?}: {}",
            text(&output.stderr)
        );
        assert!(!text(&output.stdout).contains("uncommitted"));
    }
    writer.execute_batch("ROLLBACK").unwrap();
}

/// Three processes import into a journal that does not exist yet, at the
/// same moment: every one of them succeeds, and the journal holds all three
/// imports.
#[test]
fn processes_creating_one_journal_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trades.json");
    fs::write(&file, json_of(&sample_trades())).unwrap();
    for round in 0..8 {
        let path: PathBuf = dir.path().join(format!("j{round}.sqlite"));
        let children: Vec<_> = (0..3)
            .map(|_| {
                tranche()
                    .args(["--journal", path.to_str().unwrap(), "import"])
                    .arg(&file)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {}",
                text(&output.stderr)
            );
        }
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.trade_count().unwrap(), 3 * sample_trades().len());
    }
}

#[test]
fn export_replaces_its_file_whole_and_leaves_nothing_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    Journal::open(&path)
        .unwrap()
        .insert_trade(&worked_example())
        .unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let target = out.join("export.json");
    fs::write(&target, "the previous export").unwrap();
    let output = run(&[
        "--journal",
        path.to_str().unwrap(),
        "export",
        "--output",
        target.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(fs::read_to_string(&target).unwrap().starts_with('{'));
    assert_eq!(files_in(&out), ["export.json"]);

    // A target that cannot be replaced: an error, and nothing left behind.
    let taken = out.join("taken");
    fs::create_dir(&taken).unwrap();
    let output = run(&[
        "--journal",
        path.to_str().unwrap(),
        "export",
        "--output",
        taken.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert_eq!(files_in(&out), ["export.json", "taken"]);
}

#[test]
fn a_journal_file_with_a_byte_order_mark_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.json");
    fs::write(&file, format!("\u{feff}{}", json_of(&[worked_example()]))).unwrap();
    let j = dir.path().join("j.sqlite");
    let output = run(&["--journal", j.to_str().unwrap(), "import"]);
    assert!(!output.status.success(), "no file given is an error");
    let output = tranche()
        .args(["--journal", j.to_str().unwrap(), "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("added 1 trades"));
}

#[test]
fn a_dry_run_never_upgrades_an_older_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    version_3_journal(&path, 3);
    let before = fs::read(&path).unwrap();
    let file = dir.path().join("trades.json");
    fs::write(&file, json_of(&sample_trades())).unwrap();
    let statement = dir.path().join("fills.csv");
    fs::write(
        &statement,
        "Account,Date,Time,Symbol,Side,Qty,Price,Fee\n\
         U1,2024-03-01,09:30:00,AAPL,Buy,100,170.25,1\n\
         U1,2024-03-01,10:30:00,AAPL,Sell,100,171.25,1\n",
    )
    .unwrap();
    let output = tranche()
        .args(["--journal", path.to_str().unwrap(), "import", "--dry-run"])
        .arg(&statement)
        .output()
        .unwrap();
    let said = text(&output.stderr);
    assert!(!output.status.success());
    assert!(said.contains("needs an upgrade"), "{said}");
    assert_eq!(fs::read(&path).unwrap(), before, "the journal is untouched");
    assert!(
        !files_in(dir.path())
            .iter()
            .any(|name| name.contains(".bak-")),
        "no backup was made: {:?}",
        files_in(dir.path())
    );
}

#[test]
fn an_import_that_adds_nothing_because_every_row_was_left_out_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let j = path.to_str().unwrap();
    let statement = dir.path().join("fills.csv");
    fs::write(
        &statement,
        "Account,Date,Time,Symbol,Side,Qty,Price,Fee\n\
         U1,2024-03-01,09:30:00,AAPL,Buy,lots,170.25,1\n\
         U1,2024-03-01,10:30:00,AAPL,Sell,100,not a price,1\n",
    )
    .unwrap();
    let output = tranche()
        .args(["--journal", j, "import", "--skip-bad-rows"])
        .arg(&statement)
        .output()
        .unwrap();
    let said = text(&output.stderr);
    assert!(!output.status.success(), "{}", text(&output.stdout));
    assert!(said.contains("nothing was imported"), "{said}");
    assert!(said.contains("none of its rows made a trade"), "{said}");
    // No journal is left behind, neither under its name nor aside.
    let left = files_in(dir.path());
    assert!(
        !left.iter().any(|name| name.starts_with("j.sqlite")),
        "{left:?}"
    );

    // A file whose fills are all known already adds nothing, and that is fine.
    let good = dir.path().join("good.csv");
    fs::write(
        &good,
        "Account,Date,Time,Symbol,Side,Qty,Price,Fee\n\
         U1,2024-03-01,09:30:00,AAPL,Buy,100,170.25,1\n\
         U1,2024-03-01,10:30:00,AAPL,Sell,100,171.25,1\n",
    )
    .unwrap();
    for _ in 0..2 {
        let output = tranche()
            .args(["--journal", j, "import"])
            .arg(&good)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    assert_eq!(Journal::open(&path).unwrap().trade_count().unwrap(), 1);
}

/// Reads a generic CSV with `rows` under the common header; the error, if any.
fn read_error(rows: &str) -> Option<String> {
    let file = format!("Account,Date,Time,Symbol,Side,Qty,Price,Fee\n{rows}");
    let options = tranche::import::ImportOptions {
        tz: chrono_tz::Tz::UTC,
        ..Default::default()
    };
    tranche::import::import(file.as_bytes(), "fills.csv", &options)
        .err()
        .map(|e| e.to_string())
}

#[test]
fn what_a_file_says_is_honoured_or_refused() {
    let good = "U1,2024-03-01,09:30:00,AAPL,Buy,100,170.25,1\n";
    assert_eq!(read_error(good), None);
    let cases = [
        (
            "a price longer than a decimal holds",
            "U1,2024-03-01,09:30:00,AAPL,Buy,100,100.1234567890123456789012345678901234567891,1\n",
            "line 2, field \"price\": \"100.1234567890123456789012345678901234567891\" has more than 28 significant digits",
        ),
        (
            "a quantity of 29 decimals",
            "U1,2024-03-01,09:30:00,AAPL,Buy,0.00000000000000000000000000001,170.25,1\n",
            "field \"quantity\": \"0.00000000000000000000000000001\" has more than 28 significant digits",
        ),
        (
            "a negative quantity on a buy row",
            "U1,2024-03-01,09:30:00,AAPL,Buy,-100,170.25,1\n",
            "field \"quantity\": -100 is negative on a \"Buy\" row",
        ),
        (
            "a NUL inside a symbol",
            "U1,2024-03-01,09:30:00,AA\0PL,Buy,100,170.25,1\n",
            "field \"symbol\": \"AA\\0PL\" holds a control character",
        ),
        (
            "a line break inside a quoted symbol",
            "U1,2024-03-01,09:30:00,\"AA\nPL\",Buy,100,170.25,1\n",
            "holds a control character",
        ),
        (
            "a year before 1900",
            "U1,1899-03-01,09:30:00,AAPL,Buy,100,170.25,1\n",
            "field \"date\": the year 1899 is before 1900",
        ),
    ];
    for (what, row, expected) in cases {
        let error = read_error(row).unwrap_or_else(|| panic!("{what}: accepted"));
        assert!(error.contains(expected), "{what}: {error}");
        assert!(error.starts_with("fills.csv, line 2"), "{what}: {error}");
    }
    // A sell written negative, as IBKR writes it, is a sell.
    assert_eq!(
        read_error("U1,2024-03-01,09:30:00,AAPL,Sell,-100,170.25,1\n"),
        None
    );
}

#[test]
fn a_column_the_reader_uses_twice_is_refused_naming_both() {
    let file = "Date,Time,Symbol,Side,Qty,Price,Price\n2024-03-01,09:30:00,AAPL,Buy,100,1,2\n";
    let options = tranche::import::ImportOptions {
        tz: chrono_tz::Tz::UTC,
        ..Default::default()
    };
    let error = tranche::import::import(file.as_bytes(), "fills.csv", &options)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the columns 6 and 7 are both named \"Price\""),
        "{error}"
    );
    assert!(error.starts_with("fills.csv, line 1"), "{error}");
}

#[test]
fn a_huge_field_makes_a_short_message() {
    let huge = "9".repeat(50_000) + "x";
    let error = read_error(&format!("U1,2024-03-01,09:30:00,AAPL,Buy,100,{huge},1\n")).unwrap();
    assert!(error.len() < 400, "{} characters", error.len());
    assert!(error.contains("(50001 characters)"), "{error}");

    let json = format!(
        "{{\"format\": \"tranche-journal\", \"version\": 1, \"trades\": [{{\"symbol\": \"A\", \
         \"side\": \"long\", \"events\": [{{\"type\": \"entry\", \"at\": \"2024-03-01T09:30:00Z\", \
         \"qty\": \"1\", \"price\": \"{huge}\"}}]}}]}}"
    );
    let error = tranche::interchange::from_json(&json)
        .unwrap_err()
        .to_string();
    assert!(error.len() < 400, "{} characters", error.len());
}

#[test]
fn a_journal_decimal_that_cannot_be_held_exactly_is_refused() {
    let json = json_of(&[worked_example()]).replacen(
        "\"price\": \"100\"",
        "\"price\": \"100.1234567890123456789012345678901234567891\"",
        1,
    );
    let error = tranche::interchange::from_json(&json)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("price: \"100.1234567890123456789012345678901234567891\" has more than 28 significant digits"),
        "{error}"
    );
}

/// Reads a generic CSV of fills in New York time.
fn read_in_new_york(rows: &str) -> tranche::import::Import {
    let file = format!("Account,Date,Time,Symbol,Side,Qty,Price,Fee\n{rows}");
    let options = tranche::import::ImportOptions {
        tz: chrono_tz::America::New_York,
        ..Default::default()
    };
    tranche::import::import(file.as_bytes(), "fills.csv", &options).unwrap()
}

#[test]
fn a_time_the_clocks_skipped_keeps_the_files_order_with_a_warning() {
    // 02:30 on 2024-03-10 does not exist in New York: the clocks went from
    // 02:00 EST to 03:00 EDT. Read an hour later it would land after the
    // 03:10 exit and make a short that never happened.
    let import = read_in_new_york(
        "U1,2024-03-10,01:55:00,AAPL,Buy,100,170,0\n\
         U1,2024-03-10,02:30:00,AAPL,Buy,50,171,0\n\
         U1,2024-03-10,03:10:00,AAPL,Sell,150,172,0\n",
    );
    assert_eq!(import.trades().len(), 1, "{:?}", import.warnings);
    let trade = &import.trades()[0].trade;
    assert_eq!(trade.side, tranche::domain::Side::Long);
    let times: Vec<String> = trade.events.iter().map(|e| e.at.to_rfc3339()).collect();
    assert_eq!(
        times,
        [
            "2024-03-10T01:55:00-05:00",
            "2024-03-10T03:00:00-04:00",
            "2024-03-10T03:10:00-04:00"
        ]
    );
    let warning = &import.warnings[0];
    assert_eq!(warning.line, Some(3));
    assert!(
        warning
            .message
            .contains("does not exist in the import time zone"),
        "{warning}"
    );
}

#[test]
fn a_time_the_clocks_showed_twice_keeps_the_files_order_with_a_warning() {
    // 01:00 to 01:59 on 2024-11-03 happens twice in New York (EDT, then EST).
    // The file goes 01:50 (the first time round), 01:10 (the second).
    let import = read_in_new_york(
        "U1,2024-11-03,01:20:00,AAPL,Buy,100,170,0\n\
         U1,2024-11-03,01:50:00,AAPL,Buy,50,171,0\n\
         U1,2024-11-03,01:10:00,AAPL,Sell,150,172,0\n",
    );
    assert_eq!(import.trades().len(), 1, "{:?}", import.warnings);
    let times: Vec<String> = import.trades()[0]
        .trade
        .events
        .iter()
        .map(|e| e.at.to_rfc3339())
        .collect();
    assert_eq!(
        times,
        [
            "2024-11-03T01:20:00-04:00",
            "2024-11-03T01:50:00-04:00",
            "2024-11-03T01:10:00-05:00"
        ]
    );
    let lines: Vec<Option<usize>> = import.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(4)]);
    assert!(import.warnings[2].message.contains("happens twice"));
}

/// A journal whose folder cannot be written opens read-only for reading
/// commands, with a note. (The tests may run as root, whom permissions do not
/// stop: folders standing where SQLite's write-ahead log and shared-memory
/// files must go stop SQLite all the same.)
#[test]
fn a_journal_that_cannot_be_written_opens_read_only_for_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    Journal::open(&path)
        .unwrap()
        .insert_trade(&worked_example())
        .unwrap();
    assert!(!dir.path().join("j.sqlite-shm").exists());
    fs::create_dir(dir.path().join("j.sqlite-shm")).unwrap();
    fs::create_dir(dir.path().join("j.sqlite-wal")).unwrap();
    let output = run(&["--journal", path.to_str().unwrap(), "trades", "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("\"symbol\": \"AAPL\""));
    assert!(
        text(&output.stderr).contains("it was opened read-only"),
        "{}",
        text(&output.stderr)
    );
    let journal = Journal::open_for_reading(&path).unwrap();
    assert!(journal.is_read_only());
    assert_eq!(journal.trade_count().unwrap(), 1);
}

/// A first import into an empty journal that another program has open is
/// written as any other (the journal stays in WAL mode throughout), and the
/// other program goes on reading.
#[test]
fn a_first_import_beside_another_program_leaves_it_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    drop(Journal::open(&path).unwrap());
    let csv = dir.path().join("fills.csv");
    fs::write(
        &csv,
        "Date,Time,Symbol,Side,Quantity,Price,Commission,Account,Execution ID\n\
         2024-01-02,09:30:00,AAA,Buy,100,10.00,1,U1,E1\n\
         2024-01-02,09:40:00,AAA,Sell,100,11.00,1,U1,E2\n",
    )
    .unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    let count = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM trade", [], |row| row.get(0))
            .unwrap()
    };
    assert_eq!(count(&other), 0);
    let output = run(&[
        "--journal",
        path.to_str().unwrap(),
        "import",
        "--tz",
        "UTC",
        csv.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(count(&other), 1);
    let mode: String = other
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
