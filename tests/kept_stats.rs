//! The statistics of the whole journal, kept: an import into a journal that
//! holds nothing and a `report` of the whole journal keep them, the next
//! report of the whole journal reads them, and a change to a trade or a tag
//! (by this program or another), to the rule settings or to a playbook
//! means they are not used.

use std::path::Path;

use rust_decimal_macros::dec;
use tranche::analysis::kept::{self, Basis};
use tranche::analysis::stats::{self, Filter, JournalStats};
use tranche::analysis::{Messages, Rule};
use tranche::cli::stream;
use tranche::domain::{EventKind, Playbook};
use tranche::import::{GroupOptions, ImportOptions, import};
use tranche::storage::{Journal, StorageError};

use crate::helpers::{generated_trades, import_utc, run, sample_trades};

/// The statistics a report prints, computed from every trade's events as
/// if nothing were kept: without the per-trade curves.
fn fresh(journal: &Journal, filter: &Filter) -> JournalStats {
    let settings = journal.rule_settings().unwrap();
    let trades = journal.trades().unwrap();
    let analyses = stats::analyze_all(&trades, &settings, Messages::Skip);
    let mut stats = stats::journal_stats(&stats::pair(&trades, &analyses), filter, &settings);
    stats.equity_curve.clear();
    stats.scale_out_effects.clear();
    stats
}

/// What `report` prints the figures of, for `filter`.
fn report_stats(journal: &Journal, filter: &Filter) -> JournalStats {
    let settings = journal.rule_settings().unwrap();
    stream::report_stats(journal, filter, &settings, 7).unwrap()
}

/// The statistics the journal keeps under its settings, if any.
fn kept_stats(journal: &Journal) -> Option<JournalStats> {
    let basis = Basis::of_stats(&journal.rule_settings().unwrap()).0;
    let bytes = journal.kept_stats(basis).unwrap()?;
    Some(kept::decode_stats(&bytes).expect("kept statistics decode"))
}

/// The rows of `kept_stats`, under any basis.
fn kept_rows(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT count(*) FROM kept_stats", [], |row| row.get(0))
        .unwrap()
}

/// A journal of `generated` disciplined trades and the sample trades,
/// which break rules and carry tags.
fn journal_of(path: &Path, generated: usize) -> Journal {
    let mut journal = Journal::open(path).unwrap();
    let mut trades = generated_trades(generated);
    trades.extend(sample_trades());
    journal.insert_trades(&trades, &mut |_, _| {}).unwrap();
    journal
}

/// A generic CSV of `trades` trades over three accounts and seven symbols:
/// each an entry, an add (above the entry, or below it: averaging down), a
/// partial exit and the rest, on days and hours apart.
fn fills_csv(trades: usize) -> String {
    let mut text =
        String::from("Account,Date,Time,Symbol,Side,Quantity,Price,Commission,Execution ID\n");
    for k in 0..trades {
        let (account, symbol) = (k % 3, k % 7);
        let day = 1 + k / 40 % 27;
        let hour = 9 + k / 7 % 7;
        let entry = 100 + (k % 13) as i64;
        let add = if k % 4 == 0 { entry - 1 } else { entry + 1 };
        let first_exit = if k % 5 == 0 { entry - 3 } else { entry + 2 };
        let last_exit = if k % 3 == 0 { entry - 2 } else { entry + 4 };
        for (n, (side, qty, price)) in [
            ("Buy", 100, entry),
            ("Buy", 50, add),
            ("Sell", 75, first_exit),
            ("Sell", 75, last_exit),
        ]
        .into_iter()
        .enumerate()
        {
            text.push_str(&format!(
                "U{account},2024-05-{day:02},{hour:02}:{:02}:{:02},S{symbol},{side},{qty},{price}.{:02},1.25,X{k}-{n}\n",
                k % 60,
                n * 10,
                k % 100,
            ));
        }
    }
    text
}

/// `tranche report --json` of the journal at `path`.
fn report_json(path: &Path) -> Vec<u8> {
    let output = run(&["--journal", path.to_str().unwrap(), "report", "--json"]);
    assert!(output.status.success(), "{output:?}");
    output.stdout
}

/// `tranche report` of the journal at `path`, as text.
fn report_text(path: &Path) -> Vec<u8> {
    let output = run(&["--journal", path.to_str().unwrap(), "report"]);
    assert!(output.status.success(), "{output:?}");
    output.stdout
}

#[test]
fn a_report_of_the_whole_journal_keeps_its_statistics_and_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let journal = journal_of(&path, 300);
    assert_eq!(kept_stats(&journal), None);
    let whole = fresh(&journal, &Filter::default());
    assert_eq!(report_stats(&journal, &Filter::default()), whole);
    assert_eq!(kept_stats(&journal), Some(whole.clone()));
    assert!(!whole.breakdowns.by_tag.is_empty());
    assert!(whole.adherence.violations_by_rule.values().any(|&n| n > 0));

    // A filter, or times read in a zone, neither use nor replace them.
    let filters = [
        Filter {
            tag: Some("batch3".into()),
            ..Filter::default()
        },
        Filter {
            rule: Some(Rule::AveragingDown),
            ..Filter::default()
        },
        Filter {
            zone: Some(chrono_tz::Tz::Asia__Tokyo),
            ..Filter::default()
        },
    ];
    for filter in &filters {
        let stats = report_stats(&journal, filter);
        assert_eq!(stats, fresh(&journal, filter), "{filter:?}");
        assert_ne!(stats, whole, "{filter:?}");
        assert_eq!(kept_stats(&journal), Some(whole.clone()));
    }

    // The next report of the whole journal is what is kept: here, figures
    // another program wrote under the same basis.
    let mut marked = whole.clone();
    marked.trades = 123_456;
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE kept_stats SET stats = ?1",
            [kept::encode_stats(&marked)],
        )
        .unwrap();
    assert_eq!(report_stats(&journal, &Filter::default()), marked);
}

/// A change to a journal, made here or by another program.
type Change<'a> = Box<dyn Fn(&mut Journal) + 'a>;

#[test]
fn every_change_to_a_trade_or_a_tag_forgets_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = journal_of(&path, 40);
    let other = rusqlite::Connection::open(&path).unwrap();
    let trades = journal.trades().unwrap();
    let tagged = trades
        .iter()
        .find(|(_, trade)| !trade.tags.is_empty())
        .unwrap()
        .0;
    let changes: Vec<(&str, Change)> = vec![
        (
            "an edit",
            Box::new(|journal: &mut Journal| {
                let (id, mut trade) = journal.trades().unwrap()[3].clone();
                if let Some(EventKind::Exit(fill)) =
                    trade.events.last_mut().map(|event| &mut event.kind)
                {
                    fill.price += dec!(1.5);
                }
                journal.update_trade(id, &trade).unwrap();
            }),
        ),
        (
            "a tag added here",
            Box::new(|journal: &mut Journal| {
                let (id, mut trade) = journal.trades().unwrap()[5].clone();
                trade.tags.push("late".into());
                journal.update_trade(id, &trade).unwrap();
            }),
        ),
        (
            "a delete",
            Box::new(|journal: &mut Journal| {
                let id = journal.trades().unwrap()[6].0;
                journal.delete_trade(id).unwrap();
            }),
        ),
        (
            "an undo of the delete",
            Box::new(|journal: &mut Journal| {
                journal.restore_trade(trades[6].0, &trades[6].1).unwrap();
            }),
        ),
        (
            "a new trade",
            Box::new(|journal: &mut Journal| {
                journal
                    .insert_trades(&generated_trades(1), &mut |_, _| {})
                    .unwrap();
            }),
        ),
        (
            "a setup changed by another program",
            Box::new(|_: &mut Journal| {
                other
                    .execute(
                        "UPDATE trade SET setup = 'other' WHERE id = ?1",
                        [trades[1].0.0],
                    )
                    .unwrap();
            }),
        ),
        (
            "a tag added by another program",
            Box::new(|_: &mut Journal| {
                other
                    .execute(
                        "INSERT INTO trade_tag (trade_id, position, tag) VALUES (?1, 9, 'extra')",
                        [trades[2].0.0],
                    )
                    .unwrap();
            }),
        ),
        (
            "a tag renamed by another program",
            Box::new(|_: &mut Journal| {
                other
                    .execute(
                        "UPDATE trade_tag SET tag = 'renamed' WHERE trade_id = ?1",
                        [tagged.0],
                    )
                    .unwrap();
            }),
        ),
        (
            "a tag taken away by another program",
            Box::new(|_: &mut Journal| {
                other
                    .execute("DELETE FROM trade_tag WHERE trade_id = ?1", [tagged.0])
                    .unwrap();
            }),
        ),
    ];
    for (change, apply) in &changes {
        let before = report_stats(&journal, &Filter::default());
        assert_eq!(kept_rows(&path), 1, "{change}");
        apply(&mut journal);
        assert_eq!(kept_rows(&path), 0, "{change}");
        let after = report_stats(&journal, &Filter::default());
        assert_eq!(after, fresh(&journal, &Filter::default()), "{change}");
        assert_ne!(after, before, "{change}");
    }
}

#[test]
fn new_rule_settings_or_playbooks_use_no_kept_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = journal_of(&dir.path().join("j.sqlite"), 100);
    let before = report_stats(&journal, &Filter::default());

    let mut settings = journal.rule_settings().unwrap();
    settings.weights[Rule::AveragingDown.index()] = 7;
    journal.set_rule_settings(&settings).unwrap();
    assert_eq!(kept_stats(&journal), None);
    let weighted = report_stats(&journal, &Filter::default());
    assert_ne!(weighted, before);
    assert_eq!(weighted, fresh(&journal, &Filter::default()));

    let mut playbook = Playbook::new("generated");
    playbook.max_adds = Some(0);
    settings.playbooks.push(playbook);
    journal.set_rule_settings(&settings).unwrap();
    assert_eq!(kept_stats(&journal), None);
    let judged = report_stats(&journal, &Filter::default());
    assert_ne!(judged, weighted);
    assert_eq!(judged, fresh(&journal, &Filter::default()));
}

#[test]
fn an_import_into_an_empty_journal_keeps_them_and_a_later_one_forgets_them() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, path) = (dir.path().join("fills.csv"), dir.path().join("j.sqlite"));
    std::fs::write(&csv, fills_csv(400)).unwrap();
    import_utc(&path, &csv);
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.trade_count().unwrap(), 400);
    let whole = fresh(&journal, &Filter::default());
    assert_eq!(kept_stats(&journal), Some(whole.clone()));
    assert_eq!(whole.breakdowns.by_account.len(), 3);
    assert!(whole.adherence.violations_by_rule[&Rule::AveragingDown] > 0);

    // `report` prints the same from what is kept as from the trades, as
    // text and as JSON.
    let from_kept = report_json(&path);
    let text_from_kept = report_text(&path);
    for (printed, print) in [
        (&from_kept, report_json as fn(&Path) -> Vec<u8>),
        (&text_from_kept, report_text),
    ] {
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute("DELETE FROM kept_stats", [])
            .unwrap();
        assert_eq!(&print(&path), printed);
        assert_eq!(kept_rows(&path), 1);
    }
    let value: serde_json::Value = serde_json::from_slice(&from_kept).unwrap();
    assert_eq!(value, tranche::report::report_json(&whole));

    // A later import into a journal with trades forgets them.
    std::fs::write(
        &csv,
        "Account,Date,Time,Symbol,Side,Quantity,Price,Commission,Execution ID\n\
         U1,2024-06-03,10:00:00,NEW,Buy,10,50.00,1,N1\n\
         U1,2024-06-03,11:00:00,NEW,Sell,10,55.00,1,N2\n",
    )
    .unwrap();
    import_utc(&path, &csv);
    assert_eq!(kept_rows(&path), 0);
    assert_eq!(
        report_stats(&journal, &Filter::default()),
        fresh(&journal, &Filter::default())
    );
    assert_eq!(kept_rows(&path), 1);
}

#[test]
fn an_import_planned_from_its_fills_keeps_them_too_but_not_a_dry_run() {
    let text = fills_csv(120);
    let options = ImportOptions {
        tz: chrono_tz::Tz::UTC,
        ..ImportOptions::default()
    };
    let read = import(text.as_bytes(), "fills.csv", &options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    let outcome = journal
        .commit_import(&read, &GroupOptions::default(), true, &mut |_, _| {})
        .unwrap();
    assert_eq!(outcome.added.len(), 120);
    assert_eq!(journal.trade_count().unwrap(), 0);
    assert_eq!(kept_rows(&path), 0);
    journal
        .commit_import(&read, &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap();
    assert_eq!(journal.trade_count().unwrap(), 120);
    assert_eq!(
        kept_stats(&journal),
        Some(fresh(&journal, &Filter::default()))
    );

    // Into a journal that held a trade already, the import keeps none.
    let other = dir.path().join("other.sqlite");
    let mut journal = journal_of(&other, 1);
    journal
        .commit_import(&read, &GroupOptions::default(), false, &mut |_, _| {})
        .unwrap();
    assert_eq!(kept_rows(&other), 0);
}

#[test]
fn statistics_are_not_kept_when_the_journal_changed_after_it_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let journal = journal_of(&path, 20);
    let settings = journal.rule_settings().unwrap();
    let (basis, stats_basis) = (Basis::of(&settings).0, Basis::of_stats(&settings).0);
    let read = journal
        .read_kept_chunks(basis, 8, |_| -> Result<(), StorageError> { Ok(()) })
        .unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE trade SET setup = 'late' WHERE id = 1", [])
        .unwrap();
    let bytes = kept::encode_stats(&fresh(&journal, &Filter::default()));
    assert!(!journal.keep_stats(stats_basis, read, &bytes).unwrap());
    assert_eq!(kept_rows(&path), 0);

    // Read again, nothing changed since: kept.
    let read = journal
        .read_kept_chunks(basis, 8, |_| -> Result<(), StorageError> { Ok(()) })
        .unwrap();
    assert!(journal.keep_stats(stats_basis, read, &bytes).unwrap());
    assert_eq!(kept_rows(&path), 1);
}

#[test]
fn unreadable_kept_statistics_are_added_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let journal = journal_of(&path, 30);
    report_stats(&journal, &Filter::default());
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE kept_stats SET stats = x'ffff'", [])
        .unwrap();
    let whole = fresh(&journal, &Filter::default());
    assert_eq!(report_stats(&journal, &Filter::default()), whole);
    assert_eq!(kept_stats(&journal), Some(whole));
}
