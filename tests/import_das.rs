//! DAS Trader Pro Trades window exports: the reader on fixtures written for
//! the project (unsorted rows, `SS` short sells and `SS` closing a long,
//! scale-ins, partial exits, trailing commas, identical rows at one second,
//! fee columns), the file's own P / L against the journal, the trading day
//! given on the command line, and the import dialog asking for it.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use tranche::analysis::analyze;
use tranche::app::{Preferences, TrancheApp, journal};
use tranche::domain::EventKind;
use tranche::import::{
    Format, GroupOptions, Import, ImportOptions, ImportedTrade, detect, import, parse_as,
};
use tranche::storage::Journal;
use tranche::ui::time::Zone;

use crate::harness::{App, click, fill, has_text_containing, settle};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/brokers/das")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// New York time, on a trading day (summer time began two days before).
fn options() -> ImportOptions {
    ImportOptions {
        tz: chrono_tz::America::New_York,
        date: NaiveDate::from_ymd_opt(2024, 3, 12),
        ..ImportOptions::default()
    }
}

fn load(name: &str) -> Import {
    let bytes = fixture(name);
    assert_eq!(detect(&bytes), Some(Format::DasTrades), "{name}");
    import(&bytes, name, &options()).unwrap_or_else(|e| panic!("{e}"))
}

/// A trade in one line: account, symbol, side, then its fills.
fn describe(t: &ImportedTrade) -> String {
    let mut out = format!(
        "{} {} {}{}:",
        t.trade.account,
        t.trade.symbol,
        t.trade.side,
        if t.open { " open" } else { "" }
    );
    for e in &t.trade.events {
        let at = e.at.format("%Y-%m-%d %H:%M:%S%z");
        let (sign, f) = match &e.kind {
            EventKind::Entry(f) => ('+', f),
            EventKind::Exit(f) => ('-', f),
            other => panic!("a DAS file has no {other:?}"),
        };
        out.push_str(&format!(
            " {sign}{}@{} f{} {at};",
            f.qty.normalize(),
            f.price.normalize(),
            f.fee.normalize()
        ));
    }
    out
}

fn net(t: &ImportedTrade) -> Decimal {
    analyze(&t.trade, &Default::default()).net_pnl.normalize()
}

#[test]
fn trades_window_export_with_every_quirk() {
    let result = load("trades.csv");
    assert_eq!(result.format, Format::DasTrades);
    // Sixteen rows, sixteen fills: the two identical rows are two fills.
    assert_eq!(result.fills.len(), 16);
    let got: Vec<String> = result.trades().iter().map(describe).collect();
    assert_eq!(
        got,
        [
            // Scaled in while winning, out in two parts.
            "TRX1234 AMD long: +200@100 f0 2024-03-12 09:31:05-0400; \
             +100@101.5 f0 2024-03-12 09:33:40-0400; -150@102 f0 2024-03-12 09:40:12-0400; \
             -150@101 f0 2024-03-12 09:52:30-0400;",
            // A short sold with SS; the two identical rows at one second
            // are one order's two fills: one tranche.
            "TRX1234 TSLA short: +200@250 f0 2024-03-12 10:05:00-0400; \
             +50@248 f0 2024-03-12 10:12:45-0400; -125@247.6 f0 2024-03-12 10:20:10-0400; \
             -125@249 f0 2024-03-12 10:31:00-0400;",
            // SS closing the rest of a long.
            "TRX1234 SPY long: +300@400.1 f0 2024-03-12 11:00:00-0400; \
             -100@400.6 f0 2024-03-12 11:05:00-0400; -200@399.9 f0 2024-03-12 11:07:30-0400;",
            // A buy and a sell at one second, in the order of the file
            // (the file is mostly newest first, yet not read backwards).
            "TRX1234 KO long: +100@60 f0 2024-03-12 12:00:00-0400; \
             -100@60.1 f0 2024-03-12 12:00:00-0400;",
            "TRX1234 NVDA long open: +50@120 f0 2024-03-12 15:50:00-0400; \
             -20@121 f0 2024-03-12 15:55:00-0400;",
        ]
    );
    let nets: Vec<Decimal> = result.trades().iter().map(net).collect();
    assert_eq!(nets, [dec!(300), dec!(325), dec!(10), dec!(10), dec!(20)]);
    // The identical rows keep keys of their own.
    let tsla = &result.trades()[1];
    let keys: Vec<_> = tsla.keys_of(0).collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
    assert_eq!(tsla.lines[0], 8);
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);
    assert!(!result.stops_recorded);
    assert!(result.trades().iter().all(|t| t.trade.currency == "USD"));

    // The file's P / L is every closing fill's, the open trade's partial
    // exit included: the journal's net P&L of every trade agrees.
    let check = result.reconciliation().expect("the file states its P / L");
    assert_eq!(check.label, "P / L column");
    assert_eq!(check.currency, "USD");
    assert_eq!(check.statement, dec!(665));
    assert_eq!(check.journal.normalize(), dec!(665));
    assert!(check.agrees(), "{check}");
    assert!(
        result
            .preview()
            .to_string()
            .contains("statement 665.00 USD; journal 665.00 USD: agrees"),
        "{}",
        result.preview()
    );
}

#[test]
fn fee_columns_token_orders_and_times_without_a_leading_zero() {
    let result = load("fees.csv");
    let got: Vec<String> = result.trades().iter().map(describe).collect();
    assert_eq!(
        got,
        ["TRX1234 KO long: +500@60.008 f4 2024-03-12 09:45:01-0400; \
          -500@60.5 f1.75 2024-03-12 10:02:13-0400;"]
    );
    // A negative ECN fee is a credit: 2.50 commission less 0.75.
    assert_eq!(result.fills.get(2).fee, dec!(1.75));
    assert_eq!(result.fills.get(0).order_id.as_deref(), Some("T1"));
    assert_eq!(net(&result.trades()[0]), dec!(240.25));
    // DAS's P / L is before fees: the file's figure is it less the fees.
    let check = result.reconciliation().expect("the file states its P / L");
    assert_eq!(check.label, "P / L column less fees");
    assert_eq!(check.statement, dec!(240.25));
    assert!(check.agrees(), "{check}");
}

#[test]
fn without_the_trading_day_the_file_is_refused_by_name() {
    let bytes = fixture("trades.csv");
    let no_date = ImportOptions {
        date: None,
        ..options()
    };
    let err = parse_as(Format::DasTrades, &bytes, "trades.csv", &no_date).unwrap_err();
    assert_eq!(err.file, "trades.csv");
    assert_eq!(err.line, None);
    assert_eq!(
        err.to_string(),
        "trades.csv: a DAS Trader trades export has times but no date; \
         give the trading day with --date YYYY-MM-DD"
    );
    // Skipping bad rows does not skip the day.
    let skipping = ImportOptions {
        skip_bad_rows: true,
        ..no_date
    };
    assert!(import(&bytes, "trades.csv", &skipping).is_err());
    assert!(Format::DasTrades.needs_date());
    assert!(!Format::GenericCsv.needs_date());
    assert_eq!("das".parse::<Format>(), Ok(Format::DasTrades));
    assert_eq!(Format::DasTrades.title(), "DAS Trader Pro trades");
}

const HEADER: &str = "Time,Symb,Side,Price,Qty,Route,Broker,Account,Type,Cloid,P / L,\n";

#[test]
fn a_fill_closing_a_position_held_from_before_the_file_is_named() {
    // A short held overnight is covered first thing; its opening is not here.
    let text = format!(
        "{HEADER}09:33:00,MU,B,46.99,750,SMRT,,TRX1234,Margin,AUTO,142.50,\n\
         10:27:47,MU,B,46.79,1250,SMRT,,TRX1234,Margin,AUTO,0.00,\n\
         10:31:34,MU,S,46.9,1250,SMRT,,TRX1234,Margin,AUTO,137.50,\n"
    );
    let result = import(text.as_bytes(), "held.csv", &options()).unwrap();
    assert_eq!(result.warnings.len(), 1, "{:?}", result.warnings);
    let warning = &result.warnings[0];
    assert_eq!(warning.line, Some(2));
    assert_eq!(warning.field.as_deref(), Some("P / L"));
    assert!(
        warning
            .message
            .contains("closes a position opened before the file"),
        "{warning}"
    );
    // Without that opening, the journal's figure cannot be the file's.
    let check = result.reconciliation().unwrap();
    assert_eq!(check.statement, dec!(280));
    assert!(!check.agrees(), "{check}");
}

#[test]
fn a_bad_row_is_named_or_skipped_and_left_out_of_the_total() {
    let text = format!(
        "{HEADER}09:30:00,AMD,B,100,100,SMRT,,TRX1234,Margin,AUTO,0.00,\n\
         09:31:00,AMD,X,101,100,SMRT,,TRX1234,Margin,AUTO,100.00,\n\
         09:32:00,AMD,S,102,100,SMRT,,TRX1234,Margin,AUTO,200.00,\n"
    );
    let err = import(text.as_bytes(), "bad.csv", &options()).unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(3), Some("Side")));
    assert!(err.message.contains("\"X\" is not B, S or SS"), "{err}");
    let skipping = ImportOptions {
        skip_bad_rows: true,
        ..options()
    };
    let result = import(text.as_bytes(), "bad.csv", &skipping).unwrap();
    assert_eq!(result.fills.len(), 2);
    assert_eq!(result.warnings.len(), 1);
    let check = result.reconciliation().unwrap();
    assert_eq!(check.statement, dec!(200));
    assert!(check.agrees(), "{check}");
}

#[test]
fn detection_needs_das_columns() {
    assert_eq!(detect(HEADER.as_bytes()), Some(Format::DasTrades));
    // Spelled out, with Cloid and P / L, it is still DAS.
    let spelled = "Time,Symbol,Side,Price,Quantity,Route,Cloid,P / L\n";
    assert_eq!(detect(spelled.as_bytes()), Some(Format::DasTrades));
    // A CSV of fills with a date is not.
    let generic = "Date,Time,Symbol,Side,Quantity,Price,Route\n2024-03-12,09:30:00,AMD,B,1,1,X\n";
    assert_eq!(detect(generic.as_bytes()), Some(Format::GenericCsv));
}

#[test]
fn importing_twice_adds_nothing_and_keeps_both_identical_rows() {
    let result = load("trades.csv");
    let mut journal = Journal::open_in_memory().unwrap();
    let first = journal
        .commit_import(&result, &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap();
    assert_eq!((first.new_fills, first.added.len()), (16, 5));
    assert_eq!(journal.imported_fill_count().unwrap(), 16);
    let again = journal
        .commit_import(
            &load("trades.csv"),
            &GroupOptions::default(),
            false,
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!((again.new_fills, again.known_fills), (0, 16));
    assert!(again.added.is_empty() && again.extended.is_empty());
}

#[test]
fn every_truncation_is_an_error_or_a_result() {
    for name in ["trades.csv", "fees.csv"] {
        let bytes = fixture(name);
        for cut in 0..bytes.len() {
            let _ = parse_as(Format::DasTrades, &bytes[..cut], name, &options());
            let _ = import(&bytes[..cut], name, &options());
        }
    }
}

/// The real export next to the project, when it is there.
#[test]
fn real_trades_window_export() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/brokers/das_trader/das-trades_structjour.csv");
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    assert_eq!(detect(&bytes), Some(Format::DasTrades));
    let options = ImportOptions {
        date: NaiveDate::from_ymd_opt(2019, 3, 1),
        ..options()
    };
    let result = import(&bytes, "das-trades.csv", &options).unwrap();
    assert_eq!(result.fills.len(), 30);
    assert_eq!(result.trades().len(), 9);
    assert!(result.trades().iter().all(|t| !t.open));
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);
    let check = result.reconciliation().unwrap();
    assert_eq!(check.statement, dec!(74.76));
    assert!(check.agrees(), "{check}");
}

mod command_line {
    use super::*;

    fn tranche() -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tranche"));
        command.env_remove("TRANCHE_JOURNAL");
        command
    }

    #[test]
    fn the_trading_day_is_given_with_date() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.sqlite");
        let file = fixture_path("trades.csv");
        let run = |extra: &[&str]| {
            tranche()
                .args(["--journal", journal.to_str().unwrap(), "import"])
                .args(extra)
                .arg(&file)
                .output()
                .unwrap()
        };

        let refused = run(&["--tz", "America/New_York"]);
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains(
                "trades.csv: a DAS Trader trades export has times but no date; \
                 give the trading day with --date YYYY-MM-DD"
            ),
            "{stderr}"
        );
        assert!(!journal.exists(), "nothing is written");

        let bad = run(&["--date", "12/03/2024"]);
        assert!(!bad.status.success());
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert!(
            stderr.contains("is not a date written YYYY-MM-DD"),
            "{stderr}"
        );

        let done = run(&["--tz", "America/New_York", "--date", "2024-03-12"]);
        let stdout = String::from_utf8_lossy(&done.stdout);
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        assert!(
            stdout.contains("format: DAS Trader Pro trades (das)"),
            "{stdout}"
        );
        assert!(
            stdout.contains("from 2024-03-12T09:31:05-04:00 to 2024-03-12T15:55:00-04:00"),
            "{stdout}"
        );
        assert!(
            stdout.contains("statement 665.00 USD; journal 665.00 USD: agrees"),
            "{stdout}"
        );
        assert!(
            stdout.contains("5 trades added, 0 trades extended, 16 new fills"),
            "{stdout}"
        );
        let trades = Journal::open(&journal).unwrap().trades().unwrap();
        assert_eq!(trades.len(), 5);
    }
}

mod dialog {
    use super::*;

    fn has_text(harness: &App, text: &str) -> bool {
        harness.query_by_label(text).is_some()
    }

    fn is_enabled(harness: &App, label: &str) -> bool {
        !harness.get_by_label(label).accesskit_node().is_disabled()
    }

    fn app(path: &Path) -> App {
        let opener = journal::opener(path.to_path_buf());
        let preferences = Preferences {
            zone: Zone::parse("UTC").expect("UTC"),
            ..Preferences::default()
        };
        let mut harness = Harness::builder()
            .with_size([1280.0, 800.0])
            .build_eframe(move |cc| {
                TrancheApp::with_preferences(&cc.egui_ctx, opener, preferences)
            });
        settle(&mut harness);
        harness
    }

    fn open(harness: &mut App, file: &Path) {
        harness.state_mut().import_file(file.to_path_buf());
        settle(harness);
    }

    #[test]
    fn the_dialog_asks_for_the_trading_day_and_remembers_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let mut harness = app(&path);
        open(&mut harness, &fixture_path("trades.csv"));

        let dialog = harness.state().import_dialog().expect("the dialog opens");
        assert_eq!(dialog.format(), Format::DasTrades);
        assert!(dialog.needs_date());
        assert!(has_text_containing(&harness, "Trading day"));
        assert!(has_text(
            &harness,
            "This file gives times of day but no date: type its trading day above (YYYY-MM-DD)."
        ));
        assert!(!is_enabled(&harness, "Import"));

        fill(&mut harness, "Trading day", "2024-13-01");
        assert!(has_text(&harness, "not a date (YYYY-MM-DD)"));
        assert!(!is_enabled(&harness, "Import"));

        // A valid day: the preview is read, in the import zone (local).
        fill(&mut harness, "Trading day", "2024-03-12");
        assert!(has_text(&harness, "DAS Trader Pro trades"));
        assert!(has_text(&harness, "16 fills"));
        assert!(has_text(&harness, "5 trades, 1 still open"));
        assert!(has_text(&harness, &range(12)), "{}", range(12));
        assert!(is_enabled(&harness, "Import"));

        // Another day moves every time, and the preview follows.
        fill(&mut harness, "Trading day", "2024-03-13");
        assert!(has_text(&harness, &range(13)), "{}", range(13));

        click(&mut harness, "Import");
        assert!(harness.state().import_dialog().is_none());
        assert_eq!(harness.state().trades().len(), 5);
        let stored = Journal::open(&path).unwrap().trades().unwrap();
        assert_eq!(stored.len(), 5);

        // The next file of the kind offers the day typed last.
        open(&mut harness, &fixture_path("fees.csv"));
        let dialog = harness.state().import_dialog().expect("the dialog opens");
        assert_eq!(dialog.date(), NaiveDate::from_ymd_opt(2024, 3, 13));
        assert!(has_text(&harness, "3 fills"));
    }

    /// The preview's dates for the file read on 2024-03-`day` in the
    /// machine's zone, shown in UTC.
    fn range(day: u32) -> String {
        let zone = tranche::import::local_zone();
        let at = |h, m| {
            let local = NaiveDate::from_ymd_opt(2024, 3, day)
                .and_then(|d| d.and_hms_opt(h, m, 0))
                .unwrap();
            chrono::TimeZone::from_local_datetime(&zone, &local)
                .earliest()
                .unwrap()
                .with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M +00:00")
                .to_string()
        };
        format!("From {} to {}", at(9, 31), at(15, 55))
    }
}
